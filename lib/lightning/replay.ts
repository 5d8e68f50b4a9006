/**
 * Replays of Lightning's EarlyStopping and ModelCheckpoint (2.6), hook by
 * hook, over a run's timeline: the train-batch ends, validation ends and
 * train-epoch ends a fit went through, each with the callback metrics the
 * callbacks saw there (lib/lightning/timeline.ts builds it from a bundle).
 * Ground truth: P:callbacks/model_checkpoint.py and early_stopping.py of
 * Lightning 2.6.6, and P:loops/training_epoch_loop.py / fit_loop.py for when
 * the hooks run; the conformance corpus checks the replays against them (conformance/README.md).
 */
import { renderName, type FilenameTemplate } from './checkpoints';

export type Mode = 'min' | 'max';
export type Metrics = Record<string, number>;

/**
 * One hook of the fit, in the order Lightning calls them. `step` is
 * `trainer.global_step` there (optimizer steps); `metrics` is
 * `trainer.callback_metrics` (never cleared during a fit: a validation's
 * values stay until the next one).
 */
export type Hook =
  | { kind: 'batch'; epoch: number; step: number; metrics: Metrics; lastBatch: boolean; valFollows: boolean }
  | { kind: 'val'; epoch: number; step: number; metrics: Metrics }
  | { kind: 'epoch'; epoch: number; step: number; metrics: Metrics }
  | { kind: 'end'; epoch: number; step: number; metrics: Metrics };

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------
// EarlyStopping

export interface EarlyStopConfig {
  monitor: string;
  mode: Mode;
  patience: number;
  minDelta: number;
  checkFinite?: boolean;
  stoppingThreshold?: number | null;
  divergenceThreshold?: number | null;
  /** Trainer(min_epochs): a stop is honoured once this many epochs are done. */
  minEpochs?: number;
  /** Check at train-epoch end (true) or at validation end (false). Lightning's None: true iff validation runs once per epoch. */
  checkOnTrainEpochEnd?: boolean;
  /** Initial state on resume (restored from the checkpoint). */
  restored?: { bestScore: number; wait: number } | null;
}

export type StopReason = 'patience' | 'non_finite' | 'threshold' | 'divergence';

export interface EarlyStopTraceRow {
  epoch: number;
  step?: number;
  value: number | null;
  best: number | null;
  wait: number;
  patience: number;
  improved: boolean;
  stop: StopReason | null;
}

export interface EarlyStopReplay {
  bestEpoch: number | null;
  bestScore: number | null;
  wait: number;
  /** `trainer.should_stop` was set (sticky). */
  triggered: boolean;
  /** EarlyStopping.stopped_epoch: the epoch of the last check that said stop. */
  stoppedEpoch: number | null;
  /** Why the first stop was signalled. */
  reason: StopReason | null;
  /** Last epoch a faithful run trains: where the fit ends once should_stop is set and min_epochs is met; null when it does not end early. */
  lastEpoch: number | null;
  /** Checks that found the monitored metric missing (EarlyStopping(strict=True) raises there). */
  missing: number;
  trace: EarlyStopTraceRow[];
}

/**
 * EarlyStopping._evaluate_stopping_criteria (P:callbacks/early_stopping.py):
 * non-finite → stopping threshold → divergence → improvement → wait++.
 * Improvement is strict and compared in float32 (torch tensors), with
 * min_delta signed by mode. `should_stop` is sticky; `stopped_epoch` is the
 * epoch of every check that says stop. The fit ends after the epoch in which
 * should_stop is set once `min_epochs` epochs are done (a check at a
 * validation inside an epoch ends that epoch at once when they are).
 */
