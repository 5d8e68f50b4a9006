/**
 * A fit's timeline, as the callbacks saw it: each validation (epoch, global
 * step, the values it logged) and each training epoch (its first and last
 * global step, whether it reached its end), read from a metrics.csv or
 * TensorBoard events (ParsedMetrics), or from runproof.json's records; and
 * from it the hooks Lightning called, in order (lib/lightning/replay.ts).
 *
 * Steps: Lightning logs rows at `_batches_that_stepped` (batches), names and
 * checkpoints use `global_step` (optimizer steps: two optimizers stepping
 * each batch make it twice the batches). A validation logged at step s ran
 * at global step f·(s+1); the epoch whose last row has step S_e ended at
 * f·(S_e+1) (two optimizers per batch are in the conformance corpus: conformance/README.md).
 */
import type { ParsedMetrics } from './metrics-csv';
import type { Hook, Metrics } from './replay';

export interface Validation {
  epoch: number;
  /** global_step when it ran */
  step: number;
  /** the values it logged (the validation-epoch row) */
  metrics: Metrics;
}

export interface TrainEpoch {
  epoch: number;
  /** global_step when it started and at its last batch */
  startStep: number;
  endStep: number;
  /** on_train_epoch_end ran (every epoch but a last one cut by a crash or a signal) */
  ended: boolean;
  /** epoch-level values logged at its end (`train_loss_epoch`…) */
  metrics: Metrics;
}

export interface Timeline {
  validations: Validation[];
  epochs: TrainEpoch[];
  /** optimizer steps per batch */
  stepsPerBatch: number;
  /** batches per epoch when known (runproof.json, or a full first epoch) */
  batchesPerEpoch: number | null;
  /** on_train_end ran: the fit ended normally */
  ended: boolean;
  /** global_step the fit started at (a resumed fit: the checkpoint's) */
  startStep: number;
}

/** The columns a validation logs: a `val` in the name (not `_step` forks), plus the named ones. */
export function validationColumns(columns: string[], extra: Array<string | null | undefined> = []): string[] {
  const out = new Set(columns.filter((c) => /val/i.test(c) && !/_step$/.test(c)));
  for (const c of extra) if (c && columns.includes(c)) out.add(c);
  return [...out];
}

/**
 * The timeline of the (last) fit in a metrics file. `valColumns` say which
 * columns validations log; `stepsPerBatch` converts logged steps to global
 * steps; `lastEnded`: the last epoch reached on_train_epoch_end (the fit
 * ended normally, not by a crash or a signal mid-epoch).
 */
export function timelineFromMetrics(m: ParsedMetrics, opts: { valColumns: string[]; stepsPerBatch: number; lastEnded: boolean; startStep?: number; epochLevelShowsEnd?: boolean }): Timeline {
  const f = opts.stepsPerBatch;
  const after = new Set((m.afterFit ?? []).map((r) => `${r.epoch}:${r.step}`));
  const rows = new Map<string, { epoch: number; s: number; metrics: Metrics }>();
  const cols = new Set(opts.valColumns);
  for (const s of m.series) {
    if (!cols.has(s.metric)) continue;
    for (let i = 0; i < s.length; i++) {
      const e = s.epochs[i];
      const st = s.steps[i];
      if (!Number.isFinite(e) || !Number.isFinite(st)) continue;
      const key = `${e}:${st}`;
      if (after.has(key)) continue;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { epoch: e, s: st, metrics: {} }));
      r.metrics[s.metric] = s.values[i];
    }
  }
  const validations = [...rows.values()].sort((a, b) => a.s - b.s || a.epoch - b.epoch).map((r) => ({ epoch: r.epoch, step: f * (r.s + 1), metrics: r.metrics }));
  const epochs: TrainEpoch[] = [];
  let start = opts.startStep ?? (m.epochs.length ? f * Math.max(0, stepBefore(m, m.epochs[0].epoch)) : 0);
  // Epoch-level training values (`train_loss_epoch`) are logged in on_train_epoch_end: an epoch that has them ended.
  const trainEpochLevel = m.epochLevel.filter((c) => !cols.has(c));
  for (let i = 0; i < m.epochs.length; i++) {
    const row = m.epochs[i];
    const endStep = f * (row.step + 1);
    const metrics: Metrics = {};
    for (const [k, v] of Object.entries(row.metrics)) if (!cols.has(k)) metrics[k] = v;
    const ended = i < m.epochs.length - 1 || opts.lastEnded || ((opts.epochLevelShowsEnd ?? true) && trainEpochLevel.some((c) => c in row.metrics));
    epochs.push({ epoch: row.epoch, startStep: start, endStep, ended, metrics });
    start = endStep;
  }
  const first = epochs.find((e) => e.startStep === 0 && e.ended && e.epoch === 0);
  return { validations, epochs, stepsPerBatch: f, batchesPerEpoch: first ? first.endStep / f : null, ended: opts.lastEnded, startStep: epochs.length ? epochs[0].startStep : 0 };
}

