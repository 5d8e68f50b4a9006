/**
 * Per-epoch values read from a training log, for bundles without a
 * metrics.csv or events file: the same shape `parseMetricsCsv` gives
 * (ParsedMetrics), built from three kinds of lines Lightning 2.x prints.
 *
 *  - The tqdm progress bar (TQDMProgressBar, P:callbacks/progress/tqdm_progress.py):
 *    `Epoch 3: 100%|██| 10/10 [00:00<00:00, 9.1it/s, v_num=0, train_loss=0.123, val_loss=0.456]`.
 *    A file gets every redraw, `\r`-separated; the bar is relabelled
 *    `Epoch {current_epoch}` at each epoch start and its postfix set after
 *    each batch and at the epoch end (after that epoch's validation), so the
 *    update with the highest batch count of an epoch, the last of them,
 *    holds the epoch's values. Numbers are tqdm's `.3g`, zero-padded.
 *  - ModelCheckpoint(verbose=True) (P:callbacks/model_checkpoint.py):
 *    `Epoch {e:d}, global step {s:d}: {monitor!r} reached {v:0.5f} (best {b:0.5f}), saving model to {path!r} as top {k}`
 *    and `…: {monitor!r} was not in top {k}`.
 *  - EarlyStopping(verbose=True) (P:callbacks/early_stopping.py): the new best
 *    score of an improving check (`{:.3f}`) and the value in its stop
 *    messages; such a line has no epoch, so it is placed in the progress
 *    bar's current epoch, else in the epoch of the ModelCheckpoint line that
 *    follows it (the checkpoint runs after EarlyStopping in the same hook).
 *
 * Every value is as rounded as the log printed it: `tolerance` says by how
 * much, per metric, so a replay can tell a tie it cannot see from one that is
 * there. Steps follow metrics.csv (S_e, the last batch of epoch e): from a
 * progress bar's batches counted from epoch 0; else a ModelCheckpoint line's
 * global step − 1 (where no epoch shows it counting optimizer steps instead). `stepsKnown` is false when some epoch has neither.
 */

import type { EpochRow, ParsedMetrics, StepSeries } from './metrics-csv';

export interface CheckpointLine {
  epoch: number;
  /** The step the line printed (NaN where its format prints none: Lightning 1.0 and older). */
  globalStep: number;
  /** The step is `global_step` after the batch's optimizer step (the quoted form, Lightning 1.7 on): metrics.csv's S_e + 1. */
  stepAfterBatch: boolean;
  monitor: string;
  /** The monitored value (null on a `was not in top k` line, which prints none). */
  value: number | null;
  best: number | null;
  /** The checkpoint path it saved to (null when not saved). */
  path: string | null;
  topK: number;
  saved: boolean;
  line: number;
}

export interface LogMetrics extends ParsedMetrics {
  /** What gave values: epochs of progress bar, ModelCheckpoint lines, EarlyStopping values. */
  sources: { progressBar: number; checkpoint: number; earlyStopping: number };
  /** Per metric: half a unit in the last digit the log printed, the largest over its values. */
  tolerance: Record<string, number>;
  /** Every epoch has a step (see above); when false, steps of the epochs without one are NaN. */
  stepsKnown: boolean;
  /** ModelCheckpoint verbose lines, in log order. */
  checkpoints: CheckpointLine[];
}

interface Cell {
  value: number;
  tol: number;
}

interface BarEpoch {
  /** batches done at the update kept */
  i: number;
  postfix: string;
  line: number;
  validated: boolean;
}

