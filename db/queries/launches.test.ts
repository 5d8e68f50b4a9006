import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db, Dialect } from '../client';
import { backends } from '../testing/backends';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { appendLivePoints, CANCEL_CHANNEL, claimNextRun, getLaunch, getLivePoints, getLiveState, QUEUE_CHANNEL, renewLease, requestCancel, sweepExpiredLeases } from './launches';
import { getRun } from './runs';

let t: TempDb;
let db: Db;

function open(backend: Dialect) {
  beforeEach(async () => {
    t = await openTempDb('rp-queue-', backend);
    db = t.db;
  });
  afterEach(() => t.close());
}

async function enqueue(id: string, now: number) {
  await enqueueTestRun(db, id, now);
}

/** Poll `fn` until it is true; fail with `what` after 10 s. */
async function until(what: string, fn: () => Promise<boolean>) {
  const end = Date.now() + 10_000;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(backends())('the launch queue (%s)', (backend) => {
  open(backend);

  it('claims the oldest queued run first, each run once', async () => {
    await enqueue('b', 2000);
    await enqueue('a', 1000);
    await enqueue('c', 3000);
    const got = [];
    for (const i of [1, 2, 3, 4]) got.push(await claimNextRun({ db, workerId: 'w', token: `t${i}`, leaseMs: 5000 }));
    expect(got).toEqual(['a', 'b', 'c', null]);
    expect(await getRun({ db, id: 'a' })).toMatchObject({ status: 'running', leaseToken: 't1', workerId: 'w' });
  });

  it('runs queued in the same millisecond are claimed in the order they were queued', async () => {
    // Ids that sort against the queue order: a tie-break by id would reverse them.
    const ids = ['z9', 'm5', 'k3', 'c2', 'a1'];
    for (const id of ids) await enqueue(id, 5000);
    const got = [];
    for (const i of ids.keys()) got.push(await claimNextRun({ db, workerId: 'w', token: `t${i}`, leaseMs: 5000 }));
    expect(got).toEqual(ids);
  });

  it('8 claimers side by side over 50 queued runs: each run is claimed once, and each claimer takes its runs oldest first', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    // Queued in an order other than their age: the claim goes by created_at.
    for (const i of [...ids.keys()].reverse()) await enqueue(ids[i], 1000 + i);
    const claimer = async (w: number) => {
      const got: string[] = [];
      for (;;) {
        const id = await claimNextRun({ db, workerId: `w${w}`, token: `t${w}-${got.length}`, leaseMs: 60_000 });
        if (id === null) return got;
        got.push(id);
      }
    };
    const all = await Promise.all(Array.from({ length: 8 }, (_, w) => claimer(w)));
    expect(all.flat().sort()).toEqual(ids);
    for (const got of all) expect(got).toEqual([...got].sort());
    expect(all.filter((got) => got.length > 0).length).toBeGreaterThan(1);
    // The lease each claimer holds is the one it claimed with, on every run it took.
    for (const [w, got] of all.entries()) for (const [k, id] of got.entries()) expect(await getRun({ db, id })).toMatchObject({ status: 'running', workerId: `w${w}`, leaseToken: `t${w}-${k}` });
    expect(await claimNextRun({ db, workerId: 'late', token: 'x', leaseMs: 1000 })).toBeNull();
  });

  it('a lease that ran out is settled by the sweep; the old holder can write nothing after', async () => {
    await enqueue('r', 1000);
    await claimNextRun({ db, workerId: 'w1', token: 'old', leaseMs: 1000, now: 10_000 });
    expect((await renewLease({ db, runId: 'r', token: 'old', leaseMs: 1000, now: 10_500 })).owned).toBe(true);
    expect(await sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: 11_000 })).toEqual([]);
    const swept = await sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: 12_000 });
    expect(swept.map((s) => [s.runId, s.token, s.attempts])).toEqual([['r', 'new', 1]]);
    // Still running until the sweeper archives it as lost; the old holder is out either way.
    expect(await getRun({ db, id: 'r' })).toMatchObject({ status: 'running', leaseToken: 'new', workerId: 's' });
    expect((await renewLease({ db, runId: 'r', token: 'old', leaseMs: 1000 })).owned).toBe(false);
    const pts = { metric: 'val_loss', from: 0, steps: [0], epochs: [0], values: [1] };
    expect(await appendLivePoints({ db, runId: 'r', token: 'old', points: [pts], live: {} })).toBe(false);
    expect(await getLivePoints({ db, runId: 'r', after: {} })).toEqual([]);
  });

  it('two sweeps at once over one expired run: exactly one takes it over', async () => {
    await enqueue('r', 1000);
    await claimNextRun({ db, workerId: 'w1', token: 'old', leaseMs: 1000, now: 10_000 });
    // On PostgreSQL both sweeps must have read the run as expired before either writes: a third connection
    // holds the run's row until both are waiting on it, then lets go.
    const holder = backend === 'postgres' ? await db.pool!.connect() : null;
    await holder?.query('BEGIN');
    await holder?.query(`SELECT 1 FROM runs WHERE id = 'r' FOR UPDATE`);
    const sweeps = [1, 2].map((i) => sweepExpiredLeases({ db, sweeperId: `s${i}`, newToken: () => `new${i}`, leaseMs: 60_000, now: 20_000 }));
    try {
      if (holder)
        await until('both sweeps to wait on the run row', async () => {
          // Asked on a connection of its own: inside the holder's transaction the view would stay as first read.
          const [w] = await db.all<{ n: number }>(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
          return w.n === 2;
        });
    } finally {
      await holder?.query('COMMIT');
      holder?.release();
    }
    const [a, b] = await Promise.all(sweeps);
    expect([a.length, b.length].sort()).toEqual([0, 1]);
    const winner = a.length ? 1 : 2;
    expect([...a, ...b].map((s) => [s.runId, s.token, s.attempts])).toEqual([['r', `new${winner}`, 1]]);
    expect(await getRun({ db, id: 'r' })).toMatchObject({ status: 'running', leaseToken: `new${winner}`, workerId: `s${winner}` });
    expect((await getLaunch({ db, runId: 'r' }))!.archiveAttempts).toBe(1);
  });

  it('runs of a worker known to be dead are settled without waiting for the lease', async () => {
    await enqueue('r', 1000);
    await claimNextRun({ db, workerId: 'dead', token: 't', leaseMs: 60_000 });
    expect(await sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'n', leaseMs: 1000 })).toEqual([]);
    expect(await sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'n', leaseMs: 1000, deadWorkers: ['other', 'dead'] })).toHaveLength(1);
  });

  it('cancelling a queued run settles it at once; a running one gets a request the heartbeat sees', async () => {
    await enqueue('q', 1000);
    await enqueue('r', 2000);
    expect(await requestCancel({ db, runId: 'q' })).toBe('cancelled');
    expect((await getRun({ db, id: 'q' }))!.status).toBe('cancelled');
    expect(await claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 5000 })).toBe('r');
    expect((await renewLease({ db, runId: 'r', token: 't', leaseMs: 5000 })).cancelRequested).toBe(false);
    const seq = (await getLiveState({ db, runId: 'r' }))!.liveSeq;
    expect(await requestCancel({ db, runId: 'r' })).toBe('requested');
    expect((await renewLease({ db, runId: 'r', token: 't', leaseMs: 5000 })).cancelRequested).toBe(true);
    expect(await getLiveState({ db, runId: 'r' })).toMatchObject({ status: 'running', liveSeq: seq + 1, cancelRequestedAt: expect.any(Number), queuedAt: 2000, timeoutMs: 1000 });
    expect(await requestCancel({ db, runId: 'q' })).toBe('already-final');
    expect(await requestCancel({ db, runId: 'nope' })).toBe('not-found');
  });

  it('live points arrive in order and only the new ones are read; a retried batch replaces what is there', async () => {
    await enqueue('r', 1000);
    await claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 5000 });
    await appendLivePoints({ db, runId: 'r', token: 't', points: [{ metric: 'loss', from: 0, steps: [0, 1], epochs: [0, 0], values: [3, 2] }], live: { epochsDone: 0 } });
    const first = await getLivePoints({ db, runId: 'r', after: {} });
    expect(first).toEqual([{ metric: 'loss', from: 0, total: 2, steps: [0, 1], values: [3, 2] }]);
    await appendLivePoints({ db, runId: 'r', token: 't', points: [{ metric: 'loss', from: 2, steps: [2], epochs: [1], values: [NaN] }], live: {} });
    expect(await getLivePoints({ db, runId: 'r', after: { loss: 2 } })).toEqual([{ metric: 'loss', from: 2, total: 3, steps: [2], values: [null] }]);
    expect(await getLivePoints({ db, runId: 'r', after: { loss: 3 } })).toEqual([]);
    await appendLivePoints({ db, runId: 'r', token: 't', points: [{ metric: 'loss', from: 2, steps: [2], epochs: [1], values: [1.5] }], live: {} });
    expect(await getLivePoints({ db, runId: 'r', after: { loss: 2 } })).toEqual([{ metric: 'loss', from: 2, total: 3, steps: [2], values: [1.5] }]);
  });

  it('a batch of more points than one statement binds is stored whole', async () => {
    await enqueue('r', 1000);
    await claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 5000 });
    const n = 1000;
    const steps = Array.from({ length: n }, (_, i) => i * 10);
    await appendLivePoints({ db, runId: 'r', token: 't', points: [{ metric: 'loss', from: 0, steps, epochs: steps.map(() => 0), values: steps.map((s) => 1 / (s + 1)) }], live: {} });
    const [got] = await getLivePoints({ db, runId: 'r', after: {} });
    expect(got.total).toBe(n);
    expect(got.steps).toEqual(steps);
  });
});

