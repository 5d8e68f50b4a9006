/**
 * Workers: each `runproof worker` (and the one `runproof serve` runs)
 * registers a row saying what it can run — host, labels, GPUs, the profiles
 * available on its host — heartbeats it, and sets it offline when it stops
 * cleanly. A worker that stops heartbeating is shown offline once its
 * heartbeat is older than the lease (lib/workers/match.ts workerState); the
 * sweep marks a dead worker on its own host offline at once. Rows of workers
 * silent for a day are deleted when another registers: the runs they ran keep
 * the host and worker id on their launch row.
 */
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { holdsLease } from './lease';
import { parseJsonText, toJsonText } from '../../lib/json-text';
import type { GpuInfo } from '../../lib/workers/gpus';
import { workerState, type ProfileAvailability, type WorkerView } from '../../lib/workers/match';

const FORGET_AFTER_MS = 24 * 3600_000;

export interface RegisterWorkerInput {
  db: Db;
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  labels: string[];
  gpus: GpuInfo[];
  /** Null while the worker is still checking. */
  profiles: ProfileAvailability[] | null;
  now?: number;
}

/** Register (or re-register) a worker as online, and forget workers silent for a day. */
export async function registerWorker({ db, id, host, pid, concurrency, labels, gpus, profiles, now = Date.now() }: RegisterWorkerInput): Promise<void> {
  const { workers } = db.t;
  const facts = {
    host,
    pid,
    concurrency,
    state: 'online' as const,
    labelsJson: toJsonText(labels),
    gpusJson: toJsonText(gpus),
    profilesJson: profiles === null ? null : toJsonText(profiles),
    heartbeatAt: now,
  };
  await db.tx(async (tx) => {
    await tx.orm
      .insert(workers)
      .values({ id, startedAt: now, ...facts })
      .onConflictDoUpdate({ target: workers.id, set: facts });
    await tx.orm.delete(workers).where(lt(workers.heartbeatAt, now - FORGET_AFTER_MS));
  });
}

/** What a worker found on its host after it registered (profile probes finish later than the start; GPUs, labels). */
export async function updateWorkerFacts({ db, id, gpus, profiles, now = Date.now() }: { db: Db; id: string; gpus?: GpuInfo[]; profiles?: ProfileAvailability[]; now?: number }): Promise<void> {
  const { workers } = db.t;
  await db.orm
    .update(workers)
    .set({ heartbeatAt: now, ...(gpus ? { gpusJson: toJsonText(gpus) } : {}), ...(profiles ? { profilesJson: toJsonText(profiles) } : {}) })
    .where(eq(workers.id, id));
}

/** The worker is alive. A row the sweep set offline (its pid looked dead) stays offline: that worker is gone. */
export async function heartbeatWorker({ db, id, now = Date.now() }: { db: Db; id: string; now?: number }): Promise<void> {
  const { workers } = db.t;
  await db.orm
    .update(workers)
    .set({ heartbeatAt: now })
    .where(and(eq(workers.id, id), eq(workers.state, 'online')));
}

/** A clean stop, or a sweep that found the worker's process gone: the row stays, offline, so the list says where it was. */
export async function markWorkerOffline({ db, id, now = Date.now() }: { db: Db; id: string; now?: number }): Promise<void> {
  const { workers } = db.t;
  await db.orm.update(workers).set({ state: 'offline', heartbeatAt: now }).where(eq(workers.id, id));
}

/** Workers that say they are online (the sweep checks their pids; offline ones have nothing left to settle). */
export async function listWorkers({ db }: { db: Db }) {
  const { workers } = db.t;
  return db.orm.select().from(workers).where(eq(workers.state, 'online'));
}

/** Workers that heartbeated recently: someone will pick a queued run up. */
export async function listLiveWorkers({ db, now = Date.now(), staleMs }: { db: Db; now?: number; staleMs: number }) {
  const { workers } = db.t;
  return db.orm
    .select()
    .from(workers)
    .where(and(eq(workers.state, 'online'), gt(workers.heartbeatAt, now - staleMs)));
}

/**
 * Every known worker with what it can run and how many runs it holds now
 * (runs it claimed that are still running), online ones first, then by host.
 * `leaseMs` decides when silence means offline.
 */
export async function listWorkerViews({ db, leaseMs, now = Date.now() }: { db: Db; leaseMs: number; now?: number }): Promise<WorkerView[]> {
  const { workers } = db.t;
  // Runs are held through runs.worker_id (the lease holder); the status filter keeps this a walk of runs_live_status-sized work.
  // Qualified by hand: drizzle writes a one-table select's columns bare, and a bare "id" here would be the run's.
  const busy = sql<number>`(SELECT count(*) FROM runs r WHERE r.status = 'running' AND r.worker_id = "workers"."id")`;
  const rows = await db.orm.select({ w: workers, busy }).from(workers).orderBy(workers.host, workers.startedAt);
  const views = rows.map(
    ({ w, busy }): WorkerView => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      state: workerState(w.state, w.heartbeatAt, now, leaseMs),
      concurrency: w.concurrency,
      busy: Number(busy),
      labels: parseJsonText(w.labelsJson),
      gpus: parseJsonText(w.gpusJson),
      profiles: w.profilesJson === null ? null : parseJsonText(w.profilesJson),
      startedAt: w.startedAt,
      heartbeatAt: w.heartbeatAt,
    }),
  );
  return [...views.filter((w) => w.state === 'online'), ...views.filter((w) => w.state !== 'online')];
}

/**
 * The command a worker runs for a launch it holds, as its own host resolved it
 * (server/launch.ts launchCommandHere), recorded over the one the web server
 * queued, so the evidence names what ran. Fenced by the lease token: false
 * when the run is no longer this worker's, and nothing is written.
 */
export async function recordCommandHere({ db, runId, token, argv, cwd, env }: { db: Db; runId: string; token: string; argv: string[]; cwd: string; env: Record<string, string> }): Promise<boolean> {
  const { launches } = db.t;
  return db.tx(async (tx) => {
    if (!(await holdsLease(tx, runId, token))) return false;
    await tx.orm
      .update(launches)
      .set({ argvJson: toJsonText(argv), cwd, envJson: toJsonText(env) })
      .where(eq(launches.runId, runId));
    return true;
  });
}
