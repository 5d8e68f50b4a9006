import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { appendLivePoints, claimNextRun, getLivePoints, renewLease, requestCancel, sweepExpiredLeases } from './launches';
import { getRun } from './runs';

let t: TempDb;
let db: Db;

beforeEach(() => {
  t = openTempDb('rp-queue-');
  db = t.db;
});
afterEach(() => t.close());

function enqueue(id: string, now: number) {
  enqueueTestRun(db, id, now);
}

describe('the launch queue', () => {
  it('claims the oldest queued run first, each run once', () => {
    enqueue('b', 2000);
    enqueue('a', 1000);
    enqueue('c', 3000);
    const got = [1, 2, 3, 4].map((i) => claimNextRun({ db, workerId: 'w', token: `t${i}`, leaseMs: 5000 }));
    expect(got).toEqual(['a', 'b', 'c', null]);
    expect(getRun({ db, id: 'a' })).toMatchObject({ status: 'running', leaseToken: 't1', workerId: 'w' });
  });

  it('two connections racing for one run: exactly one wins', () => {
    enqueue('only', 1000);
    const other = new Database(t.file);
    other.pragma('busy_timeout = 5000');
    const claim = other.prepare(
      `UPDATE runs SET status = 'running', lease_token = 'other' WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1) AND status = 'queued' RETURNING id`,
    );
    const a = claimNextRun({ db, workerId: 'w', token: 'mine', leaseMs: 5000 });
    const b = claim.get() as { id: string } | undefined;
    other.close();
    expect([a, b?.id ?? null].filter(Boolean)).toEqual(['only']);
  });

  it('a lease that ran out is settled by the sweep; the old holder can write nothing after', () => {
    enqueue('r', 1000);
    claimNextRun({ db, workerId: 'w1', token: 'old', leaseMs: 1000, now: 10_000 });
    expect(renewLease({ db, runId: 'r', token: 'old', leaseMs: 1000, now: 10_500 }).owned).toBe(true);
    expect(sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: 11_000 })).toEqual([]);
    const swept = sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: 12_000 });
    expect(swept.map((s) => [s.runId, s.token])).toEqual([['r', 'new']]);
    // Still running until the sweeper archives it as lost; the old holder is out either way.
    expect(getRun({ db, id: 'r' })).toMatchObject({ status: 'running', leaseToken: 'new', workerId: 's' });
    expect(renewLease({ db, runId: 'r', token: 'old', leaseMs: 1000 }).owned).toBe(false);
    const pts = { metric: 'val_loss', from: 0, steps: [0], epochs: [0], values: [1] };
    expect(appendLivePoints({ db, runId: 'r', token: 'old', points: [pts], live: {} })).toBe(false);
    expect(getLivePoints({ db, runId: 'r', after: {} })).toEqual([]);
  });

  it('runs of a worker known to be dead are settled without waiting for the lease', () => {
    enqueue('r', 1000);
    claimNextRun({ db, workerId: 'dead', token: 't', leaseMs: 60_000 });
    expect(sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'n', leaseMs: 1000 })).toEqual([]);
    expect(sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'n', leaseMs: 1000, deadWorkers: ['dead'] })).toHaveLength(1);
  });

  it('cancelling a queued run settles it at once; a running one gets a request the heartbeat sees', () => {
    enqueue('q', 1000);
    enqueue('r', 2000);
    expect(requestCancel({ db, runId: 'q' })).toBe('cancelled');
    expect(getRun({ db, id: 'q' })!.status).toBe('cancelled');
    expect(claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 5000 })).toBe('r');
    expect(renewLease({ db, runId: 'r', token: 't', leaseMs: 5000 }).cancelRequested).toBe(false);
    expect(requestCancel({ db, runId: 'r' })).toBe('requested');
    expect(renewLease({ db, runId: 'r', token: 't', leaseMs: 5000 }).cancelRequested).toBe(true);
    expect(requestCancel({ db, runId: 'q' })).toBe('already-final');
  });

  it('live points arrive in order and only the new ones are read', () => {
    enqueue('r', 1000);
    claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 5000 });
    appendLivePoints({ db, runId: 'r', token: 't', points: [{ metric: 'loss', from: 0, steps: [0, 1], epochs: [0, 0], values: [3, 2] }], live: { epochsDone: 0 } });
    const first = getLivePoints({ db, runId: 'r', after: {} });
    expect(first).toEqual([{ metric: 'loss', from: 0, total: 2, steps: [0, 1], values: [3, 2] }]);
    appendLivePoints({ db, runId: 'r', token: 't', points: [{ metric: 'loss', from: 2, steps: [2], epochs: [1], values: [NaN] }], live: {} });
    expect(getLivePoints({ db, runId: 'r', after: { loss: 2 } })).toEqual([{ metric: 'loss', from: 2, total: 3, steps: [2], values: [null] }]);
    expect(getLivePoints({ db, runId: 'r', after: { loss: 3 } })).toEqual([]);
  });
});
