#!/usr/bin/env python3
"""A small, real PyTorch Lightning 2.x training run for Runproof's
`lightning-example` profile.

An MLP learns a smooth nonlinear function of gridsize**2 features on
synthetic data drawn from --seed, with Lightning doing everything Runproof
checks: CSVLogger (metrics.csv, hparams.yaml), ModelCheckpoint (monitor,
top-k, last.ckpt), EarlyStopping (verbose), seed_everything and the device
lines. The flags are the reference trainer's (and PtychoPINN's) spellings.

    python3 workers/lightning-example/train.py --n_images 64 --gridsize 3 \
        --max_epochs 6 --batch_size 4 --accelerator auto --deterministic \
        --num-workers 0 --logger csv --checkpoint-save-top-k 2 \
        --early-stop-patience 5 --output_dir /tmp/lightning-example

Outputs under --output_dir:
    lightning_logs/version_N/metrics.csv, hparams.yaml   (--logger csv)
    checkpoints/epoch=EE-<monitor>=V.VVVV.ckpt, last.ckpt
    runproof.json beside metrics.csv (or in --output_dir with --logger none)
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import warnings

# Python's own warning format, kept before Lightning replaces it: Lightning >= 2.1 prints warnings from any
# file whose path contains "lightning" (this one does) as `path:line: message`, dropping the category.
_PYTHON_FORMATWARNING = warnings.formatwarning

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lightning.pytorch as pl
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

try:  # Runproof's callback (runproof.json: the exact callback settings and their state), pip-installed by setup:lightning
    from runproof_lightning import RunproofCallback
except ImportError:  # a python with torch and lightning but not the callback: use the checkout's copy
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "runproof_lightning"))
    from runproof_lightning import RunproofCallback

# --device values (deprecated) and what --accelerator they mean.
DEVICE_TO_ACCELERATOR = {"cpu": "cpu", "cuda": "gpu", "gpu": "gpu", "mps": "mps", "auto": "auto"}

# Lightning accelerator classes, named the way Lightning's own device lines
# and Runproof's accelerator check name them.
RESOLVED_NAMES = {
    "CPUAccelerator": "cpu",
    "CUDAAccelerator": "gpu",
    "MPSAccelerator": "mps",
    "XLAAccelerator": "tpu",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Train a small MLP with PyTorch Lightning on seeded synthetic data (Runproof's lightning-example).",
    )
    data = p.add_argument_group("data and model")
    data.add_argument("--n_images", type=int, default=512, help="number of samples, split 80/20 into train/validation (default 512)")
    data.add_argument("--gridsize", type=int, default=2, help="each sample has gridsize**2 input features (default 2)")
    data.add_argument("--learning-rate", dest="learning_rate", type=float, default=1e-3, help="Adam learning rate (default 0.001)")
    data.add_argument("--seed", type=int, default=42, help="seed for the data, the initial weights and shuffling (default 42)")

    run = p.add_argument_group("execution")
    run.add_argument("--max_epochs", type=int, default=8, help="Trainer(max_epochs) (default 8)")
    run.add_argument("--batch_size", type=int, default=16, help="DataLoader batch size (default 16)")
    run.add_argument(
        "--accelerator",
        choices=["auto", "cpu", "gpu", "cuda", "mps", "tpu"],
        default=None,
        help="Trainer(accelerator); auto picks a GPU when there is one (default auto)",
    )
    run.add_argument(
        "--device",
        choices=sorted(DEVICE_TO_ACCELERATOR),
        default=None,
        help="deprecated: use --accelerator",
    )
    run.add_argument(
        "--deterministic",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Trainer(deterministic) (default: on)",
    )
    run.add_argument("--num-workers", dest="num_workers", type=int, default=0, help="DataLoader workers (default 0)")
    run.add_argument("--logger", choices=["csv", "none"], default="csv", help="csv writes lightning_logs/version_N/metrics.csv (default csv)")

    ck = p.add_argument_group("checkpoints and early stopping")
    ck.add_argument(
        "--checkpoint-save-top-k",
        dest="checkpoint_save_top_k",
        type=int,
        default=1,
        help="ModelCheckpoint(save_top_k): -1 keeps all, 0 keeps only last.ckpt (default 1)",
    )
    ck.add_argument(
        "--checkpoint-monitor",
        dest="checkpoint_monitor",
        default="val_loss",
        help="metric watched by ModelCheckpoint and EarlyStopping (default val_loss; train_loss is the epoch mean)",
    )
    ck.add_argument("--checkpoint-mode", dest="checkpoint_mode", choices=["min", "max"], default="min", help="min or max (default min)")
    ck.add_argument(
        "--early-stop-patience",
        dest="early_stop_patience",
        type=int,
        default=100,
        help="EarlyStopping(patience): validation checks without improvement before stopping (default 100)",
    )
    ck.add_argument(
        "--early-stop-min-delta",
        dest="early_stop_min_delta",
        type=float,
        default=0.0,
        help="EarlyStopping(min_delta) (default 0.0)",
    )

    p.add_argument("--output_dir", required=True, help="folder for lightning_logs/ and checkpoints/ (created if missing)")
    return p


def check_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.n_images < 2:
        p.error("--n_images must be at least 2 (one training and one validation sample)")
    if args.gridsize < 1:
        p.error("--gridsize must be at least 1")
    if args.max_epochs < 1:
        p.error("--max_epochs must be at least 1")
    if args.batch_size < 1:
        p.error("--batch_size must be at least 1")
    if args.num_workers < 0:
        p.error("--num-workers must be 0 or more")
    if args.checkpoint_save_top_k < -1:
        p.error("--checkpoint-save-top-k must be -1 (keep all), 0, or more")
    if args.early_stop_patience < 0:
        p.error("--early-stop-patience must be at least 0 (0 stops at the first check without improvement)")
    if args.early_stop_min_delta < 0 or not math.isfinite(args.early_stop_min_delta):
        p.error("--early-stop-min-delta must be a finite number >= 0")
    if args.learning_rate < 0 or not math.isfinite(args.learning_rate):
        p.error("--learning-rate must be a finite number >= 0")
    if not args.checkpoint_monitor or "/" in args.checkpoint_monitor or "{" in args.checkpoint_monitor:
        p.error("--checkpoint-monitor must be a metric name such as val_loss (no '/' or braces)")


def resolve_accelerator(args: argparse.Namespace) -> str:
    """--accelerator wins; the deprecated --device stands in when it is absent."""
    if args.device is not None:
        lightning_format, warnings.formatwarning = warnings.formatwarning, _PYTHON_FORMATWARNING
        try:
            warnings.warn(
                "--device is deprecated and will be removed; use --accelerator "
                f"(--device {args.device} means --accelerator {DEVICE_TO_ACCELERATOR[args.device]})",
                DeprecationWarning,
                stacklevel=2,
            )
        finally:
            warnings.formatwarning = lightning_format
        if args.accelerator is None:
            return DEVICE_TO_ACCELERATOR[args.device]
    return args.accelerator or "auto"


def make_data(n_images: int, gridsize: int, seed: int) -> tuple[TensorDataset, TensorDataset]:
    """Seeded synthetic regression: y = sin(x·w) + 0.5·mean(x²) - 0.5 + noise."""
    g = torch.Generator().manual_seed(seed)
    features = gridsize * gridsize
    x = torch.randn(n_images, features, generator=g)
    w = torch.randn(features, generator=g) / math.sqrt(features)
    y = torch.sin(x @ w) + 0.5 * (x.pow(2).mean(dim=1) - 1.0) + 0.05 * torch.randn(n_images, generator=g)
    n_val = max(1, n_images // 5)
    n_train = n_images - n_val
    train = TensorDataset(x[:n_train], y[:n_train].unsqueeze(1))
    val = TensorDataset(x[n_train:], y[n_train:].unsqueeze(1))
    return train, val


class GridRegressor(pl.LightningModule):
    """A two-hidden-layer MLP from gridsize**2 features to one value."""

    def __init__(self, gridsize: int = 2, hidden: int = 64, learning_rate: float = 1e-3, n_images: int = 512, batch_size: int = 16, seed: int = 42):
        super().__init__()
        # Everything passed in lands in hparams.yaml (and in every checkpoint).
        self.save_hyperparameters()
        features = gridsize * gridsize
        self.net = nn.Sequential(
            nn.Linear(features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )
        self.loss_fn = nn.MSELoss()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss_fn(self(x), y)
        # Lightning forks this into train_loss_step and train_loss_epoch in metrics.csv.
        self.log("train_loss", loss, on_step=True, on_epoch=True, batch_size=x.shape[0])
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss_fn(self(x), y)
        # Validation defaults: on_step=False, on_epoch=True (mean over the epoch, weighted by batch size).
        self.log("val_loss", loss, prog_bar=True, batch_size=x.shape[0])
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    accelerator = resolve_accelerator(args)

    output_dir = os.path.abspath(args.output_dir)
    checkpoint_dir = os.path.join(output_dir, "checkpoints")
    os.makedirs(output_dir, exist_ok=True)

    pl.seed_everything(args.seed, workers=True)
    train_set, val_set = make_data(args.n_images, args.gridsize, args.seed)
    loader_kwargs = {"batch_size": args.batch_size, "num_workers": args.num_workers, "persistent_workers": args.num_workers > 0}
    train_loader = DataLoader(train_set, shuffle=True, **loader_kwargs)
    val_loader = DataLoader(val_set, shuffle=False, **loader_kwargs)
    train_batches = len(train_loader)

    monitor = args.checkpoint_monitor
    checkpoint = ModelCheckpoint(
        dirpath=checkpoint_dir,
        filename="{epoch:02d}-{" + monitor + ":.4f}",
        monitor=monitor,
        mode=args.checkpoint_mode,
        save_top_k=args.checkpoint_save_top_k,
        save_last=True,
    )
    early_stopping = EarlyStopping(
        monitor=monitor,
        mode=args.checkpoint_mode,
        patience=args.early_stop_patience,
        min_delta=args.early_stop_min_delta,
        verbose=True,
    )
    logger = CSVLogger(save_dir=output_dir) if args.logger == "csv" else False

    trainer = pl.Trainer(
        accelerator=accelerator,
        devices=1,
        max_epochs=args.max_epochs,
        deterministic=args.deterministic,
        logger=logger,
        callbacks=[checkpoint, early_stopping, RunproofCallback()],
        default_root_dir=output_dir,
        # Lightning logs a step row every n steps; with n capped at the batches per epoch, a short epoch still logs one.
        log_every_n_steps=max(1, min(50, train_batches)),
        enable_progress_bar=False,
    )
    resolved = RESOLVED_NAMES.get(type(trainer.accelerator).__name__, type(trainer.accelerator).__name__.replace("Accelerator", "").lower())

    # The config echo Runproof's `knobs` check compares with argv (lib/lightning/logs.ts).
    print(
        f"✓ Data config: n_images={args.n_images}, gridsize={args.gridsize}, max_epochs={args.max_epochs}, "
        f"batch_size={args.batch_size}, num_workers={args.num_workers}, seed={args.seed}",
        flush=True,
    )
    print(
        f"✓ Execution config: accelerator={resolved}, deterministic={args.deterministic}, learning_rate={args.learning_rate}",
        flush=True,
    )
    print(
        f"✓ Checkpoint config: monitor={monitor}, mode={args.checkpoint_mode}, save_top_k={args.checkpoint_save_top_k}, "
        f"patience={args.early_stop_patience}, min_delta={args.early_stop_min_delta}",
        flush=True,
    )
    print(f"Starting training with {args.max_epochs} epochs ({train_batches} batches per epoch)...", flush=True)

    model = GridRegressor(
        gridsize=args.gridsize,
        learning_rate=args.learning_rate,
        n_images=args.n_images,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    trainer.fit(model, train_dataloaders=train_loader, val_dataloaders=val_loader)

    if trainer.interrupted:
        print("ERROR: training was interrupted", file=sys.stderr, flush=True)
        return 130
    best = checkpoint.best_model_path
    if best:
        print(f"Best checkpoint: {os.path.relpath(best, output_dir)} ({monitor}={float(checkpoint.best_model_score):.4f})", flush=True)
    print(f"✓ Training completed successfully. Outputs saved to {args.output_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