/** A resumed fit's first epoch starts where the checkpoint left off: read from its first logged step (rows are logged at batch ends). */
function stepBefore(m: ParsedMetrics, epoch: number): number {
  if (epoch === 0) return 0;
  let lo = Infinity;
  for (const s of m.series) for (let i = 0; i < s.length; i++) if (s.epochs[i] === epoch && s.steps[i] < lo) lo = s.steps[i];
  return Number.isFinite(lo) ? lo : 0;
}

/**
 * The hooks of a timeline, in Lightning's order: per batch end (only those
 * at multiples of `everyNTrainSteps`, the only ones a callback here acts on),
 * the validation that follows it, the train-epoch end; on_train_end when the
 * fit ended normally. Callback metrics accumulate: a validation's values stay
 * until the next one replaces them.
 */
export function hooksOf(tl: Timeline, opts: { everyNTrainSteps?: number } = {}): Hook[] {
  const hooks: Hook[] = [];
  let cm: Metrics = {};
  const ents = opts.everyNTrainSteps ?? 0;
  const vals = [...tl.validations];
  const valSteps = new Set(vals.map((v) => v.step));
  let vi = 0;
  const f = tl.stepsPerBatch;
  for (const ep of tl.epochs) {
    const epochVals = vals.filter((v) => v.epoch === ep.epoch);
    const lastValStep = epochVals.length ? epochVals[epochVals.length - 1].step : null;
    if (ents >= 1) {
      // only the steps every_n_train_steps acts on (a multiple of both the steps per batch and ents)
      const stride = (f * ents) / gcd(f, ents);
      const first = Math.ceil((ep.startStep + f) / stride) * stride;
      for (let g = first; g <= ep.endStep; g += stride) {
        // validations that ran before this batch
        while (vi < vals.length && vals[vi].step < g && vals[vi].epoch <= ep.epoch) {
          cm = { ...cm, ...vals[vi].metrics };
          hooks.push({ kind: 'val', epoch: vals[vi].epoch, step: vals[vi].step, metrics: cm });
          vi++;
        }
        const isLast = g === ep.endStep && ep.ended;
        // At the last batch ModelCheckpoint defers to a validation it expects whenever the epoch validates at all
        // (P:callbacks/model_checkpoint.py on_train_batch_end `will_run_val`: check_val_every_n_epoch, not whether one
        // runs after this batch): with validations inside the epoch the save waits for the next one, maybe the next epoch's.
        if ((g - ep.startStep) % f === 0) hooks.push({ kind: 'batch', epoch: ep.epoch, step: g, metrics: cm, lastBatch: isLast, valFollows: isLast ? lastValStep !== null : valSteps.has(g) });
      }
    }
    while (vi < vals.length && vals[vi].epoch <= ep.epoch && vals[vi].step <= ep.endStep) {
      cm = { ...cm, ...vals[vi].metrics };
      hooks.push({ kind: 'val', epoch: vals[vi].epoch, step: vals[vi].step, metrics: cm });
      vi++;
    }
    if (ep.ended) {
      cm = { ...cm, ...ep.metrics };
      hooks.push({ kind: 'epoch', epoch: ep.epoch, step: ep.endStep, metrics: cm });
    }
  }
  // validations with no training epoch around them (a timeline from validations alone)
  while (vi < vals.length) {
    cm = { ...cm, ...vals[vi].metrics };
    hooks.push({ kind: 'val', epoch: vals[vi].epoch, step: vals[vi].step, metrics: cm });
    vi++;
  }
  if (tl.ended && hooks.length) {
    const last = hooks[hooks.length - 1];
    hooks.push({ kind: 'end', epoch: last.epoch, step: last.step, metrics: cm });
  }
  return hooks;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
