/**
 * Test scaffolding for the worker: a fresh database (a SQLite file, or a new
 * PostgreSQL database on RUNPROOF_TEST_DATABASE_URL's server) and
 * bundle/work folders in a temp dir per test, pointed at through the
 * environment the real code reads — child workers included. Not used by the
 * product.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeDb, type Db, type Dialect, openDb } from '../db/client';
import { isTerminal } from '../db/queries/launches';
import { getRun, getRunEvidence } from '../db/queries/runs';
import { createTestDatabase, dropTestDatabase, testServerUrl } from '../db/testing/postgres';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface TestEnv {
  dir: string;
  /** The SQLite file (also set on PostgreSQL, where nothing opens it). */
  dbPath: string;
  /** What openDb() opens under this environment: the SQLite file or the PostgreSQL URL. */
  target: string;
  backend: Dialect;
  db: Db;
  cleanup: () => Promise<void>;
}

/** A fresh environment on `backend`; RUNPROOF_DATABASE_URL names the PostgreSQL database for the code under test (and the workers it spawns). */
export async function makeTestEnv(extra: Record<string, string> = {}, backend: Dialect = 'sqlite'): Promise<TestEnv> {
  const server = testServerUrl();
  if (backend === 'postgres' && !server) throw new Error('makeTestEnv(postgres) needs RUNPROOF_TEST_DATABASE_URL');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-worker-'));
  const dbPath = path.join(dir, 'runproof.db');
  let target = dbPath;
  try {
    if (backend === 'postgres') target = await createTestDatabase(server!, REPO_ROOT);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const saved: Record<string, string | undefined> = {};
  const vars: Record<string, string | undefined> = {
    RUNPROOF_ROOT: REPO_ROOT,
    RUNPROOF_DB: dbPath,
    RUNPROOF_DATABASE_URL: backend === 'postgres' ? target : undefined,
    RUNPROOF_BUNDLES_DIR: path.join(dir, 'bundles'),
    RUNPROOF_WORK_DIR: path.join(dir, 'work'),
    ...extra,
  };
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const restore = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const drop = async () => {
    await closeDb(target);
    if (backend === 'postgres') await dropTestDatabase(server!, target);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let db: Db;
  try {
    db = await openDb(target);
  } catch (e) {
    restore();
    await drop();
    throw e;
  }
  return {
    dir,
    dbPath,
    target,
    backend,
    db,
    cleanup: async () => {
      restore();
      await drop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` (sync or async) until it gives something truthy. */
export async function waitFor<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function waitForEnd(db: Db, runId: string, timeoutMs = 60_000) {
  await waitFor(
    `run ${runId} to end`,
    async () => {
      const r = await getRun({ db, id: runId });
      return r && isTerminal(r.status);
    },
    timeoutMs,
  );
  return (await getRunEvidence({ db, id: runId }))!;
}

/** Every pid whose process group is `pgid` (from /proc), so a test can assert none is left. */
export function pidsInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${ent}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') out.push(Number(ent));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
