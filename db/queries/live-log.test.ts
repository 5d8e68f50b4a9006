import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { backends } from '../testing/backends';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { LIVE_LOG_KEEP_LINES, LiveLogSplitter, type LiveLogLine } from '../../lib/live/log-lines';
import { claimNextRun, settleUnarchivedRun, sweepExpiredLeases } from './launches';
import { appendLiveLog, listLiveLog } from './live-log';

let t: TempDb;
let db: Db;

async function claimed(id: string, token: string) {
  const evidence = await enqueueTestRun(db, id, 1000);
  expect(await claimNextRun({ db, workerId: 'w', token, leaseMs: 60_000 })).toBe(id);
  return evidence;
}

const lines = (from: number, n: number, text = (i: number) => `line ${i}`): LiveLogLine[] =>
  Array.from({ length: n }, (_, k) => ({ seq: from + k, text: text(from + k), bytes: Buffer.byteLength(text(from + k)), cut: false }));

describe.each(backends())('the live log (%s)', (backend) => {
  beforeEach(async () => {
    t = await openTempDb('rp-live-log-', backend);
    db = t.db;
  });
  afterEach(() => t.close());

  it('appends lines and reads the tail on connect, then only the lines after the last one sent', async () => {
    await claimed('r', 't');
    expect(await listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toEqual([]);
    expect(await appendLiveLog({ db, runId: 'r', token: 't', lines: lines(0, 3) })).toBe(true);
    expect(await listLiveLog({ db, runId: 'r', after: null, tail: 2 })).toEqual([
      { seq: 1, text: 'line 1', cut: false },
      { seq: 2, text: 'line 2', cut: false },
    ]);
    expect(await appendLiveLog({ db, runId: 'r', token: 't', lines: lines(3, 2) })).toBe(true);
    expect((await listLiveLog({ db, runId: 'r', after: 2, tail: 400 })).map((l) => l.text)).toEqual(['line 3', 'line 4']);
    expect(await listLiveLog({ db, runId: 'r', after: 4, tail: 400 })).toEqual([]);
    // A batch retried after a failed commit replaces what is there instead of failing.
    expect(await appendLiveLog({ db, runId: 'r', token: 't', lines: lines(3, 2) })).toBe(true);
    expect(await listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toHaveLength(5);
  });

  it('keeps only the last lines of a run, by count and by bytes, and leaves other runs alone', async () => {
    await claimed('a', 'ta');
    await claimed('b', 'tb');
    await appendLiveLog({ db, runId: 'b', token: 'tb', lines: lines(0, 5) });
    for (let i = 0; i < LIVE_LOG_KEEP_LINES + 250; i += 50) await appendLiveLog({ db, runId: 'a', token: 'ta', lines: lines(i, 50) });
    const kept = await listLiveLog({ db, runId: 'a', after: -1, tail: 0 });
    expect(kept).toHaveLength(LIVE_LOG_KEEP_LINES);
    expect(kept[0].seq).toBe(250);
    expect(kept.at(-1)!.seq).toBe(LIVE_LOG_KEEP_LINES + 249);
    // 100-byte lines under a 1,000-byte bound: the newest ten stay.
    const hundred = (i: number) => `${i}`.padEnd(100, '.');
    await appendLiveLog({ db, runId: 'a', token: 'ta', lines: lines(5000, 25, hundred), keepBytes: 1000 });
    expect((await listLiveLog({ db, runId: 'a', after: -1, tail: 0 })).map((l) => l.seq)).toEqual(Array.from({ length: 10 }, (_, k) => 5015 + k));
    expect(await listLiveLog({ db, runId: 'b', after: -1, tail: 0 })).toHaveLength(5);
  });

  it('a worker whose lease the sweep took writes no line', async () => {
    await claimed('r', 'old');
    await appendLiveLog({ db, runId: 'r', token: 'old', lines: lines(0, 1) });
    expect(await sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: Date.now() + 120_000 })).toHaveLength(1);
    expect(await appendLiveLog({ db, runId: 'r', token: 'old', lines: lines(1, 2) })).toBe(false);
    expect((await listLiveLog({ db, runId: 'r', after: null, tail: 400 })).map((l) => l.seq)).toEqual([0]);
  });

  it('the rows go when the run settles', async () => {
    const evidence = await claimed('r', 't');
    await appendLiveLog({ db, runId: 'r', token: 't', lines: lines(0, 10) });
    expect(await settleUnarchivedRun({ db, runId: 'r', token: 't', evidence, exitCode: 1, signal: null, error: 'x', endedAt: Date.now() })).toBe(true);
    expect(await listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toEqual([]);
    expect(await db.get(sql`SELECT count(*) AS n FROM live_log`)).toEqual({ n: 0 });
  });

  it('stores what the splitter cut, marked', async () => {
    await claimed('r', 't');
    const s = new LiveLogSplitter();
    const got = s.push(`short\n${'x'.repeat(40_000)}\nafter\n`);
    await appendLiveLog({ db, runId: 'r', token: 't', lines: got });
    const rows = await listLiveLog({ db, runId: 'r', after: null, tail: 400 });
    expect(rows.map((r) => r.cut)).toEqual([false, true, false]);
    expect(rows[1].text).toMatch(/^x{16384} … \[line cut/);
    expect(rows[2]).toEqual({ seq: 2, text: 'after', cut: false });
  });
});

describe.each(backends().filter((b) => b === 'postgres'))('the live log beside a sweep, on PostgreSQL where transactions run side by side (%s)', (backend) => {
  beforeEach(async () => {
    t = await openTempDb('rp-live-log-', backend);
    db = t.db;
  });
  afterEach(() => t.close());

  /** Sessions of this database waiting on a lock. */
  const waiting = async () => (await db.all<{ n: number }>(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n;
  async function until(n: number) {
    const end = Date.now() + 10_000;
    while ((await waiting()) !== n) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${n} sessions to wait on a lock`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('an append that reads its lease while a sweep is taking the run over waits for the sweep, then writes nothing', async () => {
    await claimed('r', 'old');
    // Hold the run's row so the sweep and then the append queue up on it in that order.
    const holder = await db.pool!.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM runs WHERE id = 'r' FOR UPDATE`);
    let sweep: Promise<unknown> = Promise.resolve();
    let append: Promise<boolean> = Promise.resolve(true);
    try {
      sweep = sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: Date.now() + 120_000 });
      await until(1);
      append = appendLiveLog({ db, runId: 'r', token: 'old', lines: lines(0, 3) });
      await until(2);
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    expect(await sweep).toHaveLength(1);
    expect(await append).toBe(false);
    expect(await listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toEqual([]);
  });
});
