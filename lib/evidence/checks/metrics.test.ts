import { describe, expect, it } from 'vitest';
import type { ParsedMetrics } from '../../lightning/metrics-csv';
import { assumed, known, unknown } from '../facts/fact';
import { checkMetrics, type MetricsFacts } from './metrics';

const lightning = { kind: 'lightning', reason: null } as ParsedMetrics;
const epochs = [0, 1, 2].map((epoch) => ({ epoch, step: epoch * 10 + 9, metrics: {} }));
const facts = (p: Partial<MetricsFacts> = {}): MetricsFacts => ({
  metricsFile: { path: 'metrics.csv', fromEvents: false },
  metrics: lightning,
  logger: unknown('no knob'),
  epochs,
  monitor: assumed({ name: 'val_loss', via: 'validation loss column' as const }, 'guessed'),
  monitorPoints: epochs.map((e) => ({ epoch: e.epoch, value: 1 })),
  interrupted: null,
  ...p,
});

describe('checkMetrics', () => {
  it('passes when the monitor is logged every epoch, or when no monitor is known', () => {
    expect(checkMetrics(facts())).toEqual({ id: 'metrics', status: 'pass', detail: 'val_loss logged for all 3 epochs' });
    expect(checkMetrics(facts({ monitor: unknown('none') })).detail).toBe('3 epochs; no monitored metric identified');
  });

  it('fails on epochs without the monitor', () => {
    const points = [
      { epoch: 0, value: 1 },
      { epoch: 1, value: undefined },
      { epoch: 2, value: undefined },
    ];
    expect(checkMetrics(facts({ monitorPoints: points }))).toMatchObject({ status: 'fail', detail: 'val_loss missing for epochs 1, 2' });
  });

  it('does not count an interrupted last epoch as a gap', () => {
    const points = [
      { epoch: 0, value: 1 },
      { epoch: 1, value: 1 },
      { epoch: 2, value: undefined },
    ];
    expect(checkMetrics(facts({ monitorPoints: points, interrupted: 'cancelled' }))).toMatchObject({
      status: 'pass',
      detail: 'val_loss logged for every completed epoch; epoch 2 was interrupted (cancelled)',
    });
  });

  it('fails without a metrics.csv when --logger csv was asked for, and on unreadable or empty files', () => {
    const csv = known('csv', 'command.txt: --logger');
    expect(checkMetrics(facts({ metricsFile: null, logger: csv })).status).toBe('fail');
    expect(checkMetrics(facts({ metricsFile: { path: 'events.out.tfevents.1', fromEvents: true }, logger: csv })).detail).toMatch(/only TensorBoard events/);
    expect(checkMetrics(facts({ metrics: { ...lightning, kind: 'not-lightning', reason: 'no epoch column' } }))).toMatchObject({ status: 'fail', detail: 'metrics.csv: no epoch column' });
    expect(checkMetrics(facts({ metrics: null })).detail).toBe('metrics.csv: not readable');
    expect(checkMetrics(facts({ epochs: [] })).detail).toBe('metrics.csv has no per-epoch rows');
  });

  it('skips without a metrics file when no CSV logger was asked for', () => {
    expect(checkMetrics(facts({ metricsFile: null }))).toMatchObject({ status: 'skip', detail: 'no metrics.csv in the bundle' });
  });
});

describe('checkMetrics: validation sparse by design', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, epoch) => ({ epoch, step: epoch * 10 + 9, metrics: { train_loss_epoch: 1 } as Record<string, number> }));
  const pts = (vals: Array<number | undefined>) => vals.map((value, epoch) => ({ epoch, value }));
  const base = (p: Partial<MetricsFacts> = {}): MetricsFacts => ({
    metricsFile: { path: 'metrics.csv', fromEvents: false },
    metrics: { kind: 'lightning', reason: null, epochLevel: ['train_loss_epoch', 'val_loss'] } as ParsedMetrics,
    logger: unknown('x'),
    epochs: rows(4),
    monitor: known({ name: 'val_loss', via: 'command' as const }, 'command.txt'),
    monitorPoints: pts([undefined, 1, undefined, 0.5]),
    interrupted: null,
    ...p,
  });
  it('skips the epochs check_val_every_n_epoch does not validate, stated or shown by the validated epochs', () => {
    expect(checkMetrics(base())).toMatchObject({
      status: 'pass',
      detail: 'val_loss logged for the 2 epochs that validated; epochs 0, 2 not validated by check_val_every_n_epoch=2 (the validated epochs show it)',
    });
  });
  it('a last epoch max_steps cut before its validation is no gap; a middle epoch with no rows at all is', () => {
    const settings = { trainer: { checkValEveryNEpoch: unknown('x'), maxSteps: known(35, 'command.txt: --max_steps') } } as never;
    expect(checkMetrics(base({ monitorPoints: pts([1, 0.9, 0.8, undefined]), settings, lastStep: 35 })).detail).toContain('epoch 3 ended at max_steps=35 before its validation');
    const gap = rows(4).filter((e) => e.epoch !== 2);
    expect(checkMetrics(base({ epochs: gap, monitorPoints: pts([1, 0.9, 0.8]) }))).toMatchObject({
      status: 'fail',
      detail: 'metrics.csv has no rows for epoch 2, though every other epoch logged train_loss_epoch',
    });
  });
  it("a file of trainer.test() values only: the fit's values are not in the bundle", () => {
    expect(checkMetrics(base({ epochs: [], testOnlyRows: 1 }))).toMatchObject({ status: 'skip' });
  });
});
