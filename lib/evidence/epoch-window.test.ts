import { describe, expect, it } from 'vitest';
import { analyseBundle } from './analyse';
import { epochWindow, EPOCHS_SHOWN_WHOLE } from './epoch-window';

function run(n: number, best: number, stopped: number | null) {
  const ev = analyseBundle([], { root: '/b', title: 't' });
  ev.monitor = { name: 'val_loss', mode: 'min', source: 'test' };
  ev.epochs = Array.from({ length: n }, (_, i) => ({ epoch: i, step: i * 5 + 4, metrics: { val_loss: i === best ? 0.1 : 1 + i / n } }));
  ev.earlyStop =
    stopped === null
      ? null
      : { configured: true, monitor: 'val_loss', mode: 'min', patience: 3, minDelta: 0, bestEpoch: best, bestScore: 0.1, wait: 3, triggered: true, stoppedEpoch: stopped, trace: [] };
  return ev;
}

describe('epochWindow', () => {
  it('shows a short table whole', () => {
    const w = epochWindow(run(EPOCHS_SHOWN_WHOLE, 10, null));
    expect(w.whole).toBe(true);
    expect(w.indices).toHaveLength(EPOCHS_SHOWN_WHOLE);
  });

  it('a 1,000-epoch run: first, best, around the stop and last, in order', () => {
    const w = epochWindow(run(1000, 412, null));
    expect(w.whole).toBe(false);
    expect(w.best).toBe(412);
    expect(w.stop).toBe(999);
    expect(w.indices).toEqual([0, 1, 2, 410, 411, 412, 413, 414, 996, 997, 998, 999]);
  });

  it('an early stop: the rows before the stop are kept, and the best found without a replay', () => {
    const ev = run(700, 650, 655);
    expect(epochWindow(ev).indices).toEqual([0, 1, 2, 648, 649, 650, 651, 652, 653, 654, 655, 656, 697, 698, 699]);
    ev.earlyStop = null;
    expect(epochWindow(ev).best).toBe(650);
    expect(epochWindow(ev, true).indices).toHaveLength(700);
  });
});
