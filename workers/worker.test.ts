/**
 * The worker against real child processes (the bundled reference trainer), a
 * real database (a SQLite file; a fresh PostgreSQL database too when
 * RUNPROOF_TEST_DATABASE_URL names a server) and real bundles on disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { getLaunch, requestCancel } from '../db/queries/launches';
import { getRun } from '../db/queries/runs';
import { launchRun } from '../server/launch';
import { Worker } from './worker';
import { indexPlansDir } from '../server/plan-index';
import { sweepLostRuns } from './sweep';
import { makeTestEnv, pidsInGroup, REPO_ROOT, sleep, waitFor, waitForEnd, type TestEnv } from './testing';

const BRIEF = {
  n_images: '64',
  gridsize: '3',
  max_epochs: '6',
  batch_size: '4',
  accelerator: 'auto',
  deterministic: 'true',
  'num-workers': '0',
  logger: 'csv',
  'checkpoint-save-top-k': '2',
  'early-stop-patience': '5',
};
/** A run long enough to act on while it runs: ~40 epochs of a few hundred ms each. */
const LONG = { n_images: '2048', max_epochs: '40', batch_size: '8' };

let env: TestEnv | null = null;
let worker: Worker | null = null;
afterEach(async () => {
  await worker?.stop();
  worker = null;
  await env?.cleanup();
  env = null;
});

async function startWorker(e: TestEnv, concurrency = 1): Promise<Worker> {
  // On PostgreSQL no claim poll is set: the queue's NOTIFY wakes it (the 5 s safety poll stays as it ships).
  const w = new Worker({ db: e.db, concurrency, leaseMs: 3000, graceMs: 2000, pollMs: 100, claimPollMs: 50 });
  await w.start();
  return w;
}

