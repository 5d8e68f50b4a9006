/**
 * Transactions here start with BEGIN IMMEDIATE: they read (the lease token)
 * and then write, and a deferred transaction that another connection wrote
 * past cannot upgrade to a writer; SQLite then fails at once with
 * SQLITE_BUSY instead of waiting out busy_timeout.
 *
 * The launch queue: enqueue, claim, heartbeat, live progress, cancel, finish
 * and the sweep. Every write a worker makes after claiming a run is guarded
 * by the lease token it claimed with, so a worker that lost its lease (the
 * sweep settled the run as `lost`) cannot overwrite the settled state.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { launches, runPlanRows, runs, series, type Launch } from '../schema';
import type { RunLinkInput } from './plans';
import { deleteLiveLog } from './live-log';
import type { Evidence, RunStatus } from '../../lib/evidence/types';
import { refreshRunSearch, runColumnsFromEvidence, saveRun, type SaveRunInput } from './runs';
import { verdictOf } from '../../lib/evidence/verdict';
import { parseJsonText, toJsonText, type JsonText } from '../../lib/json-text';
import type { LivePointsChunk, StoredLiveProgress } from '../../lib/live/events';
import type { ChartPairs } from '../../lib/series/chart-data';

const TERMINAL_STATUSES: readonly RunStatus[] = Object.freeze(['succeeded', 'failed', 'cancelled', 'timed_out', 'lost', 'unknown']);
export const isTerminal = (s: string) => (TERMINAL_STATUSES as readonly string[]).includes(s);

export interface EnqueueInput {
  db: Db;
  id: string;
  profile: string;
  title: string;
  /** The run's name to start with (people may rename it). */
  name?: string | null;
  bundleDir: string;
  params: Record<string, string | number | boolean>;
  cpuOnly: boolean;
  /** The plan rows the run proves, linked in the same transaction. */
  planLinks: RunLinkInput[];
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  outputDir: string;
  keepOutput: boolean;
  timeoutMs: number;
  /** Worker labels the run needs (its profile's and its launch's). */
  labels?: string[];
  /** Evidence shown until the worker has something better (status `queued`, no checks run). */
  evidence: Evidence;
  now?: number;
}

/** Queue a run: the run row (status `queued`) and its launch row in one transaction. */
export function enqueueRun(input: EnqueueInput): void {
  const { db } = input;
  const now = input.now ?? Date.now();
  db.$client
    .transaction(() => {
      db.insert(runs)
        .values({
          id: input.id,
          sourceKey: input.bundleDir,
          origin: 'launched',
          status: 'queued',
          profile: input.profile,
          title: input.title,
          name: input.name ?? null,
          bundleDir: input.bundleDir,
          // Queued runs sort with the newest on the runs page; the worker overwrites this with the process start.
          startedAt: now,
          contentHash: '',
          evidenceJson: toJsonText(input.evidence),
          createdAt: now,
          updatedAt: now,
          ...pickColumns(input.evidence),
        })
        .run();
      for (const l of input.planLinks)
        db.insert(runPlanRows)
          .values({ runId: input.id, ...l })
          .onConflictDoNothing()
          .run();
      db.insert(launches)
        .values({
          runId: input.id,
          profile: input.profile,
          paramsJson: toJsonText(input.params),
          cpuOnly: input.cpuOnly,
          argvJson: toJsonText(input.argv),
          cwd: input.cwd,
          envJson: toJsonText(input.env),
          outputDir: input.outputDir,
          keepOutput: input.keepOutput,
          timeoutMs: input.timeoutMs,
          labelsJson: toJsonText(input.labels ?? []),
          queuedAt: now,
        })
        .run();
      refreshRunSearch({ db, runId: input.id });
    })
    .immediate();
}

function pickColumns(ev: Evidence) {
  const { status: _s, title: _t, ...rest } = runColumnsFromEvidence(ev);
  return rest;
}

/** What a worker can take: its labels, and the profiles available on its host (undefined: any profile — tests and tools). */
export interface WorkerCan {
  labels?: readonly string[];
  profiles?: readonly string[];
}

/**
 * The queued runs a worker can take, oldest first: every label the run
 * requires is among the worker's, and its profile is available on the
 * worker's host. The worker's lists travel as two JSON parameters, so any
 * number of labels binds two variables; the same rule in words is
 * lib/workers/match.ts canTake.
 */
