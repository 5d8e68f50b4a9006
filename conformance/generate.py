#!/usr/bin/env python3
"""Runproof's conformance corpus: real Lightning runs with Lightning's own end state as ground truth.

For each configuration of a seeded matrix this runs a real ``Trainer.fit`` (a
tiny model, CPU, a few batches of synthetic data) with Lightning's own
ModelCheckpoint / EarlyStopping / loggers, and writes

* a bundle folder shaped like a user's: ``train.log`` (the run's real stdout
  and stderr), the logger's ``metrics.csv`` and/or ``events.out.tfevents.*``,
  ``hparams.yaml``, ``checkpoints_ls.txt`` (GNU ``ls -l`` of the checkpoint
  folder; the checkpoint files themselves are deleted), ``command.txt`` (the
  config as a command line, when the case has one) and ``runproof.json``
  (when the case uses RunproofCallback);
* ``truth.json``: the config, and what Lightning itself ended with — the
  files in the checkpoint folder, every save and delete ModelCheckpoint made,
  ``best_k_models``/``best_model_path``/``kth_value``, EarlyStopping's
  ``wait_count``/``stopped_epoch``/``best_score``/reason, ``current_epoch``,
  ``global_step``, ``should_stop``, the exit status and exception — plus the
  issue classes (1–10) the case exercises and which checks must not fail.

and tampered copies of some healthy cases (a kept checkpoint dropped from the
listing, a deleted one added back, an epoch's rows dropped from metrics.csv,
the log cut before its end), whose truth names the check that must fail.

The monitored value comes from a scripted curve (one value per validation,
logged once in ``on_validation_epoch_end``) so ties, thresholds, divergence
and NaN are hit on purpose. Each run is its own forked process (fresh warning
registry, its own exit status, SIGTERM delivered for real), from one parent
that imported torch and Lightning once.

    python conformance/generate.py --out fixtures/conformance --seed 20260515 --n 330

Needs torch and lightning (``npm run setup:lightning``). Run with ``--help``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from typing import Any, Dict, List, Optional, Tuple

os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

import lightning  # noqa: E402
import lightning.pytorch as pl  # noqa: E402
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint  # noqa: E402
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python", "runproof_lightning"))
from runproof_lightning import RunproofCallback  # noqa: E402

NAN = float("nan")

# The classes of input (issue 10), by number.
CLASSES = {
    1: "early stopping ends the run",
    2: "top-k with names that do not carry the score",
    3: "ties",
    4: "checkpoint names (templates, auto_insert_metric_name, -vN, optimizer steps)",
    5: "validation sparse by design (check_val_every_n_epoch, val_check_interval, max_steps)",
    6: "EarlyStopping beyond patience/min_delta (min_epochs, thresholds, check_finite)",
    7: "config unknown from the bundle",
    8: "metrics.csv shapes (test rows after fit, all-NaN losses)",
    9: "logs (exceptions, SIGTERM, warnings, seed line)",
    10: "log-only bundles",
}


# ----------------------------------------------------------------------------------------------- the matrix
def fmt_num(v: Any) -> Any:
    """JSON has no NaN/inf: written as strings, as runproof.json does."""
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, torch.Tensor):
        return fmt_num(v.item())
    return fmt_num(v)


def make_curve(rng: random.Random, kind: str, n: int, mode: str) -> Tuple[List[float], Dict[str, Any]]:
    """One monitored value per validation. Loss-like for min, accuracy-like for max."""
    extra: Dict[str, Any] = {}
    start, floor = rng.uniform(0.6, 1.4), rng.uniform(0.05, 0.3)
    tau = rng.uniform(1.5, 5.0)
    base = [floor + (start - floor) * math.exp(-t / tau) for t in range(n)]
    if kind == "improving":
        vals = [round(b + rng.uniform(-0.02, 0.02), 3) for b in base]
    elif kind == "noisy":  # rounded to 0.05: ties everywhere
        vals = [round((b + rng.uniform(-0.15, 0.15)) * 20) / 20 for b in base]
    elif kind == "plateau":  # improves, then repeats earlier values exactly (ties with the best and with the kth)
        k = rng.randint(1, 3)
        vals = [round(b, 2) for b in base[: k + 1]]
        while len(vals) < n:
            vals.append(rng.choice(vals[-3:]) if rng.random() < 0.7 else round(vals[-1] + rng.choice([-0.01, 0.0, 0.01]), 2))
    elif kind == "u-shape":  # better, then worse: patience runs out
        turn = rng.randint(1, max(1, n // 3))
        vals = [round(base[t] if t <= turn else base[turn] + 0.04 * (t - turn) + rng.uniform(0, 0.01), 3) for t in range(n)]
    elif kind == "threshold":  # crosses a stopping threshold at validation `at`
        vals = [round(b, 3) for b in base]
        at = rng.randint(1, max(1, min(n - 1, 5)))
        extra["threshold_at"] = at
    elif kind == "diverge":  # jumps above a divergence threshold at validation `at`
        at = rng.randint(1, max(1, min(n - 1, 5)))
        vals = [round(base[t], 3) if t < at else round(5.0 + t, 3) for t in range(n)]
        extra["diverge_at"] = at
    elif kind == "nan":  # NaN at validation `at`
        at = rng.randint(1, max(1, min(n - 1, 5)))
        vals = [round(base[t] + rng.uniform(-0.02, 0.02), 3) for t in range(n)]
        vals[at] = NAN
        if rng.random() < 0.4:
            for t in range(at, n):
                vals[t] = NAN
        extra["nan_at"] = at
    elif kind == "all-nan":
        vals = [NAN] * n
    else:
        raise ValueError(kind)
    if mode == "max":  # accuracy-like: mirror into (0, 1)
        vals = [v if math.isnan(v) else round(max(0.0, 1.0 - v / 2.0), 3 if kind != "noisy" else 2) for v in vals]
        if kind == "diverge":
            vals = [v if t < extra["diverge_at"] else round(-1.0 - t, 3) for t, v in enumerate(vals)]
    return vals, extra


FILENAMES = [
    # (template, auto_insert_metric_name, uses monitor value)
    (None, True, False),  # Lightning's default '{epoch}-{step}'
    ("{epoch:02d}-{MON:.4f}", True, True),
    ("{epoch}-{step}-{MON:.3f}", True, True),
    ("best-{epoch:03d}", True, False),
    ("model-{step}", True, False),
    ("ep{epoch:02d}_score{MON:.3f}", False, True),
    ("epoch={epoch:02d}-MONSHORT={MON:.4f}", True, True),  # the doubled `epoch=epoch=` form PtychoPINN has
    ("{epoch}", False, False),
]


def sample_config(i: int, seed: int) -> Dict[str, Any]:
    rng = random.Random(seed * 1_000_003 + i)
    c: Dict[str, Any] = {"index": i, "seed": rng.randint(0, 10_000)}
    # -- what the run is (weighted so every class is well covered)
    scenario = rng.choices(
        ["plain", "early-stop", "threshold", "diverge", "nan", "all-nan", "sparse-val", "val-interval", "max-steps",
         "exception", "sigterm", "rerun", "resume", "two-optimizers", "test-after-fit", "min-epochs", "ties"],
        weights=[12, 12, 5, 4, 5, 2, 7, 7, 6, 5, 4, 5, 5, 4, 4, 4, 9],
    )[0]
    c["scenario"] = scenario
    # -- data: few batches; val batch counts that are powers of two keep the epoch mean exact
    c["train_batches"] = rng.choice([2, 3, 4, 5])
    c["val_batches"] = rng.choice([1, 2])
    c["batch_size"] = rng.choice([2, 4])
    # -- trainer
    t: Dict[str, Any] = {
        "max_epochs": rng.randint(3, 8),
        "max_steps": -1,
        "min_epochs": None,
        "check_val_every_n_epoch": 1,
        "val_check_interval": None,
        "num_sanity_val_steps": rng.choice([0, 2, 2]),
        "log_every_n_steps": rng.choice([1, 2, 50]),
    }
    if scenario == "sparse-val":
        t["check_val_every_n_epoch"] = rng.choice([2, 3])
        t["max_epochs"] = rng.randint(4, 9)
    if scenario == "val-interval":
        c["train_batches"] = rng.choice([4, 5, 6])
        t["val_check_interval"] = rng.choice([0.5, 0.25, 2, 3])
        t["max_epochs"] = rng.randint(2, 4)
    if scenario == "max-steps":
        t["max_epochs"] = rng.choice([-1, 10, 20]) if rng.random() < 0.5 else 20
        t["max_steps"] = c["train_batches"] * rng.randint(1, 4) + rng.randint(0, c["train_batches"] - 1)
    if scenario == "min-epochs":
        t["min_epochs"] = rng.randint(2, 4)
        t["max_epochs"] = rng.randint(t["min_epochs"] + 1, 8)
    c["trainer"] = t
    # -- the monitored metric: a loss (min) or an accuracy (max); a '/' in the name sometimes
    kind = rng.choice(["loss", "loss", "acc"])
    slash = rng.random() < 0.25
    c["monitor"] = ("val/" if slash else "val_") + kind
    c["other_metric"] = ("val/" if slash else "val_") + ("acc" if kind == "loss" else "loss")
    c["mode"] = "min" if kind == "loss" else "max"
    n_vals = (t["max_epochs"] if t["max_epochs"] > 0 else 20) * 8 + 8
    curve_kind = {
        "threshold": "threshold", "diverge": "diverge", "nan": "nan", "all-nan": "all-nan", "ties": rng.choice(["plateau", "noisy"]),
        "early-stop": rng.choice(["u-shape", "plateau", "noisy"]), "min-epochs": rng.choice(["u-shape", "plateau"]),
    }.get(scenario, rng.choice(["improving", "improving", "noisy", "plateau", "u-shape"]))
    c["curve_kind"] = curve_kind
    curve, extra = make_curve(rng, curve_kind, n_vals, c["mode"])
    c["curve"] = curve
    # -- ModelCheckpoint
    if rng.random() < 0.1 and scenario not in ("rerun", "resume"):
        c["mc"] = None  # Lightning's default ModelCheckpoint()
    else:
        tmpl, auto, uses = rng.choice(FILENAMES)
        monitor: Optional[str] = c["monitor"]
        k = rng.choice([-1, 0, 1, 1, 2, 2, 3, 3])
        if scenario == "ties":
            k = rng.choice([1, 2, 3])
        if rng.random() < 0.08 and not uses:
            monitor = None  # save every trigger, keep the newest
            k = rng.choice([-1, 1])
        if tmpl:
            tmpl = tmpl.replace("MONSHORT", c["monitor"].split("/")[-1].replace("_loss", "").replace("_acc", "")).replace("MON", c["monitor"])
        mc = {
            "monitor": monitor,
            "mode": c["mode"],
            "save_top_k": k,
            "save_last": rng.choice([False, True, True]),
            "filename": tmpl,
            "auto_insert_metric_name": auto,
            "every_n_epochs": None,
            "every_n_train_steps": None,
            "verbose": rng.random() < 0.4,
            "dirpath": rng.choice(["explicit", "explicit", "default"]),
        }
        r = rng.random()
        if r < 0.12:
            mc["every_n_epochs"] = 2
        elif r < 0.2:
            mc["every_n_train_steps"] = rng.choice([2, 3])
        if scenario == "rerun":
            mc["dirpath"] = "explicit"
        if scenario == "resume":
            mc["dirpath"] = "explicit"
            mc["save_last"] = True
        c["mc"] = mc
    # -- EarlyStopping
    wants_es = scenario in ("early-stop", "threshold", "diverge", "nan", "min-epochs", "all-nan") or rng.random() < 0.35
    if wants_es:
        es = {
            "monitor": c["monitor"],
            "mode": c["mode"],
            "patience": rng.choice([0, 1, 2, 3, 4]),
            "min_delta": rng.choice([0.0, 0.0, 0.01, 0.05]),
            "stopping_threshold": None,
            "divergence_threshold": None,
            "check_finite": True,
            "check_on_train_epoch_end": rng.choice([None, None, True, False]),
            "verbose": rng.random() < 0.6,
        }
        if scenario == "threshold":
            at = extra["threshold_at"]
            a, b = curve[at - 1], curve[at]
            es["stopping_threshold"] = round((a + b) / 2, 4) if a != b else b
            es["patience"] = max(es["patience"], 3)
        if scenario == "diverge":
            es["divergence_threshold"] = 3.0 if c["mode"] == "min" else -0.5
            es["patience"] = max(es["patience"], 3)
        if scenario == "nan":
            es["check_finite"] = rng.random() < 0.8
        c["es"] = es
    else:
        c["es"] = None
    # -- how it ends (besides what the callbacks do)
    c["fail"] = None
    if scenario in ("exception", "sigterm"):
        me = max(1, t["max_epochs"]) if t["max_epochs"] > 0 else 5
        c["fail"] = {"kind": scenario, "epoch": rng.randint(0, min(me - 1, 3)), "batch": rng.randint(0, c["train_batches"] - 1)}
    c["two_optimizers"] = scenario == "two-optimizers"
    c["test_after_fit"] = scenario == "test-after-fit"
    c["all_nan"] = scenario == "all-nan"
    c["rerun"] = "rerun" if scenario == "rerun" else "resume" if scenario == "resume" else None
    if c["rerun"] == "resume":
        c["resume_after"] = rng.randint(1, max(1, t["max_epochs"] - 1))
    # -- loggers, log shape, bundle contents
    c["logger"] = rng.choices(["csv", "tensorboard", "both", "none"], weights=[60, 12, 10, 18])[0]
    c["progress_bar"] = rng.random() < (0.6 if c["logger"] == "none" else 0.2)
    c["model_summary"] = rng.random() < 0.7
    c["seed_everything"] = rng.random() < 0.6
    c["command"] = rng.choices(["full", "partial", "none"], weights=[60, 15, 25])[0]
    c["callback"] = rng.random() < 0.25
    c["listing"] = rng.random() < 0.92
    return c


def classes_of(c: Dict[str, Any], truth: Dict[str, Any], log_text: str) -> List[int]:
    out = set()
    mc, es, t = c["mc"], c["es"], c["trainer"]
    ending = truth["ending"]
    if ending == "early_stopping":
        out.add(1)
    if mc is not None and mc["monitor"] and mc["save_top_k"] not in (0, -1) and (mc["filename"] is None or c["monitor"] not in (mc["filename"] or "")):
        out.add(2)
    if mc is None or (mc["filename"] is None and mc["save_top_k"] not in (0, -1)):
        out.add(2)
    vals = [v for v in truth["validations_seen"] if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if len(vals) != len(set(vals)) and mc is not None and mc["save_top_k"] not in (0, -1) and mc["monitor"]:
        out.add(3)
    # Names the default-template replay cannot predict: no metric names inserted, {step}, a '/' making sub-folders,
    # the doubled `epoch=epoch=` form, `-vN` suffixes, steps counting several optimizers.
    tmpl = (mc or {}).get("filename") or ""
    if mc is not None and (not mc["auto_insert_metric_name"] or "{step" in tmpl or ("/" in c["monitor"] and c["monitor"] in tmpl) or tmpl.startswith("epoch=")):
        out.add(4)
    if c["rerun"] == "rerun" or c["two_optimizers"] or any(re.search(r"-v\d+\.ckpt$", f) for f in truth["checkpoint_files"]):
        out.add(4)
    if t["check_val_every_n_epoch"] != 1 or t["val_check_interval"] is not None or ending == "max_steps" or (mc and (mc["every_n_epochs"] or mc["every_n_train_steps"])):
        out.add(5)
    if es is not None and (t["min_epochs"] or es["stopping_threshold"] is not None or es["divergence_threshold"] is not None or c["curve_kind"] in ("nan", "all-nan")):
        out.add(6)
    if c["command"] != "full":
        out.add(7)
    if c["test_after_fit"] or c["all_nan"]:
        out.add(8)
    # Crashes and kills. (Lightning's own `path:line: message` deprecation — `isinstance(treespec, LeafSpec)` is
    # deprecated — is in nearly every 2.6.6 log with torch 2.13, so it marks no class.)
    if ending in ("exception", "sigterm") or (log_text and "Traceback (most recent call last)" in log_text):
        out.add(9)
    if c["logger"] == "none" or c["logger"] == "tensorboard":
        out.add(10)
    return sorted(out)


# ----------------------------------------------------------------------------------------------- the run
class Scripted(pl.LightningModule):
    """A tiny regression whose monitored value follows the case's curve, one value per validation."""

    def __init__(self, cfg: Dict[str, Any], lr: float = 0.05, hidden: int = 4):
        super().__init__()
        self.save_hyperparameters({"lr": lr, "hidden": hidden, "case": cfg["id"]})
        self.cfg = cfg
        self.net = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
        self.val_index = 0
        self.seen: List[Dict[str, Any]] = []
        self.last_train = None
        if cfg["two_optimizers"]:
            self.automatic_optimization = False
            self.net2 = torch.nn.Linear(2, 1)

    def _maybe_fail(self, batch_idx: int) -> None:
        f = self.cfg["fail"]
        if f and self.current_epoch == f["epoch"] and batch_idx == f["batch"]:
            if f["kind"] == "exception":
                raise RuntimeError(f"scripted failure in training_step at epoch {self.current_epoch}, batch {batch_idx}")
            os.kill(os.getpid(), signal.SIGTERM)

    def training_step(self, batch, batch_idx):
        self._maybe_fail(batch_idx)
        self.last_train = {"epoch": self.current_epoch, "batch": batch_idx, "global_step": self.trainer.global_step}
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        logged = loss.detach() * NAN if self.cfg["all_nan"] else loss
        self.log("train_loss", logged, on_step=True, on_epoch=True, prog_bar=True, batch_size=x.shape[0])
        if self.cfg["two_optimizers"]:
            o1, o2 = self.optimizers()
            o1.zero_grad()
            self.manual_backward(loss)
            o1.step()
            loss2 = torch.nn.functional.mse_loss(self.net2(x), y)
            o2.zero_grad()
            self.manual_backward(loss2)
            o2.step()
            return None
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def on_validation_epoch_end(self):
        curve = self.cfg["curve"]
        i = min(self.val_index, len(curve) - 1)
        v = float(curve[i])
        other = NAN if self.cfg["all_nan"] else round(0.5 + 0.1 * math.sin(i + 1), 4)
        self.log(self.cfg["monitor"], v, prog_bar=True)
        self.log(self.cfg["other_metric"], other)
        if not self.trainer.sanity_checking:
            self.seen.append({"index": i, "epoch": self.current_epoch, "global_step": self.trainer.global_step, "value": fmt_num(v)})
            self.val_index += 1

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def on_save_checkpoint(self, checkpoint):
        checkpoint["scripted_val_index"] = self.val_index

    def on_load_checkpoint(self, checkpoint):
        self.val_index = checkpoint.get("scripted_val_index", 0)

    def configure_optimizers(self):
        if self.cfg["two_optimizers"]:
            return [torch.optim.SGD(self.net.parameters(), lr=self.hparams.lr), torch.optim.SGD(self.net2.parameters(), lr=self.hparams.lr)]
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loaders(cfg: Dict[str, Any]) -> Tuple[DataLoader, DataLoader]:
    g = torch.Generator().manual_seed(cfg["seed"])
    bs = cfg["batch_size"]
    n_train, n_val = cfg["train_batches"] * bs, cfg["val_batches"] * bs
    x = torch.randn(n_train + n_val, 2, generator=g)
    y = (x[:, :1] * 0.7 - x[:, 1:] * 0.3).sin()
    train = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=bs, shuffle=False)
    val = DataLoader(TensorDataset(x[n_train:], y[n_train:]), batch_size=bs, shuffle=False)
    return train, val


