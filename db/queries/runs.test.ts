/**
 * Storing a run's evidence against a real SQLite file: a document far bigger
 * than any one statement may bind (SQLite refuses more than 32,766 parameters)
 * is written whole, child row by child row, and replaced whole.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../client';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { Evidence } from '../../lib/evidence/types';
import { getRunEvidence, saveRun } from './runs';

let dir: string;
let file: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-runs-'));
  file = path.join(dir, 'r.db');
  db = openDb(file);
});
afterEach(() => {
  closeDb(file);
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = (table: string, runId: string) => db.$client.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(runId) as number;

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

describe('saveRun', () => {
  it('stores 10,000 checkpoints, warnings and files and 40,000 epoch values, each table in statements under the parameter limit', () => {
    const evidence = hugeEvidence(10_000);
    saveRun({ db, id: 'huge', sourceKey: '/b/huge', origin: 'imported', bundleDir: '/b/huge', contentHash: 'h', evidence, series: [] });
    expect(count('checkpoints', 'huge')).toBe(10_001);
    expect(db.$client.prepare(`SELECT state FROM checkpoints WHERE run_id = 'huge' AND name = 'never-written.ckpt'`).pluck().get()).toBe('missing');
    expect(count('warnings', 'huge')).toBe(10_000);
    expect(count('bundle_files', 'huge')).toBe(10_000);
    expect(count('epoch_values', 'huge')).toBe(40_000);
    expect(getRunEvidence({ db, id: 'huge' })!.evidence.warnings).toHaveLength(10_000);

    // Saved again with less, nothing of the first save is left.
    const small = hugeEvidence(3);
    saveRun({ db, id: 'huge', sourceKey: '/b/huge', origin: 'imported', bundleDir: '/b/huge', contentHash: 'h2', evidence: small, series: [] });
    expect(count('checkpoints', 'huge')).toBe(4);
    expect(count('warnings', 'huge')).toBe(3);
    expect(count('epoch_values', 'huge')).toBe(12);
  });
});
