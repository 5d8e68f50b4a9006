/**
 * Comparing runs: N evidence documents and their per-epoch series in, one
 * serialisable comparison out — the metric to overlay (and the others on
 * offer), chart rows aligned by epoch, the knobs side by side and the checks
 * side by side. Pure: no I/O, so the page and the tests share it.
 */
import { knobKey } from '../lightning/command';
import { CHECK_IDS, type CheckId, type Evidence, type RunStatus } from '../evidence/types';
import { shownChecks, type ShownCheckStatus } from '../evidence/verdict';

/** `[epoch, value]`, ascending by epoch; null where the metric has no finite value at that epoch. */
export type EpochPoint = [epoch: number, value: number | null];
/** Metric name → points. Same shape as `getEpochSeries` returns per run. */
export type EpochSeries = Record<string, EpochPoint[]>;

export interface CompareRunInput {
  id: string;
  evidence: Evidence;
  series: EpochSeries;
}

export interface CompareRun {
  id: string;
  /** Data key of this run in chart rows: `r0`, `r1`, … in input order. */
  key: string;
  title: string;
  /** The title less the path segments every compared run shares: what tells the runs apart in a legend. */
  label: string;
  status: RunStatus;
  monitor: string | null;
  epochs: number;
}

export interface MetricChoice {
  metric: string;
  /** How many of the compared runs have at least one value of it. */
  runs: number;
}

/** One row per epoch any run logged the metric at; a run without a value there has null. */
export type CompareChartRow = { epoch: number } & Record<string, number | null>;

export interface CompareChart {
  metric: string;
  rows: CompareChartRow[];
  /** Keys (`r0`, …) of the runs with at least one value of the metric, in input order. */
  plotted: string[];
  /** Every plotted value is > 0 (a log scale is possible). */
  positive: boolean;
}

export interface KnobCompareRow {
  knob: string;
  /** Per run, in input order: the effective value (else the requested one), as text; null when the run does not set it. */
  values: Array<string | null>;
  /** Not every run has the same value (a knob one run sets and another does not differs). */
  differs: boolean;
}

export interface CheckCell {
  /** As pages show it (lib/evidence/verdict.ts `shownChecks`): `pending` while the run is live. */
  status: ShownCheckStatus;
  detail: string;
}

export interface CheckCompareRow {
  id: CheckId;
  /** Per run, in input order; null when that run's evidence has no such check. */
  cells: Array<CheckCell | null>;
  differs: boolean;
}

export interface Comparison {
  runs: CompareRun[];
  /** Metrics with a value in at least one run: those every run has first, then by how many runs have them; by name within. */
  metrics: MetricChoice[];
  /** The overlaid metric; null when no run has any per-epoch metric. */
  chart: CompareChart | null;
  /** The metric asked for, when no run has it (the default was used instead). */
  unknownMetric: string | null;
  knobs: KnobCompareRow[];
  checks: CheckCompareRow[];
}

const LOSS = /loss/i;
const VAL = /(^|[_/.])val(id(ation)?)?([_/.]|$)|^val/i;

/** Text of a knob value, canonical enough that `--lr 1e-3` and `--lr 0.001`, or `True` and a bare flag, compare equal. */
export function knobText(v: string | boolean | null | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const t = v.trim();
  if (/^(true|false)$/i.test(t)) return t.toLowerCase();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? String(n) : t;
}

/** The per-epoch series straight from an evidence document (for runs whose `epoch_values` rows are not written yet: live runs). */
export function epochSeriesFromEvidence(ev: Evidence): EpochSeries {
  const out = new Map<string, EpochPoint[]>();
  for (const e of ev.epochs) {
    for (const [m, v] of Object.entries(e.metrics)) {
      let pts = out.get(m);
      if (!pts) out.set(m, (pts = []));
      pts.push([e.epoch, typeof v === 'number' && Number.isFinite(v) ? v : null]);
    }
  }
  for (const pts of out.values()) pts.sort((a, b) => a[0] - b[0]);
  return Object.fromEntries(out);
}

/**
 * Run ids from a query string that may repeat the key (`?ids=a&ids=b`, what a
 * form of checkboxes sends) or join them with commas (`?ids=a,b`, what a
 * person types): split, trimmed, blanks dropped, first occurrence kept.
 */
export function parseIdList(raw: string | readonly string[] | null | undefined): string[] {
  const values = raw == null ? [] : typeof raw === 'string' ? [raw] : raw;
  const out: string[] = [];
  for (const v of values)
    for (const part of v.split(',')) {
      const id = part.trim();
      if (id && !out.includes(id)) out.push(id);
    }
  return out;
}

const hasValue = (pts: EpochPoint[] | undefined) => !!pts && pts.some(([, v]) => v !== null);

