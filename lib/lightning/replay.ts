/**
 * Replays of Lightning's EarlyStopping and ModelCheckpoint over the per-epoch
 * monitored metric (lightning-artifacts.md §2–3, Lightning 2.0–2.6). Both run
 * once per epoch, at train-epoch end after that epoch's validation, which is
 * what the defaults do when validation runs every epoch.
 */
import { renderTemplate, type FilenameTemplate } from './checkpoints';

export type Mode = 'min' | 'max';

export interface EarlyStopConfig {
  monitor: string;
  mode: Mode;
  patience: number;
  minDelta: number;
  checkFinite?: boolean;
  stoppingThreshold?: number | null;
  divergenceThreshold?: number | null;
  minEpochs?: number;
}

export interface EarlyStopTraceRow {
  epoch: number;
  value: number | null;
  best: number | null;
  wait: number;
  patience: number;
  improved: boolean;
  stop: 'patience' | 'non_finite' | 'threshold' | 'divergence' | null;
}

export interface EarlyStopReplay {
  bestEpoch: number | null;
  bestScore: number | null;
  wait: number;
  triggered: boolean;
  stoppedEpoch: number | null;
  /** Last epoch a faithful run trains (the stop epoch, or the last epoch seen). */
  lastEpoch: number | null;
  trace: EarlyStopTraceRow[];
}

const f32 = Math.fround;

/**
 * EarlyStopping._evaluate_stopping_criteria (P:callbacks/early_stopping.py
 * L246-287): non-finite → threshold → divergence → improvement → wait++.
 * Improvement is strict and compared in float32 (torch tensors), with
 * min_delta signed by mode (L148). `should_stop` is sticky: once set, fit
 * ends after that epoch if min_epochs is met.
 */
export function replayEarlyStopping(points: Array<{ epoch: number; value: number | undefined }>, cfg: EarlyStopConfig): EarlyStopReplay {
  const min = cfg.mode === 'min';
  const d = min ? -Math.abs(cfg.minDelta) : Math.abs(cfg.minDelta);
  let best = min ? Infinity : -Infinity;
  let bestEpoch: number | null = null;
  let wait = 0;
  let pending = false;
  let stoppedEpoch: number | null = null;
  const trace: EarlyStopTraceRow[] = [];
  let lastEpoch: number | null = null;
  for (const { epoch, value } of points) {
    lastEpoch = epoch;
    if (value === undefined) {
      trace.push({ epoch, value: null, best: Number.isFinite(best) ? best : null, wait, patience: cfg.patience, improved: false, stop: null });
      continue;
    }
    let stop: EarlyStopTraceRow['stop'] = null;
    let improved = false;
    const thr = cfg.stoppingThreshold;
    const div = cfg.divergenceThreshold;
    if ((cfg.checkFinite ?? true) && !Number.isFinite(value)) stop = 'non_finite';
    else if (thr != null && (min ? value < f32(thr) : value > f32(thr))) stop = 'threshold';
    else if (div != null && (min ? value > f32(div) : value < f32(div))) stop = 'divergence';
    else if (min ? f32(value - d) < best : f32(value - d) > best) {
      best = value;
      bestEpoch = epoch;
      wait = 0;
      improved = true;
    } else if (++wait >= cfg.patience) stop = 'patience';
    trace.push({ epoch, value, best: Number.isFinite(best) ? best : null, wait, patience: cfg.patience, improved, stop });
    if (stop && !pending) { pending = true; stoppedEpoch = epoch; }
    if (pending && epoch + 1 >= (cfg.minEpochs ?? 0)) break;
  }
  return {
    bestEpoch,
    bestScore: bestEpoch === null ? null : best,
    wait,
    triggered: pending,
    stoppedEpoch,
    lastEpoch: pending ? trace[trace.length - 1].epoch : lastEpoch,
    trace,
  };
}

export interface CheckpointConfig {
  monitor: string | null;
  mode: Mode;
  saveTopK: number;
  saveLast: boolean;
  everyNEpochs?: number;
  template: FilenameTemplate;
  /** Lightning ≥ 2.6 writes last.ckpt only when a top-k file was saved at that step (#21244). */
  lightningAtLeast26?: boolean;
}

export interface CheckpointReplayEvent {
  epoch: number;
  step: number;
  value: number | null;
  saved: string | null;
  deleted: string | null;
  note: string;
}

