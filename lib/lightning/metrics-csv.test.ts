import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsCsvAccumulator, metricValuesByEpoch, nonFiniteMetrics, parseMetricsCsv, type ParsedMetrics } from './metrics-csv';

const ROOT = join(__dirname, '..', '..');
const SIX_EPOCH = join(ROOT, 'fixtures/ptychopinn/plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/runtime_smoke/2025-10-24T061500Z/metrics.csv');
const ONE_EPOCH = join(ROOT, 'fixtures/ptychopinn/plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/2025-10-23T110500Z/smoke/2025-10-24T050500Z/metrics.csv');

function series(p: ParsedMetrics, name: string) {
  const s = p.series.find((x) => x.metric === name);
  if (!s) throw new Error(`no series ${name}`);
  return { steps: Array.from(s.steps), epochs: Array.from(s.epochs), values: Array.from(s.values), length: s.length };
}

/** plain-data view for deep equality (typed arrays → arrays) */
function plain(p: ParsedMetrics) {
  return {
    ...p,
    series: p.series.map((s) => ({
      metric: s.metric,
      length: s.length,
      steps: Array.from(s.steps),
      epochs: Array.from(s.epochs),
      values: Array.from(s.values),
    })),
  };
}

describe('parseMetricsCsv: real ptychopinn fixtures', () => {
  const text = readFileSync(SIX_EPOCH, 'utf8');
  const p = parseMetricsCsv(text);

  it('is a clean Lightning file', () => {
    expect(text.includes('\r\n')).toBe(true);
    expect(p.kind).toBe('lightning');
    expect(p.reason).toBeNull();
    expect(p.problems).toEqual([]);
    expect(p.rowCount).toBe(204);
    expect(p.columns).toEqual([
      'learning_rate',
      'physics_weight_epoch',
      'physics_weight_step',
      'poisson_train_loss_epoch',
      'poisson_train_loss_step',
      'poisson_val_loss',
      'training_stage_epoch',
      'training_stage_step',
    ]);
  });

  it('per-epoch table: epochs 0..5, S_e, val and train-epoch losses', () => {
    expect(p.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.epochs.map((e) => e.step)).toEqual([15, 31, 47, 63, 79, 95]);
    expect(metricValuesByEpoch(p, 'poisson_val_loss').map((x) => x.value)).toEqual([19644.615234375, 18232.771484375, 17981.115234375, 17851.990234375, 17771.837890625, 17732.736328125]);
    expect(metricValuesByEpoch(p, 'poisson_train_loss_epoch')).toEqual([
      { epoch: 0, step: 15, value: 25389.54296875 },
      { epoch: 1, step: 31, value: 18496.1796875 },
      { epoch: 2, step: 47, value: 18045.87109375 },
      { epoch: 3, step: 63, value: 17867.84765625 },
      { epoch: 4, step: 79, value: 17765.68359375 },
      { epoch: 5, step: 95, value: 17740.408203125 },
    ]);
    expect(p.epochs[0].metrics.learning_rate).toBe(0.0010000000474974513);
    // step-level metric: cell = last step value of the epoch
    expect(p.epochs[0].metrics.poisson_train_loss_step).toBe(19484.841796875);
    expect(p.epochs[5].metrics.poisson_train_loss_step).toBe(17677.90625);
    expect(metricValuesByEpoch(p, 'no_such_metric')).toEqual([]);
  });

  it('classifies epoch-level metrics', () => {
    expect(p.epochLevel).toEqual(['learning_rate', 'physics_weight_epoch', 'poisson_train_loss_epoch', 'poisson_val_loss', 'training_stage_epoch']);
  });

  it('per-step series, deduped on (step, value)', () => {
    const s = series(p, 'poisson_train_loss_step');
    expect(s.length).toBe(96);
    expect(s.steps).toEqual(Array.from({ length: 96 }, (_, i) => i));
    expect(s.values[0]).toBe(60269.25390625);
    expect(s.values[95]).toBe(17677.90625);
    expect(s.epochs.slice(0, 17)).toEqual([...Array(16).fill(0), 1]);
    // physics_weight_step is also written (same step, same value) by epoch-less val-step rows
    const pw = series(p, 'physics_weight_step');
    expect(pw.length).toBe(96);
    expect(pw.epochs[95]).toBe(5);
    const val = series(p, 'poisson_val_loss');
    expect(val.steps).toEqual([15, 31, 47, 63, 79, 95]);
    expect(val.epochs).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('one-epoch smoke file', () => {
    const q = parseMetricsCsv(readFileSync(ONE_EPOCH, 'utf8'), 'smoke/metrics.csv');
    expect(q.kind).toBe('lightning');
    expect(q.epochs).toHaveLength(1);
    expect(q.epochs[0].step).toBe(15);
    expect(q.epochs[0].metrics.poisson_val_loss).toBe(18388.587890625);
    expect(q.epochs[0].metrics.poisson_train_loss_epoch).toBe(27444.548828125);
  });
});

describe('parseMetricsCsv: synthetic', () => {
  it('LF and CRLF give the same result', () => {
    const lf = 'epoch,step,train_loss,val_loss\n0,49,1.5,\n0,99,1.25,\n0,99,,2.5\n1,149,1.0,\n1,199,0.75,\n1,199,,2.0\n';
    const a = parseMetricsCsv(lf);
    const b = parseMetricsCsv(lf.replace(/\n/g, '\r\n'));
    expect(plain(b)).toEqual(plain(a));
    expect(a.kind).toBe('lightning');
    expect(metricValuesByEpoch(a, 'val_loss')).toEqual([
      { epoch: 0, step: 99, value: 2.5 },
      { epoch: 1, step: 199, value: 2 },
    ]);
    expect(a.epochLevel).toEqual(['val_loss']);
    expect(a.epochs[1].metrics).toEqual({ train_loss: 0.75, val_loss: 2 });
  });

  it('sparse cells, _step/_epoch forks, val and train-epoch rows at the same step (image_bind shape, 2.0 order)', () => {
    const csv = [
      'val_loss_step,step,val_loss_epoch,epoch,train_loss_epoch,train_loss_step',
      ',4,,0,,0.9',
      ',9,,0,,0.8',
      '0.7,0,,,,', // val-step rows: cumulative val-batch counter, no epoch
      '0.6,1,,,,',
      ',9,0.65,0,,', // val-epoch row
      ',9,,0,0.85,', // train-epoch row, same step, after it
      ',14,,1,,0.5',
      ',19,,1,,0.4',
      '0.3,2,,,,',
      '0.2,3,,,,',
      ',19,0.25,1,,',
      ',19,,1,0.45,',
      '',
    ].join('\r\n');
    const p = parseMetricsCsv(csv);
    expect(p.problems).toEqual([]);
    expect(p.columns).toEqual(['train_loss_epoch', 'train_loss_step', 'val_loss_epoch', 'val_loss_step']);
    expect(p.epochs.map((e) => [e.epoch, e.step])).toEqual([
      [0, 9],
      [1, 19],
    ]);
    expect(p.epochs[0].metrics).toEqual({ train_loss_epoch: 0.85, train_loss_step: 0.8, val_loss_epoch: 0.65 });
    expect(p.epochLevel).toEqual(['train_loss_epoch', 'val_loss_epoch']);
    const vs = series(p, 'val_loss_step');
    expect(vs.steps).toEqual([0, 1, 2, 3]);
    expect(vs.epochs).toEqual([0, 0, 1, 1]); // inherited from the NEXT row with an epoch
    expect(series(p, 'train_loss_step').steps).toEqual([4, 9, 14, 19]);
  });

  it('lr-* rows inherit the next epoch; per-epoch lr = first inherited value (opal shape)', () => {
    const csv = [
      'epoch,lr-Adam,step,train/nll_loss,val/rmse_loss',
      ',0.01,0,,',
      '0,,49,2.0,',
      ',0.01,50,,',
      '0,,99,1.5,',
      '0,,99,,0.9',
      ',0.005,100,,',
      '1,,149,1.0,',
      ',0.005,150,,',
      '1,,199,0.8,',
      '1,,199,,0.7',
      '',
    ].join('\n');
    const p = parseMetricsCsv(csv);
    expect(p.epochs.map((e) => e.metrics['lr-Adam'])).toEqual([0.01, 0.005]);
    expect(series(p, 'lr-Adam').epochs).toEqual([0, 0, 1, 1]);
    expect(p.epochLevel).toEqual(['val/rmse_loss']);
  });

  it('trailing epoch-less rows inherit the previous epoch', () => {
    const p = parseMetricsCsv('epoch,step,a,lr-SGD\n0,9,1,\n,10,,0.1\n');
    expect(series(p, 'lr-SGD').epochs).toEqual([0]);
  });

  it('nan, inf, exponents, signed zero', () => {
    const csv = 'epoch,step,a,b,c\n0,0,nan,inf,1e-05\n0,1,NaN,-inf,-2.5E+3\n0,2,Infinity,-Infinity,-0.0\n0,3,+1.5,.5,7.\n';
    const p = parseMetricsCsv(csv);
    expect(p.problems).toEqual([]);
    expect(series(p, 'a').values).toEqual([NaN, NaN, Infinity, 1.5]);
    expect(series(p, 'a').length).toBe(4);
    expect(series(p, 'b').values).toEqual([Infinity, -Infinity, -Infinity, 0.5]);
    const c = series(p, 'c').values;
    expect(c[0]).toBe(1e-5);
    expect(c[1]).toBe(-2500);
    expect(Object.is(c[2], -0)).toBe(true);
    expect(c[3]).toBe(7);
  });

  it('number parsing is exact (round-trips shortest repr of random doubles)', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const vals: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const kind = i % 4;
      if (kind === 0) vals.push(rnd() * 1e5);
      else if (kind === 1) vals.push(Math.fround(rnd() * 30000));
      else if (kind === 2) vals.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 60 - 30));
      else vals.push(Math.round(rnd() * 1e6) / 1e3);
    }
    const lines = ['epoch,step,x'];
    for (const [i, v] of vals.entries()) lines.push(`0,${i},${String(v)}`);
    const p = parseMetricsCsv(lines.join('\r\n') + '\r\n');
    expect(series(p, 'x').values).toEqual(vals);
    // python-style exponent spelling
    const q = parseMetricsCsv('epoch,step,x\n0,0,1.2345678901234567e-07\n0,1,6.02214076e+23\n');
    // biome-ignore lint/correctness/noPrecisionLoss: the literal is the text the CSV holds, parsed to the same double
    expect(series(q, 'x').values).toEqual([1.2345678901234567e-7, 6.02214076e23]);
  });

  it('header rewritten mid-file: rows before keep their values, mapping switches by name', () => {
    const csv = [
      'epoch,step,train_loss',
      '0,49,3.0',
      '0,99,2.0',
      'epoch,step,train_loss,val_loss', // new header
      '0,99,,1.5',
      'epoch,step,train_loss,val_loss', // identical header: dropped silently
      '1,149,1.0,',
      'val_loss,train_loss,step,epoch', // reordered header
      '1.2,,199,1',
      '',
    ].join('\n');
    const p = parseMetricsCsv(csv);
    expect(p.problems).toEqual([]);
    expect(p.rowCount).toBe(5);
    expect(series(p, 'train_loss').values).toEqual([3, 2, 1]);
    expect(series(p, 'val_loss').values).toEqual([1.5, 1.2]);
    expect(series(p, 'val_loss').steps).toEqual([99, 199]);
    expect(p.epochs.map((e) => e.metrics)).toEqual([
      { train_loss: 2, val_loss: 1.5 },
      { train_loss: 1, val_loss: 1.2 },
    ]);
  });

  it('truncated last line is dropped with a problem; a complete one without newline is kept', () => {
    const base = 'epoch,step,a,b\r\n0,0,1,2\r\n0,1,3,4\r\n';
    const t = parseMetricsCsv(base + '0,2,5', 'run/metrics.csv');
    expect(t.rowCount).toBe(2);
    expect(t.problems).toHaveLength(1);
    expect(t.problems[0]).toMatchObject({ file: 'run/metrics.csv', line: 4 });
    expect(t.problems[0].message).toMatch(/truncated last line/);
    const k = parseMetricsCsv(base + '0,2,5,6');
    expect(k.rowCount).toBe(3);
    expect(k.problems).toEqual([]);
    expect(series(k, 'b').values).toEqual([2, 4, 6]);
    const bad = parseMetricsCsv(base + '0,2,5,6.2e');
    expect(bad.rowCount).toBe(2);
    expect(bad.problems[0].message).toMatch(/truncated last line/);
  });

  it('(step, value) dedupe: exact repeats dropped anywhere, same step with a new value kept', () => {
    // Epoch-less rows (as validation-step rows are): steps that go back in rows carrying an epoch would start another fit.
    const csv = 'epoch,step,a\n,0,1\n,1,2\n,1,2\n,1,3\n,0,1\n,0,5\n,1000000000,7\n,5,2\n,1000000000,7\n,-3,1\n,-3,1\n,1,nan\n,1,nan\n';
    const s = series(parseMetricsCsv(csv), 'a');
    expect(s.steps).toEqual([0, 1, 1, 0, 1e9, 5, -3, 1]);
    expect(s.values).toEqual([1, 2, 3, 5, 7, 2, 1, NaN]);
  });

  it('tolerates a UTF-8 BOM', () => {
    const csv = 'epoch,step,loss\r\n0,0,1\r\n';
    expect(plain(parseMetricsCsv('\uFEFF' + csv))).toEqual(plain(parseMetricsCsv(csv)));
    expect(parseMetricsCsv('\uFEFF' + csv).kind).toBe('lightning');
  });

  it('pandas CSV is not-lightning, no throw', () => {
    const p = parseMetricsCsv(',loss,acc\n0,0.5,0.9\n1,0.4,0.95\n');
    expect(p.kind).toBe('not-lightning');
    expect(p.reason).toMatch(/no `step` column/);
    expect(p.reason).toContain(',loss,acc');
    expect(p.series).toEqual([]);
    expect(p.rowCount).toBe(0);
  });

  it('empty text and header-only are empty', () => {
    expect(parseMetricsCsv('').kind).toBe('empty');
    expect(parseMetricsCsv('').reason).toBeTruthy();
    const h = parseMetricsCsv('epoch,step,loss\r\n');
    expect(h.kind).toBe('empty');
    expect(h.reason).toMatch(/header only/);
    expect(h.columns).toEqual(['loss']);
    expect(parseMetricsCsv('epoch,step,loss').kind).toBe('empty');
  });

  it('bad records: wrong field count and non-numeric cells are reported with 1-based lines', () => {
    const csv = 'epoch,step,a,b\n0,0,1,2\n0,1,3\n0,2,abc,4\n0,3,x,y\n,,5,6\n0,4.5,1,1\n';
    const p = parseMetricsCsv(csv, 'm.csv');
    expect(p.problems.map((x) => x.line)).toEqual([3, 4, 5, 6, 7]);
    expect(p.problems[0].message).toMatch(/expected 4 fields, got 3/);
    expect(p.problems[1].message).toMatch(/non-numeric value "abc" in column "a"/);
    expect(p.problems[2].message).toMatch(/and 1 more/);
    expect(p.problems[3].message).toMatch(/missing step/);
    expect(p.problems[4].message).toMatch(/non-integer step/);
    expect(p.problems.every((x) => x.file === 'm.csv')).toBe(true);
    // non-numeric cell → row kept, cell missing
    expect(series(p, 'a').values).toEqual([1]);
    expect(series(p, 'b').values).toEqual([2, 4]);
    expect(p.rowCount).toBe(3);
  });

  it('RFC-4180 quoted fields', () => {
    const csv = 'epoch,"step","va""l,loss",x\r\n0,"3","1.5",2\r\n"0",4,"",3\r\n0,5,"1,5",4\r\n0,6,"unterminated,1\r\n0,7,",5",6\r\n';
    const p = parseMetricsCsv(csv);
    expect(p.columns).toEqual(['va"l,loss', 'x']);
    expect(series(p, 'va"l,loss').values).toEqual([1.5]);
    expect(series(p, 'x').values).toEqual([2, 3, 4, 6]);
    expect(p.problems.map((x) => x.line)).toEqual([4, 5, 6]);
    expect(p.problems[1].message).toMatch(/unterminated/);
  });

  it('binary junk and a 10 MB line: problems, capped, no throw', () => {
    let seed = 7;
    let junk = '';
    for (let i = 0; i < 200_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      junk += String.fromCharCode(seed % 256);
    }
    const huge = 'x'.repeat(5_000_000) + ','.repeat(10) + '"'.repeat(3) + '9'.repeat(5_000_000);
    const csv = 'epoch,step,loss\n0,0,1\n' + junk + '\n' + huge + '\n0,1,2\n' + '\u0000\u0001,\u0002\n';
    const p = parseMetricsCsv(csv);
    expect(p.kind).toBe('lightning');
    expect(series(p, 'loss').values).toEqual([1, 2]);
    expect(p.problems.length).toBeLessThanOrEqual(51);
    expect(p.problems.length).toBeGreaterThan(0);
    const last = p.problems[p.problems.length - 1];
    if (p.problems.length === 51) expect(last.message).toMatch(/^\d+ more problems?$/);
    for (const pr of p.problems) expect(pr.message.length).toBeLessThan(300);
    // junk as first line → not lightning
    expect(parseMetricsCsv(junk).kind).toBe('not-lightning');
  });

  it('problems are capped at 50 plus a summary entry', () => {
    const lines = ['epoch,step,a'];
    for (let i = 0; i < 120; i++) lines.push('bad');
    const p = parseMetricsCsv(lines.join('\n') + '\n');
    expect(p.problems).toHaveLength(51);
    expect(p.problems[50]).toEqual({ file: 'metrics.csv', line: null, message: '70 more problems' });
    expect(p.kind).toBe('empty');
  });

  it('perf sanity: 200k generated rows parse fully (not timed)', () => {
    const parts: string[] = ['epoch,lr-Adam,step,train_loss_epoch,train_loss_step,val_acc,val_loss\r\n'];
    let step = 0;
    for (let e = 0; e < 100; e++) {
      parts.push(`,0.001,${step},,,,\r\n`);
      for (let b = 0; b < 2000; b++, step++) parts.push(`${e},,${step},,${(1 / (step + 1)).toString()},,\r\n`);
      parts.push(`${e},,${step - 1},,,0.${e},${(2 / (e + 1)).toString()}\r\n`);
      parts.push(`${e},,${step - 1},${(1.5 / (e + 1)).toString()},,,\r\n`);
    }
    const text = parts.join('');
    const p = parseMetricsCsv(text);
    expect(p.problems).toEqual([]);
    expect(p.rowCount).toBe(100 * 2003);
    expect(series(p, 'train_loss_step').length).toBe(200_000);
    expect(p.epochs).toHaveLength(100);
    expect(p.epochs[99].step).toBe(199_999);
    expect(p.epochLevel).toEqual(['lr-Adam', 'train_loss_epoch', 'val_acc', 'val_loss']);
  });
});