# Every save and delete ModelCheckpoint makes, in order (patched in the parent, inherited by each forked run).
CKPT_EVENTS: List[Dict[str, Any]] = []
_orig_save = ModelCheckpoint._save_checkpoint
_orig_remove = ModelCheckpoint._remove_checkpoint


def _rec_save(self, trainer, filepath):
    _orig_save(self, trainer, filepath)
    CKPT_EVENTS.append({"op": "save", "path": str(filepath), "epoch": trainer.current_epoch, "global_step": trainer.global_step})


def _rec_remove(self, trainer, filepath):
    _orig_remove(self, trainer, filepath)
    CKPT_EVENTS.append({"op": "delete", "path": str(filepath), "epoch": trainer.current_epoch, "global_step": trainer.global_step})


ModelCheckpoint._save_checkpoint = _rec_save
ModelCheckpoint._remove_checkpoint = _rec_remove


def build_callbacks(cfg: Dict[str, Any], work: str):
    cbs = []
    mc = cfg["mc"]
    ckpt = None
    if mc is not None:
        kw: Dict[str, Any] = {
            "monitor": mc["monitor"], "mode": mc["mode"], "save_top_k": mc["save_top_k"], "save_last": mc["save_last"],
            "auto_insert_metric_name": mc["auto_insert_metric_name"], "verbose": mc["verbose"],
        }
        if mc["filename"] is not None:
            kw["filename"] = mc["filename"]
        if mc["every_n_epochs"]:
            kw["every_n_epochs"] = mc["every_n_epochs"]
        if mc["every_n_train_steps"]:
            kw["every_n_train_steps"] = mc["every_n_train_steps"]
        if mc["dirpath"] == "explicit":
            kw["dirpath"] = os.path.join(work, "checkpoints")
        ckpt = ModelCheckpoint(**kw)
        cbs.append(ckpt)
    es = cfg["es"]
    if es is not None:
        kw = {k: es[k] for k in ("monitor", "mode", "patience", "min_delta", "stopping_threshold", "divergence_threshold", "check_finite", "check_on_train_epoch_end", "verbose")}
        cbs.append(EarlyStopping(**kw))
    if cfg["callback"]:
        cbs.append(RunproofCallback())
    return cbs


