/**
 * Test scaffolding for the worker: a fresh SQLite file and bundle/work folders
 * in a temp dir per test, pointed at through the environment the real code
 * reads. Not used by the product.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeDb, openDb, type Db } from '../db/client';
import { getRun, getRunEvidence } from '../db/queries/runs';
import { isTerminal } from '../db/queries/launches';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface TestEnv {
  dir: string;
  dbPath: string;
  db: Db;
  cleanup: () => void;
}

export function makeTestEnv(extra: Record<string, string> = {}): TestEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-worker-'));
  const dbPath = path.join(dir, 'runproof.db');
  const saved: Record<string, string | undefined> = {};
  const vars = { RUNPROOF_ROOT: REPO_ROOT, RUNPROOF_DB: dbPath, RUNPROOF_BUNDLES_DIR: path.join(dir, 'bundles'), RUNPROOF_WORK_DIR: path.join(dir, 'work'), ...extra };
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const db = openDb(dbPath);
  return {
    dir,
    dbPath,
    db,
    cleanup: () => {
      closeDb(dbPath);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function waitForEnd(db: Db, runId: string, timeoutMs = 60_000) {
  await waitFor(
    `run ${runId} to end`,
    () => {
      const r = getRun({ db, id: runId });
      return r && isTerminal(r.status);
    },
    timeoutMs,
  );
  return getRunEvidence({ db, id: runId })!;
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
