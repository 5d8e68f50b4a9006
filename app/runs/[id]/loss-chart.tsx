'use client';
/**
 * Loss curves: per-step training loss faint, per-epoch training loss and the
 * validation monitor bold; the best epoch, the patience window and the stop
 * are marked. Gets an already-downsampled payload from the server.
 *
 * Reading it: the x axis is the global step or the epoch (a toggle; steps map
 * to epochs through each epoch's last step); the tooltip gives, for every
 * curve, its value nearest the pointer (the curves are logged at different
 * steps, so few share an x); dots mark the points of a curve only while it has
 * few enough for them to help. The chart is one image to assistive
 * technology, named by a one-line summary of what it shows.
 */
import { useEffect, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, ReferenceDot, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartLine, LossChartData } from '@/lib/series/chart-data';
import { compactNumber as compact } from '@/components/format';
import { nearestIndex, stepToEpoch } from '@/lib/series/axis';

const COLORS = {
  step: ['#8fa8cf', '#b0a4d6', '#9cc3b5', '#d3b08e'],
  epoch: ['#1f5fbf', '#6b4fbf', '#12806a', '#a45a12'],
  val: ['#d4500b', '#b3126f', '#8a6d00', '#c2185b'],
  best: '#1a7f37',
  stop: '#57606a',
  stopError: '#cf222e',
  patience: '#bf8700',
};

/** A curve with more points than this is drawn as a line only: dots would merge into a smear. */
export const DOTS_UP_TO = 40;

export type Axis = 'step' | 'epoch';

function precise(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v ?? '—');
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) return v.toExponential(4);
  return `${+v.toPrecision(6)}`;
}

function lineName(l: ChartLine, monitor: string | null): string {
  if (l.kind === 'step') return `${l.metric} (per step)`;
  if (l.kind === 'epoch') return `${l.metric} (per epoch)`;
  return l.metric === monitor ? `${l.metric} (validation, monitored)` : `${l.metric} (validation)`;
}

function colorFor(lines: ChartLine[], l: ChartLine): string {
  const same = lines.filter((x) => x.kind === l.kind);
  const palette = COLORS[l.kind];
  return palette[same.indexOf(l) % palette.length];
}

/**
 * y range of the per-epoch lines, when the per-step lines reach well beyond
 * it; null otherwise. `nice` is widened to round ticks (it may start at 0);
 * `log` starts at the smallest value instead, for a log scale.
 */
function focusDomain(data: LossChartData): { nice: [number, number]; ticks: number[]; log: [number, number] } | null {
  let eLo = Infinity,
    eHi = -Infinity,
    aLo = Infinity,
    aHi = -Infinity;
  let steps = false,
    epochs = false;
  data.lines.forEach((l, i) => {
    for (const [, v] of data.points[i]) {
      if (!Number.isFinite(v)) continue;
      if (l.kind === 'step') {
        steps = true;
        aLo = Math.min(aLo, v);
        aHi = Math.max(aHi, v);
      } else {
        epochs = true;
        eLo = Math.min(eLo, v);
        eHi = Math.max(eHi, v);
      }
    }
  });
  if (!steps || !epochs || !Number.isFinite(eLo) || !Number.isFinite(aLo)) return null;
  const lo = Math.min(eLo, aLo);
  const span = eHi - lo;
  if (!(span > 0) || aHi - lo < 1.5 * span) return null;
  const { range: nice, step } = niceRange(lo - span * 0.05, eHi + span * 0.05);
  // Losses are rarely below zero: a range that would dip under it starts at it.
  if (lo >= 0 && nice[0] < 0) nice[0] = 0;
  const ticks: number[] = [];
  for (let t = nice[0]; t <= nice[1] + step / 2; t += step) ticks.push(+t.toPrecision(6));
  return { nice, ticks, log: [lo > 0 ? lo : nice[0], nice[1]] };
}

/** Widens [lo, hi] to multiples of a 1/2/2.5/5 × 10^k step so the ticks read well. */
function niceRange(lo: number, hi: number): { range: [number, number]; step: number } {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  return { range: [Math.floor(lo / step) * step, Math.ceil(hi / step) * step], step };
}

