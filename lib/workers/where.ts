/**
 * Where a profile can run: on this (the web server's) host, or on a worker's.
 * A profile's availability is a property of the host that runs it, so a
 * launch is accepted when the profile is available here or when a registered
 * worker (online, or seen recently) with the labels the launch requires
 * reports it available on its host; otherwise it is refused with the reason
 * per host. With no worker registered at all, this host's check decides
 * alone (as before workers registered). Shared by the launch path
 * (server/launch.ts), the launch form (in the browser) and `runproof
 * profiles`. Pure.
 */
import { missingLabels } from './labels';
import type { WorkerView } from './match';

/** A worker silent for longer than this (and not online) no longer vouches for a profile. */
export const RECENTLY_SEEN_MS = 10 * 60_000;

export interface HostVerdict {
  /** A worker's host name, or `this server`. */
  where: string;
  ok: boolean;
  /** Why it cannot run there, or null. */
  reason: string | null;
}

export interface WhereItRuns {
  /** The launch may be queued. */
  ok: boolean;
  /** Available on this (the web server's) host. */
  local: boolean;
  /** Hosts of workers that can run it, once each. */
  hosts: string[];
  /** Every host considered, this server last: why each can or cannot. */
  verdicts: HostVerdict[];
  /** One sentence: where it runs, or why it runs nowhere ("runs on gpu-box-1; not on this server: …"). */
  sentence: string;
}

export const THIS_SERVER = 'this server';

/** Whether one worker vouches for a run of this profile needing these labels, and if not why (in the words of its host's check). */
export function workerVerdict(
  w: Pick<WorkerView, 'state' | 'labels' | 'profiles' | 'heartbeatAt'>,
  run: { profile: string; labels: readonly string[] },
  now: number,
  recentMs = RECENTLY_SEEN_MS,
): { ok: true } | { ok: false; reason: string } {
  if (w.state !== 'online' && w.heartbeatAt < now - recentMs) return { ok: false, reason: `offline (last seen ${Math.round((now - w.heartbeatAt) / 60_000)} min ago)` };
  const missing = missingLabels(run.labels, w.labels);
  if (missing.length) return { ok: false, reason: `lacks label${missing.length === 1 ? '' : 's'} ${missing.join(', ')}` };
  if (w.profiles === null) return { ok: false, reason: 'still checking which profiles it can run' };
  const p = w.profiles.find((x) => x.name === run.profile);
  if (!p) {
    // A profiles file its host cannot read makes every profile unavailable there (server/worker-host.ts).
    const broken = w.profiles.find((x) => x.name === '*' && !x.available);
    return { ok: false, reason: broken?.reason ?? `profile ${run.profile} is not configured there` };
  }
  if (!p.available) return { ok: false, reason: p.reason ?? 'unavailable (no reason given)' };
  return { ok: true };
}

/**
 * Where a launch of this profile can run. `local` is the profile's
 * availability on this host (null: not configured here); `labels` are the
 * labels the launch requires (the profile's and the launch's).
 */
export function whereItRuns({
  profile,
  labels,
  local,
  workers,
  now,
  recentMs = RECENTLY_SEEN_MS,
}: {
  profile: string;
  labels: readonly string[];
  local: { available: boolean; reason: string | null } | null;
  workers: ReadonlyArray<Pick<WorkerView, 'host' | 'state' | 'labels' | 'profiles' | 'heartbeatAt'>>;
  now: number;
  recentMs?: number;
}): WhereItRuns {
  const localOk = local?.available === true;
  const here: HostVerdict = { where: THIS_SERVER, ok: localOk, reason: localOk ? null : (local?.reason ?? `profile ${profile} is not configured here`) };
  // Several workers on one host: the host can run it when any of them can; else each distinct reason once.
  const byHost = new Map<string, { ok: boolean; reasons: string[] }>();
  for (const w of workers) {
    const v = workerVerdict(w, { profile, labels }, now, recentMs);
    const h = byHost.get(w.host) ?? { ok: false, reasons: [] };
    if (v.ok) h.ok = true;
    else if (!h.reasons.includes(v.reason)) h.reasons.push(v.reason);
    byHost.set(w.host, h);
  }
  const hostVerdicts: HostVerdict[] = [...byHost].map(([where, h]) => ({ where, ok: h.ok, reason: h.ok ? null : h.reasons.join('; ') }));
  const hosts = hostVerdicts.filter((v) => v.ok).map((v) => v.where);
  const verdicts = [...hostVerdicts, here];
  // Hosts that refuse for the same reason share it (the worker beside this server usually says what it says).
  const why = (vs: HostVerdict[]) => {
    const byReason = new Map<string, string[]>();
    for (const v of vs) byReason.set(v.reason ?? '', [...(byReason.get(v.reason ?? '') ?? []), v.where]);
    return [...byReason].map(([reason, where]) => `${where.join(', ')}: ${reason}`).join('; ');
  };
  if (!workers.length) {
    // No worker has registered: this host's check decides, as it always has.
    return { ok: localOk, local: localOk, hosts, verdicts, sentence: localOk ? `runs on ${THIS_SERVER}` : `not available here: ${here.reason}` };
  }
  if (localOk || hosts.length) {
    const on = [...hosts, ...(localOk ? [THIS_SERVER] : [])].join(', ');
    const not = localOk ? '' : `; not on ${THIS_SERVER}: ${here.reason}`;
    return { ok: true, local: localOk, hosts, verdicts, sentence: `runs on ${on}${not}` };
  }
  return { ok: false, local: false, hosts, verdicts, sentence: `no worker can run it (${why(verdicts)})` };
}
