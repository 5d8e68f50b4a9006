/**
 * For the db/queries tests: a fresh database per test (a SQLite file with
 * real migrations and pragmas, or a PostgreSQL database copied from a
 * migrated template: db/testing/postgres.ts), and a queued launch with
 * nothing but its id, time, labels and profile to say.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { Evidence } from '../../lib/evidence/types';
import { closeDb, type Db, type Dialect, getEnvRoot, openDb } from '../client';
import { createTestDatabase, dropTestDatabase, testServerUrl } from '../testing/postgres';
import { type EnqueueInput, enqueueRun } from './launches';

export interface TempDb {
  db: Db;
  /** What openDb() took: the SQLite file, or the PostgreSQL URL. */
  target: string;
  /** A folder of its own for the test's files (removed by close). */
  dir: string;
  close(): Promise<void>;
}

/** A new database (a file in a new temporary folder, or a new PostgreSQL database); close() closes and removes it. */
export async function openTempDb(prefix: string, backend: Dialect = 'sqlite'): Promise<TempDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const server = testServerUrl();
  if (backend === 'postgres' && !server) throw new Error('openTempDb(postgres) needs RUNPROOF_TEST_DATABASE_URL');
  const target = backend === 'postgres' ? await createTestDatabase(server!, getEnvRoot()) : path.join(dir, 'test.db');
  return {
    db: await openDb(target),
    target,
    dir,
    async close() {
      await closeDb(target);
      if (backend === 'postgres') await dropTestDatabase(server!, target);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Queue a launch as the launch path would, evidence and all: a no-op argv of
 * `profile` (default `reference`), with anything a test cares about
 * (labels, name, knobs, folders, timeout, its own evidence) given in `opts`.
 */
export async function enqueueTestRun(db: Db, id: string, now: number, opts: Partial<Omit<EnqueueInput, 'db' | 'id' | 'now'>> = {}): Promise<Evidence> {
  const evidence = opts.evidence ?? analyseBundle([], { root: `/b/${id}`, title: id, launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
  await enqueueRun({
    profile: 'reference',
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
    ...opts,
    db,
    id,
    evidence,
    now,
  });
  return evidence;
}
