import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLog } from './logs';
import { parseMetricsCsv } from './metrics-csv';
import { logValuesDecide, printedTolerance } from './log-epochs';
import { FIXTURES, readFixture } from '../../fixtures/test-helpers';

// Real Lightning 2.6.6 runs (fixtures/lightning-logs/make.py): the table read from a run's log must
// agree with the metrics.csv CSVLogger wrote in the same fit, within what the log's rounding allows.
const REAL = path.join(FIXTURES, 'lightning-logs');
const VERSION = 'lightning_logs/version_0';

function agreeWithCsv(name: string, metrics: string[]) {
  const fromLog = parseLog(readFixture(REAL, name, 'train.log')).epochs;
  const csv = parseMetricsCsv(readFixture(REAL, name, VERSION, 'metrics.csv'));
  expect(fromLog.kind).toBe('lightning');
  expect(fromLog.stepsKnown).toBe(true);
  expect(fromLog.epochs.map((r) => [r.epoch, r.step])).toEqual(csv.epochs.map((r) => [r.epoch, r.step]));
  for (const m of metrics) {
    const tol = fromLog.tolerance[m];
    expect(tol).toBeGreaterThan(0);
    for (const [k, row] of fromLog.epochs.entries()) {
      if (!(m in row.metrics)) continue; // an epoch whose value the log does not print
      expect(Math.abs(row.metrics[m] - csv.epochs[k].metrics[m]), `${m} at epoch ${row.epoch}`).toBeLessThanOrEqual(tol * 1.0001);
    }
  }
  return fromLog;
}

describe('per-epoch values from a real log', () => {
  it('reads the progress bar (\\r redraws, validation in between) and the callbacks’ verbose lines as metrics.csv has them', () => {
    const t = agreeWithCsv('progress_bar', ['train_loss', 'val_loss']);
    expect(t.columns).toEqual(['train_loss', 'val_loss']);
    expect(t.sources).toEqual({ progressBar: 3, checkpoint: 3, earlyStopping: 2 });
    // val_loss comes from ModelCheckpoint's 5 decimals, train_loss from the bar's 3 significant digits
    expect(t.tolerance.val_loss).toBeCloseTo(5e-6, 12);
    expect(t.tolerance.train_loss).toBeCloseTo(5e-3, 12);
    expect(t.series.find((s) => s.metric === 'val_loss')!.length).toBe(3);
  });

  it('reads ModelCheckpoint verbose lines, saved and not in the top k, and the saved paths are the files Lightning wrote', () => {
    const t = agreeWithCsv('checkpoint_verbose', ['val_acc']);
    expect(t.checkpoints.map((c) => [c.epoch, c.globalStep, c.saved, c.value, c.topK])).toEqual([
      [0, 8, true, 0.5, 2],
      [1, 16, true, 0.7, 2],
      [2, 24, false, null, 2],
      [3, 32, true, 0.8, 2],
      [4, 40, false, null, 2],
    ]);
    // epochs not in the top k print no value: the table has only epochs whose value the log shows
    expect(t.epochs.map((r) => r.metrics.val_acc)).toEqual([0.5, 0.7, undefined, 0.8, undefined]);
    const kept = fs.readdirSync(path.join(REAL, 'checkpoint_verbose', VERSION, 'checkpoints')).sort();
    const saved = t.checkpoints.filter((c) => c.saved).map((c) => path.basename(c.path!));
    expect(saved).toEqual(['epoch=0-step=8.ckpt', 'epoch=1-step=16.ckpt', 'epoch=3-step=32.ckpt']);
    expect(kept.every((f) => saved.includes(f))).toBe(true);
  });

  it('has no table for a log without progress bar or verbose callbacks', () => {
    const t = parseLog(readFixture(REAL, 'fit_test', 'train.log')).epochs;
    expect(t.kind).toBe('empty');
    expect(t.reason).toMatch(/no per-epoch values/);
    expect(t.epochs).toEqual([]);
  });
});