export function replayEarlyStoppingHooks(hooks: Hook[], cfg: EarlyStopConfig): EarlyStopReplay {
  const min = cfg.mode === 'min';
  const d = min ? -Math.abs(cfg.minDelta) : Math.abs(cfg.minDelta);
  const onEpochEnd = cfg.checkOnTrainEpochEnd ?? true;
  let best = cfg.restored ? cfg.restored.bestScore : min ? Infinity : -Infinity;
  let bestEpoch: number | null = null;
  let wait = cfg.restored?.wait ?? 0;
  let pending = false;
  let reason: StopReason | null = null;
  let stoppedEpoch: number | null = null;
  let lastEpoch: number | null = null;
  let missing = 0;
  const trace: EarlyStopTraceRow[] = [];
  const minEpochs = cfg.minEpochs ?? 0;
  for (const h of hooks) {
    if (h.kind !== (onEpochEnd ? 'epoch' : 'val')) continue;
    const value = h.metrics[cfg.monitor];
    if (value === undefined) {
      missing++;
      trace.push({ epoch: h.epoch, step: h.step, value: null, best: Number.isFinite(best) ? best : null, wait, patience: cfg.patience, improved: false, stop: null });
    } else {
      let stop: StopReason | null = null;
      let improved = false;
      const thr = cfg.stoppingThreshold;
      const div = cfg.divergenceThreshold;
      if ((cfg.checkFinite ?? true) && !Number.isFinite(value)) stop = 'non_finite';
      else if (thr != null && (min ? value < f32(thr) : value > f32(thr))) stop = 'threshold';
      else if (div != null && (min ? -value < -f32(div) : -value > -f32(div))) stop = 'divergence';
      else if (min ? f32(value - d) < best : f32(value - d) > best) {
        best = value;
        bestEpoch = h.epoch;
        wait = 0;
        improved = true;
      } else if (++wait >= cfg.patience) stop = 'patience';
      trace.push({ epoch: h.epoch, step: h.step, value, best: Number.isFinite(best) ? best : null, wait, patience: cfg.patience, improved, stop });
      if (stop) {
        stoppedEpoch = h.epoch;
        if (!pending) reason = stop;
        pending = true;
      }
    }
    // A check at train-epoch end: that epoch is done (epoch + 1 processed). At a validation inside the
    // epoch, the epoch loop stops at once when min_epochs is already met (P:loops/training_epoch_loop.py `done`).
    if (pending && (onEpochEnd ? h.epoch + 1 >= minEpochs : h.epoch >= minEpochs || h.epoch + 1 >= minEpochs)) {
      lastEpoch = h.epoch;
      break;
    }
  }
  return { bestEpoch, bestScore: bestEpoch === null && !cfg.restored ? null : Number.isFinite(best) ? best : null, wait, triggered: pending, stoppedEpoch, reason, lastEpoch, missing, trace };
}

/** The per-epoch form: one check per epoch at its end (validation every epoch, the defaults). */
export function replayEarlyStopping(points: Array<{ epoch: number; value: number | undefined }>, cfg: EarlyStopConfig): EarlyStopReplay {
  const hooks: Hook[] = points.map((p) => ({ kind: 'epoch', epoch: p.epoch, step: 0, metrics: p.value === undefined ? {} : { [cfg.monitor]: p.value } }));
  const r = replayEarlyStoppingHooks(hooks, { ...cfg, checkOnTrainEpochEnd: true });
  return { ...r, lastEpoch: r.lastEpoch ?? (points.length ? points[points.length - 1].epoch : null) };
}

// ---------------------------------------------------------------------------------------------
// ModelCheckpoint

export interface CheckpointConfig {
  monitor: string | null;
  mode: Mode;
  saveTopK: number;
  saveLast: boolean | 'link';
  /** 1 by default; 0 when every_n_train_steps is set. */
  everyNEpochs?: number;
  everyNTrainSteps?: number;
  /** Save at train-epoch end (true) or at validation end (false); Lightning's None: true iff validation runs once per epoch at its end. */
  saveOnTrainEpochEnd?: boolean;
  template: FilenameTemplate;
  /** enable_version_counter (default true): `-v1`, `-v2`… when a name exists. */
  versionCounter?: boolean;
  /** Files in the folder before the fit (an earlier run's), relative to it. */
  prior?: string[];
  /** ModelCheckpoint state restored from the checkpoint a resumed fit started from (same dirpath). */
  restored?: { bestK: Array<{ name: string; score: number }>; lastModelPath: string | null; resumedFrom: string | null } | null;
}

export interface CheckpointReplayEvent {
  epoch: number;
  step: number;
  hook: Hook['kind'];
  value: number | null;
  saved: string | null;
  deleted: string | null;
  note: string;
}

export interface ExpectedFile {
  name: string;
  epoch: number;
  step: number;
  score: number | null;
  kind: 'top-k' | 'last';
}

export interface CheckpointReplay {
  /** Files the fit leaves (top-k in save order, then last), not counting `prior`. */
  expected: ExpectedFile[];
  /** Every file in the folder at the end: the expected ones and the prior files not deleted. */
  folder: string[];
  /** best_k_models at the end, in insertion order. */
  bestK: Array<{ name: string; score: number }>;
  lastModelPath: string | null;
  events: CheckpointReplayEvent[];
  /** A name Python could not render (a float formatted with `:d`): Lightning raises there. */
  renderError: boolean;
}

