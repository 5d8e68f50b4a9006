/**
 * Per-epoch series for the compare page, read back from a real SQLite file
 * filled by the importer from the repo's fixture bundles.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../client';
import { importBundles } from '../../server/bundles';
import { DEBUG_BUNDLE, LOGGER_SMOKE, RUNTIME_SMOKE } from '../../fixtures/test-helpers';
import { getEpochSeries } from './compare';
import { getRunEvidence } from './runs';

let dir: string;
let file: string;
let db: Db;
let ids: { runtime: string; logger: string; debug: string };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-compare-'));
  file = path.join(dir, 'c.db');
  db = openDb(file);
  const r = importBundles({ db, roots: [RUNTIME_SMOKE, LOGGER_SMOKE, DEBUG_BUNDLE] });
  const idOf = (d: string) => r.runs.find((x) => x.dir === d)!.id;
  ids = { runtime: idOf(RUNTIME_SMOKE), logger: idOf(LOGGER_SMOKE), debug: idOf(DEBUG_BUNDLE) };
});
afterEach(() => {
  closeDb(file);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('getEpochSeries', () => {
  it('returns each run’s validation loss per epoch, in epoch order', () => {
    const s = getEpochSeries({ db, runIds: [ids.runtime, ids.logger] });
    const val = s[ids.runtime].poisson_val_loss;
    expect(val.map(([e]) => e)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(val.map(([, v]) => Number(v!.toFixed(3)))).toEqual([19644.615, 18232.771, 17981.115, 17851.99, 17771.838, 17732.736]);
    expect(s[ids.logger].poisson_val_loss).toHaveLength(1);
    expect(s[ids.logger].poisson_val_loss[0][0]).toBe(0);
  });

  it('holds exactly the per-epoch table of each run’s evidence document', () => {
    const s = getEpochSeries({ db, runIds: [ids.logger, ids.runtime] });
    for (const id of [ids.runtime, ids.logger]) {
      const ev = getRunEvidence({ db, id })!.evidence;
      const metrics = Object.keys(s[id]).sort();
      expect(metrics).toEqual(Array.from(new Set(ev.epochs.flatMap((e) => Object.keys(e.metrics)))).sort());
      for (const m of metrics) expect(s[id][m]).toEqual(ev.epochs.filter((e) => m in e.metrics).map((e) => [e.epoch, e.metrics[m]]));
    }
  });

  it('answers every id asked for: a run without metrics and an unknown id get an empty series', () => {
    const s = getEpochSeries({ db, runIds: [ids.debug, 'no-such-run', ids.runtime, ids.runtime] });
    expect(Object.keys(s)).toEqual([ids.debug, 'no-such-run', ids.runtime]);
    expect(s[ids.debug]).toEqual({});
    expect(s['no-such-run']).toEqual({});
    expect(Object.keys(s[ids.runtime])).toContain('poisson_val_loss');
    expect(getEpochSeries({ db, runIds: [] })).toEqual({});
  });

  it('reads all runs with one statement', () => {
    const prepare = db.$client.prepare.bind(db.$client);
    const sqls: string[] = [];
    db.$client.prepare = ((sql: string) => {
      sqls.push(sql);
      return prepare(sql);
    }) as typeof db.$client.prepare;
    try {
      getEpochSeries({ db, runIds: [ids.runtime, ids.logger, ids.debug] });
    } finally {
      db.$client.prepare = prepare;
    }
    expect(sqls).toHaveLength(1);
    expect(sqls[0]).toMatch(/from "epoch_values"/i);
  });
});