def build_loggers(cfg: Dict[str, Any], work: str):
    lg = cfg["logger"]
    out = []
    if lg in ("csv", "both"):
        out.append(CSVLogger(save_dir=work))
    if lg in ("tensorboard", "both"):
        out.append(TensorBoardLogger(save_dir=work, name="tb_logs" if lg == "both" else "lightning_logs"))
    return out or False


def trainer_kwargs(cfg: Dict[str, Any], work: str) -> Dict[str, Any]:
    t = cfg["trainer"]
    kw: Dict[str, Any] = {
        "accelerator": "cpu", "devices": 1, "max_epochs": t["max_epochs"], "max_steps": t["max_steps"],
        "num_sanity_val_steps": t["num_sanity_val_steps"], "log_every_n_steps": t["log_every_n_steps"],
        "enable_progress_bar": cfg["progress_bar"], "enable_model_summary": cfg["model_summary"],
        "default_root_dir": work, "logger": build_loggers(cfg, work), "callbacks": build_callbacks(cfg, work),
        "check_val_every_n_epoch": t["check_val_every_n_epoch"],
        "enable_checkpointing": True,
    }
    if t["min_epochs"]:
        kw["min_epochs"] = t["min_epochs"]
    if t["val_check_interval"] is not None:
        kw["val_check_interval"] = t["val_check_interval"]
    return kw


