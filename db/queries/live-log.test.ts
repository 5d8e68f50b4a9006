import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { LIVE_LOG_KEEP_LINES, LiveLogSplitter, type LiveLogLine } from '../../lib/live/log-lines';
import { claimNextRun, settleUnarchivedRun, sweepExpiredLeases } from './launches';
import { appendLiveLog, listLiveLog } from './live-log';

let t: TempDb;
let db: Db;

beforeEach(() => {
  t = openTempDb('rp-live-log-');
  db = t.db;
});
afterEach(() => t.close());

function claimed(id: string, token: string) {
  const evidence = enqueueTestRun(db, id, 1000);
  expect(claimNextRun({ db, workerId: 'w', token, leaseMs: 60_000 })).toBe(id);
  return evidence;
}

const lines = (from: number, n: number, text = (i: number) => `line ${i}`): LiveLogLine[] =>
  Array.from({ length: n }, (_, k) => ({ seq: from + k, text: text(from + k), bytes: Buffer.byteLength(text(from + k)), cut: false }));

describe('the live log', () => {
  it('appends lines and reads the tail on connect, then only the lines after the last one sent', () => {
    claimed('r', 't');
    expect(listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toEqual([]);
    expect(appendLiveLog({ db, runId: 'r', token: 't', lines: lines(0, 3) })).toBe(true);
    expect(listLiveLog({ db, runId: 'r', after: null, tail: 2 })).toEqual([
      { seq: 1, text: 'line 1', cut: false },
      { seq: 2, text: 'line 2', cut: false },
    ]);
    expect(appendLiveLog({ db, runId: 'r', token: 't', lines: lines(3, 2) })).toBe(true);
    expect(listLiveLog({ db, runId: 'r', after: 2, tail: 400 }).map((l) => l.text)).toEqual(['line 3', 'line 4']);
    expect(listLiveLog({ db, runId: 'r', after: 4, tail: 400 })).toEqual([]);
    // A batch retried after a failed commit replaces what is there instead of failing.
    expect(appendLiveLog({ db, runId: 'r', token: 't', lines: lines(3, 2) })).toBe(true);
    expect(listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toHaveLength(5);
  });

  it('keeps only the last lines of a run, by count and by bytes, and leaves other runs alone', () => {
    claimed('a', 'ta');
    claimed('b', 'tb');
    appendLiveLog({ db, runId: 'b', token: 'tb', lines: lines(0, 5) });
    for (let i = 0; i < LIVE_LOG_KEEP_LINES + 250; i += 50) appendLiveLog({ db, runId: 'a', token: 'ta', lines: lines(i, 50) });
    const kept = listLiveLog({ db, runId: 'a', after: -1, tail: 0 });
    expect(kept).toHaveLength(LIVE_LOG_KEEP_LINES);
    expect(kept[0].seq).toBe(250);
    expect(kept.at(-1)!.seq).toBe(LIVE_LOG_KEEP_LINES + 249);
    // 100-byte lines under a 1,000-byte bound: the newest ten stay.
    const hundred = (i: number) => `${i}`.padEnd(100, '.');
    appendLiveLog({ db, runId: 'a', token: 'ta', lines: lines(5000, 25, hundred), keepBytes: 1000 });
    expect(listLiveLog({ db, runId: 'a', after: -1, tail: 0 }).map((l) => l.seq)).toEqual(Array.from({ length: 10 }, (_, k) => 5015 + k));
    expect(listLiveLog({ db, runId: 'b', after: -1, tail: 0 })).toHaveLength(5);
  });

  it('a worker whose lease the sweep took writes no line', () => {
    claimed('r', 'old');
    appendLiveLog({ db, runId: 'r', token: 'old', lines: lines(0, 1) });
    expect(sweepExpiredLeases({ db, sweeperId: 's', newToken: () => 'new', leaseMs: 1000, now: Date.now() + 120_000 })).toHaveLength(1);
    expect(appendLiveLog({ db, runId: 'r', token: 'old', lines: lines(1, 2) })).toBe(false);
    expect(listLiveLog({ db, runId: 'r', after: null, tail: 400 }).map((l) => l.seq)).toEqual([0]);
  });

  it('the rows go when the run settles', () => {
    const evidence = claimed('r', 't');
    appendLiveLog({ db, runId: 'r', token: 't', lines: lines(0, 10) });
    expect(settleUnarchivedRun({ db, runId: 'r', token: 't', evidence, exitCode: 1, signal: null, error: 'x', endedAt: Date.now() })).toBe(true);
    expect(listLiveLog({ db, runId: 'r', after: null, tail: 400 })).toEqual([]);
    expect(db.$client.prepare('SELECT COUNT(*) AS n FROM live_log').get()).toEqual({ n: 0 });
  });

  it('stores what the splitter cut, marked', () => {
    claimed('r', 't');
    const s = new LiveLogSplitter();
    const got = s.push(`short\n${'x'.repeat(40_000)}\nafter\n`);
    appendLiveLog({ db, runId: 'r', token: 't', lines: got });
    const rows = listLiveLog({ db, runId: 'r', after: null, tail: 400 });
    expect(rows.map((r) => r.cut)).toEqual([false, true, false]);
    expect(rows[1].text).toMatch(/^x{16384} … \[line cut/);
    expect(rows[2]).toEqual({ seq: 2, text: 'after', cut: false });
  });
});