/** Distinguishing labels: drop the leading path segments all titles share (keeping at least the last one). */
export function distinctLabels(titles: string[]): string[] {
  const parts = titles.map((t) => t.split('/'));
  if (parts.length < 2) return titles.slice();
  let common = 0;
  const shortest = parts.reduce((m, p) => Math.min(m, p.length), Infinity);
  while (common < shortest - 1 && parts.every((p) => p[common] === parts[0][common])) common++;
  return parts.map((p) => p.slice(common).join('/'));
}

/**
 * The default metric: the first run's monitored metric when any run has it,
 * else the first loss metric (validation losses before others, in the order
 * of `choices`), else the first metric on offer.
 */
export function defaultMetric(runs: CompareRunInput[], choices: MetricChoice[]): string | null {
  if (!choices.length) return null;
  const names = new Set(choices.map((c) => c.metric));
  const monitor = runs[0]?.evidence.monitor?.name ?? runs[0]?.evidence.earlyStop?.monitor ?? null;
  if (monitor && names.has(monitor)) return monitor;
  const losses = choices.filter((c) => LOSS.test(c.metric));
  return (losses.find((c) => VAL.test(c.metric)) ?? losses[0] ?? choices[0]).metric;
}

export function buildComparison(inputs: CompareRunInput[], opts: { metric?: string | null } = {}): Comparison {
  const labels = distinctLabels(inputs.map((r) => r.evidence.title));
  const runs: CompareRun[] = inputs.map((r, i) => ({
    id: r.id,
    key: `r${i}`,
    title: r.evidence.title,
    label: labels[i],
    status: r.evidence.status,
    monitor: r.evidence.monitor?.name ?? r.evidence.earlyStop?.monitor ?? null,
    epochs: r.evidence.epochs.length,
  }));

  // Metrics on offer.
  const counts = new Map<string, number>();
  for (const r of inputs) for (const [m, pts] of Object.entries(r.series)) if (hasValue(pts)) counts.set(m, (counts.get(m) ?? 0) + 1);
  const metrics: MetricChoice[] = Array.from(counts, ([metric, n]) => ({ metric, runs: n })).sort((a, b) => b.runs - a.runs || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));

  const asked = opts.metric?.trim() || null;
  const unknownMetric = asked && !counts.has(asked) ? asked : null;
  const metric = asked && counts.has(asked) ? asked : defaultMetric(inputs, metrics);

  // Chart rows: the union of epochs at which any run logged the metric.
  let chart: CompareChart | null = null;
  if (metric) {
    const rowsByEpoch = new Map<number, CompareChartRow>();
    const plotted: string[] = [];
    let positive = true;
    inputs.forEach((r, i) => {
      const pts = r.series[metric];
      if (!hasValue(pts)) return;
      plotted.push(runs[i].key);
      for (const [epoch, value] of pts) {
        let row = rowsByEpoch.get(epoch);
        if (!row) rowsByEpoch.set(epoch, (row = { epoch } as CompareChartRow));
        row[runs[i].key] = value;
        if (value !== null && !(value > 0)) positive = false;
      }
    });
    const rows = Array.from(rowsByEpoch.values()).sort((a, b) => a.epoch - b.epoch);
    // Every row carries every run's key, so a missing value is an explicit null rather than an absent field.
    for (const row of rows) for (const run of runs) if (!(run.key in row)) row[run.key] = null;
    chart = { metric, rows, plotted, positive };
  }

  // Knobs: the union of names (spellings `a_b`, `a-b`, `--a-b` are one knob), in order of first appearance.
  const knobRows = new Map<string, { knob: string; values: Array<string | null> }>();
  inputs.forEach((r, i) => {
    for (const k of r.evidence.knobTable) {
      const key = knobKey(k.knob);
      let row = knobRows.get(key);
      if (!row) knobRows.set(key, (row = { knob: k.knob.replace(/^-+/, ''), values: inputs.map(() => null) }));
      row.values[i] = knobText(k.effective ?? k.requested);
    }
  });
  const knobs: KnobCompareRow[] = Array.from(knobRows.values(), (r) => ({ ...r, differs: new Set(r.values).size > 1 }));

  // Checks, in the canonical order, as pages show them (a live run's pending, never red); a check no run has is left out.
  const shown = inputs.map((r) => shownChecks(r.evidence));
  const checks: CheckCompareRow[] = [];
  for (const id of CHECK_IDS) {
    const cells = inputs.map((r) => {
      const c = shown[inputs.indexOf(r)].find((x) => x.id === id);
      return c ? { status: c.status, detail: c.detail } : null;
    });
    if (cells.every((c) => c === null)) continue;
    checks.push({ id, cells, differs: new Set(cells.map((c) => c?.status ?? null)).size > 1 });
  }

  return { runs, metrics, chart, unknownMetric, knobs, checks };
}