def state_of(trainer: pl.Trainer, model: Scripted, work: str) -> Dict[str, Any]:
    def rel(p):
        if not p:
            return None
        return os.path.relpath(p, work)

    mcs = []
    for cb in trainer.checkpoint_callbacks:
        mcs.append({
            "dirpath": rel(cb.dirpath),
            "best_k_models": {rel(k): fmt_num(float(v)) for k, v in cb.best_k_models.items()},
            "best_model_path": rel(cb.best_model_path),
            "best_model_score": fmt_num(float(cb.best_model_score)) if cb.best_model_score is not None else None,
            "kth_best_model_path": rel(cb.kth_best_model_path),
            "kth_value": fmt_num(float(cb.kth_value)) if cb.kth_value is not None else None,
            "last_model_path": rel(cb.last_model_path),
            "filename": cb.filename, "monitor": cb.monitor, "mode": cb.mode, "save_top_k": cb.save_top_k, "save_last": cb.save_last,
            "every_n_epochs": cb._every_n_epochs, "every_n_train_steps": cb._every_n_train_steps,
            "save_on_train_epoch_end": cb._save_on_train_epoch_end,
        })
    ess = []
    for cb in trainer.early_stopping_callbacks:
        ess.append({
            "wait_count": cb.wait_count, "stopped_epoch": cb.stopped_epoch, "best_score": fmt_num(float(cb.best_score)),
            "stopping_reason": cb.stopping_reason.name.lower(), "stopping_reason_message": cb.stopping_reason_message,
            "patience": cb.patience, "min_delta": abs(float(cb.min_delta)), "check_on_train_epoch_end": cb._check_on_train_epoch_end,
        })
    return {
        "current_epoch": trainer.current_epoch, "global_step": trainer.global_step, "should_stop": bool(trainer.should_stop),
        "interrupted": bool(trainer.interrupted), "state": str(trainer.state.status.value),
        "model_checkpoint": mcs, "early_stopping": ess,
        "last_train_step": model.last_train, "validations": model.seen,
        "checkpoint_events": [{**e, "path": rel(e["path"])} for e in CKPT_EVENTS],
        "log_dir": rel(trainer.log_dir) if trainer.log_dir else None,
    }


def run_fit(cfg: Dict[str, Any], work: str, phase: str) -> None:
    """The body of one forked run: stdout/stderr already point at its log."""
    CKPT_EVENTS.clear()
    if cfg["seed_everything"]:
        pl.seed_everything(cfg["seed"])
    fit_cfg = dict(cfg)
    if phase == "first" and cfg["rerun"] == "resume":
        fit_cfg = {**cfg, "trainer": {**cfg["trainer"], "max_epochs": cfg["resume_after"], "min_epochs": None}, "fail": None, "callback": False}
    if phase == "first":
        fit_cfg = {**fit_cfg, "fail": None}
    model = Scripted(fit_cfg)
    train, val = loaders(fit_cfg)
    trainer = pl.Trainer(**trainer_kwargs(fit_cfg, work))
    ckpt_path = None
    if phase == "second" and cfg["rerun"] == "resume":
        ckpt_path = cfg["_resume_from"]
    result: Dict[str, Any] = {"phase": phase}
    try:
        trainer.fit(model, train, val, ckpt_path=ckpt_path)
        if cfg["test_after_fit"] and phase != "first":
            trainer.test(model, val)
        result["exception"] = None
    except BaseException as e:  # noqa: BLE001 - recorded, then the process ends as Python would
        result["exception"] = {"type": type(e).__name__, "message": str(e)}
        result.update(state_of(trainer, model, work))
        with open(os.path.join(work, f"state-{phase}.json"), "w") as f:
            json.dump(jsonable(result), f)
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    result.update(state_of(trainer, model, work))
    with open(os.path.join(work, f"state-{phase}.json"), "w") as f:
        json.dump(jsonable(result), f)


