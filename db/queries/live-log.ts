/**
 * A launched run's log while it runs (table `live_log`): the worker appends
 * the complete lines it tailed, under its lease token like every write it
 * makes (a worker that lost the run to the sweep cannot add to it); the
 * events stream of any web server on this database reads them by `seq`, so
 * no web server reads the worker's disk. Each append trims the run to its
 * last lines within the bounds of lib/live/log-lines.ts; the settle deletes
 * them (db/queries/launches.ts), the archived log being in `stored_files`.
 */
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import type { Db } from '../client';
import { liveLog } from '../schema';
import { LIVE_LOG_KEEP_BYTES, LIVE_LOG_KEEP_LINES, type LiveLogLine } from '../../lib/live/log-lines';

/**
 * Append lines (their `seq` as the splitter numbered them; one already there
 * is replaced, so a retried batch does not fail) and trim the run to its last
 * LIVE_LOG_KEEP_LINES lines within LIVE_LOG_KEEP_BYTES. False, writing
 * nothing, when `token` no longer holds the run's lease.
 */
export function appendLiveLog({
  db,
  runId,
  token,
  lines,
  keepLines = LIVE_LOG_KEEP_LINES,
  keepBytes = LIVE_LOG_KEEP_BYTES,
}: {
  db: Db;
  runId: string;
  token: string;
  lines: readonly LiveLogLine[];
  keepLines?: number;
  keepBytes?: number;
}): boolean {
  const client = db.$client;
  const before = client.pragma('synchronous', { simple: true }) as number;
  // A copy of train.log, which is archived whole when the run ends: no fsync per batch (WAL keeps it consistent).
  client.pragma('synchronous = NORMAL');
  try {
    return client
      .transaction(() => {
        if (client.prepare('SELECT 1 FROM runs WHERE id = ? AND lease_token = ?').get(runId, token) === undefined) return false;
        if (!lines.length) return true;
        const ins = client.prepare('INSERT OR REPLACE INTO live_log (run_id, seq, text, bytes, cut) VALUES (?,?,?,?,?)');
        // Only the last keepLines of a batch could survive the trim: the rest are not written at all.
        for (const l of lines.slice(-keepLines)) ins.run(runId, l.seq, l.text, l.bytes, l.cut ? 1 : 0);
        const last = lines.reduce((m, l) => Math.max(m, l.seq), -1);
        client.prepare('DELETE FROM live_log WHERE run_id = ? AND seq <= ?').run(runId, last - keepLines);
        // The byte bound: the newest lines whose running total stays within it are kept.
        const over = client
          .prepare(
            `SELECT MAX(seq) AS seq FROM (
               SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC ROWS UNBOUNDED PRECEDING) AS total FROM live_log WHERE run_id = ?
             ) WHERE total > ?`,
          )
          .get(runId, keepBytes) as { seq: number | null };
        if (over.seq !== null) client.prepare('DELETE FROM live_log WHERE run_id = ? AND seq <= ?').run(runId, over.seq);
        return true;
      })
      .immediate();
  } finally {
    client.pragma(`synchronous = ${before}`);
  }
}

export interface LiveLogRow {
  seq: number;
  text: string;
  cut: boolean;
}

/**
 * The lines after `after` (by seq, oldest first), or with `after` null the
 * last `tail` lines: what an events stream sends on connect, then on each tick.
 */
export function listLiveLog({ db, runId, after, tail }: { db: Db; runId: string; after: number | null; tail: number }): LiveLogRow[] {
  const cols = { seq: liveLog.seq, text: liveLog.text, cut: liveLog.cut };
  if (after === null) return db.select(cols).from(liveLog).where(eq(liveLog.runId, runId)).orderBy(desc(liveLog.seq)).limit(tail).all().reverse();
  return db
    .select(cols)
    .from(liveLog)
    .where(and(eq(liveLog.runId, runId), gt(liveLog.seq, after)))
    .orderBy(asc(liveLog.seq))
    .limit(LIVE_LOG_KEEP_LINES)
    .all();
}

/** Forget a run's live log (it settled: the archive has the log). Called inside the settling transaction. */
export function deleteLiveLog({ db, runId }: { db: Db; runId: string }): number {
  return db.delete(liveLog).where(eq(liveLog.runId, runId)).run().changes;
}
