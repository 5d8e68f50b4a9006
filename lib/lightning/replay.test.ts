import { describe, expect, it } from 'vitest';
import { replayCheckpoints, replayEarlyStopping } from './replay';
import { DEFAULT_TEMPLATE, inferTemplate } from './checkpoints';

const pts = (vals: number[]) => vals.map((value, epoch) => ({ epoch, value }));
const epochs = (vals: number[], stepsPerEpoch = 10) => vals.map((v, e) => ({ epoch: e, step: (e + 1) * stepsPerEpoch - 1, metrics: { val_loss: v } }));

describe('EarlyStopping replay', () => {
  it('stops after `patience` checks without improvement', () => {
    const r = replayEarlyStopping(pts([1, 0.9, 0.95, 0.96, 0.97, 0.5]), { monitor: 'val_loss', mode: 'min', patience: 3, minDelta: 0 });
    expect(r).toMatchObject({ triggered: true, stoppedEpoch: 4, bestEpoch: 1, wait: 3, lastEpoch: 4 });
    expect(r.trace.map((t) => t.wait)).toEqual([0, 0, 1, 2, 3]);
  });

  it('treats equal values as no improvement and honours min_delta (min and max modes)', () => {
    expect(replayEarlyStopping(pts([1, 1, 1]), { monitor: 'm', mode: 'min', patience: 2, minDelta: 0 })).toMatchObject({ triggered: true, stoppedEpoch: 2 });
    // improvement of 0.05 < min_delta 0.1 does not count
    expect(replayEarlyStopping(pts([1, 0.95, 0.9]), { monitor: 'm', mode: 'min', patience: 2, minDelta: 0.1 })).toMatchObject({ triggered: true, bestEpoch: 0 });
    expect(replayEarlyStopping(pts([0.1, 0.5, 0.4]), { monitor: 'acc', mode: 'max', patience: 5, minDelta: 0 })).toMatchObject({ triggered: false, bestEpoch: 1, wait: 1 });
  });

  it('stops on a non-finite value and keeps best/wait', () => {
    const r = replayEarlyStopping(pts([1, NaN, 0.5]), { monitor: 'm', mode: 'min', patience: 9, minDelta: 0 });
    expect(r).toMatchObject({ triggered: true, stoppedEpoch: 1, bestEpoch: 0, wait: 0 });
  });

  it('keeps training until min_epochs once should_stop is set; stopped_epoch is the last check that said stop', () => {
    const r = replayEarlyStopping(pts([1, 1, 1, 1, 1]), { monitor: 'm', mode: 'min', patience: 1, minDelta: 0, minEpochs: 4 });
    expect(r).toMatchObject({ stoppedEpoch: 3, lastEpoch: 3, reason: 'patience' });
    // an improvement after the first stop leaves stopped_epoch where the last stop was, should_stop stays set
    const back = replayEarlyStopping(pts([1, 1, 0.5, 0.4, 0.3]), { monitor: 'm', mode: 'min', patience: 1, minDelta: 0, minEpochs: 4 });
    expect(back).toMatchObject({ triggered: true, stoppedEpoch: 1, lastEpoch: 3, bestEpoch: 3 });
  });
});

describe('ModelCheckpoint replay', () => {
  const t = inferTemplate('epoch=3-val_loss=0.1234.ckpt')!;

  it('keeps the k best, evicting the worst; last.ckpt when save_last', () => {
    const r = replayCheckpoints(epochs([5, 4, 3, 2, 1]), { monitor: 'val_loss', mode: 'min', saveTopK: 2, saveLast: true, template: t });
    expect(r.expected.map((e) => e.name)).toEqual(['epoch=3-val_loss=2.0000.ckpt', 'epoch=4-val_loss=1.0000.ckpt', 'last.ckpt']);
  });

  it('lets ties lose and the oldest of equal worst files go first', () => {
    const r = replayCheckpoints(epochs([1, 1, 1, 0.5]), { monitor: 'val_loss', mode: 'min', saveTopK: 2, saveLast: false, template: t });
    // epoch 2 ties and loses; epoch 3 evicts epoch 0 (oldest of the two equal worst)
    expect(r.expected.map((e) => e.epoch)).toEqual([1, 3]);
  });

  it('never lets NaN win, and saves everything with k=-1', () => {
    const nan = replayCheckpoints(epochs([1, NaN, 0.5]), { monitor: 'val_loss', mode: 'min', saveTopK: 1, saveLast: false, template: t });
    expect(nan.expected.map((e) => e.epoch)).toEqual([2]);
    const all = replayCheckpoints(epochs([3, 2, 1]), { monitor: 'val_loss', mode: 'min', saveTopK: -1, saveLast: false, template: t });
    expect(all.expected).toHaveLength(3);
  });

  it('without a monitor keeps only the latest (k=1) with the default name using global_step', () => {
    const r = replayCheckpoints(epochs([3, 2, 1], 5), { monitor: null, mode: 'min', saveTopK: 1, saveLast: false, template: DEFAULT_TEMPLATE });
    expect(r.expected.map((e) => e.name)).toEqual(['epoch=2-step=15.ckpt']);
  });

  it('adds -vN when a name would collide', () => {
    const coarse = inferTemplate('epoch=0-val_loss=1.0.ckpt')!; // one decimal: 1.04 and 1.01 both render 1.0
    const r = replayCheckpoints(
      [
        { epoch: 0, step: 9, metrics: { val_loss: 1.04 } },
        { epoch: 0, step: 19, metrics: { val_loss: 1.01 } },
      ],
      { monitor: 'val_loss', mode: 'min', saveTopK: 2, saveLast: false, template: coarse },
    );
    expect(r.expected.map((e) => e.name)).toEqual(['epoch=0-val_loss=1.0.ckpt', 'epoch=0-val_loss=1.0-v1.ckpt']);
  });
});