const CLAIMABLE = `SELECT r.id FROM runs r JOIN launches l ON l.run_id = r.id
  WHERE r.status = 'queued' AND r.origin = 'launched'
    AND (:anyProfile = 1 OR l.profile IN (SELECT value FROM json_each(:profiles)))
    AND NOT EXISTS (SELECT 1 FROM json_each(l.labels_json) need WHERE need.value NOT IN (SELECT value FROM json_each(:labels)))
  ORDER BY r.created_at, r.rowid LIMIT 1`;

const canParams = (can: WorkerCan) => ({ anyProfile: can.profiles === undefined ? 1 : 0, profiles: JSON.stringify(can.profiles ?? []), labels: JSON.stringify(can.labels ?? []) });

/**
 * Claim the oldest queued run this worker can take, in one statement. SQLite
 * runs a single UPDATE atomically under its write lock, so two workers cannot
 * claim the same run; the subquery and the `status = 'queued'` guard make a
 * lost race a no-op. The launch row records who claimed it (and on which
 * host) in the same transaction: runs.worker_id is the lease holder, which a
 * sweep takes over.
 */
export function claimNextRun({
  db,
  workerId,
  host = null,
  token,
  leaseMs,
  can = {},
  now = Date.now(),
}: {
  db: Db;
  workerId: string;
  host?: string | null;
  token: string;
  leaseMs: number;
  can?: WorkerCan;
  now?: number;
}): string | null {
  return db.$client
    .transaction(() => {
      const row = db.$client
        .prepare(
          `UPDATE runs SET status = 'running', lease_token = :token, lease_expires_at = :expires, worker_id = :workerId, updated_at = :now
         WHERE id = (${CLAIMABLE}) AND status = 'queued'
         RETURNING id`,
        )
        .get({ token, expires: now + leaseMs, workerId, now, ...canParams(can) }) as { id: string } | undefined;
      if (!row) return null;
      db.update(launches)
        .set({ workerId, ...(host ? { host } : {}) })
        .where(eq(launches.runId, row.id))
        .run();
      return row.id;
    })
    .immediate();
}

/** Is anything waiting that this worker could take? A read, cheap enough to ask on every wake-up before trying to claim. */
export function hasQueuedRun({ db, can = {} }: { db: Db; can?: WorkerCan }): boolean {
  return db.$client.prepare(CLAIMABLE).get(canParams(can)) !== undefined;
}

/** The labels a launched run requires (its profile's and its launch's). */
export function getRunLabels({ db, runId }: { db: Db; runId: string }): string[] {
  const l = db.select({ labels: launches.labelsJson }).from(launches).where(eq(launches.runId, runId)).get();
  return l ? parseJsonText(l.labels) : [];
}

/** Renew the lease. `owned` false means the run was settled by someone else (the sweep): stop the child and write nothing more. */
export function renewLease({ db, runId, token, leaseMs, now = Date.now() }: { db: Db; runId: string; token: string; leaseMs: number; now?: number }): { owned: boolean; cancelRequested: boolean } {
  const r = db.$client.prepare(`UPDATE runs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND status = 'running' RETURNING id`).get(now + leaseMs, runId, token);
  if (!r) return { owned: false, cancelRequested: false };
  const l = db.select({ c: launches.cancelRequestedAt }).from(launches).where(eq(launches.runId, runId)).get();
  return { owned: true, cancelRequested: l?.c != null };
}

const owns = (db: Db, runId: string, token: string) => db.$client.prepare(`SELECT 1 FROM runs WHERE id = ? AND lease_token = ?`).get(runId, token) !== undefined;

export function recordProcessStart({
  db,
  runId,
  token,
  pid,
  pgidStart = null,
  host,
  gitCommit,
  startedAt,
}: {
  db: Db;
  runId: string;
  token: string;
  pid: number;
  pgidStart?: string | null;
  host: string;
  gitCommit: string | null;
  startedAt: number;
}): boolean {
  return db.$client
    .transaction(() => {
      if (!owns(db, runId, token)) return false;
      db.update(launches).set({ pid, pgid: pid, pgidStart, host, gitCommit, processStartedAt: startedAt }).where(eq(launches.runId, runId)).run();
      db.update(runs).set({ startedAt, updatedAt: startedAt }).where(eq(runs.id, runId)).run();
      return true;
    })
    .immediate();
}

