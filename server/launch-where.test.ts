/**
 * A profile's availability is its host's: against a real database (SQLite, and
 * PostgreSQL when RUNPROOF_TEST_DATABASE_URL is set) with two
 * workers registered through the real register function, a profile whose
 * probe fails on this host (a RUNPROOF_PROFILES file) is queued because a
 * worker reports it available there, and refused with every host's reason
 * when none does. Path knobs of a profile that runs elsewhere are not checked
 * against this host's disk; the worker's check before the spawn still is, and
 * the worker resolves the command on its own host (a real Worker runs it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { getLaunch } from '../db/queries/launches';
import { registerWorker } from '../db/queries/workers';
import { makeTestEnv, type TestEnv } from '../workers/testing';
import { launchCommandHere, launchRun } from './launch';
import { Worker } from '../workers/worker';
import { waitForEnd } from '../workers/testing';

const PROBE_FAIL = 'no torch on this host';
const REMOTE = {
  name: 'remote-only',
  title: 'Runs where torch is',
  argv: ['{node}', '-e', '0', '{params}'],
  params: [
    { name: 'epochs', type: 'int', default: 1, min: 1, max: 10 },
    { name: 'data', type: 'path', roots: ['datasets'], default: 'datasets/train.npz' },
  ],
  requires: { probe: ['{node}', '-e', `console.error(${JSON.stringify(PROBE_FAIL)}); process.exit(3)`] },
};
const TORCH_FAIL = '`python -c import torch, lightning` failed (ModuleNotFoundError: torch)';

let env: TestEnv;
/** A fresh environment on `backend` per test, with the remote-only profile. */
function useEnv(backend: Dialect) {
  beforeEach(async () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'rp-where-profiles-'));
    const file = path.join(dir, 'profiles.json');
    fs.writeFileSync(file, JSON.stringify({ profiles: [REMOTE] }));
    env = await makeTestEnv({ RUNPROOF_PROFILES: file }, backend);
    const cleanup = env.cleanup;
    env.cleanup = async () => {
      await cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  });
  afterEach(() => env.cleanup());
}

function register(host: string, available: boolean, labels: string[] = [host]) {
  return registerWorker({
    db: env.db,
    id: `${host}:42:abcdef`,
    host,
    pid: 42,
    concurrency: 1,
    labels,
    gpus: [],
    profiles: [
      { name: 'reference', available: true, reason: null },
      { name: 'remote-only', available, reason: available ? null : TORCH_FAIL },
    ],
  });
}

const request = (extra: Record<string, unknown> = {}) => ({ profile: 'remote-only', params: { epochs: '2' }, planRows: [], ...extra });