/**
 * ModelCheckpoint, hook by hook (P:callbacks/model_checkpoint.py 2.6.6):
 * on_train_batch_end (every_n_train_steps, deferring to the validation when
 * the monitor is not there yet), on_validation_end / on_train_epoch_end
 * (every_n_epochs; last.ckpt only when a top-k file was saved at that step),
 * on_train_end (last.ckpt when nothing was ever saved). Top-k: strictly
 * better than the k-th wins (ties lose, NaN stored as ±inf never wins); the
 * k-th is Python's max/min over the insertion-ordered best_k_models (the
 * oldest of equal scores). `-vN` while the name exists and is not the file
 * being replaced. Nothing is saved twice at one global step.
 */
export function replayCheckpointHooks(hooks: Hook[], cfg: CheckpointConfig): CheckpointReplay {
  const min = cfg.mode === 'min';
  const k = cfg.saveTopK;
  const ene = cfg.everyNEpochs ?? 1;
  const ents = cfg.everyNTrainSteps ?? 0;
  const onEpochEnd = cfg.saveOnTrainEpochEnd ?? true;
  const counter = cfg.versionCounter ?? true;
  const folder = new Set<string>(cfg.prior ?? []);
  const own = new Map<string, { epoch: number; step: number; score: number | null; kind: 'top-k' | 'last' }>();
  const bestK = new Map<string, number>();
  for (const b of cfg.restored?.bestK ?? []) bestK.set(b.name, b.score);
  let kth: string | null = null;
  if (cfg.restored && k > 0 && bestK.size === k) kth = worstOf(bestK, min);
  let bestModelPath: string | null = null;
  let lastModelPath: string | null = cfg.restored?.lastModelPath ?? null;
  let lastStepSaved = 0;
  let lastSaved = '';
  let defer = false;
  let renderError = false;
  const events: CheckpointReplayEvent[] = [];
  const resumedFrom = cfg.restored?.resumedFrom ?? null;

  const render = (metrics: Metrics, h: Hook, ver?: number) => {
    const n = renderName(cfg.template, metrics, ver, h.epoch, h.step);
    if (n === null) renderError = true;
    return n ?? `?${h.epoch}-${h.step}.ckpt`;
  };
  const versioned = (metrics: Metrics, h: Hook, except: string | null) => {
    let p = render(metrics, h);
    if (counter) for (let v = 1; folder.has(p) && p !== except; v++) p = render(metrics, h, v);
    return p;
  };
  const write = (p: string, h: Hook, score: number | null, kind: 'top-k' | 'last', ev: CheckpointReplayEvent) => {
    folder.add(p);
    own.set(p, { epoch: h.epoch, step: h.step, score, kind });
    lastStepSaved = h.step;
    lastSaved = p;
    ev.saved = ev.saved ? `${ev.saved}, ${p}` : p;
  };
  const remove = (p: string, ev: CheckpointReplayEvent) => {
    if (p === resumedFrom) return; // the checkpoint the fit resumed from is never removed
    folder.delete(p);
    own.delete(p);
    ev.deleted = ev.deleted ? `${ev.deleted}, ${p}` : p;
  };
  const saveTopK = (h: Hook, ev: CheckpointReplayEvent) => {
    if (k === 0) return;
    if (cfg.monitor === null) {
      const p = versioned(h.metrics, h, bestModelPath);
      const previous = bestModelPath;
      bestModelPath = p;
      write(p, h, null, 'top-k', ev);
      if (k === 1 && previous && previous !== p) remove(previous, ev);
      return;
    }
    const current = h.metrics[cfg.monitor];
    if (current === undefined) {
      ev.note = `${cfg.monitor} not in the callback metrics`;
      return;
    }
    ev.value = current;
    let should: boolean;
    if (k === -1 || bestK.size < k) should = true;
    else should = !Number.isNaN(current) && kth !== null && (min ? f32(current) < f32(bestK.get(kth)!) : f32(current) > f32(bestK.get(kth)!));
    if (!should) {
      ev.note = `not in top ${k}`;
      return;
    }
    const kk = k === -1 ? bestK.size + 1 : k;
    let del: string | null = null;
    if (bestK.size === kk && kk > 0) {
      del = kth;
      if (del !== null) bestK.delete(del);
    }
    const score = Number.isNaN(current) ? (min ? Infinity : -Infinity) : current;
    const p = versioned(h.metrics, h, del);
    bestK.set(p, score);
    // (with save_top_k=-1 every save is kept and the k-th is never consulted: not tracked)
    if (bestK.size === kk && k !== -1) kth = worstOf(bestK, min);
    write(p, h, current, 'top-k', ev);
    if (del && del !== p) remove(del, ev);
  };
  const saveLast = (h: Hook, ev: CheckpointReplayEvent) => {
    if (!cfg.saveLast) return;
    let p = 'last.ckpt';
    if (counter) for (let v = 1; folder.has(p) && p !== lastModelPath; v++) p = `last-v${v}.ckpt`;
    const previous = lastModelPath;
    lastModelPath = p;
    write(p, h, null, 'last', ev);
    if (previous && previous !== p) remove(previous, ev);
  };
  const skip = (h: Hook) => lastStepSaved === h.step;

  for (const h of hooks) {
    const ev: CheckpointReplayEvent = { epoch: h.epoch, step: h.step, hook: h.kind, value: null, saved: null, deleted: null, note: '' };
    if (h.kind === 'batch') {
      if (ents < 1 || h.step % ents !== 0) continue;
      if (cfg.monitor !== null && !(cfg.monitor in h.metrics)) {
        defer = true;
        continue;
      }
      if (cfg.monitor !== null && !onEpochEnd && h.lastBatch && h.valFollows) {
        defer = true;
        continue;
      }
      if (skip(h)) continue;
      saveTopK(h, ev);
      saveLast(h, ev);
    } else if (h.kind === 'epoch') {
      if (skip(h) || !onEpochEnd) continue;
      if (ene >= 1 && (h.epoch + 1) % ene === 0) saveTopK(h, ev);
      if (lastStepSaved === h.step) saveLast(h, ev);
    } else if (h.kind === 'val') {
      if (skip(h) || onEpochEnd) continue;
      if (defer) {
        saveTopK(h, ev);
        saveLast(h, ev);
        defer = false;
      } else {
        if (ene >= 1 && (h.epoch + 1) % ene === 0) saveTopK(h, ev);
        if (lastStepSaved === h.step) saveLast(h, ev);
      }
    } else if (h.kind === 'end') {
      if (cfg.saveLast && !lastSaved) saveLast(h, ev);
    }
    if (ev.saved || ev.deleted || ev.note) events.push(ev);
  }
  const expected: ExpectedFile[] = [];
  for (const [name, o] of own) if (o.kind === 'top-k') expected.push({ name, ...o, kind: 'top-k' });
  for (const [name, o] of own) if (o.kind === 'last') expected.push({ name, ...o, kind: 'last' });
  return { expected, folder: [...folder], bestK: [...bestK].map(([name, score]) => ({ name, score })), lastModelPath, events, renderError };
}

