/**
 * Min/max bucket downsampling for line charts: keeps spikes and dips that
 * plain decimation would drop. Pure, allocation-light, O(n).
 */

const DEFAULT_MAX_POINTS = 2000;

/**
 * Indices (ascending, unique) of the points to draw: at most maxPoints, always
 * the first and the last point, and per bucket the min and max value (so
 * spikes survive). NaN values: skipped for min/max but never make it crash.
 * If n <= maxPoints return all indices.
 *
 * Buckets are equal-count ranges of the interior points 1..n-2 (index based,
 * so xs only has to be the same length as ys). A bucket whose values are all
 * NaN contributes nothing. maxPoints below 2 is treated as 2 (first and last).
 */
export function downsampleMinMax(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number = DEFAULT_MAX_POINTS): Uint32Array {
  const n = Math.min(xs.length, ys.length);
  let max = Number.isFinite(maxPoints) ? Math.floor(maxPoints) : DEFAULT_MAX_POINTS;
  if (max < 2) max = 2;
  if (n <= max) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const buckets = (max - 2) >> 1;
  const out = new Uint32Array(max);
  let k = 0;
  out[k++] = 0;
  const interior = n - 2;
  if (buckets > 0) {
    for (let b = 0; b < buckets; b++) {
      // interior indices [lo, hi)
      const lo = 1 + Math.floor((b * interior) / buckets);
      const hi = 1 + Math.floor(((b + 1) * interior) / buckets);
      let iMin = -1;
      let iMax = -1;
      let vMin = Infinity;
      let vMax = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = ys[i];
        if (v !== v) continue; // NaN
        if (iMin < 0) {
          iMin = iMax = i;
          vMin = vMax = v;
          continue;
        }
        if (v < vMin) {
          vMin = v;
          iMin = i;
        } else if (v > vMax) {
          vMax = v;
          iMax = i;
        }
      }
      if (iMin < 0) continue;
      if (iMin === iMax) out[k++] = iMin;
      else if (iMin < iMax) {
        out[k++] = iMin;
        out[k++] = iMax;
      } else {
        out[k++] = iMax;
        out[k++] = iMin;
      }
    }
  }
  out[k++] = n - 1;
  return k === out.length ? out : out.slice(0, k);
}

/** downsampleMinMax, materialized as chart points. */
export function downsamplePoints(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints?: number): Array<{ x: number; y: number }> {
  const idx = downsampleMinMax(xs, ys, maxPoints);
  const out = new Array<{ x: number; y: number }>(idx.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    out[j] = { x: xs[i], y: ys[i] };
  }
  return out;
}
