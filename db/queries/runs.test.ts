/**
 * Storing a run's evidence against a real database (a SQLite file, and
 * PostgreSQL when the tests have one): a document far bigger than any one
 * statement may bind (SQLite refuses more than 32,766 parameters) is written
 * whole, child row by child row, and replaced whole; its per-step series
 * comes back point for point.
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { backends } from '../testing/backends';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { Evidence } from '../../lib/evidence/types';
import { CHART_POINTS, getRunEvidence, getRunSeries, getRunSeriesForChart, saveRun } from './runs';
import { openTempDb, type TempDb } from './testing';

/** An evidence document with n of everything a run has many of (no caps: saveRun must cope on its own). */
function hugeEvidence(n: number): Evidence {
  const ev = analyseBundle([], { root: '/b/huge', title: 'huge' });
  ev.checkpoints.found = Array.from({ length: n }, (_, i) => ({ name: `epoch=${i}-step=${i}.ckpt`, sizeBytes: 1, epoch: i, step: i, score: null, kind: 'top-k' as const, expected: false }));
  // A listing that names one file twice (two folders) is stored once.
  ev.checkpoints.found.push({ ...ev.checkpoints.found[0] });
  ev.checkpoints.expected = [{ name: 'never-written.ckpt', epoch: 0, score: 1, kind: 'top-k' }];
  ev.checkpoints.missing = ['never-written.ckpt'];
  ev.warnings = Array.from({ length: n }, (_, i) => ({ category: 'UserWarning', message: `warning ${i}`, file: 'x.py', line: i, count: 1 }));
  ev.epochs = Array.from({ length: n }, (_, i) => ({ epoch: i, step: i * 10, metrics: { a: i, b: i / 2, c: null, d: 1 } }));
  ev.files = Array.from({ length: n }, (_, i) => ({ path: `f${i}.txt`, role: 'other' as const, sizeBytes: i }));
  return ev;
}

describe.each(backends())('saveRun (%s)', (backend) => {
  let temp: TempDb;
  let db: Db;
  beforeEach(async () => {
    temp = await openTempDb('rp-runs-', backend);
    db = temp.db;
  });
  afterEach(async () => {
    await temp.close();
  });

  const count = async (table: string, runId: string) => (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)} WHERE run_id = ${runId}`))!.n;

  it('stores 10,000 checkpoints, warnings and files and 40,000 epoch values, each table in statements under the parameter limit', async () => {
    const evidence = hugeEvidence(10_000);
    await saveRun({ db, id: 'huge', sourceKey: '/b/huge', origin: 'imported', bundleDir: '/b/huge', contentHash: 'h', evidence, series: [] });
    expect(await count('checkpoints', 'huge')).toBe(10_001);
    expect(await db.get(sql`SELECT state, expected FROM checkpoints WHERE run_id = 'huge' AND name = 'never-written.ckpt'`)).toMatchObject({ state: 'missing' });
    expect(await count('warnings', 'huge')).toBe(10_000);
    expect(await count('bundle_files', 'huge')).toBe(10_000);
    expect(await count('epoch_values', 'huge')).toBe(40_000);
    expect((await getRunEvidence({ db, id: 'huge' }))!.evidence.warnings).toHaveLength(10_000);

    // Saved again with less, nothing of the first save is left.
    const small = hugeEvidence(3);
    await saveRun({ db, id: 'huge', sourceKey: '/b/huge', origin: 'imported', bundleDir: '/b/huge', contentHash: 'h2', evidence: small, series: [] });
    expect(await count('checkpoints', 'huge')).toBe(4);
    expect(await count('warnings', 'huge')).toBe(3);
    expect(await count('epoch_values', 'huge')).toBe(12);
  });

  it('stores a per-step series point for point (NaN and infinities as no value), charts it in at most 2,000 points, and replaces it whole', async () => {
    const n = 5_000;
    const steps = Float64Array.from({ length: n }, (_, i) => i * 2);
    const epochs = Float64Array.from({ length: n }, (_, i) => Math.floor(i / 1000));
    const values = Float64Array.from({ length: n }, (_, i) => (i === 7 ? Number.NaN : i === 8 ? Number.POSITIVE_INFINITY : Math.sin(i) + i / 1000));
    const evidence = analyseBundle([], { root: '/b/s', title: 's' });
    const base = { db, id: 's', sourceKey: '/b/s', origin: 'imported' as const, bundleDir: '/b/s', contentHash: 'h', evidence };
    await saveRun({
      ...base,
      series: [
        { metric: 'loss', length: n, steps, epochs, values },
        { metric: 'lr', length: 3, steps: [0, 1, 2], epochs: [0, 0, 0], values: [0.1, 0.01, 0.001] },
      ],
    });

    const got = await getRunSeries({ db, runId: 's' });
    expect(got.map((s) => s.metric)).toEqual(['loss', 'lr']);
    expect(Array.from(got[0].steps)).toEqual(Array.from(steps));
    const want = Array.from(values, (v) => (Number.isFinite(v) ? v : Number.NaN));
    expect(Array.from(got[0].values)).toEqual(want);
    expect(Array.from(got[1].values)).toEqual([0.1, 0.01, 0.001]);
    expect(await db.get(sql`SELECT epoch FROM points p JOIN series s ON s.id = p.series_id WHERE s.run_id = 's' AND s.metric = 'loss' AND p.seq = 4999`)).toEqual({ epoch: 4 });

    const chart = await getRunSeriesForChart({ db, runId: 's' });
    expect(chart[0]).toMatchObject({ metric: 'loss', points: n });
    expect(chart[0].steps.length).toBeLessThanOrEqual(CHART_POINTS);
    expect(chart[0].steps[0]).toBe(0);
    expect(chart[0].steps.at(-1)).toBe(steps[n - 1]);

    await saveRun({ ...base, series: [{ metric: 'lr', length: 2, steps: [0, 1], epochs: [0, 0], values: [1, 2] }] });
    expect((await getRunSeries({ db, runId: 's' })).map((s) => [s.metric, Array.from(s.values)])).toEqual([['lr', [1, 2]]]);
    expect(await db.get(sql`SELECT count(*) AS n FROM points`)).toEqual({ n: 2 });
  });
});
