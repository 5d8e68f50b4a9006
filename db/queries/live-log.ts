/**
 * A launched run's log while it runs (table `live_log`): the worker appends
 * the complete lines it tailed, under its lease token like every write it
 * makes (a worker that lost the run to the sweep cannot add to it); the
 * events stream of any web server on this database reads them by `seq`, so
 * no web server reads the worker's disk. Each append trims the run to its
 * last lines within the bounds of lib/live/log-lines.ts; the settle deletes
 * them (db/queries/launches.ts), the archived log being in `stored_files`.
 */
import { and, asc, desc, eq, gt, lte, sql } from 'drizzle-orm';
import { affected, type Db } from '../client';
import { holdsLease } from './lease';
import { LIVE_LOG_KEEP_BYTES, LIVE_LOG_KEEP_LINES, type LiveLogLine } from '../../lib/live/log-lines';

/** Lines per INSERT: five bound values each, under SQLite's 999. */
const LINES_PER_STATEMENT = 199;

/**
 * Append lines (their `seq` as the splitter numbered them; one already there
 * is replaced, so a retried batch does not fail) and trim the run to its last
 * LIVE_LOG_KEEP_LINES lines within LIVE_LOG_KEEP_BYTES. False, writing
 * nothing, when `token` no longer holds the run's lease. A copy of train.log,
 * which is archived whole when the run ends: committed without waiting for
 * the disk (`durable: false`, still crash-consistent).
 */
export async function appendLiveLog({
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
}): Promise<boolean> {
  const { liveLog } = db.t;
  return db.tx(
    async (tx) => {
      if (!(await holdsLease(tx, runId, token))) return false;
      if (!lines.length) return true;
      // Only the last keepLines of a batch could survive the trim: the rest are not written at all.
      const rows = lines.slice(-keepLines).map((l) => ({ runId, seq: l.seq, text: l.text, bytes: l.bytes, cut: l.cut }));
      for (let at = 0; at < rows.length; at += LINES_PER_STATEMENT)
        await tx.orm
          .insert(liveLog)
          .values(rows.slice(at, at + LINES_PER_STATEMENT))
          .onConflictDoUpdate({ target: [liveLog.runId, liveLog.seq], set: { text: sql`excluded.text`, bytes: sql`excluded.bytes`, cut: sql`excluded.cut` } });
      const last = lines.reduce((m, l) => Math.max(m, l.seq), -1);
      await tx.orm.delete(liveLog).where(and(eq(liveLog.runId, runId), lte(liveLog.seq, last - keepLines)));
      // The byte bound: the newest lines whose running total stays within it are kept.
      const over = await tx.get<{ seq: number | null }>(
        sql`SELECT MAX(seq) AS seq FROM (
              SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC ROWS UNBOUNDED PRECEDING) AS total FROM live_log WHERE run_id = ${runId}
            ) AS running WHERE total > ${keepBytes}`,
      );
      if (over?.seq != null) await tx.orm.delete(liveLog).where(and(eq(liveLog.runId, runId), lte(liveLog.seq, over.seq)));
      return true;
    },
    { durable: false },
  );
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
export async function listLiveLog({ db, runId, after, tail }: { db: Db; runId: string; after: number | null; tail: number }): Promise<LiveLogRow[]> {
  const { liveLog } = db.t;
  const cols = { seq: liveLog.seq, text: liveLog.text, cut: liveLog.cut };
  if (after === null) return (await db.orm.select(cols).from(liveLog).where(eq(liveLog.runId, runId)).orderBy(desc(liveLog.seq)).limit(tail)).reverse();
  return db.orm
    .select(cols)
    .from(liveLog)
    .where(and(eq(liveLog.runId, runId), gt(liveLog.seq, after)))
    .orderBy(asc(liveLog.seq))
    .limit(LIVE_LOG_KEEP_LINES);
}

/** Forget a run's live log (it settled: the archive has the log). Called inside the settling transaction. */
export async function deleteLiveLog({ db, runId }: { db: Db; runId: string }): Promise<number> {
  const { liveLog } = db.t;
  return affected(await db.orm.delete(liveLog).where(eq(liveLog.runId, runId)));
}
