import { describe, expect, it } from 'vitest';
import { analyseBundle } from '../evidence/analyse';
import type { Evidence } from '../evidence/types';
import { CHECK_IDS } from '../evidence/types';
import { DEBUG_BUNDLE, LOGGER_SMOKE, RUNTIME_SMOKE, readBundleFiles } from '../../fixtures/test-helpers';
import { buildComparison, distinctLabels, epochSeriesFromEvidence, parseIdList, type CompareRunInput } from './compare';

const runtime = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE });
const logger = analyseBundle(readBundleFiles(LOGGER_SMOKE), { root: LOGGER_SMOKE });
const debug = analyseBundle(readBundleFiles(DEBUG_BUNDLE), { root: DEBUG_BUNDLE });

const input = (id: string, evidence: Evidence, series = epochSeriesFromEvidence(evidence)): CompareRunInput => ({ id, evidence, series });
const clone = (ev: Evidence): Evidence => structuredClone(ev);

describe('comparing the EB4 runtime smoke with the logger smoke', () => {
  const cmp = buildComparison([input('rt', runtime), input('lg', logger)]);

  it('overlays the first run’s monitored metric, aligned by epoch', () => {
    expect(cmp.chart?.metric).toBe('poisson_val_loss');
    expect(cmp.unknownMetric).toBeNull();
    expect(cmp.chart!.plotted).toEqual(['r0', 'r1']);
    expect(cmp.chart!.rows.map((r) => r.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cmp.chart!.rows.map((r) => (r.r0 === null ? null : Number(r.r0.toFixed(3))))).toEqual([19644.615, 18232.771, 17981.115, 17851.99, 17771.838, 17732.736]);
    // The logger smoke ran one epoch: a value at epoch 0, explicit nulls after.
    expect(cmp.chart!.rows[0].r1).toBe(logger.epochs[0].metrics.poisson_val_loss);
    expect(cmp.chart!.rows.slice(1).map((r) => r.r1)).toEqual([null, null, null, null, null]);
    expect(cmp.chart!.positive).toBe(true);
  });

  it('offers the metrics both runs logged, and names the runs by what tells them apart', () => {
    expect(cmp.metrics.map((m) => m.metric)).toEqual([...runtime.metricColumns].sort());
    expect(cmp.metrics.every((m) => m.runs === 2)).toBe(true);
    expect(cmp.runs.map((r) => [r.id, r.key, r.status, r.monitor, r.epochs])).toEqual([
      ['rt', 'r0', 'succeeded', 'poisson_val_loss', 6],
      ['lg', 'r1', 'succeeded', 'poisson_val_loss', 1],
    ]);
    expect(cmp.runs.map((r) => r.label)).toEqual(['runtime_smoke/2025-10-24T061500Z', '2025-10-23T110500Z/smoke/2025-10-24T050500Z']);
  });

  it('lists the knobs side by side: the runtime smoke’s command against a bundle that records none', () => {
    expect(cmp.knobs.map((k) => k.knob)).toEqual(runtime.knobTable.map((k) => k.knob));
    const grid = cmp.knobs.find((k) => k.knob === 'gridsize')!;
    expect(grid).toEqual({ knob: 'gridsize', values: ['2', null], differs: true });
    expect(cmp.knobs.find((k) => k.knob === 'deterministic')!.values).toEqual(['true', null]);
    expect(cmp.knobs.every((k) => k.differs)).toBe(true);
  });

  it('lists the checks side by side in the canonical order, marking the ones whose verdicts differ', () => {
    expect(cmp.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    const ck = cmp.checks.find((c) => c.id === 'checkpoints')!;
    expect(ck.cells.map((c) => c?.status)).toEqual(['fail', 'skip']);
    expect(ck.cells[0]!.detail).toContain('epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt');
    expect(ck.differs).toBe(true);
    const exit = cmp.checks.find((c) => c.id === 'exit')!;
    expect(exit.cells.map((c) => c?.status)).toEqual(['pass', 'pass']);
    expect(exit.differs).toBe(false);
  });

  it('overlays another metric on request, and names a metric no run has', () => {
    const lr = buildComparison([input('rt', runtime), input('lg', logger)], { metric: 'poisson_train_loss_epoch' });
    expect(lr.chart!.metric).toBe('poisson_train_loss_epoch');
    expect(lr.chart!.rows[5].r0).toBeCloseTo(17740.408, 3);
    const bogus = buildComparison([input('rt', runtime), input('lg', logger)], { metric: 'no_such_metric' });
    expect(bogus.unknownMetric).toBe('no_such_metric');
    expect(bogus.chart!.metric).toBe('poisson_val_loss');
  });
});

describe('buildComparison', () => {
  it('a run compared with itself differs in nothing', () => {
    const cmp = buildComparison([input('a', runtime), input('b', runtime)]);
    expect(cmp.knobs.length).toBe(runtime.knobTable.length);
    expect(cmp.knobs.filter((k) => k.differs)).toEqual([]);
    expect(cmp.checks.filter((c) => c.differs)).toEqual([]);
  });

  it('changing one knob of a copy marks exactly that knob', () => {
    const other = clone(runtime);
    other.knobTable.find((k) => k.knob === 'gridsize')!.effective = '3';
    const cmp = buildComparison([input('a', runtime), input('b', other)]);
    expect(cmp.knobs.filter((k) => k.differs)).toEqual([{ knob: 'gridsize', values: ['2', '3'], differs: true }]);
  });

  it('treats spellings of one knob and equal numbers as the same, and falls back to the requested value', () => {
    const a = clone(debug);
    const b = clone(debug);
    a.knobTable = [
      { knob: 'checkpoint_save_top_k', requested: null, effective: '2', echoed: null, ok: true },
      { knob: 'lr', requested: null, effective: '1e-3', echoed: null, ok: true },
      { knob: 'deterministic', requested: null, effective: true, echoed: null, ok: true },
    ];
    b.knobTable = [
      { knob: 'checkpoint-save-top-k', requested: null, effective: '2', echoed: null, ok: true },
      { knob: 'lr', requested: null, effective: '0.001', echoed: null, ok: true },
      { knob: 'deterministic', requested: 'True', effective: null, echoed: null, ok: false },
    ];
    const cmp = buildComparison([input('a', a), input('b', b)]);
    expect(cmp.knobs).toEqual([
      { knob: 'checkpoint_save_top_k', values: ['2', '2'], differs: false },
      { knob: 'lr', values: ['0.001', '0.001'], differs: false },
      { knob: 'deterministic', values: ['true', 'true'], differs: false },
    ]);
  });

  it('aligns runs logged at different epochs on one epoch axis, with nulls where a run has no value', () => {
    const cmp = buildComparison([
      input('a', debug, {
        val_loss: [
          [0, 3],
          [1, 2],
          [2, 1.5],
        ],
      }),
      input('b', debug, {
        val_loss: [
          [1, 4],
          [3, null],
          [4, 2.5],
        ],
      }),
      input('c', debug, {}),
    ]);
    expect(cmp.chart!.rows).toEqual([
      { epoch: 0, r0: 3, r1: null, r2: null },
      { epoch: 1, r0: 2, r1: 4, r2: null },
      { epoch: 2, r0: 1.5, r1: null, r2: null },
      { epoch: 3, r0: null, r1: null, r2: null },
      { epoch: 4, r0: null, r1: 2.5, r2: null },
    ]);
    // The run without the metric gets no line.
    expect(cmp.chart!.plotted).toEqual(['r0', 'r1']);
    expect(cmp.metrics).toEqual([{ metric: 'val_loss', runs: 2 }]);
  });

  it('without a monitor, defaults to a validation loss, then any loss; metrics every run has come first', () => {
    const series = { lr: [[0, 0.1]], train_loss: [[0, 5]], val_loss: [[0, 4]], zz_only_one: [[0, 1]] } as CompareRunInput['series'];
    const { zz_only_one: _only, ...rest } = series;
    const cmp = buildComparison([input('a', debug, series), input('b', debug, rest)]);
    expect(debug.monitor).toBeNull();
    expect(cmp.chart!.metric).toBe('val_loss');
    expect(cmp.metrics.map((m) => m.metric)).toEqual(['lr', 'train_loss', 'val_loss', 'zz_only_one']);
    expect(buildComparison([input('a', debug, { lr: [[0, 1]], train_loss: [[0, 2]] }), input('b', debug, {})]).chart!.metric).toBe('train_loss');
    // The first run's monitor wins over a validation loss, and a metric that is all nulls is not on offer.
    const mon = clone(debug);
    mon.monitor = { name: 'train_loss', mode: 'min', source: 'test' };
    const withMonitor = buildComparison([input('a', mon, { ...series, empty_loss: [[0, null]] }), input('b', debug, rest)]);
    expect(withMonitor.chart!.metric).toBe('train_loss');
    expect(withMonitor.metrics.map((m) => m.metric)).not.toContain('empty_loss');
  });

  it('has no chart when no run logged per-epoch metrics, and still compares checks', () => {
    const cmp = buildComparison([input('a', debug), input('b', debug)]);
    expect(cmp.chart).toBeNull();
    expect(cmp.metrics).toEqual([]);
    expect(cmp.checks.find((c) => c.id === 'exit')!.cells.map((c) => c?.status)).toEqual(['fail', 'fail']);
  });

  it('a value ≤ 0 rules out a log scale', () => {
    const cmp = buildComparison([
      input('a', debug, {
        m: [
          [0, 1],
          [1, 0],
        ],
      }),
      input('b', debug, { m: [[0, 2]] }),
    ]);
    expect(cmp.chart!.positive).toBe(false);
  });
});

describe('distinctLabels', () => {
  it('drops the leading path segments every title shares, keeping at least the last', () => {
    expect(distinctLabels(['a/b/c', 'a/b/d'])).toEqual(['c', 'd']);
    expect(distinctLabels(['a/b', 'a/b'])).toEqual(['b', 'b']);
    expect(distinctLabels(['x/1', 'y/1'])).toEqual(['x/1', 'y/1']);
    expect(distinctLabels(['reference · 12:00'])).toEqual(['reference · 12:00']);
  });
});

describe('parseIdList', () => {
  it('takes repeated keys and comma-joined lists alike, trimmed and without repeats', () => {
    expect(parseIdList(['a1', 'b2'])).toEqual(['a1', 'b2']);
    expect(parseIdList('a1, b2,,c3')).toEqual(['a1', 'b2', 'c3']);
    expect(parseIdList(['a1,b2', 'b2', ' c3 '])).toEqual(['a1', 'b2', 'c3']);
    expect(parseIdList(undefined)).toEqual([]);
    expect(parseIdList('')).toEqual([]);
  });
});

describe('comparing with a run that is still running', () => {
  it('shows its checks pending, never a failure judged on evidence that does not exist yet', () => {
    const live = clone(runtime);
    live.status = 'running';
    expect(live.checks.some((c) => c.status === 'fail')).toBe(true);
    const cmp = buildComparison([input('rt', runtime), input('live', live)]);
    const cp = cmp.checks.find((c) => c.id === 'checkpoints')!;
    expect(cp.cells.map((c) => c?.status)).toEqual(['fail', 'pending']);
    expect(cmp.checks.every((c) => c.cells[1]?.status === 'pending')).toBe(true);
  });
});