def fork_run(cfg: Dict[str, Any], work: str, phase: str, log_path: str) -> int:
    """Run one fit in a forked child with its stdout and stderr on log_path; its exit status as a shell reports it."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
            os.chdir(work)
            run_fit(cfg, work, phase)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


# ----------------------------------------------------------------------------------------------- the bundle
def ls_listing(folder: str) -> str:
    """GNU ls -l (ls -lR when ModelCheckpoint made sub-folders, as a '/' in a metric name does), as a user pastes it."""
    if not os.path.isdir(folder):
        return ""
    recursive = any(os.path.isdir(os.path.join(folder, n)) for n in os.listdir(folder))
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    r = subprocess.run(["ls", "-lR" if recursive else "-l"], cwd=folder, capture_output=True, text=True, env=env)
    return r.stdout


def files_under(folder: str) -> List[str]:
    out = []
    for root, _dirs, files in os.walk(folder):
        for n in files:
            out.append(os.path.relpath(os.path.join(root, n), folder))
    return sorted(out)


def command_line(cfg: Dict[str, Any], which: str, resume_from: Optional[str]) -> Optional[str]:
    """The config as the flags of a user's `train.py` (spellings as the lightning-example script's)."""
    if which == "none":
        return None
    t, mc, es = cfg["trainer"], cfg["mc"], cfg["es"]
    a: List[str] = ["python", "train.py", "--seed", str(cfg["seed"]), "--batch_size", str(cfg["batch_size"]), "--max_epochs", str(t["max_epochs"])]
    partial = which == "partial"
    if t["max_steps"] != -1:
        a += ["--max_steps", str(t["max_steps"])]
    if t["min_epochs"]:
        a += ["--min_epochs", str(t["min_epochs"])]
    if t["check_val_every_n_epoch"] != 1:
        a += ["--check_val_every_n_epoch", str(t["check_val_every_n_epoch"])]
    if t["val_check_interval"] is not None:
        a += ["--val_check_interval", str(t["val_check_interval"])]
    if not partial:
        a += ["--num_sanity_val_steps", str(t["num_sanity_val_steps"]), "--log_every_n_steps", str(t["log_every_n_steps"])]
        a += ["--logger", cfg["logger"]]
    if mc is not None:
        if mc["monitor"]:
            a += ["--checkpoint-monitor", mc["monitor"]]
        if not partial:
            a += ["--checkpoint-mode", mc["mode"], "--checkpoint-save-top-k", str(mc["save_top_k"]), "--checkpoint-save-last", "true" if mc["save_last"] else "false"]
            if mc["filename"] is not None:
                a += ["--checkpoint-filename", mc["filename"]]
            if not mc["auto_insert_metric_name"]:
                a += ["--checkpoint-auto-insert-metric-name", "false"]
            if mc["every_n_epochs"]:
                a += ["--checkpoint-every-n-epochs", str(mc["every_n_epochs"])]
            if mc["every_n_train_steps"]:
                a += ["--checkpoint-every-n-train-steps", str(mc["every_n_train_steps"])]
    if es is not None:
        a += ["--early-stop-patience", str(es["patience"])]
        if not partial:
            a += ["--early-stop-monitor", es["monitor"], "--early-stop-mode", es["mode"], "--early-stop-min-delta", str(es["min_delta"])]
            if es["stopping_threshold"] is not None:
                a += ["--early-stop-stopping-threshold", str(es["stopping_threshold"])]
            if es["divergence_threshold"] is not None:
                a += ["--early-stop-divergence-threshold", str(es["divergence_threshold"])]
            if not es["check_finite"]:
                a += ["--early-stop-check-finite", "false"]
            if es["check_on_train_epoch_end"] is not None:
                a += ["--early-stop-check-on-train-epoch-end", "true" if es["check_on_train_epoch_end"] else "false"]
    if cfg["two_optimizers"] and not partial:
        a += ["--optimizers", "2"]
    if resume_from:
        a += ["--ckpt_path", resume_from]
    a += ["--output_dir", "out"]
    return " ".join(shell_quote(x) for x in a)


def shell_quote(w: str) -> str:
    if w and all(ch.isalnum() or ch in "-_./=:," for ch in w):
        return w
    return "'" + w.replace("'", "'\\''") + "'"


def fit_start_epoch(state: Optional[Dict[str, Any]], cfg: Dict[str, Any]) -> int:
    """The first epoch this fit trained: 0, or for a resume the first it validated (else where the first fit stopped)."""
    if cfg.get("rerun") != "resume":
        return 0
    return min((v["epoch"] for v in (state or {}).get("validations", [])), default=cfg.get("resume_after", 0))


def ending_of(state: Dict[str, Any], exit_code: int, cfg: Dict[str, Any]) -> Dict[str, Any]:
    exc = state.get("exception") if state else None
    # A resumed fit restores EarlyStopping's stopped_epoch and reason from the checkpoint: a stop before this fit's first
    # epoch was the earlier fit's, not this one's.
    start = fit_start_epoch(state, cfg)
    es_reason = next((e["stopping_reason"] for e in (state or {}).get("early_stopping", []) if e["stopping_reason"] != "not_stopped" and e["stopped_epoch"] >= start), None)
    t = cfg["trainer"]
    if exc and exc["type"] == "SIGTERMException":
        return {"ending": "sigterm", "detail": "SIGTERM mid-epoch: Lightning raised SIGTERMException"}
    if exc or exit_code != 0 or not state:
        return {"ending": "exception", "detail": exc["type"] if exc else f"exit {exit_code}"}
    if t["max_steps"] > 0 and state["global_step"] >= t["max_steps"]:
        return {"ending": "max_steps", "detail": f"max_steps={t['max_steps']} reached", "early_stopping_reason": es_reason}
    if es_reason:
        return {"ending": "early_stopping", "detail": es_reason}
    return {"ending": "max_epochs", "detail": f"max_epochs={t['max_epochs']} reached"}


def checkpoint_dir(cfg: Dict[str, Any], work: str, state: Optional[Dict[str, Any]]) -> Optional[str]:
    if state and state.get("model_checkpoint"):
        d = state["model_checkpoint"][0]["dirpath"]
        if d:
            return os.path.join(work, d)
    if cfg["mc"] is not None and cfg["mc"]["dirpath"] == "explicit":
        return os.path.join(work, "checkpoints")
    # Lightning's default: <logger version dir>/checkpoints, or <default_root_dir>/checkpoints without a logger
    if state and state.get("log_dir"):
        return os.path.join(work, state["log_dir"], "checkpoints")
    return os.path.join(work, "checkpoints")


def find_first(folder: str, pred) -> Optional[str]:
    hits = []
    for root, _d, files in os.walk(folder):
        for n in files:
            if pred(n):
                hits.append(os.path.join(root, n))
    return sorted(hits)[-1] if hits else None


def run_case(cfg: Dict[str, Any], out_dir: str, scratch: str) -> Dict[str, Any]:
    work = os.path.join(scratch, cfg["id"])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    bundle = os.path.join(out_dir, "cases", cfg["id"])
    shutil.rmtree(bundle, ignore_errors=True)
    os.makedirs(bundle)
    t0 = time.time()
    first_state = None
    resume_from = None
    if cfg["rerun"]:
        fork_run(cfg, work, "first", os.path.join(work, "first.log"))
        first_state = load_json(os.path.join(work, "state-first.json"))
        if cfg["rerun"] == "resume":
            ck = checkpoint_dir(cfg, work, first_state)
            last = os.path.join(ck, "last.ckpt")
            if not os.path.exists(last) and first_state and first_state["model_checkpoint"] and first_state["model_checkpoint"][0]["best_model_path"]:
                last = os.path.join(work, first_state["model_checkpoint"][0]["best_model_path"])
            resume_from = last if os.path.exists(last) else None
            cfg["_resume_from"] = resume_from
    log_path = os.path.join(bundle, "train.log")
    exit_code = fork_run(cfg, work, "second" if cfg["rerun"] else "only", log_path)
    state = load_json(os.path.join(work, f"state-{'second' if cfg['rerun'] else 'only'}.json"))
    ck_dir = checkpoint_dir(cfg, work, state)
    ck_files = [f for f in files_under(ck_dir)] if ck_dir and os.path.isdir(ck_dir) else []
    # -- the bundle
    bundle_files = ["train.log"]
    # A user lists the checkpoint folder when there is one (a run that died before its first save has none).
    if cfg["listing"] and ck_dir and os.path.isdir(ck_dir):
        with open(os.path.join(bundle, "checkpoints_ls.txt"), "w") as f:
            f.write(ls_listing(ck_dir))
        bundle_files.append("checkpoints_ls.txt")
    log_dir = os.path.join(work, state["log_dir"]) if state and state.get("log_dir") else None
    if cfg["logger"] in ("csv", "both"):
        csv = find_first(os.path.join(work, "lightning_logs"), lambda n: n == "metrics.csv") if not log_dir or not os.path.exists(os.path.join(log_dir, "metrics.csv")) else os.path.join(log_dir, "metrics.csv")
        if csv:
            shutil.copy(csv, os.path.join(bundle, "metrics.csv"))
            bundle_files.append("metrics.csv")
            hp = os.path.join(os.path.dirname(csv), "hparams.yaml")
            if os.path.exists(hp):
                shutil.copy(hp, os.path.join(bundle, "hparams.yaml"))
                bundle_files.append("hparams.yaml")
    if cfg["logger"] in ("tensorboard", "both"):
        tb_root = os.path.join(work, "tb_logs" if cfg["logger"] == "both" else "lightning_logs")
        ev = find_first(tb_root, lambda n: n.startswith("events.out.tfevents."))
        if ev:
            # Every events file of the logger's version folder, as a user keeps it: `trainer.test()` after the fit
            # writes its scalars to a second file (the fit's writer was closed), so one file alone may hold only the test.
            folder = os.path.dirname(ev)
            for n in sorted(os.listdir(folder)):
                if n.startswith("events.out.tfevents."):
                    shutil.copy(os.path.join(folder, n), os.path.join(bundle, n))
                    bundle_files.append(n)
        if cfg["logger"] == "tensorboard":
            hp = find_first(tb_root, lambda n: n == "hparams.yaml")
            if hp:
                shutil.copy(hp, os.path.join(bundle, "hparams.yaml"))
                bundle_files.append("hparams.yaml")
    if cfg["callback"]:
        rp = find_first(work, lambda n: n == "runproof.json")
        if rp:
            shutil.copy(rp, os.path.join(bundle, "runproof.json"))
            bundle_files.append("runproof.json")
    cmd = command_line(cfg, cfg["command"], os.path.relpath(resume_from, work) if resume_from else None)
    if cmd:
        with open(os.path.join(bundle, "command.txt"), "w") as f:
            f.write(cmd + "\n")
        bundle_files.append("command.txt")
    # -- the truth
    end = ending_of(state, exit_code, cfg)
    mc_state = state["model_checkpoint"][0] if state and state["model_checkpoint"] else None
    ck_rel = os.path.relpath(ck_dir, work) if ck_dir else None

    def in_ck(p):
        return os.path.relpath(os.path.join(work, p), ck_dir) if p and ck_dir else p

    validations = state["validations"] if state else []
    truth = {
        "id": cfg["id"],
        "generator": {"lightning": lightning.__version__, "torch": torch.__version__, "python": sys.version.split()[0], "seed": cfg["_corpus_seed"]},
        "config": {k: v for k, v in cfg.items() if not k.startswith("_") and k != "curve"},
        "curve": cfg["curve"][: max(len(validations) + 2, 4)],
        "bundle": {"files": sorted(bundle_files), "command": cfg["command"], "runproof_json": "runproof.json" in bundle_files, "listing": "checkpoints_ls.txt" in bundle_files, "logger": cfg["logger"]},
        "exit": {"code": exit_code, "exception": (state or {}).get("exception"), "status": "succeeded" if exit_code == 0 else "failed"},
        **end,
        "checkpoint_dir": ck_rel,
        "checkpoint_files": ck_files,
        "checkpoint_events": [{**e, "path": in_ck(e["path"])} for e in (state or {}).get("checkpoint_events", [])],
        "prior_checkpoint_files": sorted({in_ck(e["path"]) for e in (first_state or {}).get("checkpoint_events", [])} & set(ck_files)) if first_state else [],
        "model_checkpoint": {**mc_state, "best_k_models": {in_ck(k): v for k, v in mc_state["best_k_models"].items()},
                             "best_model_path": in_ck(mc_state["best_model_path"]), "kth_best_model_path": in_ck(mc_state["kth_best_model_path"]),
                             "last_model_path": in_ck(mc_state["last_model_path"])} if mc_state else None,
        "early_stopping": (state or {}).get("early_stopping", [None])[0] if (state or {}).get("early_stopping") else None,
        "current_epoch": (state or {}).get("current_epoch"),
        "global_step": (state or {}).get("global_step"),
        "should_stop": (state or {}).get("should_stop"),
        "interrupted": (state or {}).get("interrupted"),
        "last_train_step": (state or {}).get("last_train_step"),
        "validations": validations,
        "validations_seen": [v["value"] for v in validations],
        "resumed_from": os.path.relpath(resume_from, ck_dir) if resume_from and ck_dir else None,
        "seconds": round(time.time() - t0, 2),
    }
    finite = [v["value"] for v in validations if isinstance(v["value"], (int, float))]
    truth["monitored_best"] = (min(finite) if cfg["mode"] == "min" else max(finite)) if finite else None
    with open(log_path, encoding="utf-8", errors="replace") as f:
        log_text = f.read().replace("\r", "\n")
    truth["classes"] = classes_of(cfg, truth, log_text)
    del truth["validations_seen"]
    truth["healthy"] = truth["ending"] in ("max_epochs", "max_steps", "early_stopping")
    # What a correct analysis may say per check on this bundle: a healthy run fails none; a crashed one fails `exit`;
    # a run whose monitored values are all NaN fails `metrics`.
    must_fail = []
    if not truth["healthy"]:
        must_fail.append("exit")
    if cfg["all_nan"] and ("metrics.csv" in bundle_files or any(f.startswith("events.out.tfevents.") for f in bundle_files)):
        must_fail.append("metrics")
    truth["must_fail"] = must_fail
    truth["tampered"] = None
    write_truth(os.path.join(bundle, "truth.json"), truth)
    shutil.rmtree(work, ignore_errors=True)
    return truth


def write_truth(path: str, truth: Dict[str, Any]) -> None:
    """One top-level key per line, each value compact: readable in a diff, small on disk."""
    t = jsonable(truth)
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, separators=(',', ':'), ensure_ascii=False)}" for k, v in t.items())
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + body + "\n}\n")


def load_json(p: str) -> Optional[Dict[str, Any]]:
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------- tampering
def tamper(out_dir: str, truths: List[Dict[str, Any]], rng: random.Random, per_kind: int) -> List[Dict[str, Any]]:
    """Copies of healthy bundles with one piece of evidence changed; each names the check that must fail."""
    made = []
    healthy = [t for t in truths if t["healthy"] and t["tampered"] is None]
    rng.shuffle(healthy)

    def copy(t, kind):
        src = os.path.join(out_dir, "cases", t["id"])
        dst_id = f"{t['id']}~{kind}"
        dst = os.path.join(out_dir, "cases", dst_id)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
        return dst_id, dst

    def finish(t, dst_id, dst, kind, must_fail, detail):
        nt = dict(t)
        nt.update({"id": dst_id, "healthy": False, "must_fail": [must_fail], "tampered": {"of": t["id"], "kind": kind, "detail": detail, "chosen_because": why[kind](t)}})
        write_truth(os.path.join(dst, "truth.json"), nt)
        made.append(nt)

    def listing_lines(t):
        p = os.path.join(out_dir, "cases", t["id"], "checkpoints_ls.txt")
        return open(p).read().split("\n") if os.path.exists(p) else None

    def per_epoch(t):
        fs = t["bundle"]["files"]
        return "metrics.csv" in fs or t["bundle"]["runproof_json"] or any(f.startswith("events.out.tfevents.") for f in fs)

    def checkpoint_decidable(t):
        """A changed listing is a detectable tampering only where no other valid config explains it: ModelCheckpoint's
        whole config stated (the full command or runproof.json), the monitored values per validation to replay over,
        and a folder no earlier fit wrote to (a rerun's or resume's files are not all in the replay)."""
        b = t["bundle"]
        # A full command with no checkpoint flags does not state the ModelCheckpoint (a script may build its own).
        stated = b["runproof_json"] or (b["command"] == "full" and t["config"]["mc"] is not None)
        return stated and per_epoch(t) and t["config"]["rerun"] is None and not t["prior_checkpoint_files"]

    def drop_candidates(t, kept):
        """Kept files whose removal no other valid config explains. Where the bundle does not state every_n_epochs /
        every_n_train_steps (no runproof.json, no such flag), what is left must not look like a sparser save schedule:
        two or more top-k files saved in epochs a period P >= 2 picks out ((epoch + 1) % P == 0 for all) are what
        every_n_epochs=P leaves, and two or more saved at steps whose common period skips the removed file's are what
        every_n_train_steps=P leaves; and the names must spell the step. (One file left shows no period: Runproof keeps the
        default for it, as for a lost file.)"""
        mc = t["config"]["mc"] or {}
        if t["bundle"]["runproof_json"] or mc.get("every_n_epochs") or mc.get("every_n_train_steps"):
            return sorted(kept)
        # Names that do not spell the step (`best-{epoch:03d}`, `{epoch}-{val_loss:.4f}`) let a save every P steps
        # land in other epochs with other values: only step-named files pin when they were saved.
        if "{step" not in (mc.get("filename") or "{epoch}-{step}"):
            return []
        epoch_of, step_of = {}, {}
        for e in t["checkpoint_events"]:
            if e["op"] == "save":
                epoch_of[e["path"]] = e["epoch"]
                step_of[e["path"]] = e["global_step"]
        out = []
        for name in sorted(kept):
            rest = [epoch_of.get(k) for k in kept if k != name]
            if not rest or any(x is None for x in rest):
                continue
            top = max(rest) + 1
            if len(rest) >= 2 and any(all((x + 1) % p == 0 for x in rest) for p in range(2, top + 1)):
                continue
            # ... nor steps a period picks out that passes over the removed file's (every_n_train_steps=P)
            steps = [step_of.get(k, 0) for k in kept if k != name]
            g = math.gcd(*steps) if len(steps) >= 2 else 0
            # (a save every g steps before the first validation is deferred, and lost where saves wait for the epoch's end)
            if g >= 2 and (step_of.get(name, 0) % g != 0 or step_of.get(name, 0) < min(steps)):
                continue
            out.append(name)
        return out

    def end_decidable(t):
        """A log cut before its end is told apart from a quiet EarlyStopping's stop (Lightning prints no line then) only
        with EarlyStopping's config stated (the full command or runproof.json) and exact values to replay it over."""
        b = t["bundle"]
        return (b["command"] == "full" or b["runproof_json"]) and per_epoch(t)

    why = {
        "drop-kept": lambda t: f"ModelCheckpoint's config stated ({'runproof.json' if t['bundle']['runproof_json'] else 'the full command'}), per-epoch values, a folder no other fit wrote to",
        "add-deleted": lambda t: f"ModelCheckpoint's config stated ({'runproof.json' if t['bundle']['runproof_json'] else 'the full command'}), per-epoch values, a folder no other fit wrote to",
        "drop-epoch": lambda t: "metrics.csv with the monitored value in at least three epochs (an inner one is dropped)",
        "cut-log": lambda t: f"the log's end is visible (a `Trainer.fit` stopped line or EarlyStopping's signal), EarlyStopping's config stated ({'runproof.json' if t['bundle']['runproof_json'] else 'the full command'}), per-epoch values",
    }

    counts = {"drop-kept": 0, "add-deleted": 0, "drop-epoch": 0, "cut-log": 0}
    for t in healthy:
        lines = listing_lines(t)
        kept = [k for k in ((t["model_checkpoint"] or {}).get("best_k_models") or {}) if "/" not in k]
        deleted = [e["path"] for e in t["checkpoint_events"] if e["op"] == "delete" and e["path"] not in t["checkpoint_files"] and "/" not in e["path"]]
        droppable = drop_candidates(t, kept) if kept else []
        if counts["drop-kept"] < per_kind and lines and droppable and checkpoint_decidable(t):
            name = rng.choice(droppable)
            hit = [ln for ln in lines if ln.endswith(" " + name)]
            if hit:
                dst_id, dst = copy(t, "drop-kept")
                with open(os.path.join(dst, "checkpoints_ls.txt"), "w") as f:
                    f.write("\n".join(ln for ln in lines if ln is not hit[0]))
                finish(t, dst_id, dst, "drop-kept", "checkpoints", f"{name} (kept by Lightning) removed from the listing")
                counts["drop-kept"] += 1
                continue
        if counts["add-deleted"] < per_kind and lines and deleted and checkpoint_decidable(t):
            name = rng.choice(sorted(set(deleted)))
            model = next((ln for ln in lines if ln.endswith(".ckpt")), None)
            if model:
                dst_id, dst = copy(t, "add-deleted")
                extra = model.rsplit(" ", 1)[0] + " " + name
                body = [ln for ln in lines if ln]
                with open(os.path.join(dst, "checkpoints_ls.txt"), "w") as f:
                    f.write("\n".join(body + [extra]) + "\n")
                finish(t, dst_id, dst, "add-deleted", "checkpoints", f"{name} (deleted by Lightning) added to the listing")
                counts["add-deleted"] += 1
                continue
        csv = os.path.join(out_dir, "cases", t["id"], "metrics.csv")
        if counts["drop-epoch"] < per_kind and os.path.exists(csv):
            rows = open(csv, newline="").read().split("\r\n")
            header = rows[0].split(",")
            if "epoch" in header:
                ei = header.index("epoch")
                mon = t["config"]["monitor"]
                vi = header.index(mon) if mon in header else None
                epochs_with_val = sorted({int(r.split(",")[ei]) for r in rows[1:] if r and r.split(",")[ei] != "" and vi is not None and r.split(",")[vi] != ""})
                if len(epochs_with_val) >= 3:
                    e = rng.choice(epochs_with_val[1:-1])
                    dst_id, dst = copy(t, "drop-epoch")
                    with open(os.path.join(dst, "metrics.csv"), "w", newline="") as f:
                        f.write("\r\n".join(r for r in rows if not (r and r != rows[0] and r.split(",")[ei] == str(e))))
                    finish(t, dst_id, dst, "drop-epoch", "metrics", f"every row of epoch {e} removed from metrics.csv")
                    counts["drop-epoch"] += 1
                    continue
        log = os.path.join(out_dir, "cases", t["id"], "train.log")
        if counts["cut-log"] < per_kind and os.path.exists(log) and end_decidable(t):
            text = open(log, encoding="utf-8", errors="replace").read()
            # Only logs whose end is visible (a `Trainer.fit` stopped line, or verbose EarlyStopping's signal) can be caught cut.
            ends = [i for i in (text.find("`Trainer.fit` stopped"), text.find("Signaling Trainer to stop")) if i >= 0]
            # A quiet EarlyStopping's complete log ends where the fit began printing nothing: without runproof.json
            # (which says whether it is verbose) the cut keeps something the fit printed (a progress bar, a
            # verbose callback's line), so a cut log is told apart from a quiet stop's.
            starts = [i for i in (text.find("Epoch 0:"), text.find("Metric "), re.search(r"Epoch \d+, global step", text).start() if re.search(r"Epoch \d+, global step", text) else -1) if i >= 0]
            lo = 0 if t["bundle"]["runproof_json"] else (text.find("\n", min(starts)) + 1 if starts else -1)
            if ends and lo > 0 or (ends and t["bundle"]["runproof_json"]):
                end = min(ends)
                end = text.rfind("\n", 0, end) + 1
                pos = int(len(text) * rng.uniform(0.35, 0.7))
                pos = min(max(pos, lo), end)
                cut = text[:pos]
                cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
                if len(cut) < lo or cut == text:
                    continue
                dst_id, dst = copy(t, "cut-log")
                with open(os.path.join(dst, "train.log"), "w", encoding="utf-8") as f:
                    f.write(cut)
                finish(t, dst_id, dst, "cut-log", "exit", f"train.log cut at {len(cut)} of {len(text)} characters")
                counts["cut-log"] += 1
                continue
    return made