describe('MetricsCsvAccumulator', () => {
  const text = readFileSync(SIX_EPOCH, 'utf8');

  it('random chunk sizes give the same result as parseMetricsCsv', () => {
    const whole = plain(parseMetricsCsv(text));
    let seed = 42;
    for (let trial = 0; trial < 5; trial++) {
      const acc = new MetricsCsvAccumulator();
      let i = 0;
      while (i < text.length) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const n = 1 + (seed % (trial === 0 ? 3 : 400));
        acc.push(text.slice(i, i + n));
        i += n;
        if (trial === 1) acc.result(); // intermediate results must not disturb state
      }
      expect(plain(acc.result())).toEqual(whole);
    }
  });

  it('excludes an incomplete trailing line until its newline arrives', () => {
    const acc = new MetricsCsvAccumulator();
    acc.push('\uFEFFepoch,step,loss\r\n0,0,1\r\n0,1,2');
    expect(acc.result().rowCount).toBe(1);
    expect(acc.result().problems).toEqual([]);
    acc.push('\r');
    expect(acc.result().rowCount).toBe(1);
    acc.push('\n0,2,');
    acc.push('3\r\n');
    const r = acc.result('x/metrics.csv');
    expect(r.rowCount).toBe(3);
    expect(series(r, 'loss').values).toEqual([1, 2, 3]);
  });

  it('reset() starts over for a rewritten file', () => {
    const acc = new MetricsCsvAccumulator();
    acc.push('epoch,step,train_loss\r\n0,49,3.0\r\n0,99,2.0\r\n0,1');
    acc.reset();
    const rewritten = 'epoch,step,train_loss,val_loss\r\n0,49,3.0,\r\n0,99,2.0,\r\n0,99,,1.5\r\n';
    acc.push(rewritten);
    expect(plain(acc.result())).toEqual(plain(parseMetricsCsv(rewritten)));
    expect(acc.result().columns).toEqual(['train_loss', 'val_loss']);
  });

  it('empty accumulator is empty', () => {
    expect(new MetricsCsvAccumulator().result().kind).toBe('empty');
  });
});

