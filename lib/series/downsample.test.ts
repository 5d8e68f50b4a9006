import { describe, expect, it } from 'vitest';
import { downsampleMinMax, downsamplePoints } from './downsample';

function noisy(n: number, seed = 1): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    xs[i] = i;
    ys[i] = 10 + (s / 2147483648 - 0.5); // noise in [9.5, 10.5)
  }
  return { xs, ys };
}

function assertValid(idx: Uint32Array, n: number, max: number) {
  expect(idx.length).toBeLessThanOrEqual(max);
  expect(idx[0]).toBe(0);
  expect(idx[idx.length - 1]).toBe(n - 1);
  for (let j = 1; j < idx.length; j++) expect(idx[j]).toBeGreaterThan(idx[j - 1]);
}

describe('downsampleMinMax', () => {
  it('returns every index when n <= maxPoints', () => {
    const { xs, ys } = noisy(100);
    expect(Array.from(downsampleMinMax(xs, ys, 100))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(downsampleMinMax([1, 2, 3], [4, 5, 6]))).toEqual([0, 1, 2]);
  });

  it('empty and single-point input', () => {
    expect(downsampleMinMax([], [])).toEqual(new Uint32Array(0));
    expect(Array.from(downsampleMinMax([5], [7], 10))).toEqual([0]);
    expect(downsamplePoints([], [])).toEqual([]);
  });

  it('respects maxPoints and keeps first and last', () => {
    const { xs, ys } = noisy(10_000);
    for (const max of [2, 3, 4, 5, 10, 99, 100, 2000, 9999]) {
      const idx = downsampleMinMax(xs, ys, max);
      assertValid(idx, 10_000, max);
    }
    assertValid(downsampleMinMax(xs, ys), 10_000, 2000);
    // nonsense maxPoints does not crash
    assertValid(downsampleMinMax(xs, ys, 1), 10_000, 2);
    assertValid(downsampleMinMax(xs, ys, NaN), 10_000, 2000);
  });

  it('keeps a single spike and a single dip in 1M noisy points', () => {
    const n = 1_000_000;
    const { xs, ys } = noisy(n, 3);
    ys[123_457] = 1000; // spike
    ys[876_543] = -1000; // dip
    const idx = downsampleMinMax(xs, ys, 2000);
    assertValid(idx, n, 2000);
    expect(idx.length).toBeGreaterThan(1900);
    const kept = new Set(idx);
    expect(kept.has(123_457)).toBe(true);
    expect(kept.has(876_543)).toBe(true);
    const pts = downsamplePoints(xs, ys, 2000);
    expect(Math.max(...pts.map((p) => p.y))).toBe(1000);
    expect(Math.min(...pts.map((p) => p.y))).toBe(-1000);
  });

  it('tolerates NaN and infinities', () => {
    const n = 50_000;
    const { xs, ys } = noisy(n, 5);
    for (let i = 0; i < n; i += 3) ys[i] = NaN;
    ys[1] = NaN;
    ys[n - 1] = NaN;
    for (let i = 20_000; i < 30_000; i++) ys[i] = NaN; // fully NaN buckets
    ys[40_001] = Infinity;
    const idx = downsampleMinMax(xs, ys, 500);
    assertValid(idx, n, 500);
    expect(Array.from(idx).includes(40_001)).toBe(true);
    // all-NaN input: only first and last
    const allNaN = new Float64Array(10_000).fill(NaN);
    expect(Array.from(downsampleMinMax(xs.subarray(0, 10_000), allNaN, 100))).toEqual([0, 9999]);
  });

  it('works with plain arrays and keeps x/y pairs together', () => {
    const xs = Array.from({ length: 5000 }, (_, i) => i * 2);
    const ys = xs.map((x) => Math.sin(x / 100));
    const pts = downsamplePoints(xs, ys, 300);
    expect(pts.length).toBeLessThanOrEqual(300);
    expect(pts[0]).toEqual({ x: 0, y: 0 });
    expect(pts[pts.length - 1].x).toBe(9998);
    for (const p of pts) expect(p.y).toBe(Math.sin(p.x / 100));
  });
});
