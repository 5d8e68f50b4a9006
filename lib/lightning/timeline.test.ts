import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../fixtures/test-helpers';
import { templateFromLightning } from './checkpoints';
import { parseMetricsCsv } from './metrics-csv';
import { replayCheckpointHooks, replayEarlyStoppingHooks } from './replay';
import { hooksOf, timelineFromMetrics, validationColumns } from './timeline';

const CASES = path.join(FIXTURES, 'conformance', 'cases');
const csv = (id: string) => parseMetricsCsv(fs.readFileSync(path.join(CASES, id, 'metrics.csv'), 'utf8'));
const truth = (id: string) => JSON.parse(fs.readFileSync(path.join(CASES, id, 'truth.json'), 'utf8'));

describe("the fit's timeline from a real metrics.csv", () => {
  it("places each validation at global step (logged step + 1) and each epoch end, in Lightning's hook order", () => {
    const m = csv('c021-val-interval'); // val_check_interval=2 batches, 5 batches an epoch
    const tl = timelineFromMetrics(m, { valColumns: validationColumns(m.columns), stepsPerBatch: 1, lastEnded: true });
    expect(tl.validations.map((v) => [v.epoch, v.step])).toEqual(truth('c021-val-interval').validations.map((v: { epoch: number; global_step: number }) => [v.epoch, v.global_step]));
    expect(tl.epochs.map((e) => [e.epoch, e.startStep, e.endStep])).toEqual([
      [0, 0, 5],
      [1, 5, 10],
      [2, 10, 15],
    ]);
    expect(hooksOf(tl).map((h) => `${h.kind}@${h.step}`)).toEqual(['val@2', 'val@4', 'epoch@5', 'val@7', 'val@9', 'epoch@10', 'val@12', 'val@14', 'epoch@15', 'end@15']);
  });

  it("emits train-batch hooks only where every_n_train_steps acts, with the last validation's values still in the callback metrics", () => {
    const m = csv('c080-max-steps');
    const tl = timelineFromMetrics(m, { valColumns: validationColumns(m.columns), stepsPerBatch: 1, lastEnded: true });
    const hooks = hooksOf(tl, { everyNTrainSteps: 2 });
    const at6 = hooks.find((h) => h.kind === 'batch' && h.step === 6)!;
    expect(at6.metrics['val/loss']).toBeCloseTo(0.799, 6); // epoch 0's value, seen in epoch 1
    expect(hooks.filter((h) => h.kind === 'batch').map((h) => h.step)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
  });
});

describe("ModelCheckpoint and EarlyStopping, hook by hook, against Lightning's own events", () => {
  it("c080: every_n_train_steps=2 defers until the monitor exists, saves stale values, top-2 — exactly Lightning's saves and deletes", () => {
    const m = csv('c080-max-steps');
    const tl = timelineFromMetrics(m, { valColumns: validationColumns(m.columns), stepsPerBatch: 1, lastEnded: true });
    const r = replayCheckpointHooks(hooksOf(tl, { everyNTrainSteps: 2 }), {
      monitor: 'val/loss',
      mode: 'min',
      saveTopK: 2,
      saveLast: true,
      everyNEpochs: 0,
      everyNTrainSteps: 2,
      saveOnTrainEpochEnd: true,
      template: templateFromLightning('{epoch}-{step}-{val/loss:.3f}')!,
    });
    const lightning = truth('c080-max-steps').checkpoint_events as Array<{ op: string; path: string }>;
    const ours = r.events.flatMap((e) => [...(e.saved ? e.saved.split(', ').map((p) => `save ${p}`) : []), ...(e.deleted ? e.deleted.split(', ').map((p) => `delete ${p}`) : [])]);
    // Lightning deletes after the new save; order inside one hook aside, the same operations
    expect(ours.sort()).toEqual(lightning.map((e) => `${e.op} ${e.path}`).sort());
    expect(r.expected.map((e) => e.name).sort()).toEqual([...truth('c080-max-steps').checkpoint_files].sort());
  });

  it('last.ckpt only at a step a top-k file was saved (2.6), and once at train end when nothing was (save_top_k=0)', () => {
    const m = csv('c080-max-steps');
    const tl = timelineFromMetrics(m, { valColumns: validationColumns(m.columns), stepsPerBatch: 1, lastEnded: true });
    const none = replayCheckpointHooks(hooksOf(tl), { monitor: 'val/loss', mode: 'min', saveTopK: 0, saveLast: true, template: templateFromLightning(null)! });
    expect(none.expected.map((e) => [e.name, e.step])).toEqual([['last.ckpt', 16]]);
    expect(none.events.filter((e) => e.saved)).toHaveLength(1);
  });

  it('EarlyStopping at validation end with check_val_every_n_epoch: patience counts checks, not epochs', () => {
    const m = csv('c075-sparse-val');
    const tl = timelineFromMetrics(m, { valColumns: validationColumns(m.columns), stepsPerBatch: 1, lastEnded: true });
    const hooks = hooksOf(tl);
    const atEnd = replayEarlyStoppingHooks(hooks, { monitor: 'val_acc', mode: 'max', patience: 10, minDelta: 0, checkOnTrainEpochEnd: false });
    expect(atEnd.trace.map((t) => t.epoch)).toEqual([1, 3, 5, 7]);
    expect(atEnd.triggered).toBe(false);
    // checked at every train-epoch end instead, the stale value of a skipped epoch counts as a check without improvement
    const everyEpoch = replayEarlyStoppingHooks(hooks, { monitor: 'val_acc', mode: 'max', patience: 1, minDelta: 0, checkOnTrainEpochEnd: true });
    expect(everyEpoch.trace[0]).toMatchObject({ epoch: 0, value: null }); // no validation yet: the check finds nothing
    expect(everyEpoch).toMatchObject({ triggered: true, stoppedEpoch: 2, lastEpoch: 2, missing: 1 });
  });
});
