import { describe, expect, it } from 'vitest';
import { known, unknown } from '../facts/fact';
import type { Evidence } from '../types';
import { checkEarlyStop, type EarlyStopFacts } from './early-stop';

const rows = (n: number) => Array.from({ length: n }, (_, epoch) => ({ epoch, step: epoch, metrics: {} }));
const replay = (p: Partial<NonNullable<Evidence['earlyStop']>> = {}): NonNullable<Evidence['earlyStop']> => ({
  configured: true,
  monitor: 'val_loss',
  mode: 'min',
  patience: 2,
  minDelta: 0,
  bestEpoch: 1,
  bestScore: 0.5,
  wait: 2,
  triggered: false,
  stoppedEpoch: null,
  trace: [],
  ...p,
});
const facts = (p: Partial<EarlyStopFacts> = {}): EarlyStopFacts => ({
  earlyStop: replay(),
  epochs: rows(4),
  monitorPoints: rows(4).map((e) => ({ epoch: e.epoch, value: 1 })),
  stop: { reason: 'max_epochs', message: null },
  maxEpochs: known(4, 'command.txt: --max_epochs'),
  interrupted: null,
  ...p,
});

describe('checkEarlyStop', () => {
  it('passes when run and replay both stop at the last epoch, or neither stops', () => {
    expect(checkEarlyStop(facts({ stop: { reason: 'early_stopping', message: null }, earlyStop: replay({ triggered: true, stoppedEpoch: 3 }) }))).toEqual({
      id: 'early-stop',
      status: 'pass',
      detail: 'run and replay both stop at epoch 3 (patience 2, best epoch 1, wait 2)',
    });
    expect(checkEarlyStop(facts()).detail).toBe('not triggered, as the replay agrees (patience 2, best epoch 1, wait 2)');
  });

  it('fails when the run stopped early and the replay does not, and the other way round', () => {
    const short = facts({ stop: { reason: 'unknown', message: null }, maxEpochs: known(10, 'x') });
    expect(checkEarlyStop(short)).toMatchObject({ status: 'fail', detail: 'run stopped at epoch 3; replay does not stop (patience 2, best epoch 1, wait 2)' });
    expect(checkEarlyStop(facts({ earlyStop: replay({ triggered: true, stoppedEpoch: 2 }) }))).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('replay stops at epoch 2 but the run went on to epoch 3'),
    });
  });

  it('judges an interrupted run only up to its last completed epoch', () => {
    const points = [
      { epoch: 0, value: 1 },
      { epoch: 1, value: 1 },
      { epoch: 2, value: undefined },
    ];
    expect(checkEarlyStop(facts({ interrupted: 'cancelled', monitorPoints: points })).status).toBe('pass');
    expect(checkEarlyStop(facts({ interrupted: 'cancelled', monitorPoints: points, earlyStop: replay({ triggered: true, stoppedEpoch: 0 }) })).status).toBe('fail');
    expect(checkEarlyStop(facts({ interrupted: 'lost', monitorPoints: [{ epoch: 0, value: undefined }] }))).toMatchObject({ status: 'skip', detail: 'no completed epoch before the run was lost' });
  });

  it('skips without a replay or without a patience knob', () => {
    expect(checkEarlyStop(facts({ earlyStop: null, maxEpochs: unknown('none') })).detail).toBe('no monitored metric per epoch to replay');
    expect(checkEarlyStop(facts({ earlyStop: replay({ configured: false }) })).detail).toBe('EarlyStopping not configured (no patience knob)');
  });
});

describe('checkEarlyStop: settings the bundle does not state', () => {
  const es = (p: Record<string, unknown>) =>
    ({ replay: null, assumed: [], borrowed: [], inferred: [], agrees: true, checkOnTrainEpochEnd: true, resumedUnknown: false, bookkeeping: null, doc: null, ...p }) as never;
  it('warns when the replay agrees only with an inferred setting, and when it disagrees resting on defaults', () => {
    const stopped = facts({ stop: { reason: 'early_stopping', message: null }, earlyStop: replay({ triggered: true, stoppedEpoch: 3 }) });
    expect(checkEarlyStop({ ...stopped, earlyStopping: es({ inferred: ['min_delta≥0.05'] }) })).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('only with min_delta≥0.05, which the bundle does not state'),
    });
    const short = facts({ stop: { reason: 'unknown', message: null }, maxEpochs: known(10, 'x') });
    expect(checkEarlyStop({ ...short, earlyStopping: es({ assumed: ['min_delta=0'] }) })).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('the replay rests on settings the bundle does not state (min_delta=0)'),
    });
  });
  it("fails when Lightning's own state (runproof.json) disagrees with the replay", () => {
    const r = { lastEpoch: 3, triggered: true, stoppedEpoch: 3, wait: 2, reason: 'patience', trace: [] };
    const c = checkEarlyStop({
      ...facts({ stop: { reason: 'early_stopping', message: null }, earlyStop: replay({ triggered: true, stoppedEpoch: 3 }) }),
      earlyStopping: es({ replay: r, bookkeeping: { waitCount: 1, stoppedEpoch: 3, bestScore: 0.5, reason: 'patience_exhausted', source: 'runproof.json: end' } }),
    });
    expect(c).toMatchObject({ status: 'fail', detail: "Lightning's own EarlyStopping state (runproof.json: end) disagrees with the replay over the logged values: wait_count 1 vs replay 2" });
  });
});
