/**
 * For the db/queries tests: a fresh SQLite file per test (real migrations,
 * real pragmas), and a queued launch with nothing but its id, time, labels
 * and profile to say.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { Evidence } from '../../lib/evidence/types';
import { closeDb, type Db, openDb } from '../client';
import { enqueueRun } from './launches';

export interface TempDb {
  db: Db;
  file: string;
  close(): void;
}

/** A new database file in a new temporary folder; close() closes it and removes the folder. */
export function openTempDb(prefix: string): TempDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, 'test.db');
  return {
    db: openDb(file),
    file,
    close() {
      closeDb(file);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Queue a launch of `profile` (a no-op argv) as the launch path would, evidence and all. */
export function enqueueTestRun(db: Db, id: string, now: number, opts: { labels?: string[]; profile?: string } = {}): Evidence {
  const evidence = analyseBundle([], { root: `/b/${id}`, title: id, launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
  enqueueRun({
    db,
    id,
    profile: opts.profile ?? 'reference',
    title: id,
    bundleDir: `/b/${id}`,
    params: {},
    cpuOnly: false,
    planLinks: [],
    argv: ['true'],
    cwd: '/',
    env: {},
    outputDir: `/w/${id}`,
    keepOutput: false,
    timeoutMs: 1000,
    ...(opts.labels ? { labels: opts.labels } : {}),
    evidence,
    now,
  });
  return evidence;
}