describe('parseMetricsCsv: odd files are named, line by line, and the rest is read', () => {
  it('keeps a repeated column apart as "name (2)" and says so once, on the header line', () => {
    const p = parseMetricsCsv('epoch,step,val_loss,lr,val_loss\n0,9,1.5,0.1,2.5\n1,19,1.25,0.1,2.25\nepoch,step,val_loss,lr,val_loss\n2,29,1,0.1,2\n', 'b/metrics.csv');
    expect(p.problems).toEqual([{ file: 'b/metrics.csv', line: 1, message: 'header repeats column name "val_loss" (fields 3 and 5: the repeat is read as "val_loss (2)")' }]);
    expect(p.columns).toEqual(['lr', 'val_loss', 'val_loss (2)']);
    expect(metricValuesByEpoch(p, 'val_loss').map((r) => r.value)).toEqual([1.5, 1.25, 1]);
    expect(metricValuesByEpoch(p, 'val_loss (2)').map((r) => r.value)).toEqual([2.5, 2.25, 2]);
  });

  it('treats negative, huge and fractional epochs as missing, each with its line', () => {
    const p = parseMetricsCsv('epoch,step,loss\n0,0,1\n-1,1,2\n20000000,2,3\n1.5,3,4\n1,4,5\n');
    expect(p.problems.map((x) => [x.line, x.message])).toEqual([
      [3, 'negative epoch -1; treated as missing'],
      [4, 'epoch 20000000 above 10,000,000; treated as missing'],
      [5, 'non-integer epoch 1.5; treated as missing'],
    ]);
    expect(p.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    // The rows still count: their points are in the series, with the epoch they inherit.
    expect(series(p, 'loss').values).toEqual([1, 2, 3, 4, 5]);
    expect(series(p, 'loss').epochs).toEqual([0, 1, 1, 1, 1]);
  });

  it('reads a file with classic Mac (CR-only) line ends as lines, and says so', () => {
    const lf = 'epoch,step,loss\n0,0,1\n0,1,2\n1,2,3\n';
    const p = parseMetricsCsv(lf.replace(/\n/g, '\r'), 'mac/metrics.csv');
    expect(p.problems).toEqual([{ file: 'mac/metrics.csv', line: 1, message: 'carriage returns without line feeds (classic Mac line ends): read as line breaks' }]);
    expect(plain({ ...p, problems: [] })).toEqual(plain(parseMetricsCsv(lf, 'mac/metrics.csv')));
  });

  it('does not mistake CRLF files, or a lone CR after the first line feed, for Mac line ends', () => {
    expect(parseMetricsCsv('epoch,step,loss\r\n0,0,1\r\n').problems).toEqual([]);
    expect(parseMetricsCsv('epoch,step,loss\n0,0,1\n').problems).toEqual([]);
  });
});

// Real Lightning 2.6.6 runs written by fixtures/lightning-logs/make.py.
const REAL = (name: string) => readFileSync(join(ROOT, 'fixtures/lightning-logs', name, 'lightning_logs/version_0/metrics.csv'), 'utf8');

describe('parseMetricsCsv: several fits, test rows and NaN runs (real Lightning 2.6.6)', () => {
  it('splits two fits that shared one CSVLogger (the step counter starts again) and analyses the last', () => {
    const p = parseMetricsCsv(REAL('two_fits'));
    expect(p.fits).toEqual([
      { fromLine: 2, toLine: 10, rows: 9, firstEpoch: 0, lastEpoch: 2, lastStep: 23 },
      { fromLine: 11, toLine: 16, rows: 6, firstEpoch: 0, lastEpoch: 1, lastStep: 15 },
    ]);
    expect(p.epochs.map((r) => [r.epoch, r.step])).toEqual([
      [0, 7],
      [1, 15],
    ]);
    expect(p.epochs[0].metrics.train_loss).toBe(2.7155728340148926); // the second fit's value, not the first's 3.234…
    expect(series(p, 'train_loss').steps).toEqual([3, 7, 11, 15]);
    expect(p.problems).toEqual([
      {
        file: 'metrics.csv',
        line: 11,
        message:
          '2 fits appended to one file (epochs or steps start again at line 11): the last, lines 11–16 (epochs 0–1, last step 15), is analysed; not analysed: lines 2–10 (epochs 0–2, last step 23)',
      },
    ]);
  });

  it('gives the same answer read live, line by line', () => {
    const acc = new MetricsCsvAccumulator();
    for (const line of REAL('two_fits').split(/(?<=\n)/)) acc.push(line);
    const live = acc.result();
    const whole = parseMetricsCsv(REAL('two_fits'));
    expect(live.fits).toEqual(whole.fits);
    expect(live.epochs).toEqual(whole.epochs);
  });

  it('splits files concatenated with their headers, and keeps a resumed fit’s rows in one fit', () => {
    const a = 'epoch,step,loss\n0,9,1.0\n1,19,0.9\n2,29,0.8\n';
    const b = 'epoch,step,loss,val_loss\n0,9,2.0,\n0,9,,1.5\n';
    const p = parseMetricsCsv(a + b);
    expect(p.fits?.map((f) => [f.fromLine, f.toLine])).toEqual([
      [2, 4],
      [6, 7],
    ]);
    expect(p.epochs).toEqual([{ epoch: 0, step: 9, metrics: { loss: 2, val_loss: 1.5 } }]);
    // a resume from the epoch-1 checkpoint after a crash in epoch 2 (Lightning 2.1–2.2 appended to the file)
    const resumed = parseMetricsCsv('epoch,step,loss\n0,9,1.0\n1,19,0.9\n2,25,0.85\n2,29,0.8\n3,39,0.7\n');
    expect(resumed.fits).toBeUndefined();
    expect(parseMetricsCsv('epoch,step,loss\n0,9,1.0\n1,19,0.9\n2,25,0.85\n2,22,0.84\n2,29,0.8\n').fits).toBeUndefined();
  });

  it('leaves trainer.test() rows after the fit out of the epochs', () => {
    const p = parseMetricsCsv(REAL('fit_test'));
    expect(p.epochs.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(p.afterFit).toEqual([{ epoch: 3, step: 24, metrics: { test_loss: 1.5366836786270142 }, line: 11 }]);
    expect(p.fits).toBeUndefined();
    expect(p.columns).toContain('test_loss');
    // a last epoch that logs a metric for the first time is still an epoch (its step is not the one after the fit's last)
    const late = parseMetricsCsv('epoch,step,loss,extra\n0,9,1.0,\n1,19,0.9,\n2,29,,5\n');
    expect(late.afterFit).toBeUndefined();
    expect(late.epochs.map((r) => r.epoch)).toEqual([0, 1, 2]);
  });

  it('exposes a run whose losses were all NaN', () => {
    const p = parseMetricsCsv(REAL('all_nan'));
    expect(p.kind).toBe('lightning');
    expect(nonFiniteMetrics(p)).toEqual([
      { metric: 'train_loss', nonFinite: 6, values: 6, firstStep: 3 },
      { metric: 'val_loss', nonFinite: 3, values: 3, firstStep: 7 },
    ]);
    expect(nonFiniteMetrics(parseMetricsCsv(REAL('fit_test')))).toEqual([]);
  });
});
