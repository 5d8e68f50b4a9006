"""The Lightning half of Runproof's `lightning-example` (train.py is the
command line): seeded synthetic data, a small LightningModule, and the
Trainer with CSVLogger, ModelCheckpoint, EarlyStopping and Runproof's
callback. Imported only after train.py has parsed and checked its
arguments, so `train.py --help` and its argument errors need no torch.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

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

# Lightning accelerator classes, named the way Lightning's own device lines
# and Runproof's accelerator check name them.
RESOLVED_NAMES = {
    "CPUAccelerator": "cpu",
    "CUDAAccelerator": "gpu",
    "MPSAccelerator": "mps",
    "XLAAccelerator": "tpu",
}


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


def fit(args: argparse.Namespace, accelerator: str) -> int:
    """Train with the checked arguments (train.py parsed them); returns the exit status."""

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
