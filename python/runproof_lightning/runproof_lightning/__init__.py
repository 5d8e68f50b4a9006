"""Runproof's Lightning callback: one line in a Trainer,

    trainer = Trainer(..., callbacks=[..., RunproofCallback()])

writes ``runproof.json`` beside the logger's files (the logger's ``log_dir``,
else ``default_root_dir``): the exact ModelCheckpoint, EarlyStopping and
Trainer settings, the Lightning/torch versions and device names, and after
each validation the callbacks' own bookkeeping (``best_k_models``,
``kth_value``, ``wait_count``, ``best_score``, ``stopped_epoch``…), then how
the fit ended. Runproof's checks then compare Lightning's bookkeeping with the
files instead of guessing the config.

The file is rewritten (temp file + rename) after every validation, so a run
killed half-way still leaves the state of its last completed validation.
Only global rank 0 writes. Works with ``lightning`` (``lightning.pytorch``)
and with ``pytorch_lightning``.
"""
from __future__ import annotations

import functools
import json
import math
import os
import platform
import sys
import time
from typing import Any, Dict, List, Optional

__version__ = "0.1.0"
SCHEMA = 1
FILE_NAME = "runproof.json"

try:  # the unified package first, as Lightning's docs spell it
    import lightning.pytorch as _pl
    from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
except ImportError:  # pragma: no cover - projects on the standalone package
    import pytorch_lightning as _pl  # type: ignore[no-redef]
    from pytorch_lightning.callbacks import Callback, EarlyStopping, ModelCheckpoint  # type: ignore[no-redef]

__all__ = ["RunproofCallback", "FILE_NAME", "SCHEMA", "__version__"]


