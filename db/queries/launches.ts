/**
 * The launch queue: enqueue, claim, heartbeat, live progress, cancel, finish
 * and the sweep. Every write a worker makes after claiming a run is guarded
 * by the lease token it claimed with (lease.ts holdsLease), so a worker that
 * lost its lease (the sweep took the run over) cannot overwrite the settled
 * state. Transactions are db.tx: on SQLite BEGIN IMMEDIATE, one writer at a
 * time; on PostgreSQL the rows a decision rests on are locked (FOR UPDATE) or
 * the write itself is guarded, since transactions run side by side there.
 *
 * Wake-ups: a run becoming claimable NOTIFYs QUEUE_CHANNEL and a cancel
 * CANCEL_CHANNEL, both with the run id, on commit (PostgreSQL; on SQLite,
 * one host, workers poll).
 */
import { and, asc, eq, gte, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client';
import type { Launch } from '../schema';
import type { RunLinkInput } from './plans';
import { deleteLiveLog } from './live-log';
import { forUpdate, holdsLease, jsonStrings } from './lease';
import type { Evidence, RunStatus } from '../../lib/evidence/types';
import { refreshRunSearch, runColumnsFromEvidence, saveRun, type SaveRunInput } from './runs';
import { verdictOf } from '../../lib/evidence/verdict';
import { parseJsonText, toJsonText, type JsonText } from '../../lib/json-text';
import type { LivePointsChunk, StoredLiveProgress } from '../../lib/live/events';
import type { ChartPairs } from '../../lib/series/chart-data';

const TERMINAL_STATUSES: readonly RunStatus[] = Object.freeze(['succeeded', 'failed', 'cancelled', 'timed_out', 'lost', 'unknown']);
export const isTerminal = (s: string) => (TERMINAL_STATUSES as readonly string[]).includes(s);

/** NOTIFY channel: a run became claimable (payload: its id). Workers LISTEN and try to claim. */
export const QUEUE_CHANNEL = 'runproof_queue';
/** NOTIFY channel: a cancel was asked for (payload: the run id). The worker holding it stops it without waiting for its heartbeat. */
export const CANCEL_CHANNEL = 'runproof_cancel';

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

/** Queue a run: the run row (status `queued`) and its launch row in one transaction, and wake the workers on commit. */
export async function enqueueRun(input: EnqueueInput): Promise<void> {
  const { runs, runPlanRows, launches } = input.db.t;
  const now = input.now ?? Date.now();
  await input.db.tx(async (tx) => {
    await tx.orm.insert(runs).values({
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
    });
    for (const l of input.planLinks)
      await tx.orm
        .insert(runPlanRows)
        .values({ runId: input.id, ...l })
        .onConflictDoNothing();
    await tx.orm.insert(launches).values({
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
    });
    await refreshRunSearch({ db: tx, runId: input.id });
    await tx.notify(QUEUE_CHANNEL, input.id);
  });
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
 * lib/workers/match.ts canTake. Ties in created_at go in insertion order on
 * SQLite (rowid) and by id on PostgreSQL, which has no rowid.
 */
function claimable(db: Db, can: WorkerCan): SQL {
  const anyProfile = can.profiles === undefined;
  const profiles = JSON.stringify(can.profiles ?? []);
  const labels = JSON.stringify(can.labels ?? []);
  const pg = db.dialect === 'postgres';
  return sql`SELECT r.id FROM runs r JOIN launches l ON l.run_id = r.id
    WHERE r.status = 'queued' AND r.origin = 'launched'
      AND (${anyProfile ? 1 : 0} = 1 OR l.profile IN (${jsonStrings(db, profiles)}))
      AND NOT EXISTS (SELECT 1 FROM (${jsonStrings(db, sql`l.labels_json`)}) need WHERE need.value NOT IN (${jsonStrings(db, labels)}))
    ORDER BY r.created_at, ${pg ? sql`r.queue_seq` : sql`r.rowid`} LIMIT 1`;
}

/**
 * Claim the oldest queued run this worker can take, in one statement, and
 * record on the launch row who claimed it (and on which host) in the same
 * transaction: runs.worker_id is the lease holder, which a sweep takes over.
 *
 * SQLite runs the UPDATE atomically under its write lock. On PostgreSQL the
 * subquery locks the run it picks (FOR UPDATE OF r SKIP LOCKED): a claimer
 * running beside this one skips it and takes the next, instead of both
 * waiting on one row; a row another claim committed meanwhile is re-checked
 * and fails `status = 'queued'`. Either way each run is claimed once, and the
 * outer `status = 'queued'` guard makes a lost race a no-op.
 */
export async function claimNextRun({
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
}): Promise<string | null> {
  const { launches } = db.t;
  return db.tx(async (tx) => {
    const lock = tx.dialect === 'postgres' ? sql` FOR UPDATE OF r SKIP LOCKED` : sql``;
    const row = await tx.get<{ id: string }>(
      sql`UPDATE runs SET status = 'running', lease_token = ${token}, lease_expires_at = ${now + leaseMs}, worker_id = ${workerId}, updated_at = ${now}
          WHERE id = (${claimable(tx, can)}${lock}) AND status = 'queued'
          RETURNING id`,
    );
    if (!row) return null;
    await tx.orm
      .update(launches)
      .set({ workerId, ...(host ? { host } : {}) })
      .where(eq(launches.runId, row.id));
    return row.id;
  });
}

/** Is anything waiting that this worker could take? A read, cheap enough to ask on every wake-up before trying to claim. */
export async function hasQueuedRun({ db, can = {} }: { db: Db; can?: WorkerCan }): Promise<boolean> {
  return (await db.get(claimable(db, can))) !== undefined;
}

/** The labels a launched run requires (its profile's and its launch's). */
export async function getRunLabels({ db, runId }: { db: Db; runId: string }): Promise<string[]> {
  const { launches } = db.t;
  const [l] = await db.orm.select({ labels: launches.labelsJson }).from(launches).where(eq(launches.runId, runId)).limit(1);
  return l ? parseJsonText(l.labels) : [];
}

/** Renew the lease. `owned` false means the run was settled by someone else (the sweep): stop the child and write nothing more. */
export async function renewLease({
  db,
  runId,
  token,
  leaseMs,
  now = Date.now(),
}: {
  db: Db;
  runId: string;
  token: string;
  leaseMs: number;
  now?: number;
}): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const { runs, launches } = db.t;
  const renewed = await db.orm
    .update(runs)
    .set({ leaseExpiresAt: now + leaseMs })
    .where(and(eq(runs.id, runId), eq(runs.leaseToken, token), eq(runs.status, 'running')))
    .returning({ id: runs.id });
  if (!renewed.length) return { owned: false, cancelRequested: false };
  const [l] = await db.orm.select({ c: launches.cancelRequestedAt }).from(launches).where(eq(launches.runId, runId)).limit(1);
  return { owned: true, cancelRequested: l?.c != null };
}

export async function recordProcessStart({
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
}): Promise<boolean> {
  const { runs, launches } = db.t;
  return db.tx(async (tx) => {
    if (!(await holdsLease(tx, runId, token))) return false;
    await tx.orm.update(launches).set({ pid, pgid: pid, pgidStart, host, gitCommit, processStartedAt: startedAt }).where(eq(launches.runId, runId));
    await tx.orm.update(runs).set({ startedAt, updatedAt: startedAt }).where(eq(runs.id, runId));
    return true;
  });
}

export async function recordGitCommit({ db, runId, token, gitCommit }: { db: Db; runId: string; token: string; gitCommit: string }): Promise<boolean> {
  const { launches } = db.t;
  return db.tx(async (tx) => {
    if (!(await holdsLease(tx, runId, token))) return false;
    await tx.orm.update(launches).set({ gitCommit }).where(eq(launches.runId, runId));
    return true;
  });
}

export async function getLaunch({ db, runId }: { db: Db; runId: string }): Promise<Launch | undefined> {
  const { launches } = db.t;
  return (await db.orm.select().from(launches).where(eq(launches.runId, runId)).limit(1))[0];
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

/** Points per INSERT: five bound values each, under SQLite's 999. */
const POINTS_PER_STATEMENT = 199;

/**
 * Append the points the tail found since the last call, and the live progress
 * the page shows, in one transaction. The series keep `chart_json` empty
 * while live: the page reads live points directly; the final save computes it.
 * A point already there (a retried batch) is replaced. Live points are a copy
 * of metrics.csv, rewritten from the archived file when the run ends: they
 * commit without waiting for the disk (`durable: false`, still
 * crash-consistent); state transitions keep full durability.
 */
export async function appendLivePoints({ db, runId, token, points: batch, live }: { db: Db; runId: string; token: string; points: LivePoints[]; live: StoredLiveProgress }): Promise<boolean> {
  const { series, points } = db.t;
  return db.tx(
    async (tx) => {
      if (!(await holdsLease(tx, runId, token))) return false;
      for (const p of batch) {
        let [s] = await tx.orm
          .select({ id: series.id })
          .from(series)
          .where(and(eq(series.runId, runId), eq(series.metric, p.metric)))
          .limit(1);
        if (!s)
          [s] = await tx.orm
            .insert(series)
            .values({ runId, metric: p.metric, points: 0, chartJson: toJsonText<ChartPairs>([]) })
            .returning({ id: series.id });
        if (p.replace) await tx.orm.delete(points).where(eq(points.seriesId, s.id));
        for (let at = 0; at < p.steps.length; at += POINTS_PER_STATEMENT) {
          const rows = [];
          for (let i = at; i < Math.min(p.steps.length, at + POINTS_PER_STATEMENT); i++)
            rows.push({ seriesId: s.id, seq: p.from + i, step: p.steps[i], epoch: num(p.epochs[i]), value: num(p.values[i]) });
          await tx.orm
            .insert(points)
            .values(rows)
            .onConflictDoUpdate({ target: [points.seriesId, points.seq], set: { step: sql`excluded.step`, epoch: sql`excluded.epoch`, value: sql`excluded.value` } });
        }
        await tx.orm
          .update(series)
          .set({ points: p.from + p.steps.length })
          .where(eq(series.id, s.id));
      }
      await bumpLive(tx, runId, live);
      return true;
    },
    { durable: false },
  );
}

/** The live progress changed (or only its sequence number, with `live` undefined): the events streams send what moved. */
async function bumpLive(tx: Db, runId: string, live?: StoredLiveProgress): Promise<void> {
  const { launches } = tx.t;
  await tx.orm
    .update(launches)
    .set({ liveSeq: sql`${launches.liveSeq} + 1`, ...(live === undefined ? {} : { liveJson: toJsonText(live) }) })
    .where(eq(launches.runId, runId));
}

/** Store the evidence of the run so far (the page's header, epoch table and chart markers) without leaving `running`. A copy like the live points: not waited to disk. */
export async function updateLiveEvidence({ db, runId, token, evidence, live }: { db: Db; runId: string; token: string; evidence: Evidence; live: StoredLiveProgress }): Promise<boolean> {
  const { runs } = db.t;
  return db.tx(
    async (tx) => {
      if (!(await holdsLease(tx, runId, token))) return false;
      await tx.orm
        .update(runs)
        .set({ ...pickColumns(evidence), evidenceJson: toJsonText(evidence), updatedAt: Date.now() })
        .where(eq(runs.id, runId));
      await bumpLive(tx, runId, live);
      return true;
    },
    { durable: false },
  );
}

/**
 * Ask for a run to stop. A queued run is cancelled on the spot (no process
 * exists); a running one gets a request the worker acts on when
 * CANCEL_CHANNEL wakes it or at its next heartbeat (TERM to the group, grace,
 * KILL). The run row is locked while deciding (PostgreSQL), so a claim
 * running beside this cannot turn the run `running` under a `cancelled`.
 */
export async function requestCancel({ db, runId, now = Date.now() }: { db: Db; runId: string; now?: number }): Promise<'cancelled' | 'requested' | 'already-final' | 'not-found'> {
  const { runs, launches } = db.t;
  return db.tx(async (tx) => {
    const run = await tx.get<{ status: string; origin: string; evidenceJson: JsonText<Evidence> }>(
      sql`SELECT status, origin, evidence_json AS "evidenceJson" FROM runs WHERE id = ${runId}${forUpdate(tx)}`,
    );
    if (run?.origin !== 'launched') return 'not-found';
    if (run.status === 'queued') {
      const evidence = parseJsonText(run.evidenceJson);
      evidence.status = 'cancelled';
      if (evidence.launch) evidence.launch = { ...evidence.launch, cancelRequested: true, note: 'cancelled while queued; never started' };
      await tx.orm
        .update(runs)
        .set({ status: 'cancelled', verdict: verdictOf({ status: 'cancelled', checksFail: 0, checksPass: 0 }), endedAt: now, updatedAt: now, evidenceJson: toJsonText(evidence) })
        .where(and(eq(runs.id, runId), eq(runs.status, 'queued')));
      await tx.orm.update(launches).set({ cancelRequestedAt: now }).where(eq(launches.runId, runId));
      await tx.notify(CANCEL_CHANNEL, runId);
      return 'cancelled';
    }
    if (run.status !== 'running') return 'already-final';
    await tx.orm
      .update(launches)
      .set({ cancelRequestedAt: now, liveSeq: sql`${launches.liveSeq} + 1` })
      .where(eq(launches.runId, runId));
    await tx.notify(CANCEL_CHANNEL, runId);
    return 'requested';
  });
}

/** Settle a run with its final evidence. Guarded by the token; clears the lease. */
export async function finishLaunchedRun(input: Omit<SaveRunInput, 'origin'> & { token: string; exitCode: number | null; signal: string | null; error: string | null }): Promise<boolean> {
  const { runs, launches } = input.db.t;
  return input.db.tx(async (tx) => {
    if (!(await holdsLease(tx, input.id, input.token))) return false;
    await saveRun({ ...input, db: tx, origin: 'launched' });
    await tx.orm
      .update(launches)
      .set({ exitCode: input.exitCode, signal: input.signal, error: input.error, liveSeq: sql`${launches.liveSeq} + 1` })
      .where(eq(launches.runId, input.id));
    await tx.orm.update(runs).set({ leaseToken: null, leaseExpiresAt: null }).where(eq(runs.id, input.id));
    // Settled: the page reads the archived log from here on, not the live one.
    await deleteLiveLog({ db: tx, runId: input.id });
    return true;
  });
}

/**
 * Settle a run whose archive could not be stored (finalizeRun failed): its
 * status, the evidence the caller rebuilt from what the live view last stored
 * with the error in it, the lease cleared — and no child rows, so nothing a
 * big or broken bundle put in the archive can stop it. A run always reaches a
 * terminal status this way. Guarded by the token like every worker write.
 */
export async function settleUnarchivedRun({
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
}): Promise<boolean> {
  const { runs, launches } = db.t;
  return db.tx(async (tx) => {
    if (!(await holdsLease(tx, runId, token))) return false;
    await tx.orm
      .update(runs)
      .set({ ...runColumnsFromEvidence(evidence), evidenceJson: toJsonText(evidence), endedAt, updatedAt: Date.now(), leaseToken: null, leaseExpiresAt: null })
      .where(eq(runs.id, runId));
    await tx.orm
      .update(launches)
      .set({ exitCode, signal, error, liveSeq: sql`${launches.liveSeq} + 1` })
      .where(eq(launches.runId, runId));
    await deleteLiveLog({ db: tx, runId });
    return true;
  });
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
 *
 * Any host's worker or web server may sweep, and on PostgreSQL two sweeps
 * can read the same expired run at once: the take-over is one UPDATE guarded
 * by everything the read saw (still running, still stale, same token), so the
 * second waits for the first's row lock, finds the token changed and takes
 * nothing. Exactly one sweep settles a run.
 */
export async function sweepExpiredLeases({
  db,
  sweeperId,
  newToken,
  now = Date.now(),
  leaseMs,
  deadWorkers = [],
  ownRuns = [],
}: {
  db: Db;
  sweeperId: string;
  newToken: () => string;
  now?: number;
  leaseMs: number;
  deadWorkers?: string[];
  /** Runs the sweeper's own process is running or settling now: alive whatever their lease says (an archive can outlast it). */
  ownRuns?: string[];
}): Promise<ExpiredRun[]> {
  const { launches } = db.t;
  return db.tx(async (tx) => {
    // The dead workers (and the sweeper's own runs) as one JSON parameter each: any number of them binds one variable.
    const staleNow = sql`status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ${now} OR worker_id IN (${jsonStrings(tx, JSON.stringify(deadWorkers))})) AND id NOT IN (${jsonStrings(tx, JSON.stringify(ownRuns))})`;
    const stale = await tx.all<{ id: string; token: string | null }>(sql`SELECT id, lease_token AS token FROM runs WHERE ${staleNow} ORDER BY id`);
    const out: ExpiredRun[] = [];
    for (const { id, token: held } of stale) {
      const token = newToken();
      // Re-leased to the sweeper but still `running`: `lost` is written with the archived evidence
      // (finishLaunchedRun). A sweeper that dies in between leaves an expiring lease, and the next sweep retries.
      const taken = await tx.run(
        sql`UPDATE runs SET lease_token = ${token}, lease_expires_at = ${now + leaseMs}, worker_id = ${sweeperId}, updated_at = ${now}
            WHERE id = ${id} AND ${staleNow} AND ${held === null ? sql`lease_token IS NULL` : sql`lease_token = ${held}`}`,
      );
      if (!taken) continue;
      // Counted now, committed before the archive is tried: a sweeper that dies archiving still counts.
      const [launch] = await tx.orm
        .update(launches)
        .set({ archiveAttempts: sql`${launches.archiveAttempts} + 1` })
        .where(eq(launches.runId, id))
        .returning();
      if (launch) out.push({ runId: id, token, launch, attempts: launch.archiveAttempts });
    }
    return out;
  });
}

// --- workers: db/queries/workers.ts (re-exported for the callers that import them from here) ---
export { heartbeatWorker, listLiveWorkers, listWorkers, markWorkerOffline, registerWorker } from './workers';

/** Live state for the events stream: status, progress and the sequence number that changes whenever either does. */
export async function getLiveState({ db, runId }: { db: Db; runId: string }) {
  return db.get<{
    status: RunStatus;
    updatedAt: number;
    leaseExpiresAt: number | null;
    liveJson: JsonText<StoredLiveProgress>;
    liveSeq: number;
    cancelRequestedAt: number | null;
    processStartedAt: number | null;
    queuedAt: number;
    timeoutMs: number;
  }>(
    sql`SELECT r.status, r.updated_at AS "updatedAt", r.lease_expires_at AS "leaseExpiresAt", l.live_json AS "liveJson", l.live_seq AS "liveSeq",
               l.cancel_requested_at AS "cancelRequestedAt", l.process_started_at AS "processStartedAt", l.queued_at AS "queuedAt", l.timeout_ms AS "timeoutMs"
        FROM runs r JOIN launches l ON l.run_id = r.id WHERE r.id = ${runId}`,
  );
}

/** The evidence document as stored, unparsed: the events stream parses it only when `updated_at` moved. */
export async function getEvidenceJson({ db, runId }: { db: Db; runId: string }) {
  const { runs } = db.t;
  return (await db.orm.select({ e: runs.evidenceJson }).from(runs).where(eq(runs.id, runId)).limit(1))[0]?.e;
}

/** Points of a run's series from a given index on (the events stream sends only what the page has not got). */
export async function getLivePoints({ db, runId, after }: { db: Db; runId: string; after: Record<string, number> }): Promise<LivePointsChunk[]> {
  const { series, points } = db.t;
  const all = await db.orm.select({ id: series.id, metric: series.metric, points: series.points }).from(series).where(eq(series.runId, runId));
  const out = [];
  for (const s of all) {
    const from = after[s.metric] ?? 0;
    if (s.points === from) continue;
    // Fewer points than the page holds: the series was replaced (metrics.csv rewritten); resend it whole.
    const start = s.points < from ? 0 : from;
    const rows = await db.orm
      .select({ step: points.step, value: points.value })
      .from(points)
      .where(and(eq(points.seriesId, s.id), gte(points.seq, start)))
      .orderBy(asc(points.seq));
    out.push({ metric: s.metric, from: start, total: s.points, steps: rows.map((r) => r.step), values: rows.map((r) => r.value) });
  }
  return out;
}