// `desc: NN%|bar| i/n [info]`; tqdm prints `?` for an unknown total and no percentage then.
const BAR = /^\s*([^|\r\n]{0,200}?):\s*(?:\d{1,3}%)?\|[^|\r\n]{0,400}\|\s*(\d+)\/(\d+|\?)\s*\[([^\]\r\n]{0,4000})\]/;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
/**
 * ModelCheckpoint(verbose=True)'s line in every Lightning that printed one
 * (P:callbacks/model_checkpoint.py `_update_best_and_save` / `_save_top_k_checkpoint`):
 *  - 1.7 on: `Epoch 3, global step 120: 'val_loss' reached 0.12345 (best 0.12345), saving model to '/p/x.ckpt' as top 1`
 *    (`{monitor!r}`, `{filepath!r}`); `Epoch 3, global step 120: 'val_loss' was not in top 1`;
 *  - 1.1–1.6: the monitor bare and the path in double quotes (`… global step 120: val_loss reached … saving model to "/p/x.ckpt" as top 1`);
 *    1.1–1.2 print `Epoch 3, step 120: val_loss was not in top 1`;
 *  - 1.0: `Epoch 3: val_loss reached 0.12345 (best 0.12345), saving model to /p/x.ckpt as top 1` (no step, path bare);
 *  - 0.x: `Epoch 00003: …` (`{epoch:05d}`), after a blank line.
 * Groups: 1 epoch, 2 `global `, 3 step, 4–6 monitor ('…', "…", bare), 7 value, 8 best, 9–11 path, 12 k of a save, 13 k of a non-save.
 */
const CHECKPOINT =
  /^Epoch (\d+)(?:, (global )?step (\d+))?: (?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)) (?:reached (\S+) \(best (\S+)\), saving model to (?:'(.*)'|"(.*)"|(.*?)) as top (-?\d+)|was not in top (-?\d+))\s*$/;

/** Half a unit in the last printed digit of a number's text (`3.230` → 0.0005, `1.2e-05` → 5e-7). */
export function printedTolerance(text: string): number {
  const m = /^[-+]?\d*(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m) return 0;
  return 0.5 * 10 ** (-(m[1]?.length ?? 0) + Number(m[2] ?? 0));
}

/** A printed number: decimal or exponent form, `nan`, `inf`, `-inf` (Python's spellings). */
export function readNumber(text: string): number | null {
  const t = text.trim();
  // (Lightning's progress bar pads a float to five characters: NaN prints `nan.0`, infinity `inf.0`.)
  if (/^[-+]?nan(\.0*)?$/i.test(t)) return NaN;
  if (/^[-+]?inf(inity)?(\.0*)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(t)) return null;
  return Number(t);
}

/** tqdm's `.3g`: three significant digits, whatever zeros Lightning pads on. */
function barTolerance(text: string, v: number): number {
  if (!Number.isFinite(v) || v === 0) return Math.max(printedTolerance(text), 0);
  return Math.max(printedTolerance(text), 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - 2));
}

export class LogEpochCollector {
  private bars = new Map<number, BarEpoch>();
  private barEpoch: number | null = null;
  /** postfix names seen before any validation bar: training's own */
  private beforeValidation = new Set<string>();
  private validationSeen = false;
  private cells = new Map<number, Map<string, Cell>>();
  private ckptSteps = new Map<number, number>();
  /** ModelCheckpoint lines taken as an epoch's, per epoch */
  private ckptLines = new Map<number, number>();
  private lastCkptEpoch: number | null = null;
  private pendingEs: Array<{ metric: string; text: string; tol: number | null }> = [];
  private counts = { progressBar: 0, checkpoint: 0, earlyStopping: 0 };
  readonly checkpoints: CheckpointLine[] = [];