def _num(v: Any) -> Any:
    """Tensors and numpy scalars as plain numbers; non-finite floats as strings (JSON has no NaN)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if hasattr(v, "item") and callable(v.item):
        try:
            v = v.item()
        except (ValueError, RuntimeError):
            return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, int):
        return v
    return str(v)


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "total_seconds"):  # timedelta (train_time_interval)
        return v.total_seconds()
    return _num(v)


def _deterministic() -> Any:
    try:
        import torch

        return bool(torch.are_deterministic_algorithms_enabled())
    except Exception:
        return None


def _safe(hook):
    """A fault in this callback is recorded in runproof.json and never stops the user's training."""

    @functools.wraps(hook)
    def wrapper(self, *args, **kwargs):
        try:
            return hook(self, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 - by design
            errors = self._doc.setdefault("callback_errors", [])
            if len(errors) < 20:
                errors.append(f"{hook.__name__}: {type(e).__name__}: {e}")
            if not self._warned:
                self._warned = True
                print(f"runproof_lightning: {hook.__name__} failed ({type(e).__name__}: {e}); training goes on", file=sys.stderr)
            try:
                self._write()
            except Exception:
                pass
            return None

    return wrapper


class RunproofCallback(Callback):
    """Write ``runproof.json`` for Runproof. ``dirpath`` overrides where it goes."""

    def __init__(self, dirpath: Optional[str] = None, filename: str = FILE_NAME) -> None:
        super().__init__()
        self._dirpath = dirpath
        self._filename = filename
        self._doc: Dict[str, Any] = {}
        self._pending: Optional[Dict[str, Any]] = None
        self._path: Optional[str] = None
        self._warned = False

    # ------------------------------------------------------------------ settings
    @staticmethod
    def _checkpoint_settings(cb: Any) -> Dict[str, Any]:
        return {
            "dirpath": cb.dirpath,
            "filename": cb.filename,
            "monitor": cb.monitor,
            "mode": cb.mode,
            "save_top_k": cb.save_top_k,
            "save_last": cb.save_last,
            "save_weights_only": cb.save_weights_only,
            "every_n_epochs": getattr(cb, "_every_n_epochs", None),
            "every_n_train_steps": getattr(cb, "_every_n_train_steps", None),
            "train_time_interval": _plain(getattr(cb, "_train_time_interval", None)),
            "save_on_train_epoch_end": getattr(cb, "_save_on_train_epoch_end", None),
            "auto_insert_metric_name": cb.auto_insert_metric_name,
            "enable_version_counter": getattr(cb, "_enable_version_counter", None),
            "verbose": cb.verbose,
            "CHECKPOINT_JOIN_CHAR": cb.CHECKPOINT_JOIN_CHAR,
            "CHECKPOINT_NAME_LAST": cb.CHECKPOINT_NAME_LAST,
            "FILE_EXTENSION": cb.FILE_EXTENSION,
        }

    @staticmethod
    def _early_stopping_settings(cb: Any) -> Dict[str, Any]:
        return {
            "monitor": cb.monitor,
            "mode": cb.mode,
            "patience": cb.patience,
            "min_delta": _num(abs(cb.min_delta)),
            "stopping_threshold": _num(cb.stopping_threshold),
            "divergence_threshold": _num(cb.divergence_threshold),
            "check_finite": cb.check_finite,
            "check_on_train_epoch_end": getattr(cb, "_check_on_train_epoch_end", None),
            "strict": cb.strict,
            "verbose": cb.verbose,
            "log_rank_zero_only": getattr(cb, "log_rank_zero_only", None),
        }

    def _rel(self, cb: Any, p: Any) -> Any:
        """Checkpoint paths relative to the callback's dirpath (as the listing names them)."""
        if not p or not isinstance(p, str):
            return p or None
        d = cb.dirpath
        if d and os.path.isabs(p) and os.path.commonpath([os.path.abspath(d), os.path.abspath(p)]) == os.path.abspath(d):
            return os.path.relpath(p, d)
        return p

    def _checkpoint_state(self, cb: Any) -> Dict[str, Any]:
        return {
            "dirpath": cb.dirpath,
            "best_k_models": {self._rel(cb, k): _num(v) for k, v in cb.best_k_models.items()},
            "kth_best_model_path": self._rel(cb, cb.kth_best_model_path),
            "kth_value": _num(cb.kth_value),
            "best_model_path": self._rel(cb, cb.best_model_path),
            "best_model_score": _num(cb.best_model_score),
            "last_model_path": self._rel(cb, cb.last_model_path),
            "current_score": _num(getattr(cb, "current_score", None)),
        }

    @staticmethod
    def _early_stopping_state(cb: Any) -> Dict[str, Any]:
        reason = getattr(cb, "stopping_reason", None)  # Lightning >= 2.6: an enum
        return {
            "wait_count": cb.wait_count,
            "best_score": _num(cb.best_score),
            "stopped_epoch": cb.stopped_epoch,
            "stopping_reason": None if reason is None else str(getattr(reason, "name", reason)).lower(),
            "stopping_reason_message": getattr(cb, "stopping_reason_message", None),
        }

    @staticmethod
    def _devices(trainer: Any) -> Dict[str, Any]:
        acc = type(trainer.accelerator).__name__
        names: List[str] = []
        try:
            import torch

            for d in trainer.device_ids:
                if acc == "CUDAAccelerator" and torch.cuda.is_available():
                    names.append(torch.cuda.get_device_name(d))
                elif acc == "MPSAccelerator":
                    names.append("mps")
                else:
                    names.append(platform.processor() or platform.machine() or "cpu")
        except Exception:  # device names are a nicety, never a reason to fail a run
            pass
        return {
            "accelerator": acc,
            "strategy": type(trainer.strategy).__name__,
            "precision": str(getattr(trainer, "precision", None)),
            "num_devices": trainer.num_devices,
            "num_nodes": trainer.num_nodes,
            "device_ids": list(trainer.device_ids),
            "device_names": names,
            "world_size": trainer.world_size,
        }

    @staticmethod
    def _trainer_settings(trainer: Any) -> Dict[str, Any]:
        fit = trainer.fit_loop
        return {
            "max_epochs": fit.max_epochs,
            "min_epochs": fit.min_epochs,
            "max_steps": fit.max_steps,
            "min_steps": getattr(fit.epoch_loop, "min_steps", None),
            "max_time": _plain(getattr(trainer, "_max_time", None)),
            "check_val_every_n_epoch": trainer.check_val_every_n_epoch,
            "val_check_interval": _num(trainer.val_check_interval),
            "num_sanity_val_steps": trainer.num_sanity_val_steps,
            "log_every_n_steps": trainer.log_every_n_steps,
            "limit_train_batches": _num(trainer.limit_train_batches),
            "limit_val_batches": _num(trainer.limit_val_batches),
            "accumulate_grad_batches": trainer.accumulate_grad_batches,
            "gradient_clip_val": _num(trainer.gradient_clip_val),
            "deterministic": _deterministic(),
            "default_root_dir": trainer.default_root_dir,
            "ckpt_path": _plain(getattr(trainer, "ckpt_path", None)),
            "fast_dev_run": _plain(trainer.fast_dev_run),
        }

    @staticmethod
    def _loggers(trainer: Any) -> List[Dict[str, Any]]:
        out = []
        for lg in trainer.loggers:
            out.append({
                "type": type(lg).__name__,
                "save_dir": lg.save_dir,
                "name": lg.name,
                "version": _plain(lg.version),
                "log_dir": getattr(lg, "log_dir", None),
            })
        return out

    # ------------------------------------------------------------------ state and writing
    def _callbacks(self, trainer: Any):
        cks = [cb for cb in trainer.callbacks if isinstance(cb, ModelCheckpoint)]
        ess = [cb for cb in trainer.callbacks if isinstance(cb, EarlyStopping)]
        return cks, ess

    def _state(self, trainer: Any) -> Dict[str, Any]:
        cks, ess = self._callbacks(trainer)
        return {
            "current_epoch": trainer.current_epoch,
            "global_step": trainer.global_step,
            "should_stop": bool(trainer.should_stop),
            "model_checkpoint": [self._checkpoint_state(cb) for cb in cks],
            "early_stopping": [self._early_stopping_state(cb) for cb in ess],
        }

    def _where(self, trainer: Any) -> str:
        if self._dirpath:
            return self._dirpath
        if trainer.loggers:
            d = trainer.loggers[0].log_dir or trainer.loggers[0].save_dir
            if d:
                return d
        return trainer.default_root_dir

    def _write(self) -> None:
        if not self._path:
            return
        os.makedirs(os.path.dirname(self._path), exist_ok=True)
        tmp = f"{self._path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self._doc, f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, self._path)

    def _flush(self, trainer: Any) -> None:
        """Record the validation that ended, now that every callback's hooks for it have run."""
        if self._pending is None:
            return
        rec = self._pending
        self._pending = None
        rec.update(self._state(trainer))
        self._doc["validations"].append(rec)
        self._write()

    # ------------------------------------------------------------------ hooks
    @_safe
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if stage != "fit" or not trainer.is_global_zero:
            return
        import torch

        cks, ess = self._callbacks(trainer)
        self._path = os.path.join(self._where(trainer), self._filename)
        self._doc = {
            "schema": SCHEMA,
            "written_by": f"runproof_lightning {__version__}",
            "versions": {
                "python": platform.python_version(),
                "lightning": getattr(_pl, "__version__", None),
                "package": _pl.__name__,
                "torch": torch.__version__,
            },
            "argv": list(sys.argv),
            "started_at": time.time(),
            "devices": self._devices(trainer),
            "trainer": self._trainer_settings(trainer),
            "loggers": self._loggers(trainer),
            "model_checkpoint": [self._checkpoint_settings(cb) for cb in cks],
            "early_stopping": [self._early_stopping_settings(cb) for cb in ess],
            "validations": [],
            "end": None,
        }
        self._write()

    @_safe
    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        if self._path:
            # ckpt_path and the batch counts are known only once fit has started.
            self._doc["trainer"]["ckpt_path"] = _plain(getattr(trainer, "ckpt_path", None))
            self._write()

    @_safe
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if self._path:
            self._doc["trainer"]["num_training_batches"] = _num(trainer.num_training_batches)
            self._doc["start"] = {"current_epoch": trainer.current_epoch, "global_step": trainer.global_step}
            self._write()

    @_safe
    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not self._path or trainer.sanity_checking:
            return
        self._flush(trainer)
        monitored = set()
        for cb in self._callbacks(trainer)[0] + self._callbacks(trainer)[1]:
            if cb.monitor:
                monitored.add(cb.monitor)
        metrics = trainer.callback_metrics
        self._pending = {
            "epoch": trainer.current_epoch,
            "global_step": trainer.global_step,
            "metrics": {k: _num(metrics[k]) for k in sorted(monitored) if k in metrics},
        }

    # The next hook after a validation: every callback's hooks for it (ModelCheckpoint runs last) are done.
    @_safe
    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self._flush(trainer)

    @_safe
    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._flush(trainer)

    @_safe
    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self._flush(trainer)

    def _end(self, trainer: Any, how: str, exception: Optional[BaseException] = None) -> None:
        if not self._path:
            return
        self._flush(trainer)
        if self._doc.get("end") and how == "teardown":
            # Lightning runs ModelCheckpoint's hooks after every other callback's, so its own on_train_end (a
            # last.ckpt saved there) comes after ours: re-read the callbacks' state and the folder once the fit
            # is over, keeping how it ended.
            if self._doc["end"].get("how") == "train_end":
                self._doc["end"].update(self._state(trainer))
                self._write()
            return
        end = {"how": how, "interrupted": bool(trainer.interrupted), "ended_at": time.time()}
        if exception is not None:
            end["exception"] = {"type": type(exception).__name__, "message": str(exception)[:2000]}
        end.update(self._state(trainer))
        self._doc["end"] = end
        self._write()

    @_safe
    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._end(trainer, "train_end")

    @_safe
    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._end(trainer, "exception", exception)

    @_safe
    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if stage == "fit":
            self._end(trainer, "teardown")