describe.each(backends())('launching a profile this host cannot run (%s)', (backend: Dialect) => {
  useEnv(backend);
  it('no worker registered: refused for this host, as before', async () => {
    const r = await launchRun({ db: env.db, request: request() });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(new RegExp(`^profile remote-only is not available here: .*failed \\(${PROBE_FAIL}\\)`));
  });

  it('queued when a registered worker reports it available there, with its path knobs left to that host', async () => {
    await register('gpu-box-1', true, ['gpu', 'gpu-box-1']);
    await register('cpu-box', false);
    // datasets/train.npz does not exist here: only the worker's disk can say.
    const r = await launchRun({ db: env.db, request: request() });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.where).toMatchObject({ ok: true, local: false, hosts: ['gpu-box-1'] });
    expect(r.where.sentence).toMatch(/^runs on gpu-box-1; not on this server: .*no torch on this host/);
    const launch = (await getLaunch({ db: env.db, runId: r.runId }))!;
    expect(launch.profile).toBe('remote-only');
    expect(JSON.parse(launch.paramsJson)).toEqual({ epochs: 2, data: 'datasets/train.npz' });
    // The worker's check right before the spawn reads its own disk: here the file is missing, so the run would fail, saying why.
    expect(launchCommandHere(launch)).toEqual({ ok: false, problem: expect.stringMatching(/path knob data: datasets\/train\.npz does not exist .*the run was not started/) });
  });

  it('still refuses what no disk is needed to refuse: types, ranges and paths outside their roots', async () => {
    await register('gpu-box-1', true);
    const r = await launchRun({ db: env.db, request: request({ params: { epochs: '99', data: '../etc/passwd' } }) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.fieldErrors.epochs).toMatch(/between 1 and 10/);
    expect(r.fieldErrors.data).toBe('must stay inside datasets');
  });

  it('refused with each host’s reason when no worker reports it', async () => {
    await register('gpu-box-1', false);
    await register('gpu-box-2', false);
    const r = await launchRun({ db: env.db, request: request() });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/^profile remote-only cannot run anywhere: /);
    expect(r.error).toContain(`gpu-box-1: ${TORCH_FAIL}`);
    expect(r.error).toContain(`gpu-box-2: ${TORCH_FAIL}`);
    expect(r.error).toMatch(new RegExp(`this server: .*${PROBE_FAIL}`));
    // The form's one sentence names hosts refusing for one reason together.
    expect(r.fieldErrors.profile).toMatch(/^no worker can run it \(gpu-box-1, gpu-box-2: /);
  });

  it('labels the launch requires: the worker that can run it must carry them', async () => {
    await register('gpu-box-1', true, ['gpu-box-1']);
    await register('gpu-box-2', false, ['gpu', 'gpu-box-2']);
    const r = await launchRun({ db: env.db, request: request({ labels: ['gpu'] }) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('gpu-box-1: lacks label gpu; gpu-box-2: ');
    expect((await launchRun({ db: env.db, request: request({ labels: ['gpu-box-1'] }) })).ok).toBe(true);
  });

  it('a profile available here is queued whatever the workers say (as before)', async () => {
    await register('gpu-box-1', false);
    const r = await launchRun({ db: env.db, request: { profile: 'reference', params: { max_epochs: '1' }, planRows: [] } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.where.local).toBe(true);
  });
});

describe.each(backends())('the worker runs it as its own host resolves it (%s)', (backend: Dialect) => {
  useEnv(backend);
  it('a profile whose checkout only the worker host names: queued here, run there in that checkout, the evidence naming what ran', async () => {
    const host = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'rp-where-host-'));
    // Unset, the cwd template resolves to /checkout on the web host: a folder that does not exist, so nothing runs in the wrong place.
    const checkout = path.join(host, 'checkout');
    fs.mkdirSync(checkout);
    fs.writeFileSync(path.join(checkout, 'data.txt'), 'x');
    const file = process.env.RUNPROOF_PROFILES!;
    const bound = {
      name: 'checkout-bound',
      title: 'Runs in a checkout',
      cwd: '{env:RP_WHERE_CHECKOUT}/checkout',
      argv: ['{node}', '-e', "require('fs').writeFileSync('ran-here.txt', process.argv.slice(1).join(' '))", '--', '{params}'],
      params: [{ name: 'data', type: 'path', default: 'data.txt' }],
      requires: { env: ['RP_WHERE_CHECKOUT'] },
    };
    fs.writeFileSync(file, JSON.stringify({ profiles: [REMOTE, bound] }));
    delete process.env.RP_WHERE_CHECKOUT;
    let worker: Worker | null = null;
    try {
      // The web host: no RP_WHERE_CHECKOUT, so not available here; a registered worker says it is on its host.
      await registerWorker({
        db: env.db,
        id: 'gpu-box-1:42:abcdef',
        host: 'gpu-box-1',
        pid: 42,
        concurrency: 1,
        labels: ['gpu-box-1'],
        gpus: [],
        profiles: [{ name: 'checkout-bound', available: true, reason: null }],
      });
      const r = await launchRun({ db: env.db, request: { profile: 'checkout-bound', params: {}, planRows: [] } });
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
      if (!r.ok) return;
      expect(r.where.local).toBe(false);
      expect(r.cwd).toBe('/checkout');

      // The worker's host: the variable set, the checkout there.
      process.env.RP_WHERE_CHECKOUT = host;
      worker = new Worker({ db: env.db, concurrency: 1, leaseMs: 3000, pollMs: 100, claimPollMs: 50 });
      await worker.start();
      const ev = await waitForEnd(env.db, r.runId, 60_000);
      expect(ev.run.status).toBe('succeeded');
      expect(fs.readFileSync(path.join(checkout, 'ran-here.txt'), 'utf8')).toBe('--data data.txt');
      const launch = (await getLaunch({ db: env.db, runId: r.runId }))!;
      expect(launch.cwd).toBe(checkout);
      expect(ev.evidence.launch?.cwd).toBe(checkout);
    } finally {
      await worker?.stop();
      delete process.env.RP_WHERE_CHECKOUT;
      fs.rmSync(host, { recursive: true, force: true });
    }
  }, 90_000);
});
