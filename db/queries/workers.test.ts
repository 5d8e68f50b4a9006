/**
 * Workers that say what they can run, against a real SQLite file: a worker
 * registers, heartbeats, goes offline on a clean stop and is shown offline
 * once silent longer than the lease; the claim takes only runs whose required
 * labels the worker carries and whose profile is available on its host,
 * oldest first among those, and the rule in words (lib/workers/match.ts)
 * agrees with the SQL.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, type Db, openDb } from '../client';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { canTake, placeRun } from '../../lib/workers/match';
import { claimNextRun, getLaunch, getRunLabels, hasQueuedRun, type WorkerCan } from './launches';
import { getRun } from './runs';
import { heartbeatWorker, listLiveWorkers, listWorkers, listWorkerViews, markWorkerOffline, registerWorker, updateWorkerFacts } from './workers';

let t: TempDb;
let db: Db;

beforeEach(() => {
  t = openTempDb('rp-workers-');
  db = t.db;
});
afterEach(() => t.close());

const LEASE = 10_000;
const REF = [
  { name: 'reference', available: true, reason: null },
  { name: 'lightning-example', available: false, reason: '`python3 -c import torch, lightning` failed (ModuleNotFoundError)' },
];

function enqueue(id: string, now: number, labels: string[] = [], profile = 'reference') {
  enqueueTestRun(db, id, now, { labels, profile });
}

function register(id: string, labels: string[], now = 1000, profiles = REF) {
  registerWorker({ db, id, host: `${id}-host`, pid: 100, concurrency: 2, labels, gpus: [], profiles, now });
}

const view = (id: string, now: number) => listWorkerViews({ db, leaseMs: LEASE, now }).find((w) => w.id === id)!;

describe('a worker row', () => {
  it('is online after registering and while it heartbeats, offline once silent longer than the lease', () => {
    register('w1', ['gpu', 'w1-host'], 1000);
    expect(view('w1', 1000)).toMatchObject({ state: 'online', host: 'w1-host', concurrency: 2, busy: 0, labels: ['gpu', 'w1-host'], profiles: REF });
    heartbeatWorker({ db, id: 'w1', now: 9000 });
    expect(view('w1', 9000 + LEASE).state).toBe('online');
    expect(view('w1', 9000 + LEASE + 1).state).toBe('offline');
    expect(listLiveWorkers({ db, staleMs: LEASE, now: 9000 + LEASE + 1 })).toHaveLength(0);
  });

  it('a clean stop marks it offline at once, and a late heartbeat does not bring it back; registering again does', () => {
    register('w1', [], 1000);
    markWorkerOffline({ db, id: 'w1', now: 2000 });
    expect(view('w1', 2000).state).toBe('offline');
    heartbeatWorker({ db, id: 'w1', now: 2500 });
    expect(view('w1', 2500).state).toBe('offline');
    expect(listWorkers({ db }).map((w) => w.id)).toEqual([]);
    register('w1', [], 3000);
    expect(view('w1', 3000).state).toBe('online');
  });

  it('profiles are unknown (null) until checked, then stored; GPUs likewise; workers silent for a day are forgotten', () => {
    registerWorker({ db, id: 'w1', host: 'h', pid: 1, concurrency: 1, labels: [], gpus: [], profiles: null, now: 1000 });
    expect(view('w1', 1000).profiles).toBeNull();
    updateWorkerFacts({ db, id: 'w1', profiles: REF, gpus: [{ index: 0, name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960, uuid: 'GPU-b2f8' }], now: 1100 });
    expect(view('w1', 1100)).toMatchObject({ profiles: REF, gpus: [{ name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960 }] });
    register('w2', [], 1000 + 25 * 3600_000);
    expect(listWorkerViews({ db, leaseMs: LEASE, now: 1000 + 25 * 3600_000 }).map((w) => w.id)).toEqual(['w2']);
  });

  it('counts the runs it holds as busy', () => {
    register('w1', [], 1000);
    enqueue('a', 1);
    enqueue('b', 2);
    claimNextRun({ db, workerId: 'w1', token: 't', leaseMs: LEASE, now: 1000 });
    expect(view('w1', 1000)).toMatchObject({ busy: 1, concurrency: 2 });
  });
});

describe('the label-filtered claim', () => {
  const cpu: WorkerCan = { labels: ['cpu-host'], profiles: ['reference'] };
  const gpu: WorkerCan = { labels: ['a100', 'gpu', 'gpu-host'], profiles: ['reference'] };

  it('a run needing gpu is never claimed by a worker without it and is claimed by one with it; FIFO within what each can take', () => {
    enqueue('a-gpu', 1000, ['gpu']);
    enqueue('b-any', 2000);
    enqueue('c-gpu', 3000, ['gpu', 'a100']);
    enqueue('d-any', 4000);
    const claimCpu = () => claimNextRun({ db, workerId: 'cpu', host: 'cpu-host', token: crypto.randomUUID(), leaseMs: LEASE, can: cpu });
    expect(claimCpu()).toBe('b-any');
    expect(claimCpu()).toBe('d-any');
    expect(claimCpu()).toBeNull();
    // Both gpu runs are still waiting, and the cpu worker does not even see them as claimable.
    expect(getRun({ db, id: 'a-gpu' })!.status).toBe('queued');
    expect(hasQueuedRun({ db, can: cpu })).toBe(false);
    expect(hasQueuedRun({ db, can: gpu })).toBe(true);
    const claimGpu = () => claimNextRun({ db, workerId: 'gpu', host: 'gpu-host', token: crypto.randomUUID(), leaseMs: LEASE, can: gpu });
    expect(claimGpu()).toBe('a-gpu');
    expect(claimGpu()).toBe('c-gpu');
    expect(claimGpu()).toBeNull();
    // The launch row names who ran it and where; runs.worker_id holds the lease.
    expect(getLaunch({ db, runId: 'a-gpu' })).toMatchObject({ workerId: 'gpu', host: 'gpu-host' });
    expect(getRun({ db, id: 'a-gpu' })).toMatchObject({ status: 'running', workerId: 'gpu' });
    expect(getRunLabels({ db, runId: 'c-gpu' })).toEqual(['gpu', 'a100']);
  });

  it('a worker with the labels still takes runs needing none, oldest first', () => {
    enqueue('x-any', 1000);
    enqueue('y-gpu', 2000, ['gpu']);
    const got = [1, 2, 3].map(() => claimNextRun({ db, workerId: 'gpu', token: crypto.randomUUID(), leaseMs: LEASE, can: gpu }));
    expect(got).toEqual(['x-any', 'y-gpu', null]);
  });

  it('never claims a run of a profile not available on its host, and leaves it for one where it is', () => {
    enqueue('l', 1000, [], 'lightning-example');
    enqueue('r', 2000, [], 'reference');
    expect(claimNextRun({ db, workerId: 'cpu', token: 't1', leaseMs: LEASE, can: cpu })).toBe('r');
    expect(claimNextRun({ db, workerId: 'cpu', token: 't2', leaseMs: LEASE, can: cpu })).toBeNull();
    expect(claimNextRun({ db, workerId: 'torch', token: 't3', leaseMs: LEASE, can: { labels: [], profiles: ['reference', 'lightning-example'] } })).toBe('l');
  });

  it('the rule in words (canTake, placeRun) says what the SQL does, for every worker and run', () => {
    register('cpu', ['cpu-host'], 1000);
    register('gpu', ['gpu', 'gpu-host'], 1000, [
      { name: 'reference', available: true, reason: null },
      { name: 'lightning-example', available: true, reason: null },
    ]);
    const runs = [
      { id: 'r0', labels: [], profile: 'reference' },
      { id: 'r1', labels: ['gpu'], profile: 'reference' },
      { id: 'r2', labels: [], profile: 'lightning-example' },
      { id: 'r3', labels: ['gpu', 'h100'], profile: 'reference' },
    ];
    const views = listWorkerViews({ db, leaseMs: LEASE, now: 1000 });
    for (const w of views) {
      const can: WorkerCan = { labels: w.labels, profiles: w.profiles!.filter((p) => p.available).map((p) => p.name) };
      for (const r of runs) {
        closeDb(t.file);
        fs.rmSync(t.file);
        db = openDb(t.file);
        enqueue(r.id, 1, r.labels, r.profile);
        const claimed = claimNextRun({ db, workerId: w.id, token: 't', leaseMs: LEASE, can }) === r.id;
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
