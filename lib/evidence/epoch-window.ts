/**
 * Which rows of a long per-epoch table to show: the first epochs, the best
 * epoch and its neighbours, the epochs around the stop (EarlyStopping's
 * patience running out, or the last epoch), any epoch the replay marks, and
 * the last epochs. A 1,000-epoch run reads as ~20 rows with the gaps named;
 * "show all" gives the rest. Pure.
 */
import type { Evidence } from './types';

/** Tables up to this many epochs are shown whole. */
export const EPOCHS_SHOWN_WHOLE = 60;

export interface EpochWindow {
  /** Indices into `ev.epochs`, ascending. */
  indices: number[];
  /** Every epoch is shown. */
  whole: boolean;
  best: number | null;
  stop: number | null;
}

function bestIndex(ev: Pick<Evidence, 'epochs' | 'earlyStop' | 'monitor'>): number {
  const es = ev.earlyStop;
  if (es?.bestEpoch != null) return ev.epochs.findIndex((e) => e.epoch === es.bestEpoch);
  const m = ev.monitor?.name ?? es?.monitor ?? null;
  if (!m) return -1;
  const max = (ev.monitor?.mode ?? es?.mode) === 'max';
  let at = -1;
  let best = 0;
  ev.epochs.forEach((e, i) => {
    const v = e.metrics[m];
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    if (at < 0 || (max ? v > best : v < best)) {
      at = i;
      best = v;
    }
  });
  return at;
}

export function epochWindow(ev: Pick<Evidence, 'epochs' | 'earlyStop' | 'monitor'>, all = false): EpochWindow {
  const n = ev.epochs.length;
  const b = bestIndex(ev);
  const es = ev.earlyStop;
  const stopEpoch = es?.triggered && es.stoppedEpoch != null ? es.stoppedEpoch : null;
  let s = stopEpoch !== null ? ev.epochs.findIndex((e) => e.epoch === stopEpoch) : -1;
  if (s < 0 && n) s = n - 1;
  const best = b >= 0 ? ev.epochs[b].epoch : null;
  const stop = s >= 0 ? ev.epochs[s].epoch : null;
  if (all || n <= EPOCHS_SHOWN_WHOLE) return { indices: ev.epochs.map((_, i) => i), whole: true, best, stop };
  const keep = new Set<number>();
  const span = (from: number, to: number) => {
    for (let i = Math.max(0, from); i <= Math.min(n - 1, to); i++) keep.add(i);
  };
  span(0, 2);
  if (b >= 0) span(b - 2, b + 2);
  if (s >= 0) span(s - 3, s + 1);
  const marked = new Set((es?.trace ?? []).filter((t) => t.stop).map((t) => t.epoch));
  ev.epochs.forEach((e, i) => {
    if (marked.has(e.epoch)) keep.add(i);
  });
  span(n - 3, n - 1);
  return { indices: [...keep].sort((x, y) => x - y), whole: false, best, stop };
}
