'use client';
/**
 * Several runs' curves of one metric, overlaid on one epoch axis: one line
 * per run, in the run's colour, named in the legend. Gets rows already
 * aligned by epoch from the server (lib/compare).
 */
import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { compactNumber as compact, fmtNumber } from '@/components/format';

export interface CompareChartLine {
  /** Data key in the rows (`r0`, …). */
  key: string;
  name: string;
  color: string;
}

export interface CompareChartProps {
  metric: string;
  rows: Array<Record<string, number | null>>;
  lines: CompareChartLine[];
  /** Every value is > 0: a log scale is possible. */
  positive: boolean;
  /** One line naming what the chart shows: its accessible name (the chart is one image to assistive technology). */
  summary?: string;
}

export default function CompareChart({ metric, rows, lines, positive, summary }: CompareChartProps) {
  const [log, setLog] = useState(false);
  const first = rows.length ? (rows[0].epoch as number) : 0;
  const last = rows.length ? (rows[rows.length - 1].epoch as number) : 0;
  // A tick per epoch while they fit; recharts picks round ones beyond that.
  const ticks = rows.length <= 20 ? rows.map((r) => r.epoch as number) : undefined;
  return (
    <div className="chart">
      <div className="chart-tools">
        <label className="check-inline" title={positive ? undefined : 'A log scale needs every value above zero'}>
          <input type="checkbox" checked={log && positive} disabled={!positive} onChange={(e) => setLog(e.target.checked)} />
          log scale
        </label>
        {rows.length < 2 ? <span className="muted">One epoch only: each run is a single point.</span> : null}
      </div>
      <div className="chart-box" role="img" aria-label={summary ?? `${metric} per epoch of ${lines.map((l) => l.name).join('; ')}.`} data-testid="compare-chart-img">
        <ResponsiveContainer width="100%" height={380} initialDimension={{ width: 960, height: 380 }}>
          <LineChart data={rows} margin={{ top: 16, right: 24, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid stroke="#eaeef2" strokeDasharray="3 3" />
            <XAxis
              dataKey="epoch"
              type="number"
              domain={first === last ? [first - 1, last + 1] : [first, last]}
              allowDecimals={false}
              ticks={ticks}
              tick={{ fontSize: 12, fill: '#57606a' }}
              label={{ value: 'epoch', position: 'insideBottomRight', offset: -2, fontSize: 12, fill: '#57606a' }}
              height={36}
            />
            <YAxis scale={log && positive ? 'log' : 'auto'} domain={['auto', 'auto']} allowDataOverflow={log && positive} tickFormatter={compact} tick={{ fontSize: 12, fill: '#57606a' }} width={64} />
            <Tooltip
              formatter={(value) => (typeof value === 'number' ? fmtNumber(value, 4) : String(value ?? '—'))}
              labelFormatter={(label) => `epoch ${label} · ${metric}`}
              contentStyle={{ fontSize: 12, borderRadius: 6, borderColor: '#d0d7de' }}
              isAnimationActive={false}
            />
            <Legend wrapperStyle={{ fontSize: 12, paddingTop: 4 }} />
            {lines.map((l) => (
              <Line
                key={l.key}
                dataKey={l.key}
                name={l.name}
                type="linear"
                stroke={l.color}
                strokeWidth={2}
                // Dots only while they help: a long curve's dots would merge into a smear.
                dot={rows.length <= 40 ? { r: 3, fill: l.color } : false}
                activeDot={{ r: 5 }}
                // Runs may log a metric at different epochs (validation every n epochs): join a run's own points across the gaps.
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