  /**
   * A log segment (a line, or one `\r`-separated redraw of it) that may start
   * with a tqdm bar: the bar is taken, and the text printed after it on the
   * same line (a message that came in between two redraws) is returned for
   * the log parser. Null when the segment is no bar.
   */
  segment(seg: string, line: number): string | null {
    if (seg.indexOf('|') < 0) return null;
    const clean = seg.indexOf('\x1b') >= 0 ? seg.replace(ANSI, '') : seg;
    const m = BAR.exec(clean);
    if (!m) return null;
    const desc = m[1].trim();
    let rest = clean.slice(m[0].length).replace(ANSI, '');
    // tqdm pads a redraw shorter than the one before with spaces: a message printed right after it
    // (a ModelCheckpoint or EarlyStopping verbose line, `[rank: 0] Received SIGTERM: 15`) starts after that padding.
    rest = rest.replace(/^ +/, '');
    let e: RegExpExecArray | null;
    if ((e = /^Epoch (\d+)$/.exec(desc))) {
      const epoch = Number(e[1]);
      const i = Number(m[2]);
      const postfix = m[4];
      this.barEpoch = epoch;
      const kept = this.bars.get(epoch);
      if (!this.validationSeen) for (const [k] of pairs(postfix)) this.beforeValidation.add(k);
      // The relabelled bar's first redraw (`Epoch 0: 0%|…| 0/8`, the previous epoch's postfix) never replaces a fuller one.
      if (!kept || i >= kept.i) this.bars.set(epoch, { i, postfix, line, validated: kept?.validated ?? false });
    } else if (/^Valid(?:ation\b|ating\b)/.test(desc)) {
      // `Validation DataLoader 0` (1.6 on), `Validating` (1.x before)
      this.validationSeen = true;
      if (this.barEpoch !== null) {
        const kept = this.bars.get(this.barEpoch);
        if (kept) kept.validated = true;
      }
    }
    return rest.trim() ? rest : '';
  }

  /** A ModelCheckpoint verbose line (already stripped of its logging prefix); false when it is not one. */
  checkpoint(text: string, line: number): boolean {
    const m = CHECKPOINT.exec(text);
    if (!m) return false;
    const epoch = Number(m[1]);
    const globalStep = m[3] !== undefined ? Number(m[3]) : NaN;
    const quoted = m[4] !== undefined || m[5] !== undefined;
    const monitor = quoted ? unquote(m[4] ?? m[5]) : m[6];
    const saved = m[12] !== undefined;
    const value = saved ? readNumber(m[7]) : null;
    const c: CheckpointLine = {
      epoch,
      globalStep,
      // Only the quoted form (1.7 on; 1.6 counts the same way) prints the step after the batch's optimizer step:
      // up to 1.5 the save ran before global_step was incremented (P:loops/epoch/training_epoch_loop.py
      // `on_advance_end`), and the bare form spans both.
      stepAfterBatch: quoted && m[2] !== undefined,
      monitor,
      value,
      best: saved ? readNumber(m[8]) : null,
      path: saved ? (m[9] !== undefined || m[10] !== undefined ? unquote(m[9] ?? m[10]) : m[11]) : null,
      topK: Number(saved ? m[12] : m[13]),
      saved,
      line,
    };
    this.checkpoints.push(c);
    this.counts.checkpoint++;
    // A save between training batches (every_n_train_steps, or the last batch's hook before the epoch's
    // validation) prints the monitored value of the last validation, not this epoch's, at a step that is
    // not the epoch's last: with the bar showing this epoch not validated yet, the line gives neither.
    const bar = this.bars.get(epoch);
    if (this.validationSeen && this.barEpoch === epoch && bar && !bar.validated) {
      this.lastCkptEpoch = epoch;
      this.pendingEs = [];
      return true;
    }
    const n = (this.ckptLines.get(epoch) ?? 0) + 1;
    this.ckptLines.set(epoch, n);
    // The epoch's step (metrics.csv's S_e) is the printed global step − 1 only where the line's format says what its step counts.
    if (c.stepAfterBatch) this.ckptSteps.set(epoch, globalStep - 1);
    this.lastCkptEpoch = epoch;
    // NaN is saved as ±inf (P:callbacks/model_checkpoint.py `_update_best_and_save`): the printed value is not the metric's.
    // The file name renders the metric itself: `val_acc=inf` says it was infinite; anything else, NaN (the usual cause,
    // and scored the same as the printed infinity by ModelCheckpoint and EarlyStopping).
    if (value !== null && Number.isFinite(value)) this.put(epoch, monitor, value, printedTolerance(m[7]));
    else if (value !== null && c.path !== null) this.put(epoch, monitor, /(^|[=_-])[-+]?inf([^a-z]|$)/i.test(c.path.split('/').pop() ?? '') ? value : NaN, 0);
    else if (!this.cells.has(epoch)) this.cells.set(epoch, new Map());
    for (const p of this.pendingEs) this.putEs(epoch, p.metric, p.text, p.tol);
    this.pendingEs = [];
    return true;
  }

