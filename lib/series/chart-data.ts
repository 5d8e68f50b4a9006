/**
 * Turns the evidence document and the raw per-step series into the small,
 * serialisable payload the loss chart draws: at most 2,000 points per series
 * (min/max downsampled, so spikes survive), each line its own [step, value]
 * pairs with values to 6 significant digits (a 1,000-epoch run's chart stays
 * tens of kilobytes), and each epoch's last step so the chart can put the
 * x axis in epochs.
 */
import { downsampleMinMax } from './downsample';
import type { Evidence } from '../evidence/types';

export type LineKind = 'step' | 'epoch' | 'val';

/** A series downsampled when it is stored (series.chart_json): [step, value] pairs, null where the value is not finite. */
export type ChartPairs = Array<[step: number, value: number | null]>;

export interface ChartLine {
  /** Safe data key (metric names may hold `.` or `/`, which recharts would read as a path). */
  key: string;
  metric: string;
  kind: LineKind;
}

export interface ChartMarkers {
  best: { step: number; epoch: number; value: number | null } | null;
  /** Steps from the best epoch to the end of the patience window, clipped to the data. */
  patience: { from: number; to: number; patience: number; clipped: boolean } | null;
  stop: { step: number; label: string } | null;
}

export interface OtherMetric {
  metric: string;
  level: 'step' | 'epoch';
  points: Array<[number, number]>;
}

export interface LossChartData {
  lines: ChartLine[];
  /** Per line, in the order of `lines`: [step, value] pairs, ascending by step. */
  points: Array<Array<[number, number]>>;
  /** Each epoch with the step it ended at, ascending: how the chart maps steps to epochs. */
  epochSteps: Array<[epoch: number, step: number]>;
  markers: ChartMarkers;
  /** Every plotted value is > 0 (a log scale is possible). */
  positive: boolean;
  monitor: string | null;
  other: OtherMetric[];
}

export interface RawSeries {
  metric: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
}

const MAX_POINTS = 2000;
const MAX_OTHER = 16;

const isLossLike = (m: string) => /loss/i.test(m);
const isStepName = (m: string) => /(^|[_/.])step$/i.test(m);
const isEpochName = (m: string) => /(^|[_/.])epoch$/i.test(m);
const isValName = (m: string) => /(^|[_/.])val(id(ation)?)?([_/.]|$)|^val/i.test(m);

/** Six significant digits: more than a chart can show, a third of a double's seventeen on the wire. */
const round = (v: number) => (v === 0 || !Number.isFinite(v) ? v : +v.toPrecision(6));

function downsampled(s: RawSeries): Array<[number, number]> {
  const idx = downsampleMinMax(s.steps, s.values, MAX_POINTS);
  const out: Array<[number, number]> = [];
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    const x = s.steps[i];
    const y = s.values[i];
    if (Number.isFinite(x) && Number.isFinite(y)) out.push([x, round(y)]);
  }
  return out;
}

function epochPoints(ev: Evidence, metric: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const e of ev.epochs) {
    const v = e.metrics[metric];
    if (typeof v === 'number' && Number.isFinite(v)) out.push([e.step, round(v)]);
  }
  return out;
}