/** The one line a screen reader hears for the chart. */
export function chartSummary(data: LossChartData): string {
  const { lines, points, markers, monitor, epochSteps } = data;
  if (!lines.length) return 'No loss curves: the bundle logs no loss metric.';
  const steps = points.reduce((m, p) => Math.max(m, p.length ? p[p.length - 1][0] : 0), 0);
  const parts = [`Loss curves of ${lines.map((l) => lineName(l, monitor)).join(', ')}`];
  parts.push(epochSteps.length ? `over ${epochSteps.length} epoch${epochSteps.length === 1 ? '' : 's'} (${steps.toLocaleString('en')} steps)` : `over ${steps.toLocaleString('en')} steps`);
  let s = parts.join(' ');
  if (markers.best) s += `; best epoch ${markers.best.epoch}${markers.best.value !== null && monitor ? ` (${monitor} ${precise(markers.best.value)})` : ''}`;
  if (markers.stop) s += `; ${markers.stop.label}`;
  return `${s}.`;
}

type LabelProps = { viewBox?: { x?: number; y?: number; width?: number; height?: number } };

/** A label for a vertical marker, placed on the side of the line that has room. */
function markerLabel(text: string, color: string, row: number, side: 'left' | 'right') {
  function MarkerLabel(props: LabelProps) {
    const x = props.viewBox?.x ?? 0;
    const y = props.viewBox?.y ?? 0;
    return (
      <text x={side === 'right' ? x + 5 : x - 5} y={y + 14 + row * 15} textAnchor={side === 'right' ? 'start' : 'end'} fill={color} fontSize={12} fontWeight={600}>
        {text}
      </text>
    );
  }
  return MarkerLabel;
}

interface Plotted {
  line: ChartLine;
  color: string;
  name: string;
  xs: number[];
  steps: number[];
  ys: number[];
}

