/**
 * `runproof worker --labels` and `runproof workers` as a user runs them, in
 * real child processes on a throw-away database: the worker registers with
 * its labels (and its host name), the profiles it can run here and its GPUs;
 * `runproof workers --json` shows it online; a launch needing its label runs
 * on it and the run names its host and worker; a launch needing a label no
 * worker carries waits, and says so; SIGTERM stops the worker cleanly and it
 * is listed offline. On SQLite, and on PostgreSQL when
 * RUNPROOF_TEST_DATABASE_URL is set (there the worker wakes on the queue's
 * NOTIFY).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../db/client';
import { openTempDb, type TempDb } from '../db/queries/testing';
import { backends } from '../db/testing/backends';

const BIN = path.resolve(__dirname, '..', 'bin', 'runproof.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-workers-cli-'));
/** The children's environment on `db` (SQLite file or PostgreSQL URL). */
function envFor(db: TempDb | null): NodeJS.ProcessEnv {
  const dir = db?.dir ?? tmp;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUNPROOF_DB: db && !db.target.startsWith('postgres') ? db.target : path.join(dir, 'w.db'),
    RUNPROOF_DATABASE_URL: db?.target.startsWith('postgres') ? db.target : '',
    RUNPROOF_BUNDLES_DIR: path.join(dir, 'bundles'),
    RUNPROOF_WORK_DIR: path.join(dir, 'work'),
    RUNPROOF_PLANS_DIR: path.join(dir, 'no-plans'),
    RUNPROOF_LEASE_MS: '4000',
    // No nvidia-smi on this PATH's first entry is needed: a host without one reports no GPUs.
  };
  delete env.RUNPROOF_PROFILES;
  delete env.RUNPROOF_WORKER_LABELS;
  return env;
}
let env = envFor(null);

let worker: ChildProcess | null = null;
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const runproof = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

interface Listed {
  id: string;
  host: string;
  state: string;
  busy: number;
  concurrency: number;
  labels: string[];
  gpus: unknown[];
  profiles: Array<{ name: string; available: boolean; reason: string | null }> | null;
}

function workers(): Listed[] {
  const r = runproof(['workers', '--json']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { workers: Listed[] }).workers;
}

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 40_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.each(backends())('runproof worker --labels / runproof workers (%s)', (backend: Dialect) => {
  let db: TempDb;
  beforeAll(async () => {
    db = await openTempDb('rp-workers-cli-db-', backend);
    env = envFor(db);
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    worker = null;
    await db.close();
  });

  it('registers, runs what it can, leaves what it cannot, and goes offline on SIGTERM', async () => {
    worker = spawn(process.execPath, [BIN, 'worker', '--labels', 'x,Fast', '--concurrency', '2'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    worker.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const host = os.hostname().toLowerCase();

    // Profiles are recorded as each probe ends: the full list is there once the worker says what it can run.
    const me = await until('the worker to register and check its profiles', () => stderr.includes('worker: can run') && workers().find((w) => w.state === 'online' && w.profiles !== null));
    expect(me.labels).toEqual(expect.arrayContaining(['x', 'fast', host]));
    expect(me).toMatchObject({ host: os.hostname(), concurrency: 2, busy: 0 });
    expect(me.profiles!.find((p) => p.name === 'reference')).toEqual({ name: 'reference', available: true, reason: null });
    // ptycho-torch needs PTYCHOPINN_DIR, which this environment leaves unset: not available here, and why.
    const ptycho = me.profiles!.find((p) => p.name === 'ptycho-torch');
    if (!process.env.PTYCHOPINN_DIR) expect(ptycho).toMatchObject({ available: false, reason: expect.stringContaining('PTYCHOPINN_DIR not set') });

    // The text listing says the same.
    const text = runproof(['workers']).stdout;
    expect(text).toContain(`${os.hostname()}  online  0/2 busy  worker ${me.id}`);
    expect(text).toMatch(/labels {4}.*fast.*x/);

    // A launch needing a label nobody carries waits, and says what it waits for.
    const waiting = runproof(['launch', 'reference', '--label', 'gpu', '--set', 'max_epochs=1', '--set', 'n_images=64']);
    expect(waiting.status, waiting.stderr).toBe(0);
    expect(waiting.stderr).toContain('queued: waits for a worker with label gpu');
    const waitingId = /queued run ([0-9a-f]+)/.exec(waiting.stderr)![1];

    // One needing the worker's label runs on it, to the end; the run names the host and the worker.
    const ran = runproof(['launch', 'reference', '--label', 'x', '--set', 'max_epochs=1', '--set', 'n_images=64', '--wait', '--json']);
    expect(ran.status, ran.stderr).toBe(0);
    const evidence = JSON.parse(ran.stdout) as { status: string; launch: { host: string } };
    expect(evidence.status).toBe('succeeded');
    expect(evidence.launch.host).toBe(os.hostname());
    const shown = runproof(['show', waitingId, '--json']);
    expect((JSON.parse(shown.stdout) as { status: string }).status).toBe('queued');

    worker.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => worker!.once('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(0);
    expect(workers().find((w) => w.id === me.id)).toMatchObject({ state: 'offline', busy: 0 });
    // The run it never could take is still queued, untouched.
    expect((JSON.parse(runproof(['show', waitingId, '--json']).stdout) as { status: string }).status).toBe('queued');
  }, 120_000);
});

describe('runproof worker --labels', () => {
  it('refuses a label that is not one, naming it', () => {
    const r = runproof(['worker', '--labels', 'ok,no/slash']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"no/slash" is not a label');
  });
});