export function recordGitCommit({ db, runId, token, gitCommit }: { db: Db; runId: string; token: string; gitCommit: string }): boolean {
  return db.$client
    .transaction(() => {
      if (!owns(db, runId, token)) return false;
      db.update(launches).set({ gitCommit }).where(eq(launches.runId, runId)).run();
      return true;
    })
    .immediate();
}

export function getLaunch({ db, runId }: { db: Db; runId: string }): Launch | undefined {
  return db.select().from(launches).where(eq(launches.runId, runId)).get();
}

export interface LivePoints {
  metric: string;
  /** Index of the first point given (points already stored for this metric). */
  from: number;
  steps: ArrayLike<number>;
  epochs: ArrayLike<number>;
  values: ArrayLike<number>;
  /** Replace the stored points of this metric (the file was rewritten and an earlier point changed). */
  replace?: boolean;
}

const num = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Append the points the tail found since the last call, and the live progress
 * the page shows, in one transaction. The series keep `chart_json` empty
 * while live: the page reads live points directly; the final save computes it.
 */
export function appendLivePoints({ db, runId, token, points, live }: { db: Db; runId: string; token: string; points: LivePoints[]; live: StoredLiveProgress }): boolean {
  const client = db.$client;
  const ins = client.prepare('INSERT OR REPLACE INTO points (series_id, seq, step, epoch, value) VALUES (?,?,?,?,?)');
  // Live points are a copy of metrics.csv, rewritten from the archived file when the run ends: they need no
  // fsync per batch (synchronous=NORMAL is still crash-consistent in WAL mode); state transitions keep FULL.
  return withSynchronous(client, 'NORMAL', () =>
    client
      .transaction(() => {
        if (!owns(db, runId, token)) return false;
        for (const p of points) {
          let s = db
            .select({ id: series.id })
            .from(series)
            .where(and(eq(series.runId, runId), eq(series.metric, p.metric)))
            .get();
          if (!s)
            s = db
              .insert(series)
              .values({ runId, metric: p.metric, points: 0, chartJson: toJsonText<ChartPairs>([]) })
              .returning({ id: series.id })
              .get();
          if (p.replace) client.prepare('DELETE FROM points WHERE series_id = ?').run(s.id);
          for (let i = 0; i < p.steps.length; i++) ins.run(s.id, p.from + i, p.steps[i], num(p.epochs[i]), num(p.values[i]));
          db.update(series)
            .set({ points: p.from + p.steps.length })
            .where(eq(series.id, s.id))
            .run();
        }
        client.prepare('UPDATE launches SET live_json = ?, live_seq = live_seq + 1 WHERE run_id = ?').run(JSON.stringify(live), runId);
        return true;
      })
      .immediate(),
  );
}

function withSynchronous<T>(client: Db['$client'], mode: 'NORMAL' | 'FULL', fn: () => T): T {
  const before = client.pragma('synchronous', { simple: true }) as number;
  client.pragma(`synchronous = ${mode}`);
  try {
    return fn();
  } finally {
    client.pragma(`synchronous = ${before}`);
  }
}

/** Store the evidence of the run so far (the page's header, epoch table and chart markers) without leaving `running`. */
export function updateLiveEvidence({ db, runId, token, evidence, live }: { db: Db; runId: string; token: string; evidence: Evidence; live: StoredLiveProgress }): boolean {
  return withSynchronous(db.$client, 'NORMAL', () =>
    db.$client
      .transaction(() => {
        if (!owns(db, runId, token)) return false;
        db.update(runs)
          .set({ ...pickColumns(evidence), evidenceJson: toJsonText(evidence), updatedAt: Date.now() })
          .where(eq(runs.id, runId))
          .run();
        db.$client.prepare('UPDATE launches SET live_json = ?, live_seq = live_seq + 1 WHERE run_id = ?').run(JSON.stringify(live), runId);
        return true;
      })
      .immediate(),
  );
}

/**
 * Ask for a run to stop. A queued run is cancelled on the spot (no process
 * exists); a running one gets a request the worker acts on at its next
 * heartbeat (TERM to the group, grace, KILL).
 */