describe('per-epoch values: shapes', () => {
  const bar = (e: number, i: number, n: number, post: string) => `Epoch ${e}: ${Math.round((100 * i) / n)}%|██| ${i}/${n} [00:01<00:00, 9.10it/s, v_num=3${post}]`;

  it('drops the previous epoch’s validation values from an epoch that ran no validation', () => {
    const text = [
      [bar(0, 4, 4, ', loss=0.900'), 'Validation: |          | 0/? [00:00<?, ?it/s]', bar(0, 4, 4, ', loss=0.900, val_loss=0.500')].join('\r'),
      [bar(1, 0, 4, ', loss=0.900, val_loss=0.500'), bar(1, 4, 4, ', loss=0.800, val_loss=0.500')].join('\r'),
      '`Trainer.fit` stopped: `max_epochs=2` reached.',
    ].join('\n');
    const t = parseLog(text).epochs;
    expect(t.epochs).toEqual([
      { epoch: 0, step: 3, metrics: { loss: 0.9, val_loss: 0.5 } },
      { epoch: 1, step: 7, metrics: { loss: 0.8 } },
    ]);
  });

  it('keeps an epoch’s fullest redraw over the relabelled bar’s first one, and reads exponents and nan', () => {
    const text = [bar(0, 8, 8, ', train_loss=1.23e+04, val_loss=nan'), bar(0, 0, 8, ', train_loss=9.990'), bar(1, 2, 8, ', train_loss=0.000123')].join('\r') + '\n';
    const t = parseLog(text).epochs;
    expect(t.epochs[0].metrics.train_loss).toBe(12300);
    expect(t.epochs[0].metrics.val_loss).toBeNaN();
    expect(t.epochs[1]).toEqual({ epoch: 1, step: 9, metrics: { train_loss: 0.000123 } });
    expect(t.tolerance.train_loss).toBe(50); // 1.23e+04: 3 significant digits
  });

  it('places EarlyStopping values in the epoch of the ModelCheckpoint line after them, and steps are unknown without a bar or checkpoint line', () => {
    const t = parseLog(
      [
        'Metric val_loss improved. New best score: 0.912',
        "Epoch 0, global step 50: 'val_loss' reached 0.91234 (best 0.91234), saving model to '/r/ckpt/epoch=0-step=50.ckpt' as top 1",
        'Metric val_loss improved by 0.100 >= min_delta = 0.0. New best score: 0.812',
        "Epoch 1, global step 100: 'val_loss' reached 0.81234 (best 0.81234), saving model to \"/r/ckpt/it's-epoch=1.ckpt\" as top 1",
        'Metric val_loss improved by 0.100 >= min_delta = 0.0. New best score: 0.712',
      ].join('\n'),
    ).epochs;
    expect(t.epochs).toEqual([
      { epoch: 0, step: 49, metrics: { val_loss: 0.91234 } },
      { epoch: 1, step: 99, metrics: { val_loss: 0.81234 } },
    ]);
    expect(t.checkpoints[1].path).toBe("/r/ckpt/it's-epoch=1.ckpt");
    const barOnlyLater = parseLog(bar(5, 4, 4, ', loss=0.100') + '\n').epochs;
    expect(barOnlyLater.stepsKnown).toBe(false); // a resumed run: batches before epoch 5 are not in the log
    expect(barOnlyLater.epochs[0].step).toBeNaN();
  });

  it('takes a save between batches (every_n_train_steps, stale values) as no epoch value, and reads a ModelCheckpoint line after a padded redraw (real run: c051)', () => {
    const ck = (e: number, s: number, v: string) => `Epoch ${e}, global step ${s}: 'val/loss' reached ${v} (best ${v}), saving model to '/r/c/epoch=${e}-step=${s}.ckpt' as top 2`;
    const val = 'Validation DataLoader 0: 100%|██| 1/1 [00:00<00:00, 9.10it/s]';
    const text = [
      [bar(0, 5, 5, ', val/loss=1.200'), val, bar(0, 5, 5, ', val/loss=1.200')].join('\r'),
      // epoch 1: saves at steps 6 and 8 print epoch 0's value; the one at 10 (last batch, before validation) too
      [bar(1, 1, 5, ', val/loss=1.200') + ck(1, 6, '1.20000'), bar(1, 3, 5, ', val/loss=1.200') + ck(1, 8, '1.20000')].join('\r'),
      [bar(1, 5, 5, ', val/loss=1.200') + "Epoch 1, global step 10: 'val/loss' was not in top 2"].join('\r'),
      [val, bar(1, 5, 5, ', val/loss=0.700')].join('\r'),
      // epoch 2: tqdm pads the shorter redraw with spaces before the message
      [bar(2, 2, 5, ', val/loss=0.700') + ck(2, 12, '0.70000'), bar(2, 4, 5, ', val/loss=0.700') + '   ' + ck(2, 14, '0.70000')].join('\r'),
      [bar(2, 5, 5, ', val/loss=0.700'), val, bar(2, 5, 5, ', val/loss=0.700')].join('\r'),
    ].join('\n');
    const t = parseLog(text).epochs;
    expect(t.checkpoints.map((c) => c.globalStep)).toEqual([6, 8, 10, 12, 14]);
    expect(t.epochs).toEqual([
      { epoch: 0, step: 4, metrics: { 'val/loss': 1.2 } },
      { epoch: 1, step: 9, metrics: { 'val/loss': 0.7 } },
      { epoch: 2, step: 14, metrics: { 'val/loss': 0.7 } },
    ]);
    // any message after a padded redraw (real run: seed 777 c299)
    expect(parseLog(bar(1, 1, 3, ', loss=0.180') + '   [rank: 0] Received SIGTERM: 15\n').stop.reason).toBe('killed');
    // no bar: two lines in one epoch do not say which is its end
    const noBar = parseLog([ck(0, 2, '1.20000'), ck(0, 4, '0.90000'), ck(1, 6, '0.80000')].join('\n')).epochs;
    expect(noBar.epochs[0]).toEqual({ epoch: 0, step: NaN, metrics: {} });
    expect(noBar.epochs[1]).toEqual({ epoch: 1, step: 5, metrics: { 'val/loss': 0.8 } });
  });

  it('keeps steps in batches when ModelCheckpoint counts optimizer steps (two optimizers; real run: seed 777 c276)', () => {
    const val = 'Validation DataLoader 0: 100%|██| 1/1 [00:00<00:00, 9.10it/s]';
    const ck = (e: number, s: number, v: string) => `Epoch ${e}, global step ${s}: 'val_loss' reached ${v} (best ${v}), saving model to '/r/c/epoch=0${e}.ckpt' as top 2`;
    const text = [
      [bar(0, 2, 2, ', val_loss=1.200'), val, bar(0, 2, 2, ', val_loss=1.200')].join('\r'),
      [bar(1, 2, 2, ', val_loss=1.200'), val, bar(1, 2, 2, ', val_loss=0.750') + ck(1, 8, '0.75000')].join('\r'),
      [bar(2, 2, 2, ', val_loss=0.750'), val, bar(2, 2, 2, ', val_loss=0.500')].join('\r'),
    ].join('\n');
    const t = parseLog(text).epochs;
    expect(t.epochs.map((r) => r.step)).toEqual([1, 3, 5]);
    // no bar for the epoch of a line in the other unit: unknown, not mixed
    const partial = parseLog([bar(0, 2, 2, ', val_loss=1.200'), ck(0, 4, '1.20000'), ck(1, 8, '0.75000')].join('\n')).epochs;
    expect(partial.epochs[0].step).toBe(1);
    expect(partial.epochs[1].step).toBeNaN();
    expect(partial.stepsKnown).toBe(false);
  });

  it('measures the rounding of a printed number', () => {
    expect(printedTolerance('0.91234')).toBeCloseTo(5e-6, 15);
    expect(printedTolerance('2')).toBe(0.5);
    expect(printedTolerance('1.5e-05')).toBeCloseTo(5e-7, 18);
  });
});

