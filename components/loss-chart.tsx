'use client';
/**
 * Loss curves: per-step training loss faint, per-epoch training loss and the
 * validation monitor bold; the best epoch, the patience window and the stop
 * are marked. Gets an already-downsampled payload from the server.
 */
import { useMemo, useState } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceDot,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ChartLine, LossChartData } from './chart-data';
import { compactNumber as compact } from './format';

const COLORS = {
  step: ['#8fa8cf', '#b0a4d6', '#9cc3b5', '#d3b08e'],
  epoch: ['#1f5fbf', '#6b4fbf', '#12806a', '#a45a12'],
  val: ['#d4500b', '#b3126f', '#8a6d00', '#c2185b'],
  best: '#1a7f37',
  stop: '#57606a',
  stopError: '#cf222e',
  patience: '#bf8700',
};

function precise(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v ?? '—');
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) return v.toExponential(4);
  return `${+v.toPrecision(7)}`;
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

/** y range of the per-epoch lines, when the per-step lines reach well beyond it; null otherwise. */
function focusDomain(data: LossChartData): [number, number] | null {
  const stepKeys = data.lines.filter((l) => l.kind === 'step').map((l) => l.key);
  const epochKeys = data.lines.filter((l) => l.kind !== 'step').map((l) => l.key);
  if (!stepKeys.length || !epochKeys.length) return null;
  let eLo = Infinity, eHi = -Infinity, aLo = Infinity, aHi = -Infinity;
  for (const row of data.rows) {
    for (const k of epochKeys) {
      const v = row[k];
      if (typeof v === 'number' && Number.isFinite(v)) { eLo = Math.min(eLo, v); eHi = Math.max(eHi, v); }
    }
    for (const k of stepKeys) {
      const v = row[k];
      if (typeof v === 'number' && Number.isFinite(v)) { aLo = Math.min(aLo, v); aHi = Math.max(aHi, v); }
    }
  }
  if (!Number.isFinite(eLo) || !Number.isFinite(aLo)) return null;
  const lo = Math.min(eLo, aLo);
  const span = eHi - lo;
  if (!(span > 0) || aHi - lo < 1.5 * span) return null;
  return niceRange(lo - span * 0.05, eHi + span * 0.05, lo > 0);
}

/** Widens [lo, hi] to multiples of a 1/2/2.5/5 × 10^k step so the ticks read well. */
function niceRange(lo: number, hi: number, positive: boolean): [number, number] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  let a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  if (positive && a <= 0) a = lo > 0 ? lo : a;
  return [a, b];
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

export default function LossChart({ data }: { data: LossChartData }) {
  const { lines, rows, markers, monitor } = data;
  // Early per-step losses often dwarf the per-epoch curves; by default the y axis fits the epoch curves and clips the rest.
  const focus = useMemo(() => focusDomain(data), [data]);
  const [log, setLog] = useState(false);
  const [zoom, setZoom] = useState(focus !== null);
  const [other, setOther] = useState<string>('');
  const domain = useMemo<[number, number]>(() => {
    if (!rows.length) return [0, 1];
    return [rows[0].step as number, rows[rows.length - 1].step as number];
  }, [rows]);
  const sideOf = (x: number): 'left' | 'right' => (x - domain[0] > 0.6 * (domain[1] - domain[0]) ? 'left' : 'right');
  const monitorLine = lines.find((l) => l.kind === 'val' && l.metric === monitor) ?? lines.find((l) => l.kind === 'val');
  const otherMetric = data.other.find((o) => o.metric === other) ?? null;
  const otherRows = useMemo(() => (otherMetric ? otherMetric.points.map(([x, y]) => ({ step: x, value: y })) : []), [otherMetric]);

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

  return (
    <div className="chart">
      <div className="chart-tools">
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
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={380} initialDimension={{ width: 960, height: 380 }}>
          <LineChart data={rows} margin={{ top: 24, right: 24, bottom: 8, left: 8 }}>
            <CartesianGrid stroke="#eaeef2" strokeDasharray="3 3" />
            <XAxis
              dataKey="step"
              type="number"
              domain={domain}
              allowDecimals={false}
              tick={{ fontSize: 12, fill: '#57606a' }}
              label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 12, fill: '#57606a' }}
              height={36}
            />
            <YAxis
              scale={log ? 'log' : 'auto'}
              domain={zoom && focus ? focus : ['auto', 'auto']}
              allowDataOverflow={log || (zoom && !!focus)}
              tickFormatter={compact}
              tick={{ fontSize: 12, fill: '#57606a' }}
              width={64}
            />
            <Tooltip
              formatter={(value) => precise(value)}
              labelFormatter={(label) => `step ${label}`}
              contentStyle={{ fontSize: 12, borderRadius: 6, borderColor: '#d0d7de' }}
              isAnimationActive={false}
            />
            <Legend wrapperStyle={{ fontSize: 12, paddingTop: 4 }} />
            {markers.patience ? (
              <ReferenceArea x1={markers.patience.from} x2={markers.patience.to} fill={COLORS.patience} fillOpacity={0.09} ifOverflow="hidden" />
            ) : null}
            {lines.map((l) => (
              <Line
                key={l.key}
                dataKey={l.key}
                name={lineName(l, monitor)}
                type="linear"
                stroke={colorFor(lines, l)}
                strokeWidth={l.kind === 'step' ? 1 : 2}
                strokeOpacity={l.kind === 'step' ? 0.5 : 1}
                dot={l.kind === 'step' ? false : { r: 3 }}
                activeDot={l.kind === 'step' ? { r: 2 } : { r: 5 }}
                connectNulls
                isAnimationActive={false}
              />
            ))}
            {markers.best ? (
              <ReferenceLine
                x={markers.best.step}
                stroke={COLORS.best}
                strokeDasharray="4 3"
                label={markerLabel(`best epoch ${markers.best.epoch}`, COLORS.best, 0, sideOf(markers.best.step))}
              />
            ) : null}
            {markers.best && markers.best.value !== null && monitorLine ? (
              <ReferenceDot x={markers.best.step} y={markers.best.value} r={6} fill="#fff" stroke={COLORS.best} strokeWidth={2} />
            ) : null}
            {markers.stop ? (
              <ReferenceLine
                x={markers.stop.step}
                stroke={stopColor}
                strokeWidth={sameStep ? 1 : 1.5}
                label={markerLabel(markers.stop.label, stopColor, sameStep ? 1 : 0, sideOf(markers.stop.step))}
              />
            ) : null}
          </LineChart>
        </ResponsiveContainer>
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
            <div className="chart-box small" data-testid="other-metric-chart">
              <ResponsiveContainer width="100%" height={200} initialDimension={{ width: 960, height: 200 }}>
                <LineChart data={otherRows} margin={{ top: 12, right: 24, bottom: 4, left: 8 }}>
                  <CartesianGrid stroke="#eaeef2" strokeDasharray="3 3" />
                  <XAxis dataKey="step" type="number" domain={domain} allowDecimals={false} tick={{ fontSize: 12, fill: '#57606a' }} />
                  <YAxis domain={['auto', 'auto']} tickFormatter={compact} tick={{ fontSize: 12, fill: '#57606a' }} width={64} />
                  <Tooltip formatter={(value) => precise(value)} labelFormatter={(label) => `step ${label}`} contentStyle={{ fontSize: 12 }} isAnimationActive={false} />
                  <Line dataKey="value" name={otherMetric.metric} stroke="#6e7781" strokeWidth={1.5} dot={otherMetric.level === 'epoch' ? { r: 3 } : false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