describe('the launch queue on SQLite: a second connection', () => {
  open('sqlite');

  it('two connections racing for one run: exactly one wins', async () => {
    await enqueue('only', 1000);
    const other = new Database(t.target);
    other.pragma('busy_timeout = 5000');
    const claim = other.prepare(
      `UPDATE runs SET status = 'running', lease_token = 'other' WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1) AND status = 'queued' RETURNING id`,
    );
    const a = await claimNextRun({ db, workerId: 'w', token: 'mine', leaseMs: 5000 });
    const b = claim.get() as { id: string } | undefined;
    other.close();
    expect([a, b?.id ?? null].filter(Boolean)).toEqual(['only']);
  });
});

describe.each(backends().filter((b) => b === 'postgres'))('the launch queue wakes its listeners on PostgreSQL (%s)', (backend) => {
  open(backend);

  it('a queued run NOTIFYs the queue channel and a cancel the cancel channel, each with the run id, and only on commit', async () => {
    const queued: string[] = [];
    const cancels: string[] = [];
    const stopQueue = await db.listen(QUEUE_CHANNEL, (id) => queued.push(id));
    const stopCancel = await db.listen(CANCEL_CHANNEL, (id) => cancels.push(id));
    try {
      await enqueue('a', 1000);
      // The same id again fails on its primary key: the transaction rolls back and says nothing.
      await expect(enqueue('a', 1001)).rejects.toThrow();
      await enqueue('b', 1002);
      await until('two wake-ups', async () => queued.length >= 2);
      expect(queued).toEqual(['a', 'b']);
      expect(await claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 60_000 })).toBe('a');
      expect(await requestCancel({ db, runId: 'a' })).toBe('requested');
      expect(await requestCancel({ db, runId: 'b' })).toBe('cancelled');
      await until('two cancels', async () => cancels.length >= 2);
      expect(cancels).toEqual(['a', 'b']);
      expect(queued).toEqual(['a', 'b']);
    } finally {
      await stopQueue();
      await stopCancel();
    }
  });
});