export interface CheckpointReplay {
  /** Files the run should end with, in save order (top-k, then last.ckpt). */
  expected: Array<{ name: string; epoch: number; score: number | null; kind: 'top-k' | 'last' }>;
  events: CheckpointReplayEvent[];
}

/**
 * ModelCheckpoint top-k bookkeeping (P:callbacks/model_checkpoint.py
 * L574-591, L735-752, L927-987): strictly-better-than-worst wins, ties lose,
 * NaN never wins, the worst is found with Python max/min over an
 * insertion-ordered dict so the oldest wins ties; `-vN` when a name exists.
 */
export function replayCheckpoints(epochs: Array<{ epoch: number; step: number; metrics: Record<string, number> }>, cfg: CheckpointConfig): CheckpointReplay {
  const min = cfg.mode === 'min';
  const k = cfg.saveTopK;
  const n = cfg.everyNEpochs ?? 1;
  const existing = new Set<string>();
  const kept: Array<{ name: string; score: number; epoch: number; raw: number | null }> = [];
  let prev: { name: string; epoch: number } | null = null;
  const unmonitored: Array<{ name: string; epoch: number }> = [];
  let lastSaved: number | null = null;
  let lastWritten = false;
  let lastEpoch = -1;
  const events: CheckpointReplayEvent[] = [];
  const uniq = (name: string, except?: string) => {
    if (!existing.has(name) || name === except) return name;
    const stem = name.replace(/\.ckpt$/, '');
    for (let v = 1; ; v++) { const c = `${stem}-v${v}.ckpt`; if (!existing.has(c) || c === except) return c; }
  };
  const better = (v: number, w: number) => (Number.isNaN(v) ? false : min ? v < w : v > w);

  for (const row of epochs) {
    const e = row.epoch;
    const g = row.step + 1; // checkpoint step g_e = S_e + 1 (global_step after the epoch)
    lastEpoch = e;
    if (g === lastSaved) continue;
    const values: Record<string, number> = { ...row.metrics, epoch: e, step: g };
    const monitored = cfg.monitor ? row.metrics[cfg.monitor] : undefined;
    let saved = false;
    const ev: CheckpointReplayEvent = { epoch: e, step: g, value: monitored ?? null, saved: null, deleted: null, note: '' };
    if (k !== 0 && (e + 1) % n === 0) {
      if (cfg.monitor == null) {
        const p = uniq(renderTemplate(cfg.template, values), prev?.name);
        existing.add(p);
        ev.saved = p;
        if (k === 1 && prev && prev.name !== p) { existing.delete(prev.name); ev.deleted = prev.name; }
        prev = { name: p, epoch: e };
        if (k === 1) unmonitored.length = 0;
        unmonitored.push(prev);
        saved = true;
      } else if (monitored !== undefined) {
        const full = k !== -1 && kept.length === k;
        let worst: (typeof kept)[number] | null = null;
        if (full) {
          // Python max()/min() return the first of equal items: oldest wins ties.
          for (const c of kept) if (!worst || (min ? c.score > worst.score : c.score < worst.score)) worst = c;
        }
        if ((!worst && (k === -1 || kept.length < k)) || (worst && better(monitored, worst.score))) {
          if (worst) kept.splice(kept.indexOf(worst), 1);
          const p = uniq(renderTemplate(cfg.template, values), worst?.name);
          kept.push({ name: p, score: Number.isNaN(monitored) ? (min ? Infinity : -Infinity) : monitored, epoch: e, raw: monitored });
          existing.add(p);
          ev.saved = p;
          if (worst && worst.name !== p) { existing.delete(worst.name); ev.deleted = worst.name; }
          saved = true;
        } else ev.note = `not in top ${k}`;
      } else ev.note = `monitored metric ${cfg.monitor} missing`;
    }
    if (saved) lastSaved = g;
    if (cfg.saveLast && (!cfg.lightningAtLeast26 || saved)) lastWritten = true;
    events.push(ev);
  }
  if (cfg.saveLast && cfg.lightningAtLeast26 && !lastWritten && lastEpoch >= 0) lastWritten = true; // once at train end
  const expected: CheckpointReplay['expected'] = [];
  if (cfg.monitor == null) {
    for (const c of unmonitored) expected.push({ name: c.name, epoch: c.epoch, score: null, kind: 'top-k' });
  } else {
    for (const c of kept) expected.push({ name: c.name, epoch: c.epoch, score: c.raw, kind: 'top-k' });
  }
  if (lastWritten) expected.push({ name: 'last.ckpt', epoch: lastEpoch, score: null, kind: 'last' });
  return { expected, events };
}