/** Python `max(d, key=d.get)` (min mode: the worst is the largest) over an insertion-ordered dict: the first of equal scores. */
function worstOf(m: Map<string, number>, min: boolean): string | null {
  let worst: string | null = null;
  let w = 0;
  for (const [name, s] of m) {
    if (worst === null || (min ? f32(s) > f32(w) : f32(s) < f32(w))) {
      worst = name;
      w = s;
    }
  }
  return worst;
}

/**
 * The per-epoch form: a save at each epoch's end, with validation every
 * epoch (the defaults). `step` of a row is the last logged step of the epoch
 * (metrics.csv's S_e): the checkpoint's global step is S_e + 1.
 */
export function replayCheckpoints(epochs: Array<{ epoch: number; step: number; metrics: Record<string, number> }>, cfg: CheckpointConfig): CheckpointReplay {
  const hooks: Hook[] = [];
  let cm: Metrics = {};
  for (const e of epochs) {
    cm = { ...cm, ...e.metrics };
    hooks.push({ kind: 'val', epoch: e.epoch, step: e.step + 1, metrics: cm });
    hooks.push({ kind: 'epoch', epoch: e.epoch, step: e.step + 1, metrics: cm });
  }
  if (epochs.length) hooks.push({ kind: 'end', epoch: epochs[epochs.length - 1].epoch, step: epochs[epochs.length - 1].step + 1, metrics: cm });
  return replayCheckpointHooks(hooks, { saveOnTrainEpochEnd: true, ...cfg });
}