/** Every curve's value nearest the pointer, with where that value was logged. */
function NearestTooltip({ active, label, plotted, axis }: { active?: boolean; label?: unknown; plotted: Plotted[]; axis: Axis }) {
  if (!active || typeof label !== 'number') return null;
  const at = (x: number) => (axis === 'epoch' ? `epoch ${+x.toFixed(2)}` : `step ${x}`);
  return (
    <div className="chart-tip" data-testid="chart-tooltip">
      <div className="chart-tip-head">{at(label)}</div>
      <table>
        <tbody>
          {plotted.map((p) => {
            const i = nearestIndex(p.xs, label);
            if (i < 0) return null;
            const same = Math.abs(p.xs[i] - label) < 1e-9;
            return (
              <tr key={p.line.key} data-testid="chart-tip-row">
                <td>
                  <span className="chart-tip-swatch" style={{ background: p.color }} aria-hidden="true" />
                  {p.name}
                </td>
                <td className="num">{precise(p.ys[i])}</td>
                <td className="subtle">{same ? '' : `at step ${p.steps[i]}`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export default function LossChart({ data }: { data: LossChartData }) {
  const { lines, points, markers, monitor, epochSteps } = data;
  // Early per-step losses often dwarf the per-epoch curves; by default the y axis fits the epoch curves and clips the rest.
  const focus = useMemo(() => focusDomain(data), [data]);
  const [log, setLog] = useState(false);
  const [zoom, setZoom] = useState(focus !== null);
  const [axis, setAxis] = useState<Axis>('step');
  const [other, setOther] = useState<string>('');
  // Drawn in the browser only: the server sends the data once, not an SVG of every point besides it.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const canEpoch = epochSteps.length > 0;
  const toX = useMemo(() => (axis === 'epoch' && canEpoch ? (s: number) => stepToEpoch(s, epochSteps) : (s: number) => s), [axis, canEpoch, epochSteps]);

  const plotted: Plotted[] = useMemo(
    () =>
      lines.map((line, i) => ({
        line,
        color: colorFor(lines, line),
        name: lineName(line, monitor),
        steps: points[i].map((p) => p[0]),
        xs: points[i].map((p) => toX(p[0])),
        ys: points[i].map((p) => p[1]),
      })),
    [lines, points, monitor, toX],
  );
  const rows = useMemo(() => {
    const byX = new Map<number, Record<string, number>>();
    for (const p of plotted) {
      p.xs.forEach((x, j) => {
        let row = byX.get(x);
        if (!row) byX.set(x, (row = { x }));
        row[p.line.key] = p.ys[j];
      });
    }
    return Array.from(byX.values()).sort((a, b) => a.x - b.x);
  }, [plotted]);
  const domain = useMemo<[number, number]>(() => (rows.length ? [rows[0].x, rows[rows.length - 1].x] : [0, 1]), [rows]);
  const sideOf = (x: number): 'left' | 'right' => (x - domain[0] > 0.6 * (domain[1] - domain[0]) ? 'left' : 'right');
  const monitorLine = lines.find((l) => l.kind === 'val' && l.metric === monitor) ?? lines.find((l) => l.kind === 'val');
  const otherMetric = data.other.find((o) => o.metric === other) ?? null;
  const otherRows = useMemo(() => (otherMetric ? otherMetric.points.map(([x, y]) => ({ x: toX(x), value: y })) : []), [otherMetric, toX]);
  const summary = useMemo(() => chartSummary(data), [data]);

  if (!lines.length) {
    return (
      <div className="empty" data-testid="loss-chart-empty">
        No loss metrics in this bundle: there is no <code>metrics.csv</code>, or it logs no loss column.
      </div>
    );
  }

  const single = rows.length < 2;
  const stopColor = markers.stop?.label.includes('error') ? COLORS.stopError : COLORS.stop;
  // Best and stop can share a step (the last epoch): stack their labels.
  const sameStep = markers.best && markers.stop && markers.best.step === markers.stop.step;
  const bestX = markers.best ? (axis === 'epoch' && canEpoch ? markers.best.epoch : markers.best.step) : null;
  const xLabel = axis === 'epoch' && canEpoch ? 'epoch' : 'step';

  return (
    <div className="chart" data-axis={xLabel}>
      <div className="chart-tools">
        {canEpoch ? (
          <span className="seg" role="radiogroup" aria-label="x axis">
            <span className="seg-label">x</span>
            {(['step', 'epoch'] as const).map((a) => (
              <label key={a} className={`seg-opt${axis === a ? ' on' : ''}`}>
                <input type="radio" name="loss-chart-axis" value={a} checked={axis === a} onChange={() => setAxis(a)} data-testid={`axis-${a}`} />
                {a}
              </label>
            ))}
          </span>
        ) : null}
        {focus ? (
          <label className="check-inline" title="Fit the y axis to the per-epoch curves; per-step values outside it are clipped">
            <input type="checkbox" checked={zoom} onChange={(e) => setZoom(e.target.checked)} />
            fit y to epoch curves
          </label>
        ) : null}
        <label className="check-inline">
          <input type="checkbox" checked={log} disabled={!data.positive} onChange={(e) => setLog(e.target.checked)} />
          log scale
        </label>
        {markers.patience ? (
          <span className="chart-key">
            <span className="swatch swatch-patience" aria-hidden="true" /> patience window ({markers.patience.patience} epochs
            {markers.patience.clipped ? ', runs past the data' : ''})
          </span>
        ) : null}
        {single ? <span className="muted">Only one point per series: no line to draw yet.</span> : null}
      </div>
      <div className="chart-box" role="img" aria-label={summary} data-testid="loss-chart-img">
        {mounted ? (
          <ResponsiveContainer width="100%" height={380} initialDimension={{ width: 960, height: 380 }}>
            <LineChart data={rows} margin={{ top: 24, right: 24, bottom: 8, left: 8 }} accessibilityLayer={false}>
              <CartesianGrid stroke="#eaeef2" strokeDasharray="3 3" />
              <XAxis
                dataKey="x"
                type="number"
                domain={domain}
                allowDecimals={false}
                tickFormatter={(v: number) => (xLabel === 'epoch' ? String(Math.round(v)) : compact(v))}
                tick={{ fontSize: 12, fill: '#57606a' }}
                label={{ value: xLabel, position: 'insideBottomRight', offset: -2, fontSize: 12, fill: '#57606a' }}
                height={36}
              />
              <YAxis
                scale={log ? 'log' : 'auto'}
                domain={zoom && focus ? (log ? focus.log : focus.nice) : ['auto', 'auto']}
                allowDataOverflow={log || (zoom && !!focus)}
                ticks={zoom && focus && !log ? focus.ticks : undefined}
                tickFormatter={compact}
                tick={{ fontSize: 12, fill: '#57606a' }}
                width={64}
              />
              <Tooltip content={<NearestTooltip plotted={plotted} axis={axis === 'epoch' && canEpoch ? 'epoch' : 'step'} />} isAnimationActive={false} />
              <Legend wrapperStyle={{ fontSize: 12, paddingTop: 4 }} />
              {markers.patience ? <ReferenceArea x1={toX(markers.patience.from)} x2={toX(markers.patience.to)} fill={COLORS.patience} fillOpacity={0.09} ifOverflow="hidden" /> : null}
              {plotted.map((p) => (
                <Line
                  key={p.line.key}
                  dataKey={p.line.key}
                  name={p.name}
                  type="linear"
                  stroke={p.color}
                  strokeWidth={p.line.kind === 'step' ? 1 : 2}
                  strokeOpacity={p.line.kind === 'step' ? 0.5 : 1}
                  dot={p.line.kind !== 'step' && p.xs.length <= DOTS_UP_TO ? { r: 3 } : false}
                  activeDot={p.line.kind === 'step' ? { r: 2 } : { r: 4 }}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
              {markers.best && bestX !== null ? (
                <ReferenceLine x={bestX} stroke={COLORS.best} strokeDasharray="4 3" label={markerLabel(`best epoch ${markers.best.epoch}`, COLORS.best, 0, sideOf(bestX))} />
              ) : null}
              {markers.best && bestX !== null && markers.best.value !== null && monitorLine ? (
                <ReferenceDot x={bestX} y={markers.best.value} r={6} fill="#fff" stroke={COLORS.best} strokeWidth={2} />
              ) : null}
              {markers.stop ? (
                <ReferenceLine
                  x={toX(markers.stop.step)}
                  stroke={stopColor}
                  strokeWidth={sameStep ? 1 : 1.5}
                  label={markerLabel(markers.stop.label, stopColor, sameStep ? 1 : 0, sideOf(toX(markers.stop.step)))}
                />
              ) : null}
            </LineChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      {data.other.length ? (
        <div className="other-metrics">
          <label>
            Other metric{' '}
            <select value={other} onChange={(e) => setOther(e.target.value)}>
              <option value="">— choose —</option>
              {data.other.map((o) => (
                <option key={o.metric} value={o.metric}>
                  {o.metric} ({o.level})
                </option>
              ))}
            </select>
          </label>
          {otherMetric ? (
            <div
              className="chart-box small"
              data-testid="other-metric-chart"
              role="img"
              aria-label={`${otherMetric.metric} per ${otherMetric.level} over ${otherMetric.points.length} points, by ${xLabel}.`}
            >
              <ResponsiveContainer width="100%" height={200} initialDimension={{ width: 960, height: 200 }}>
                <LineChart data={otherRows} margin={{ top: 12, right: 24, bottom: 4, left: 8 }} accessibilityLayer={false}>
                  <CartesianGrid stroke="#eaeef2" strokeDasharray="3 3" />
                  <XAxis
                    dataKey="x"
                    type="number"
                    domain={domain}
                    allowDecimals={false}
                    tickFormatter={(v: number) => (xLabel === 'epoch' ? String(Math.round(v)) : compact(v))}
                    tick={{ fontSize: 12, fill: '#57606a' }}
                  />
                  <YAxis domain={['auto', 'auto']} tickFormatter={compact} tick={{ fontSize: 12, fill: '#57606a' }} width={64} />
                  <Tooltip
                    formatter={(value) => precise(value)}
                    labelFormatter={(label) => `${xLabel} ${typeof label === 'number' ? +label.toFixed(2) : label}`}
                    contentStyle={{ fontSize: 12 }}
                    isAnimationActive={false}
                  />
                  <Line
                    dataKey="value"
                    name={otherMetric.metric}
                    stroke="#6e7781"
                    strokeWidth={1.5}
                    dot={otherMetric.level === 'epoch' && otherMetric.points.length <= DOTS_UP_TO ? { r: 3 } : false}
                    isAnimationActive={false}
                  />
                </LineChart>
              </ResponsiveContainer>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
