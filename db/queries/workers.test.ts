/**
 * Workers that say what they can run, against a real database (SQLite, and
 * PostgreSQL when the tests have a server): a worker
 * registers, heartbeats, goes offline on a clean stop and is shown offline
 * once silent longer than the lease; the claim takes only runs whose required
 * labels the worker carries and whose profile is available on its host,
 * oldest first among those, and the rule in words (lib/workers/match.ts)
 * agrees with the SQL.
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { backends } from '../testing/backends';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { canTake, placeRun } from '../../lib/workers/match';
import { claimNextRun, getLaunch, getRunLabels, hasQueuedRun, sweepExpiredLeases, type WorkerCan } from './launches';
import { getRun } from './runs';
import { heartbeatWorker, listLiveWorkers, listWorkers, listWorkerViews, markWorkerOffline, recordCommandHere, registerWorker, updateWorkerFacts } from './workers';

let t: TempDb;
let db: Db;

const LEASE = 10_000;
const REF = [
  { name: 'reference', available: true, reason: null },
  { name: 'lightning-example', available: false, reason: '`python3 -c import torch, lightning` failed (ModuleNotFoundError)' },
];

async function enqueue(id: string, now: number, labels: string[] = [], profile = 'reference') {
  await enqueueTestRun(db, id, now, { labels, profile });
}

async function register(id: string, labels: string[], now = 1000, profiles = REF) {
  await registerWorker({ db, id, host: `${id}-host`, pid: 100, concurrency: 2, labels, gpus: [], profiles, now });
}

const view = async (id: string, now: number) => (await listWorkerViews({ db, leaseMs: LEASE, now })).find((w) => w.id === id)!;

describe.each(backends())('a worker row (%s)', (backend) => {
  beforeEach(async () => {
    t = await openTempDb('rp-workers-', backend);
    db = t.db;
  });
  afterEach(() => t.close());

  it('is online after registering and while it heartbeats, offline once silent longer than the lease', async () => {
    await register('w1', ['gpu', 'w1-host'], 1000);
    expect(await view('w1', 1000)).toMatchObject({ state: 'online', host: 'w1-host', concurrency: 2, busy: 0, labels: ['gpu', 'w1-host'], profiles: REF });
    await heartbeatWorker({ db, id: 'w1', now: 9000 });
    expect((await view('w1', 9000 + LEASE)).state).toBe('online');
    expect((await view('w1', 9000 + LEASE + 1)).state).toBe('offline');
    expect(await listLiveWorkers({ db, staleMs: LEASE, now: 9000 + LEASE + 1 })).toHaveLength(0);
  });

  it('a clean stop marks it offline at once, and a late heartbeat does not bring it back; registering again does', async () => {
    await register('w1', [], 1000);
    await markWorkerOffline({ db, id: 'w1', now: 2000 });
    expect((await view('w1', 2000)).state).toBe('offline');
    await heartbeatWorker({ db, id: 'w1', now: 2500 });
    expect((await view('w1', 2500)).state).toBe('offline');
    expect((await listWorkers({ db })).map((w) => w.id)).toEqual([]);
    await register('w1', [], 3000);
    expect((await view('w1', 3000)).state).toBe('online');
  });

  it('profiles are unknown (null) until checked, then stored; GPUs likewise; workers silent for a day are forgotten', async () => {
    await registerWorker({ db, id: 'w1', host: 'h', pid: 1, concurrency: 1, labels: [], gpus: [], profiles: null, now: 1000 });
    expect((await view('w1', 1000)).profiles).toBeNull();
    await updateWorkerFacts({ db, id: 'w1', profiles: REF, gpus: [{ index: 0, name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960, uuid: 'GPU-b2f8' }], now: 1100 });
    expect(await view('w1', 1100)).toMatchObject({ profiles: REF, gpus: [{ name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960 }] });
    await register('w2', [], 1000 + 25 * 3600_000);
    expect((await listWorkerViews({ db, leaseMs: LEASE, now: 1000 + 25 * 3600_000 })).map((w) => w.id)).toEqual(['w2']);
  });

  it('counts the runs it holds as busy', async () => {
    await register('w1', [], 1000);
    await enqueue('a', 1);
    await enqueue('b', 2);
    await claimNextRun({ db, workerId: 'w1', token: 't', leaseMs: LEASE, now: 1000 });
    expect(await view('w1', 1000)).toMatchObject({ busy: 1, concurrency: 2 });
  });
});

describe.each(backends())('the label-filtered claim (%s)', (backend) => {
  beforeEach(async () => {
    t = await openTempDb('rp-workers-', backend);
    db = t.db;
  });
  afterEach(() => t.close());

  const cpu: WorkerCan = { labels: ['cpu-host'], profiles: ['reference'] };
  const gpu: WorkerCan = { labels: ['a100', 'gpu', 'gpu-host'], profiles: ['reference'] };

  it('a run needing gpu is never claimed by a worker without it and is claimed by one with it; FIFO within what each can take', async () => {
    await enqueue('a-gpu', 1000, ['gpu']);
    await enqueue('b-any', 2000);
    await enqueue('c-gpu', 3000, ['gpu', 'a100']);
    await enqueue('d-any', 4000);
    const claimCpu = () => claimNextRun({ db, workerId: 'cpu', host: 'cpu-host', token: crypto.randomUUID(), leaseMs: LEASE, can: cpu });
    expect(await claimCpu()).toBe('b-any');
    expect(await claimCpu()).toBe('d-any');
    expect(await claimCpu()).toBeNull();
    // Both gpu runs are still waiting, and the cpu worker does not even see them as claimable.
    expect((await getRun({ db, id: 'a-gpu' }))!.status).toBe('queued');
    expect(await hasQueuedRun({ db, can: cpu })).toBe(false);
    expect(await hasQueuedRun({ db, can: gpu })).toBe(true);
    const claimGpu = () => claimNextRun({ db, workerId: 'gpu', host: 'gpu-host', token: crypto.randomUUID(), leaseMs: LEASE, can: gpu });
    expect(await claimGpu()).toBe('a-gpu');
    expect(await claimGpu()).toBe('c-gpu');
    expect(await claimGpu()).toBeNull();
    // The launch row names who ran it and where; runs.worker_id holds the lease.
    expect(await getLaunch({ db, runId: 'a-gpu' })).toMatchObject({ workerId: 'gpu', host: 'gpu-host' });
    expect(await getRun({ db, id: 'a-gpu' })).toMatchObject({ status: 'running', workerId: 'gpu' });
    expect(await getRunLabels({ db, runId: 'c-gpu' })).toEqual(['gpu', 'a100']);
  });

  it('a worker with the labels still takes runs needing none, oldest first', async () => {
    await enqueue('x-any', 1000);
    await enqueue('y-gpu', 2000, ['gpu']);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await claimNextRun({ db, workerId: 'gpu', token: crypto.randomUUID(), leaseMs: LEASE, can: gpu }));
    expect(got).toEqual(['x-any', 'y-gpu', null]);
  });

  it('never claims a run of a profile not available on its host, and leaves it for one where it is', async () => {
    await enqueue('l', 1000, [], 'lightning-example');
    await enqueue('r', 2000, [], 'reference');
    expect(await claimNextRun({ db, workerId: 'cpu', token: 't1', leaseMs: LEASE, can: cpu })).toBe('r');
    expect(await claimNextRun({ db, workerId: 'cpu', token: 't2', leaseMs: LEASE, can: cpu })).toBeNull();
    expect(await claimNextRun({ db, workerId: 'torch', token: 't3', leaseMs: LEASE, can: { labels: [], profiles: ['reference', 'lightning-example'] } })).toBe('l');
  });

  it('records the command its host resolved while it holds the lease, and nothing once the sweep took the run', async () => {
    await enqueue('r', 1000);
    await claimNextRun({ db, workerId: 'w', token: 'mine', leaseMs: LEASE, now: 1000 });
    expect(await recordCommandHere({ db, runId: 'r', token: 'mine', argv: ['python3', 'train.py'], cwd: '/here', env: { A: '1' } })).toBe(true);
    expect(await getLaunch({ db, runId: 'r' })).toMatchObject({ argvJson: '["python3","train.py"]', cwd: '/here', envJson: '{"A":"1"}' });
    expect(await sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'swept', leaseMs: LEASE, now: 1000 + LEASE + 1 })).toHaveLength(1);
    expect(await recordCommandHere({ db, runId: 'r', token: 'mine', argv: ['other'], cwd: '/x', env: {} })).toBe(false);
    expect(await getLaunch({ db, runId: 'r' })).toMatchObject({ cwd: '/here' });
  });

  it('the rule in words (canTake, placeRun) says what the SQL does, for every worker and run', async () => {
    await register('cpu', ['cpu-host'], 1000);
    await register('gpu', ['gpu', 'gpu-host'], 1000, [
      { name: 'reference', available: true, reason: null },
      { name: 'lightning-example', available: true, reason: null },
    ]);
    const runs = [
      { id: 'r0', labels: [], profile: 'reference' },
      { id: 'r1', labels: ['gpu'], profile: 'reference' },
      { id: 'r2', labels: [], profile: 'lightning-example' },
      { id: 'r3', labels: ['gpu', 'h100'], profile: 'reference' },
    ];
    const views = await listWorkerViews({ db, leaseMs: LEASE, now: 1000 });
    for (const w of views) {
      const can: WorkerCan = { labels: w.labels, profiles: w.profiles!.filter((p) => p.available).map((p) => p.name) };
      for (const r of runs) {
        // One queued run at a time: the claim takes this one or nothing.
        await db.run(sql`DELETE FROM runs`);
        await enqueue(r.id, 1, r.labels, r.profile);
        const claimed = (await claimNextRun({ db, workerId: w.id, token: 't', leaseMs: LEASE, can })) === r.id;
        expect(await hasQueuedRun({ db, can }), `${w.id} sees ${r.id} as claimable`).toBe(false);
        expect(claimed, `${w.id} takes ${r.id}: ${JSON.stringify(canTake(w, r))}`).toBe(canTake(w, r).ok);
      }
    }
    expect(placeRun(views, { profile: 'reference', labels: ['gpu', 'h100'] }).sentence).toBe('queued: waits for a worker with labels gpu, h100');
    expect(placeRun(views, { profile: 'lightning-example', labels: [] }).sentence).toBe('runs next on gpu-host (1 worker with a free slot)');
    expect(
      placeRun(
        views.filter((w) => w.id === 'cpu'),
        { profile: 'lightning-example', labels: [] },
      ).sentence,
    ).toMatch(/^queued: no online worker can run profile lightning-example \(cpu-host: profile lightning-example unavailable on its host: .*ModuleNotFoundError/);
    expect(placeRun([], { profile: 'reference', labels: [] }).sentence).toMatch(/^queued: no worker is online/);
  });
});
