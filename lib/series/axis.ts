/**
 * The loss chart's x axis and its tooltip, as pure functions: a global step
 * as a position on an epoch axis, and the point of a curve nearest the
 * pointer.
 */

/**
 * A step as an epoch position: epoch e ends at its last step s_e and is drawn
 * at x = e; a step inside it sits between e - 1 and e in proportion. Steps
 * past the last epoch continue at the last epoch's length.
 */
export function stepToEpoch(step: number, epochSteps: ReadonlyArray<readonly [number, number]>): number {
  const n = epochSteps.length;
  if (!n) return step;
  let lo = 0;
  let hi = n - 1;
  if (step > epochSteps[hi][1]) {
    const [e, s] = epochSteps[hi];
    const len = n > 1 ? Math.max(1, s - epochSteps[hi - 1][1]) : Math.max(1, s + 1);
    return e + (step - s) / len;
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (epochSteps[mid][1] >= step) hi = mid;
    else lo = mid + 1;
  }
  const [e, s] = epochSteps[lo];
  const prev = lo > 0 ? epochSteps[lo - 1][1] : -1;
  const prevEpoch = lo > 0 ? epochSteps[lo - 1][0] : e - 1;
  return prevEpoch + ((step - prev) / Math.max(1, s - prev)) * (e - prevEpoch);
}

/** The index of the point nearest x in points sorted by x. */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}