export function requestCancel({ db, runId, now = Date.now() }: { db: Db; runId: string; now?: number }): 'cancelled' | 'requested' | 'already-final' | 'not-found' {
  return db.$client
    .transaction(() => {
      const run = db.select({ status: runs.status, origin: runs.origin }).from(runs).where(eq(runs.id, runId)).get();
      if (run?.origin !== 'launched') return 'not-found';
      if (run.status === 'queued') {
        const evidence = parseJsonText(db.select({ e: runs.evidenceJson }).from(runs).where(eq(runs.id, runId)).get()!.e);
        evidence.status = 'cancelled';
        if (evidence.launch) evidence.launch = { ...evidence.launch, cancelRequested: true, note: 'cancelled while queued; never started' };
        db.update(runs)
          .set({ status: 'cancelled', verdict: verdictOf({ status: 'cancelled', checksFail: 0, checksPass: 0 }), endedAt: now, updatedAt: now, evidenceJson: toJsonText(evidence) })
          .where(and(eq(runs.id, runId), eq(runs.status, 'queued')))
          .run();
        db.update(launches).set({ cancelRequestedAt: now }).where(eq(launches.runId, runId)).run();
        return 'cancelled';
      }
      if (run.status !== 'running') return 'already-final';
      db.update(launches).set({ cancelRequestedAt: now }).where(eq(launches.runId, runId)).run();
      db.$client.prepare('UPDATE launches SET live_seq = live_seq + 1 WHERE run_id = ?').run(runId);
      return 'requested';
    })
    .immediate();
}

/** Settle a run with its final evidence. Guarded by the token; clears the lease. */
export function finishLaunchedRun(input: Omit<SaveRunInput, 'origin'> & { token: string; exitCode: number | null; signal: string | null; error: string | null }): boolean {
  const { db } = input;
  return db.$client
    .transaction(() => {
      if (!owns(db, input.id, input.token)) return false;
      saveRun({ ...input, origin: 'launched' });
      db.update(launches).set({ exitCode: input.exitCode, signal: input.signal, error: input.error }).where(eq(launches.runId, input.id)).run();
      db.$client.prepare('UPDATE launches SET live_seq = live_seq + 1 WHERE run_id = ?').run(input.id);
      db.update(runs).set({ leaseToken: null, leaseExpiresAt: null }).where(eq(runs.id, input.id)).run();
      // Settled: the page reads the archived log from here on, not the live one.
      deleteLiveLog({ db, runId: input.id });
      return true;
    })
    .immediate();
}

/**
 * Settle a run whose archive could not be stored (finalizeRun failed): its
 * status, the evidence the caller rebuilt from what the live view last stored
 * with the error in it, the lease cleared — and no child rows, so nothing a
 * big or broken bundle put in the archive can stop it. A run always reaches a
 * terminal status this way. Guarded by the token like every worker write.
 */
export function settleUnarchivedRun({
  db,
  runId,
  token,
  evidence,
  exitCode,
  signal,
  error,
  endedAt,
}: {
  db: Db;
  runId: string;
  token: string;
  evidence: Evidence;
  exitCode: number | null;
  signal: string | null;
  error: string;
  endedAt: number;
}): boolean {
  return db.$client
    .transaction(() => {
      if (!owns(db, runId, token)) return false;
      db.update(runs)
        .set({ ...runColumnsFromEvidence(evidence), evidenceJson: toJsonText(evidence), endedAt, updatedAt: Date.now(), leaseToken: null, leaseExpiresAt: null })
        .where(eq(runs.id, runId))
        .run();
      db.update(launches)
        .set({ exitCode, signal, error, liveSeq: sql`${launches.liveSeq} + 1` })
        .where(eq(launches.runId, runId))
        .run();
      deleteLiveLog({ db, runId });
      return true;
    })
    .immediate();
}

export interface ExpiredRun {
  runId: string;
  token: string;
  launch: Launch;
  /** Sweeps that have taken this run over to archive it, this one included (launches.archive_attempts). */
  attempts: number;
}

/**
 * Runs whose lease ran out (their worker died or hung): re-lease each to the
 * sweeper under a fresh token, so the sweeper can kill the recorded process
 * group and archive the partial evidence as `lost` under its own lease.
 * `deadWorkers` adds runs held by workers known to be gone (same host, pid not
 * alive) without waiting for the lease to expire.
 */
