/**
 * Per-epoch series for the compare page, read back from a real database (a
 * SQLite file, and PostgreSQL when the tests have one) filled by the importer
 * from the repo's fixture bundles.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { backends } from '../testing/backends';
import { importBundles } from '../../server/bundles';
import { DEBUG_BUNDLE, LOGGER_SMOKE, RUNTIME_SMOKE } from '../../fixtures/test-helpers';
import { getEpochSeries } from './compare';
import { getRunEvidence, saveRun } from './runs';
import { analyseBundle } from '../../lib/evidence/analyse';
import { openTempDb, type TempDb } from './testing';

/** The SQL text of every statement `fn` sends to the database. */
async function statementsOf(db: Db, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  if (db.sqlite) {
    const client = db.sqlite;
    const prepare = client.prepare.bind(client);
    client.prepare = ((text: string) => {
      seen.push(text);
      return prepare(text);
    }) as typeof client.prepare;
    try {
      await fn();
    } finally {
      client.prepare = prepare;
    }
    return seen;
  }
  const pool = db.pool!;
  const query = pool.query.bind(pool);
  pool.query = ((q: string | { text: string }, ...rest: unknown[]) => {
    seen.push(typeof q === 'string' ? q : q.text);
    return (query as (...a: unknown[]) => unknown)(q, ...rest);
  }) as typeof pool.query;
  try {
    await fn();
  } finally {
    pool.query = query;
  }
  return seen;
}

describe.each(backends())('getEpochSeries (%s)', (backend) => {
  let temp: TempDb;
  let db: Db;
  let ids: { runtime: string; logger: string; debug: string };

  beforeEach(async () => {
    temp = await openTempDb('rp-compare-', backend);
    db = temp.db;
    const r = await importBundles({ db, roots: [RUNTIME_SMOKE, LOGGER_SMOKE, DEBUG_BUNDLE] });
    const idOf = (d: string) => r.runs.find((x) => x.dir === d)!.id;
    ids = { runtime: idOf(RUNTIME_SMOKE), logger: idOf(LOGGER_SMOKE), debug: idOf(DEBUG_BUNDLE) };
  });
  afterEach(async () => {
    await temp.close();
  });

  it('returns each run’s validation loss per epoch, in epoch order', async () => {
    const s = await getEpochSeries({ db, runIds: [ids.runtime, ids.logger] });
    const val = s[ids.runtime].poisson_val_loss;
    expect(val.map(([e]) => e)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(val.map(([, v]) => Number(v!.toFixed(3)))).toEqual([19644.615, 18232.771, 17981.115, 17851.99, 17771.838, 17732.736]);
    expect(s[ids.logger].poisson_val_loss).toHaveLength(1);
    expect(s[ids.logger].poisson_val_loss[0][0]).toBe(0);
  });

  it('holds exactly the per-epoch table of each run’s evidence document', async () => {
    const s = await getEpochSeries({ db, runIds: [ids.logger, ids.runtime] });
    for (const id of [ids.runtime, ids.logger]) {
      const ev = (await getRunEvidence({ db, id }))!.evidence;
      const metrics = Object.keys(s[id]).sort();
      expect(metrics).toEqual(Array.from(new Set(ev.epochs.flatMap((e) => Object.keys(e.metrics)))).sort());
      for (const m of metrics) expect(s[id][m]).toEqual(ev.epochs.filter((e) => m in e.metrics).map((e) => [e.epoch, e.metrics[m]]));
    }
  });

  it('answers every id asked for: a run without metrics and an unknown id get an empty series', async () => {
    const s = await getEpochSeries({ db, runIds: [ids.debug, 'no-such-run', ids.runtime, ids.runtime] });
    expect(Object.keys(s)).toEqual([ids.debug, 'no-such-run', ids.runtime]);
    expect(s[ids.debug]).toEqual({});
    expect(s['no-such-run']).toEqual({});
    expect(Object.keys(s[ids.runtime])).toContain('poisson_val_loss');
    expect(await getEpochSeries({ db, runIds: [] })).toEqual({});
  });

  it('gives the metrics in code-point order on both databases, whatever the server’s locale', async () => {
    const evidence = analyseBundle([], { root: '/b/m', title: 'm' });
    evidence.epochs = [0, 1].map((epoch) => ({ epoch, step: epoch, metrics: { b: epoch, B: 1, a: 2, _z: 3, é: 4 } }));
    await saveRun({ db, id: 'm', sourceKey: '/b/m', origin: 'imported', bundleDir: '/b/m', contentHash: 'h', evidence, series: [] });
    const s = (await getEpochSeries({ db, runIds: ['m'] })).m;
    expect(Object.keys(s)).toEqual(['B', '_z', 'a', 'b', 'é']);
    expect(s.b).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('reads all runs with one statement', async () => {
    const sqls = await statementsOf(db, () => getEpochSeries({ db, runIds: [ids.runtime, ids.logger, ids.debug] }));
    expect(sqls).toHaveLength(1);
    expect(sqls[0]).toMatch(/from "epoch_values"/i);
  });
});
