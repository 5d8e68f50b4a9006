/**
 * Which workers can take a run, by the same rule the claim applies in SQL
 * (db/queries/launches.ts claimNextRun): the worker is online, its labels
 * include every label the run requires, and the run's profile is available
 * on the worker's host. Shared by the launch form (in the browser), the run
 * page and `runproof workers`. Pure.
 */
import type { GpuInfo } from './gpus';
import { missingLabels } from './labels';

export type WorkerState = 'online' | 'offline';

export interface ProfileAvailability {
  name: string;
  available: boolean;
  /** Why it cannot run on this worker's host, or null. */
  reason: string | null;
}

/** A worker as the pages and `runproof workers --json` show it. */
export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  /** online: said so and heartbeated within the lease; offline: stopped cleanly, or silent longer than the lease. */
  state: WorkerState;
  concurrency: number;
  /** Runs it holds now. */
  busy: number;
  labels: string[];
  gpus: GpuInfo[];
  /** Profiles configured on its host with their availability there; null until it has checked. */
  profiles: ProfileAvailability[] | null;
  startedAt: number;
  heartbeatAt: number;
}

/** A stored worker is online only while it says so and its heartbeat is younger than the lease. */
export function workerState(stored: string, heartbeatAt: number, now: number, leaseMs: number): WorkerState {
  return stored === 'online' && heartbeatAt >= now - leaseMs ? 'online' : 'offline';
}

export type Fit = { ok: true } | { ok: false; reason: string };

/** Whether this worker can take a run of this profile needing these labels (busy or not: a busy one takes it when a slot frees). */
export function canTake(w: Pick<WorkerView, 'state' | 'labels' | 'profiles'>, run: { profile: string; labels: readonly string[] }): Fit {
  if (w.state !== 'online') return { ok: false, reason: 'offline' };
  const missing = missingLabels(run.labels, w.labels);
  if (missing.length) return { ok: false, reason: `lacks label${missing.length === 1 ? '' : 's'} ${missing.join(', ')}` };
  if (w.profiles === null) return { ok: false, reason: 'still checking which profiles it can run' };
  const p = w.profiles.find((x) => x.name === run.profile);
  if (!p) return { ok: false, reason: `profile ${run.profile} is not configured on its host` };
  if (!p.available) return { ok: false, reason: `profile ${run.profile} unavailable on its host: ${p.reason ?? 'no reason given'}` };
  return { ok: true };
}

export interface Placement {
  /** Online workers that can take it. */
  able: WorkerView[];
  /** Of those, the ones with a free slot now. */
  free: WorkerView[];
  /** One sentence: where the run goes, or what it waits for. */
  sentence: string;
}

/** Where a run of this profile needing these labels goes, in words ("queued: waits for a worker with labels gpu"). */
export function placeRun(workers: readonly WorkerView[], run: { profile: string; labels: readonly string[] }): Placement {
  const able = workers.filter((w) => canTake(w, run).ok);
  const free = able.filter((w) => w.busy < w.concurrency);
  const names = (ws: WorkerView[]) =>
    ws
      .map((w) => w.host)
      .filter((h, i, a) => a.indexOf(h) === i)
      .join(', ');
  let sentence: string;
  if (free.length) sentence = `runs next on ${names(free)} (${free.length} worker${free.length === 1 ? '' : 's'} with a free slot)`;
  else if (able.length) sentence = `queued: waits for a free slot on ${names(able)} (every able worker is busy)`;
  else {
    const online = workers.filter((w) => w.state === 'online');
    const labelled = online.filter((w) => missingLabels(run.labels, w.labels).length === 0);
    if (!online.length) sentence = 'queued: no worker is online; start one with `runproof worker`';
    else if (run.labels.length && !labelled.length) sentence = `queued: waits for a worker with label${run.labels.length === 1 ? '' : 's'} ${run.labels.join(', ')}`;
    else
      sentence = `queued: no online worker${run.labels.length ? ` with label${run.labels.length === 1 ? '' : 's'} ${run.labels.join(', ')}` : ''} can run profile ${run.profile} (${labelled.map((w) => `${w.host}: ${(canTake(w, run) as { reason: string }).reason}`).join('; ')})`;
  }
  return { able, free, sentence };
}
