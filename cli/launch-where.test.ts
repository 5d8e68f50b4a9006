/**
 * `runproof launch` and `runproof profiles` in child processes when the
 * profile cannot run on this host but a registered worker's host can: the
 * launch is queued and says where it runs; with no worker able it is refused
 * with each host's reason; `runproof profiles --json` shows availability here
 * and per worker. On SQLite, and on PostgreSQL when
 * RUNPROOF_TEST_DATABASE_URL is set (the children are given its URL).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../db/client';
import { openTempDb, type TempDb } from '../db/queries/testing';
import { registerWorker } from '../db/queries/workers';
import { backends } from '../db/testing/backends';

const BIN = path.resolve(__dirname, '..', 'bin', 'runproof.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-launch-where-'));
const profilesFile = path.join(tmp, 'profiles.json');
fs.writeFileSync(
  profilesFile,
  JSON.stringify({
    profiles: [
      {
        name: 'torch-only',
        title: 'Needs torch',
        argv: ['{node}', '-e', '0', '{params}'],
        params: [{ name: 'epochs', type: 'int', default: 1, min: 1, max: 10 }],
        requires: { probe: ['{node}', '-e', 'console.error("ModuleNotFoundError: torch"); process.exit(1)'] },
      },
    ],
  }),
);
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const TORCH_FAIL = '`python -c import torch, lightning` failed (ModuleNotFoundError: torch)';

describe.each(backends())('runproof launch of a profile only a worker’s host can run (%s)', (backend: Dialect) => {
  let db: TempDb;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    db = await openTempDb('rp-launch-where-db-', backend);
    env = {
      ...process.env,
      RUNPROOF_DB: path.join(db.dir, 'unused.db'),
      RUNPROOF_DATABASE_URL: backend === 'postgres' ? db.target : '',
      RUNPROOF_BUNDLES_DIR: path.join(db.dir, 'bundles'),
      RUNPROOF_WORK_DIR: path.join(db.dir, 'work'),
      RUNPROOF_PLANS_DIR: path.join(db.dir, 'no-plans'),
      RUNPROOF_PROFILES: profilesFile,
    };
    if (backend === 'sqlite') env.RUNPROOF_DB = db.target;
  });
  afterAll(() => db.close());

  const runproof = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

  const register = (host: string, available: boolean) =>
    registerWorker({
      db: db.db,
      id: `${host}:7:cafe01`,
      host,
      pid: 7,
      concurrency: 2,
      labels: [host],
      gpus: [],
      profiles: [{ name: 'torch-only', available, reason: available ? null : TORCH_FAIL }],
    });

  it('refused with every host’s reason while no worker reports it, queued once one does', async () => {
    await register('gpu-box-1', false);
    await register('gpu-box-2', false);
    const refused = runproof(['launch', 'torch-only', '--json']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('profile torch-only cannot run anywhere');
    expect(refused.stderr).toContain(`gpu-box-1: ${TORCH_FAIL}`);
    expect(refused.stderr).toContain(`gpu-box-2: ${TORCH_FAIL}`);
    expect(refused.stderr).toMatch(/this server: `.*` failed \(ModuleNotFoundError: torch\)/);

    await register('gpu-box-2', true);
    const ok = runproof(['launch', 'torch-only', '--set', 'epochs=3', '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout) as { id: string; status: string; runsOn: { here: boolean; hosts: string[] } };
    expect(out.status).toBe('queued');
    expect(out.runsOn).toEqual({ here: false, hosts: ['gpu-box-2'] });
    expect(ok.stderr).toMatch(/runs on gpu-box-2; not on this server: /);
    // A knob still has its range checked here.
    const bad = runproof(['launch', 'torch-only', '--set', 'epochs=30', '--json']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/epochs must be between 1 and 10/);
  });

  it('runproof profiles --json shows the availability here and per worker', () => {
    const r = runproof(['profiles', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ name: string; available: boolean; launchable: boolean; where: string; workers: Array<{ host: string; available: boolean; reason: string | null }> }>;
    const p = list.find((x) => x.name === 'torch-only')!;
    expect(p).toMatchObject({ available: false, launchable: true });
    expect(p.where).toMatch(/^runs on gpu-box-2; not on this server: /);
    // Online workers are listed first: gpu-box-1's heartbeat may have aged past online by now, so compare by host.
    expect([...p.workers].sort((a, b) => a.host.localeCompare(b.host))).toEqual([
      { host: 'gpu-box-1', available: false, reason: TORCH_FAIL },
      { host: 'gpu-box-2', available: true, reason: null },
    ]);
    const text = runproof(['profiles']);
    expect(text.stdout).toMatch(/torch-only +unavailable/);
    expect(text.stdout).toContain(`on gpu-box-1: cannot: ${TORCH_FAIL}`);
    expect(text.stdout).toContain('on gpu-box-2: can run');
  });
});