async function launch(e: TestEnv, params: Record<string, string>, extra: { planRows?: string[]; profile?: string } = {}): Promise<string> {
  const r = await launchRun({ db: e.db, request: { profile: extra.profile ?? 'reference', params, planRows: extra.planRows ?? [] } });
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

const epochsDone = async (e: TestEnv, id: string) => JSON.parse((await getLaunch({ db: e.db, runId: id }))!.liveJson).epochsDone ?? 0;

const checkMap = (ev: { checks: Array<{ id: string; status: string; detail: string }> }) => Object.fromEntries(ev.checks.map((c) => [c.id, `${c.status}: ${c.detail}`]));

describe.each(backends())('launched runs (%s)', (backend: Dialect) => {
  test("the brief's knobs on the reference profile: succeeded, a full bundle, auto → cpu, every check passes", async () => {
    env = await makeTestEnv({}, backend);
    await indexPlansDir(env.db, path.join(REPO_ROOT, 'fixtures/ptychopinn/plans'));
    const id = await launch(env, BRIEF, { planRows: ['EB4.A', 'EB4.B'] });
    expect((await getRun({ db: env.db, id }))!.status).toBe('queued');
    worker = await startWorker(env);
    const { run, evidence } = await waitForEnd(env.db, id);
    expect(run.status, checkMap(evidence).exit).toBe('succeeded');
    for (const c of evidence.checks) expect(c.status, `${c.id}: ${c.detail}`).toBe('pass');
    expect(evidence.accelerator).toMatchObject({ requested: 'auto', resolved: 'cpu' });
    expect(evidence.epochs).toHaveLength(6);
    const files = fs.readdirSync(run.bundleDir).sort();
    expect(files).toEqual(['checkpoints_ls.txt', 'command.txt', 'evidence.json', 'hparams.yaml', 'lightning_tree.txt', 'metrics.csv', 'summary.md', 'train.log']);
    const launchRow = (await getLaunch({ db: env.db, runId: id }))!;
    expect(fs.existsSync(launchRow.outputDir)).toBe(false);
    expect(launchRow.exitCode).toBe(0);
    expect(evidence.launch).toMatchObject({ profile: 'reference', planRows: ['EB4.A', 'EB4.B'], exitCode: 0, host: expect.any(String), gitCommit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(JSON.parse(fs.readFileSync(path.join(run.bundleDir, 'evidence.json'), 'utf8')).planRows).toMatchObject([
      { id: 'EB4.A', state: '[ ]', line: 46, source: 'launch' },
      { id: 'EB4.B', state: '[ ]', line: 47, source: 'launch' },
    ]);
    expect(evidence.launch!.argv).toEqual(expect.arrayContaining(['--gridsize', '3', '--max_epochs', '6', '--checkpoint-save-top-k', '2', '--early-stop-patience', '5', '--deterministic']));
    expect(JSON.parse(fs.readFileSync(path.join(run.bundleDir, 'evidence.json'), 'utf8')).checks).toEqual(evidence.checks);
    expect(fs.readFileSync(path.join(run.bundleDir, 'summary.md'), 'utf8')).toContain('checkpoints');
    // The live tail stored the points; the final save replaced them with the archived metrics.csv's.
    const pts = await env.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM points p JOIN series s ON s.id = p.series_id WHERE s.run_id = ${id}`);
    expect(Number(pts?.n)).toBeGreaterThan(6);
  });

  test('a plateau with patience 1 stops early, and the early-stop replay agrees', async () => {
    env = await makeTestEnv({}, backend);
    const id = await launch(env, { ...BRIEF, max_epochs: '10', 'early-stop-patience': '1', 'learning-rate': '0' });
    worker = await startWorker(env);
    const { run, evidence } = await waitForEnd(env.db, id);
    expect(run.status).toBe('succeeded');
    expect(evidence.epochs.length).toBeLessThan(10);
    const checks = checkMap(evidence);
    expect(checks['early-stop']).toMatch(/^pass: run and replay both stop/);
    expect(checks.epochs).toMatch(/^pass/);
    expect(evidence.earlyStop?.triggered).toBe(true);
  });

  test('cancel mid-run: cancelled, partial evidence kept, no process of its group left', async () => {
    env = await makeTestEnv({}, backend);
    const id = await launch(env, { ...BRIEF, ...LONG });
    worker = await startWorker(env);
    const e = env;
    await waitFor('two epochs', async () => (await epochsDone(e, id)) >= 2, 30_000);
    const pgid = (await getLaunch({ db: e.db, runId: id }))!.pgid!;
    expect(pidsInGroup(pgid).length).toBeGreaterThan(0);
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    const { run, evidence } = await waitForEnd(e.db, id, 20_000);
    expect(run.status).toBe('cancelled');
    expect(evidence.epochs.length).toBeGreaterThanOrEqual(2);
    expect(evidence.launch?.note).toMatch(/cancelled/);
    // Interrupted from outside: the exit fails, but the epochs it did complete are judged on their own.
    const checks = checkMap(evidence);
    expect(checks.exit).toMatch(/^fail: terminated by SIGTERM \(cancelled\)/);
    expect(checks.metrics).toMatch(/^pass/);
    expect(checks.epochs).toMatch(/^skip: .*cancelled before it could finish/);
    expect(checks['early-stop']).toMatch(/^pass: not triggered in the \d+ completed epochs? before the run was cancelled/);
    expect(pidsInGroup(pgid)).toEqual([]);
    expect(fs.existsSync(path.join(run.bundleDir, 'metrics.csv'))).toBe(true);
  });

  test('its own sweep never takes over a run it is running, whatever the lease says (an archive can block past it)', async () => {
    env = await makeTestEnv({}, backend);
    const e = env;
    const id = await launch(e, { ...BRIEF, ...LONG });
    worker = await startWorker(e);
    await waitFor('an epoch', async () => (await epochsDone(e, id)) >= 1, 30_000);
    await e.db.run(sql`UPDATE runs SET lease_expires_at = 1 WHERE id = ${id}`);
    expect(await worker.sweep()).toBe(0);
    expect((await getRun({ db: e.db, id }))!.status).toBe('running');
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    const { run } = await waitForEnd(e.db, id, 20_000);
    expect(run.status).toBe('cancelled');
  });

  test('a run over its timeout ends timed_out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-profiles-'));
    const file = path.join(dir, 'profiles.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        profiles: [
          {
            name: 'reference-1s',
            title: 'Reference, 1 s timeout',
            argv: ['{node}', '{runproof_root}/workers/reference-trainer/train.mjs', '{params}', '--output_dir', '{output_dir}'],
            params: [{ name: 'max_epochs', type: 'int', default: 1000 }],
            timeoutSec: 1,
          },
        ],
      }),
    );
    try {
      env = await makeTestEnv({ RUNPROOF_PROFILES: file }, backend);
      const id = await launch(env, {}, { profile: 'reference-1s' });
      worker = await startWorker(env);
      const { run, evidence } = await waitForEnd(env.db, id, 20_000);
      expect(run.status).toBe('timed_out');
      expect(evidence.launch?.note).toMatch(/timeout of 1 s/);
      expect(pidsInGroup((await getLaunch({ db: env.db, runId: id }))!.pgid!)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('50 launches within 5 s all queue, none is lost, and concurrency 1 runs them one at a time, first in first out', async () => {
    env = await makeTestEnv({}, backend);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await launch(env, { n_images: '16', max_epochs: '1', batch_size: '8' }));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(new Set(ids).size).toBe(50);
    worker = await startWorker(env, 1);
    const e = env;
    for (const id of ids) await waitForEnd(e.db, id, 60_000);
    const spans = await Promise.all(
      ids.map(async (id) => {
        const l = (await getLaunch({ db: e.db, runId: id }))!;
        const r = (await getRun({ db: e.db, id }))!;
        return { id, start: l.processStartedAt!, end: r.endedAt!, status: r.status };
      }),
    );
    expect(spans.filter((s) => s.status !== 'succeeded')).toEqual([]);
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) expect(spans[i].start, `run ${i} started before run ${i - 1} ended`).toBeGreaterThanOrEqual(spans[i - 1].end);
    expect(spans.map((s) => s.id)).toEqual(ids);
  }, 120_000);

  test('concurrency 2 runs two at a time, never three', async () => {
    env = await makeTestEnv({}, backend);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await launch(env, { n_images: '256', max_epochs: '3', batch_size: '8' }));
    worker = await startWorker(env, 2);
    const e = env;
    for (const id of ids) await waitForEnd(e.db, id, 60_000);
    const events = (
      await Promise.all(
        ids.map(async (id) => [
          { t: (await getLaunch({ db: e.db, runId: id }))!.processStartedAt!, d: 1 },
          { t: (await getRun({ db: e.db, id }))!.endedAt!, d: -1 },
        ]),
      )
    ).flat();
    events.sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0,
      most = 0;
    for (const ev of events) most = Math.max(most, (now += ev.d));
    expect(most).toBe(2);
  }, 60_000);
});

describe.each(backends())('a worker killed with SIGKILL mid-run (%s)', (backend: Dialect) => {
  test('after a new worker starts, the run is lost, its processes are gone and its partial evidence is kept', async () => {
    env = await makeTestEnv({ RUNPROOF_LEASE_MS: '3000' }, backend);
    const e = env;
    const id = await launch(e, { ...BRIEF, ...LONG });
    const childEnv = { ...process.env };
    const w1 = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/runproof.mjs'), 'worker'], { env: childEnv, stdio: 'ignore' });
    try {
      await waitFor('two epochs', async () => (await epochsDone(e, id)) >= 2, 40_000);
      const pgid = (await getLaunch({ db: e.db, runId: id }))!.pgid!;
      w1.kill('SIGKILL');
      await new Promise((r) => w1.once('exit', r));
      // The trainer does not depend on the worker: it is still running, orphaned.
      expect(pidsInGroup(pgid).length).toBeGreaterThan(0);
      const restarted = Date.now();
      worker = await startWorker(e);
      const { run, evidence } = await waitForEnd(e.db, id, 15_000);
      expect(Date.now() - restarted).toBeLessThan(15_000);
      expect(run.status).toBe('lost');
      expect(evidence.launch?.note).toMatch(/process group \d+ was killed/);
      await sleep(200);
      expect(pidsInGroup(pgid)).toEqual([]);
      expect(evidence.epochs.length).toBeGreaterThanOrEqual(2);
      expect(fs.readFileSync(path.join(run.bundleDir, 'train.log'), 'utf8')).toContain('Epoch 0:');
      // Killing the worker mid-write leaves the database consistent.
      if (e.db.sqlite) expect(e.db.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      if (w1.exitCode === null) w1.kill('SIGKILL');
    }
  }, 60_000);

  test('with no worker left at all, the sweep `runproof serve` runs on its timer settles the run once its lease has expired', async () => {
    env = await makeTestEnv({ RUNPROOF_LEASE_MS: '2000' }, backend);
    const e = env;
    const id = await launch(e, { ...BRIEF, ...LONG });
    const w1 = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/runproof.mjs'), 'worker'], { env: { ...process.env }, stdio: 'ignore' });
    try {
      await waitFor('an epoch', async () => (await epochsDone(e, id)) >= 1, 40_000);
      const pgid = (await getLaunch({ db: e.db, runId: id }))!.pgid!;
      w1.kill('SIGKILL');
      await new Promise((r) => w1.once('exit', r));
      // `runproof serve --no-worker` sweeps on a timer (cli/main.ts, startLostRunSweep; cli/serve.test.ts runs it for real).
      const lease = (await getRun({ db: e.db, id }))!.leaseExpiresAt!;
      await waitFor('the lease to expire', () => Date.now() > lease, 5000);
      expect(await sweepLostRuns({ db: e.db, sweeperId: 'web', leaseMs: 2000 })).toBe(1);
      const { run, evidence } = await waitForEnd(e.db, id, 5000);
      expect(run.status).toBe('lost');
      expect(evidence.checks.find((c) => c.id === 'exit')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^lost/) });
      expect(pidsInGroup(pgid)).toEqual([]);
    } finally {
      if (w1.exitCode === null) w1.kill('SIGKILL');
    }
  }, 60_000);
});

// PostgreSQL only: SQLite has no NOTIFY (its worker watches the WAL file and polls, as the tests above show).
describe.each(backends().filter((b) => b === 'postgres'))('waking on the queue’s notifications (%s only)', (backend: Dialect) => {
  /** A worker whose every timer that could claim or see a cancel is far beyond the test: only a NOTIFY can act in time. */
  async function quietWorker(e: TestEnv, heartbeatMs: number): Promise<Worker> {
    const said: string[] = [];
    const w = new Worker({ db: e.db, concurrency: 1, leaseMs: 600_000, heartbeatMs, graceMs: 2000, pollMs: 100, safetyPollMs: 600_000, recheckMs: 600_000, log: (m) => said.push(m) });
    await w.start();
    // Every profile probed (each probe's end claims once), so what claims next is the notification.
    await waitFor('the worker to check every profile', () => said.some((m) => m.startsWith('worker: can run')));
    await sleep(300);
    return w;
  }

  test('a run queued after the worker went idle is claimed on the NOTIFY, with the safety poll 10 minutes away', async () => {
    env = await makeTestEnv({}, backend);
    const e = env;
    worker = await quietWorker(e, 60_000);
    const id = await launch(e, { n_images: '16', max_epochs: '1', batch_size: '8' });
    const { run } = await waitForEnd(e.db, id, 30_000);
    expect(run.status).toBe('succeeded');
    expect((await getLaunch({ db: e.db, runId: id }))!.workerId).toBe(worker.id);
  }, 60_000);

  test('a cancel stops the run on its NOTIFY, not at the next heartbeat (a minute away): cancelled, no process left', async () => {
    env = await makeTestEnv({}, backend);
    const e = env;
    worker = await quietWorker(e, 60_000);
    const id = await launch(e, { ...BRIEF, ...LONG });
    await waitFor('two epochs', async () => (await epochsDone(e, id)) >= 2, 30_000);
    const pgid = (await getLaunch({ db: e.db, runId: id }))!.pgid!;
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    const { run } = await waitForEnd(e.db, id, 30_000);
    expect(run.status).toBe('cancelled');
    expect(pidsInGroup(pgid)).toEqual([]);
  }, 60_000);
});