# ----------------------------------------------------------------------------------------------- main
def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Run real Lightning over a seeded matrix of configurations and write bundles + truth.json.")
    p.add_argument("--out", default=os.path.join(HERE, "..", "fixtures", "conformance"), help="corpus folder (cases/ is replaced)")
    p.add_argument("--seed", type=int, default=20260515, help="matrix seed (default 20260515)")
    p.add_argument("--n", type=int, default=330, help="configurations (default 330)")
    p.add_argument("--tamper-per-kind", type=int, default=12, help="tampered copies of each kind (default 12)")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="runs at once (default: 2 or the cores)")
    p.add_argument("--only", type=int, default=None, help="only this configuration index (debugging)")
    p.add_argument("--scratch", default=None, help="where the runs write their checkpoints (deleted after; default a temp folder)")
    args = p.parse_args(argv)

    import tempfile

    out = os.path.abspath(args.out)
    # A fixed scratch path per seed: paths the runs print (warnings, verbose ModelCheckpoint) are the same on every regeneration.
    scratch = os.path.abspath(args.scratch) if args.scratch else os.path.join(tempfile.gettempdir(), f"runproof-conformance-{args.seed}")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    if args.only is None:
        shutil.rmtree(os.path.join(out, "cases"), ignore_errors=True)
    os.makedirs(os.path.join(out, "cases"), exist_ok=True)
    indices = [args.only] if args.only is not None else list(range(args.n))
    cfgs = []
    for i in indices:
        c = sample_config(i, args.seed)
        c["id"] = f"c{i:03d}-{c['scenario']}"
        c["_corpus_seed"] = args.seed
        cfgs.append(c)

    t0 = time.time()
    truths: List[Dict[str, Any]] = []
    # Each case forks its runs; `jobs` cases at once, each in its own forked worker process.
    running: Dict[int, Dict[str, Any]] = {}
    queue = list(cfgs)
    done = 0
    while queue or running:
        while queue and len(running) < max(1, args.jobs):
            c = queue.pop(0)
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    run_case(c, out, scratch)
                except BaseException:  # noqa: BLE001
                    traceback.print_exc()
                    code = 1
                finally:
                    os._exit(code)
            running[pid] = c
        pid, status = os.wait()
        c = running.pop(pid)
        done += 1
        tp = os.path.join(out, "cases", c["id"], "truth.json")
        t = load_json(tp)
        if os.waitstatus_to_exitcode(status) != 0 or t is None:
            print(f"[{done}/{len(cfgs)}] {c['id']}: generator error (exit {os.waitstatus_to_exitcode(status)})", file=sys.stderr)
            continue
        truths.append(t)
        print(f"[{done}/{len(cfgs)}] {c['id']}: {t['ending']} after {t['seconds']} s", flush=True)
    gen_s = time.time() - t0
    truths.sort(key=lambda t: t["id"])
    made = [] if args.only is not None else tamper(out, truths, random.Random(args.seed), args.tamper_per_kind)
    shutil.rmtree(scratch, ignore_errors=True)
    by_class = {str(k): sum(1 for t in truths if k in t["classes"]) for k in CLASSES}
    by_ending: Dict[str, int] = {}
    for t in truths:
        by_ending[t["ending"]] = by_ending.get(t["ending"], 0) + 1
    index = {
        "generator": "conformance/generate.py",
        "lightning": lightning.__version__,
        "torch": torch.__version__,
        "seed": args.seed,
        "configurations": len(truths),
        "tampered": len(made),
        "generation_seconds": round(gen_s, 1),
        "jobs": args.jobs,
        "classes": {k: {"name": v, "cases": by_class[str(k)]} for k, v in CLASSES.items()},
        "endings": by_ending,
        "cases": [t["id"] for t in truths] + [t["id"] for t in made],
    }
    if args.only is None:
        with open(os.path.join(out, "index.json"), "w") as f:
            json.dump(index, f, indent=1)
            f.write("\n")
    print(f"{len(truths)} configurations ({len(made)} tampered copies) in {gen_s:.1f} s with {args.jobs} jobs; endings {by_ending}", flush=True)
    return 0 if len(truths) == len(cfgs) else 1


if __name__ == "__main__":
    sys.exit(main())