describe('logValuesDecide: when rounded log values may drive a replay', () => {
  const table = (vals: string[]) => parseLog(vals.map((v, e) => `Epoch ${e}: 100%|██| 4/4 [00:01<00:00, 9.10it/s, v_num=0, val_loss=${v}]`).join('\n')).epochs;

  it('trusts values far apart, not values within their rounding (equal prints included) or a min_delta apart', () => {
    expect(logValuesDecide(table(['0.900', '0.700', '0.500']), 'val_loss')).toBe(true);
    expect(logValuesDecide(table(['0.900', '0.900']), 'val_loss')).toBe(false); // a tie, or not
    expect(logValuesDecide(table(['0.901', '0.900']), 'val_loss')).toBe(false);
    expect(logValuesDecide(table(['0.900', '0.800']), 'val_loss', { minDelta: 0.1 })).toBe(false); // 0.9 − 0.1 vs 0.8
  });

  it('trusts a rendering only when both ends of the rounding render alike, and steps only when known', () => {
    const fixed = (d: number) => (v: number) => v.toFixed(d);
    expect(logValuesDecide(table(['0.900', '0.700']), 'val_loss', { render: fixed(2) })).toBe(true);
    expect(logValuesDecide(table(['0.900', '0.700']), 'val_loss', { render: fixed(4) })).toBe(false); // 0.8995…0.9005
    const later = parseLog('Epoch 3: 100%|██| 4/4 [00:01<00:00, v_num=0, val_loss=0.500]\n').epochs;
    expect(logValuesDecide(later, 'val_loss')).toBe(true);
    expect(logValuesDecide(later, 'val_loss', { steps: true })).toBe(false);
  });

  it('does not trust a table missing values ModelCheckpoint had (real run: `was not in top 2` prints none)', () => {
    const t = parseLog(readFixture(REAL, 'checkpoint_verbose', 'train.log')).epochs;
    expect(logValuesDecide(t, 'val_acc')).toBe(false);
    expect(logValuesDecide(parseLog(readFixture(REAL, 'progress_bar', 'train.log')).epochs, 'val_loss', { steps: true })).toBe(true);
  });
});