  /**
   * The epoch a message printed now belongs to: the progress bar's, else the
   * one after the last ModelCheckpoint line's (whose line comes after the
   * epoch's other callbacks), else 0.
   */
  currentEpoch(): number {
    return this.barEpoch ?? (this.lastCkptEpoch === null ? 0 : this.lastCkptEpoch + 1);
  }

  /** A progress bar has named the epoch being trained (currentEpoch is the bar's, not a guess from a ModelCheckpoint line). */
  barShowsEpoch(): boolean {
    return this.barEpoch !== null;
  }

  /** The latest epoch the log has shown (bar or ModelCheckpoint line), -1 when none. */
  latestEpoch(): number {
    let latest = this.lastCkptEpoch ?? -1;
    for (const e of this.bars.keys()) if (e > latest) latest = e;
    return latest;
  }

  /** A value from an EarlyStopping verbose line; `tol` null means "as printed". */
  earlyStopping(metric: string, text: string, tol: number | null = null): void {
    if (this.barEpoch !== null) this.putEs(this.barEpoch, metric, text, tol);
    else this.pendingEs.push({ metric, text, tol });
  }

  private putEs(epoch: number, metric: string, text: string, tol: number | null): void {
    const v = readNumber(text);
    if (v === null) return;
    this.counts.earlyStopping++;
    this.put(epoch, metric, v, tol ?? printedTolerance(text));
  }

  private put(epoch: number, metric: string, value: number, tol: number): void {
    let row = this.cells.get(epoch);
    if (!row) this.cells.set(epoch, (row = new Map()));
    const had = row.get(metric);
    // The most precise print of a value wins (ModelCheckpoint's 5 decimals over the bar's 3 digits).
    if (!had || tol < had.tol) row.set(metric, { value, tol });
  }

  finish(): LogMetrics {
    // Names that first appear after a validation run are validation's: an epoch that ran no
    // validation still shows the previous epoch's values for them, which are not its own.
    for (const [epoch, bar] of this.bars) {
      this.counts.progressBar++;
      for (const [k, text] of pairs(bar.postfix)) {
        if (k === 'v_num') continue;
        const v = readNumber(text);
        if (v === null) continue;
        if (this.validationSeen && !bar.validated && !this.beforeValidation.has(k) && !/^train/.test(k)) continue;
        this.put(epoch, k, v, barTolerance(text, v));
      }
    }
    // Without a bar to place them, several ModelCheckpoint lines in one epoch (saves between batches, or
    // validations inside the epoch) do not say which is the epoch's end: their values and steps are not the epoch's.
    for (const [epoch, n] of this.ckptLines) {
      if (n < 2 || this.bars.has(epoch)) continue;
      this.ckptSteps.delete(epoch);
      const row = this.cells.get(epoch);
      if (row) for (const c of this.checkpoints) if (c.epoch === epoch) row.delete(c.monitor);
    }
    const epochsSorted = [...new Set([...this.cells.keys(), ...this.bars.keys()])].sort((a, b) => a - b);
    // Bar steps: batches counted from epoch 0, each epoch's last batch count.
    const barSteps = new Map<number, number>();
    let total = 0;
    let prev = -1;
    for (const e of epochsSorted) {
      const bar = this.bars.get(e);
      if (!bar || e !== prev + 1) break;
      total += bar.i;
      barSteps.set(e, total - 1);
      prev = e;
    }
    const epochs: EpochRow[] = [];
    const tolerance: Record<string, number> = {};
    const names = new Set<string>();
    let stepsKnown = true;
    // Two units: the bar counts batches (metrics.csv's step, Lightning's `_batches_that_stepped`), a
    // ModelCheckpoint line prints global_step, which counts optimizer steps (two per batch with two
    // optimizers). The bar's, where it has every epoch from 0; a checkpoint line's only where no epoch shows
    // the two disagreeing, else that epoch's step is unknown rather than in the other unit.
    let unitsDiffer = false;
    for (const [e, s] of barSteps) if (this.ckptSteps.has(e) && this.ckptSteps.get(e) !== s) unitsDiffer = true;
    for (const e of epochsSorted) {
      const row = this.cells.get(e);
      const metrics: Record<string, number> = {};
      if (row) {
        for (const [k, c] of row) {
          setOwn(metrics, k, c.value);
          names.add(k);
          if (!Object.hasOwn(tolerance, k) || c.tol > tolerance[k]) setOwn(tolerance, k, c.tol);
        }
      }
      const step = barSteps.get(e) ?? (unitsDiffer ? undefined : this.ckptSteps.get(e)) ?? NaN;
      if (Number.isNaN(step)) stepsKnown = false;
      epochs.push({ epoch: e, step, metrics });
    }
    const columns = [...names].sort();
    const series: StepSeries[] = columns.map((metric) => {
      const rows = epochs.filter((r) => Object.hasOwn(r.metrics, metric));
      return {
        metric,
        length: rows.length,
        steps: Float64Array.from(rows, (r) => r.step),
        epochs: Float64Array.from(rows, (r) => r.epoch),
        values: Float64Array.from(rows, (r) => r.metrics[metric]),
      };
    });
    const found = epochs.length > 0;
    return {
      kind: found ? 'lightning' : 'empty',
      reason: found ? null : 'the log has no per-epoch values (no progress bar, ModelCheckpoint or EarlyStopping verbose lines)',
      columns,
      rowCount: epochs.length,
      series,
      epochs,
      epochLevel: columns,
      problems: [],
      sources: { ...this.counts },
      tolerance,
      stepsKnown: found && stepsKnown,
      checkpoints: this.checkpoints,
    };
  }
}