export function buildLossChart(ev: Evidence, series: RawSeries[]): LossChartData {
  const monitor = ev.monitor?.name ?? ev.earlyStop?.monitor ?? null;
  const byName = new Map(series.map((s) => [s.metric, s]));
  const names = Array.from(new Set([...ev.metricColumns, ...series.map((s) => s.metric)]));
  const epochCount = ev.epochs.length;

  // Which level a metric lives at: its name says so, or it has more points than there are epochs.
  const isStepLevel = (m: string) => {
    if (m === monitor) return false;
    if (isStepName(m)) return true;
    if (isEpochName(m)) return false;
    const s = byName.get(m);
    return !!s && s.steps.length > Math.max(epochCount, 1) && !isValName(m);
  };

  const plotted: Array<{ line: ChartLine; points: Array<[number, number]> }> = [];
  const add = (metric: string, kind: LineKind, points: Array<[number, number]>) => {
    if (points.length === 0) return;
    plotted.push({ line: { key: `s${plotted.length}`, metric, kind }, points });
  };

  const lossNames = names.filter(isLossLike);
  // Per-step training loss (faint).
  for (const m of lossNames) if (isStepLevel(m) && !isValName(m) && byName.has(m)) add(m, 'step', downsampled(byName.get(m)!));
  // Per-epoch training loss.
  for (const m of lossNames) {
    if (m === monitor || isStepLevel(m) || isValName(m)) continue;
    const pts = epochPoints(ev, m);
    add(m, 'epoch', pts.length ? pts : byName.has(m) ? downsampled(byName.get(m)!) : []);
  }
  // Validation: the monitor first, then other validation losses.
  const valNames = [...(monitor ? [monitor] : []), ...lossNames.filter((m) => m !== monitor && isValName(m) && !isStepLevel(m))];
  for (const m of valNames) {
    const pts = epochPoints(ev, m);
    add(m, 'val', pts.length ? pts : byName.has(m) ? downsampled(byName.get(m)!) : []);
  }

  let positive = true;
  let maxStep = 0;
  for (const { points } of plotted) {
    points.sort((a, b) => a[0] - b[0]);
    for (const [x, y] of points) {
      if (!(y > 0)) positive = false;
      if (x > maxStep) maxStep = x;
    }
  }
  const epochSteps: Array<[number, number]> = [];
  for (const e of ev.epochs) if (Number.isFinite(e.step) && (!epochSteps.length || e.step >= epochSteps[epochSteps.length - 1][1])) epochSteps.push([e.epoch, e.step]);

  // Markers.
  const stepOfEpoch = (epoch: number) => ev.epochs.find((e) => e.epoch === epoch)?.step ?? null;
  let best: ChartMarkers['best'] = null;
  const bestEpoch = ev.earlyStop?.bestEpoch ?? bestFromEpochs(ev, monitor);
  if (bestEpoch !== null && bestEpoch !== undefined) {
    const step = stepOfEpoch(bestEpoch);
    if (step !== null) best = { step, epoch: bestEpoch, value: monitor ? (ev.epochs.find((e) => e.epoch === bestEpoch)?.metrics[monitor] ?? null) : null };
  }
  let patience: ChartMarkers['patience'] = null;
  const p = ev.earlyStop?.configured ? ev.earlyStop.patience : null;
  if (best && p !== null && p !== undefined && p > 0) {
    const endEpoch = best.epoch + p;
    const endStep = stepOfEpoch(endEpoch);
    const to = endStep ?? maxStep;
    if (to > best.step) patience = { from: best.step, to, patience: p, clipped: endStep === null };
  }
  let stop: ChartMarkers['stop'] = null;
  const last = ev.epochs[ev.epochs.length - 1];
  if (ev.earlyStop?.triggered && ev.earlyStop.stoppedEpoch !== null) {
    const step = stepOfEpoch(ev.earlyStop.stoppedEpoch) ?? last?.step ?? null;
    if (step !== null) stop = { step, label: `stop (early stopping, epoch ${ev.earlyStop.stoppedEpoch})` };
  } else if (last) {
    const label =
      ev.stop.reason === 'max_epochs'
        ? 'max_epochs'
        : ev.stop.reason === 'early_stopping'
          ? 'stop (early stopping)'
          : ev.stop.reason === 'error'
            ? 'stop (error)'
            : ev.stop.reason === 'max_steps'
              ? 'max_steps'
              : null;
    if (label) stop = { step: last.step, label };
  }

  // Everything else (learning rate, weights, …) for the "other metrics" picker.
  const plottedNames = new Set(plotted.map((x) => x.line.metric));
  const other: OtherMetric[] = [];
  for (const m of names) {
    if (plottedNames.has(m) || other.length >= MAX_OTHER) continue;
    const s = byName.get(m);
    const step = isStepLevel(m);
    const pts = step && s ? downsampled(s) : epochPoints(ev, m);
    const finalPts = pts.length ? pts : s ? downsampled(s) : [];
    if (finalPts.length) other.push({ metric: m, level: step ? 'step' : 'epoch', points: finalPts });
  }

  return { lines: plotted.map((x) => x.line), points: plotted.map((x) => x.points), epochSteps, markers: { best, patience, stop }, positive, monitor, other };
}

function bestFromEpochs(ev: Evidence, monitor: string | null): number | null {
  if (!monitor) return null;
  const mode = ev.monitor?.mode ?? 'min';
  let best: number | null = null;
  let bestEpoch: number | null = null;
  for (const e of ev.epochs) {
    const v = e.metrics[monitor];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (best === null || (mode === 'min' ? v < best : v > best)) {
      best = v;
      bestEpoch = e.epoch;
    }
  }
  return bestEpoch;
}
