/**
 * Per-epoch values of several runs at once, for the compare page. Reads the
 * `epoch_values` child table (one row per run, metric and epoch, written by
 * `saveRun` from the evidence document's per-epoch table), never the
 * per-step `points`: runs are compared epoch by epoch, and a run with a
 * million steps has a handful of epochs.
 */
import { asc, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client';
import type { EpochPoint, EpochSeries } from '../../lib/compare/compare';
import { MAX_STATEMENT_PARAMS } from './runs';

export type { EpochPoint, EpochSeries };

/**
 * Every per-epoch metric of the given runs, in one query. Every requested id
 * is a key of the result (an empty series for a run with no per-epoch values,
 * or no such run), so the caller can tell "no metrics" from "not asked".
 */
export async function getEpochSeries({ db, runIds }: { db: Db; runIds: readonly string[] }): Promise<Record<string, EpochSeries>> {
  const { epochValues } = db.t;
  const ids = Array.from(new Set(runIds));
  const byRun = new Map<string, Map<string, EpochPoint[]>>(ids.map((id) => [id, new Map()]));
  if (!ids.length) return {};
  // The primary key (run_id, metric, epoch) is the index this reads and the order it returns: no sort step on SQLite.
  // PostgreSQL sorts the metrics in byte order as SQLite does ("C"), whatever the server's locale: they become the series' key order.
  const metricOrder = db.dialect === 'postgres' ? sql`${epochValues.metric} COLLATE "C"` : asc(epochValues.metric);
  const rows: Array<{ runId: string; metric: string; epoch: number; value: number | null }> = [];
  for (let i = 0; i < ids.length; i += MAX_STATEMENT_PARAMS)
    rows.push(
      ...(await db.orm
        .select({ runId: epochValues.runId, metric: epochValues.metric, epoch: epochValues.epoch, value: epochValues.value })
        .from(epochValues)
        .where(inArray(epochValues.runId, ids.slice(i, i + MAX_STATEMENT_PARAMS)))
        .orderBy(asc(epochValues.runId), metricOrder, asc(epochValues.epoch))),
    );
  for (const r of rows) {
    const metrics = byRun.get(r.runId)!;
    let pts = metrics.get(r.metric);
    if (!pts) metrics.set(r.metric, (pts = []));
    pts.push([r.epoch, r.value !== null && Number.isFinite(r.value) ? r.value : null]);
  }
  // Object.fromEntries defines own properties, so a metric named like an Object.prototype key stays data.
  return Object.fromEntries(ids.map((id) => [id, Object.fromEntries(byRun.get(id)!)]));
}