/**
 * Whether a log table's rounded values of `metric` decide what a replay does
 * with them: no two values, equal prints included, lie within their rounding
 * of each other (nor a value and another shifted by `minDelta`,
 * EarlyStopping's comparison), so no comparison could come out the other way
 * on the true values; and, given `render` (how a checkpoint name shows the
 * value), every value renders alike at both ends of its rounding; and no
 * epoch lacks a value Lightning had (a ModelCheckpoint `was not in top k`
 * line prints none). `steps`:
 * the replay names files by step, so every epoch needs one. Without a metric
 * (no monitor) only the steps matter.
 */
export function logValuesDecide(table: LogMetrics, metric: string | null, opts: { minDelta?: number; render?: (v: number) => string; steps?: boolean } = {}): boolean {
  if (opts.steps && !table.stepsKnown) return false;
  if (metric === null) return true;
  const tol = table.tolerance[metric];
  if (tol === undefined) return true; // never printed: the replay finds no value and says so
  // `… was not in top k` prints no value: Lightning had one the table lacks.
  const has = new Set(table.epochs.filter((r) => metric in r.metrics).map((r) => r.epoch));
  if (table.checkpoints.some((c) => c.monitor === metric && !has.has(c.epoch))) return false;
  const values = table.epochs.map((r) => r.metrics[metric]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (values.length > 2000) return false;
  const delta = Math.abs(opts.minDelta ?? 0);
  const near = (a: number, b: number) => Math.abs(a - b) <= 2 * tol * (1 + 1e-9); // the bound itself is a possible tie
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const a = values[i];
      const b = values[j];
      if (near(a, b)) return false; // equal prints too: a tie or not, the true values do not say
      if (delta > 0 && (near(a - delta, b) || near(b - delta, a))) return false;
    }
  }
  if (opts.render && tol > 0) for (const v of values) if (opts.render(v - tol) !== opts.render(v + tol)) return false;
  return true;
}

/** `k=v` pairs of a tqdm info block (`00:00<00:00, 9.1it/s, v_num=0, loss=0.1`). */
function* pairs(info: string): Generator<[string, string]> {
  for (const part of info.split(', ')) {
    const eq = part.indexOf('=');
    if (eq > 0) yield [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
  }
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function setOwn(rec: Record<string, number>, k: string, v: number): void {
  Object.defineProperty(rec, k, { value: v, enumerable: true, writable: true, configurable: true });
}
