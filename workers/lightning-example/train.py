#!/usr/bin/env python3
"""A small, real PyTorch Lightning 2.x training run for Runproof's
`lightning-example` profile.

An MLP learns a smooth nonlinear function of gridsize**2 features on
synthetic data drawn from --seed, with Lightning doing everything Runproof
checks: CSVLogger (metrics.csv, hparams.yaml), ModelCheckpoint (monitor,
top-k, last.ckpt), EarlyStopping (verbose), seed_everything and the device
lines. The flags are the reference trainer's (and PtychoPINN's) spellings.

    python3 workers/lightning-example/train.py --n_images 64 --gridsize 3 \\
        --max_epochs 6 --batch_size 4 --accelerator auto --deterministic \\
        --num-workers 0 --logger csv --checkpoint-save-top-k 2 \\
        --early-stop-patience 5 --output_dir /tmp/lightning-example

Outputs under --output_dir:
    lightning_logs/version_N/metrics.csv, hparams.yaml   (--logger csv)
    checkpoints/epoch=EE-<monitor>=V.VVVV.ckpt, last.ckpt
    runproof.json beside metrics.csv (or in --output_dir with --logger none)

This file is the command line, standard library only: the arguments are
parsed and checked (argparse's `error:` line and exit status 2 on a bad one)
before fit.py imports torch and Lightning. Every knob's limits live in
`build_parser`, and Runproof's profile for this script must say the same
(lib/profiles/trainers.test.ts runs `--help` and probes each limit).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

# Python's own warning format, kept before Lightning replaces it: Lightning >= 2.1 prints warnings from any
# file whose path contains "lightning" (this one does) as `path:line: message`, dropping the category.
_PYTHON_FORMATWARNING = warnings.formatwarning

# --device values (deprecated) and what --accelerator they mean.
DEVICE_TO_ACCELERATOR = {"cpu": "cpu", "cuda": "gpu", "gpu": "gpu", "mps": "mps", "auto": "auto"}

# seed_everything's bounds (numpy's uint32).
SEED_MAX = 2**32 - 1


class Bounded:
    """An argparse type: a number of `kind` within [lo, hi].

    Out of range is argparse's usual refusal, `argument --batch_size: 70000
    is not in range 1..65536`; a value that is not a number keeps argparse's
    `invalid int value: 'abc'` (the type's name is the kind's).
    """

    def __init__(self, kind: type, lo: float, hi: float):
        self.kind, self.lo, self.hi = kind, lo, hi
        self.__name__ = kind.__name__

    def __call__(self, text: str):
        value = self.kind(text)
        if not (self.lo <= value <= self.hi):  # NaN fails this too
            raise argparse.ArgumentTypeError(f"{text.strip()} is not in range {self.lo}..{self.hi}")
        return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Train a small MLP with PyTorch Lightning on seeded synthetic data (Runproof's lightning-example).",
    )
    data = p.add_argument_group("data and model")
    data.add_argument("--n_images", type=Bounded(int, 2, 1_000_000), default=512, help="number of samples, split 80/20 into train/validation, 2..1000000 (default 512)")
    data.add_argument("--gridsize", type=Bounded(int, 1, 16), default=2, help="each sample has gridsize**2 input features, 1..16 (default 2)")
    data.add_argument("--learning-rate", dest="learning_rate", type=Bounded(float, 0.0, 10.0), default=1e-3, help="Adam learning rate, 0..10 (default 0.001)")
    data.add_argument("--seed", type=Bounded(int, 0, SEED_MAX), default=42, help=f"seed for the data, the initial weights and shuffling, 0..{SEED_MAX} (default 42)")

    run = p.add_argument_group("execution")
    run.add_argument("--max_epochs", type=Bounded(int, 1, 10_000), default=8, help="Trainer(max_epochs), 1..10000 (default 8)")
    run.add_argument("--batch_size", type=Bounded(int, 1, 65_536), default=16, help="DataLoader batch size, 1..65536 (default 16)")
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
    run.add_argument("--num-workers", dest="num_workers", type=Bounded(int, 0, 256), default=0, help="DataLoader workers, 0..256 (default 0)")
    run.add_argument("--logger", choices=["csv", "none"], default="csv", help="csv writes lightning_logs/version_N/metrics.csv (default csv)")

    ck = p.add_argument_group("checkpoints and early stopping")
    ck.add_argument(
        "--checkpoint-save-top-k",
        dest="checkpoint_save_top_k",
        type=Bounded(int, -1, 100),
        default=1,
        help="ModelCheckpoint(save_top_k): -1 keeps all, 0 keeps only last.ckpt, -1..100 (default 1)",
    )
    ck.add_argument(
        "--checkpoint-monitor",
        dest="checkpoint_monitor",
        choices=["val_loss", "train_loss"],
        default="val_loss",
        help="metric watched by ModelCheckpoint and EarlyStopping: the two this module logs (default val_loss; train_loss is the epoch mean)",
    )
    ck.add_argument("--checkpoint-mode", dest="checkpoint_mode", choices=["min", "max"], default="min", help="min or max (default min)")
    ck.add_argument(
        "--early-stop-patience",
        dest="early_stop_patience",
        type=Bounded(int, 0, 1000),
        default=100,
        help="EarlyStopping(patience): validation checks without improvement before stopping, 0..1000 (default 100)",
    )
    ck.add_argument(
        "--early-stop-min-delta",
        dest="early_stop_min_delta",
        type=Bounded(float, 0.0, 1e6),
        default=0.0,
        help="EarlyStopping(min_delta), 0..1000000 (default 0.0)",
    )

    p.add_argument("--output_dir", required=True, help="folder for lightning_logs/ and checkpoints/ (created if missing)")
    return p


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    accelerator = resolve_accelerator(args)

    # torch and Lightning are imported only for arguments that passed (fit.py sits beside this file).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fit import fit

    return fit(args, accelerator)


if __name__ == "__main__":
    sys.exit(main())