export function sweepExpiredLeases({
  db,
  sweeperId,
  newToken,
  now = Date.now(),
  leaseMs,
  deadWorkers = [],
}: {
  db: Db;
  sweeperId: string;
  newToken: () => string;
  now?: number;
  leaseMs: number;
  deadWorkers?: string[];
}): ExpiredRun[] {
  return db.$client
    .transaction(() => {
      // The dead workers as one JSON parameter: any number of them binds one variable.
      const stale = db.$client
        .prepare(`SELECT id FROM runs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ? OR worker_id IN (SELECT value FROM json_each(?)))`)
        .all(now, JSON.stringify(deadWorkers)) as Array<{ id: string }>;
      const out: ExpiredRun[] = [];
      for (const { id } of stale) {
        const token = newToken();
        // Re-leased to the sweeper but still `running`: `lost` is written with the archived evidence
        // (finishLaunchedRun). A sweeper that dies in between leaves an expiring lease, and the next sweep retries.
        db.update(runs)
          .set({ leaseToken: token, leaseExpiresAt: now + leaseMs, workerId: sweeperId, updatedAt: now })
          .where(eq(runs.id, id))
          .run();
        // Counted now, committed before the archive is tried: a sweeper that dies archiving still counts.
        const launch = db
          .update(launches)
          .set({ archiveAttempts: sql`${launches.archiveAttempts} + 1` })
          .where(eq(launches.runId, id))
          .returning()
          .get();
        if (launch) out.push({ runId: id, token, launch, attempts: launch.archiveAttempts });
      }
      return out;
    })
    .immediate();
}

// --- workers: db/queries/workers.ts (re-exported for the callers that import them from here) ---
export { heartbeatWorker, listLiveWorkers, listWorkers, markWorkerOffline, registerWorker } from './workers';

/** Live state for the events stream: status, progress and the sequence number that changes whenever either does. */
export function getLiveState({ db, runId }: { db: Db; runId: string }) {
  return db.$client
    .prepare(
      `SELECT r.status, r.updated_at AS updatedAt, r.lease_expires_at AS leaseExpiresAt, l.live_json AS liveJson, l.live_seq AS liveSeq, l.cancel_requested_at AS cancelRequestedAt,
              l.process_started_at AS processStartedAt, l.queued_at AS queuedAt, l.timeout_ms AS timeoutMs
       FROM runs r JOIN launches l ON l.run_id = r.id WHERE r.id = ?`,
    )
    .get(runId) as
    | {
        status: RunStatus;
        updatedAt: number;
        leaseExpiresAt: number | null;
        liveJson: JsonText<StoredLiveProgress>;
        liveSeq: number;
        cancelRequestedAt: number | null;
        processStartedAt: number | null;
        queuedAt: number;
        timeoutMs: number;
      }
    | undefined;
}

/** The evidence document as stored, unparsed: the events stream parses it only when `updated_at` moved. */
export function getEvidenceJson({ db, runId }: { db: Db; runId: string }) {
  return db.select({ e: runs.evidenceJson }).from(runs).where(eq(runs.id, runId)).get()?.e;
}

/** Points of a run's series from a given index on (the events stream sends only what the page has not got). */
export function getLivePoints({ db, runId, after }: { db: Db; runId: string; after: Record<string, number> }): LivePointsChunk[] {
  const all = db.select({ id: series.id, metric: series.metric, points: series.points }).from(series).where(eq(series.runId, runId)).all();
  const stmt = db.$client.prepare('SELECT step, value FROM points WHERE series_id = ? AND seq >= ? ORDER BY seq').raw();
  const out = [];
  for (const s of all) {
    const from = after[s.metric] ?? 0;
    if (s.points === from) continue;
    // Fewer points than the page holds: the series was replaced (metrics.csv rewritten); resend it whole.
    const start = s.points < from ? 0 : from;
    const rows = stmt.all(s.id, start) as Array<[number, number | null]>;
    out.push({ metric: s.metric, from: start, total: s.points, steps: rows.map((r) => r[0]), values: rows.map((r) => r[1]) });
  }
  return out;
}
