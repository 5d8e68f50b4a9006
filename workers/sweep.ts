/**
 * Settle runs whose worker is gone: a lease that expired, or a worker on this
 * host whose pid is not alive. Each such run is re-leased to the sweeper and
 * marked `lost`, its recorded process group is killed (on this host), and the
 * partial evidence on disk is archived. The worker runs this at start and on
 * a timer; `runproof serve --no-worker` runs it on the same timer
 * (cli/main.ts), so a run is settled even when no worker is running at all.
 * Never a page render: showing a run only reads (app/web-layer.test.ts).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Db } from '../db/client';
import { listWorkers, markWorkerOffline, sweepExpiredLeases } from '../db/queries/launches';
import { finalizeRun, MAX_ARCHIVE_ATTEMPTS, settleWithoutArchive } from './finalize';
import { killRun, runCgroupPath } from './process-group';
import { sameGroup } from './run-process';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function sweepLostRuns({
  db,
  sweeperId,
  leaseMs,
  log = () => {},
  ownRuns = [],
}: {
  db: Db;
  sweeperId: string;
  leaseMs: number;
  log?: (m: string) => void;
  /** Runs this process is running or settling (a worker's jobs): never taken over by its own sweep. */
  ownRuns?: string[];
}): Promise<number> {
  const host = os.hostname();
  const dead = (await listWorkers({ db })).filter((w) => w.id !== sweeperId && w.host === host && !pidAlive(w.pid));
  const expired = await sweepExpiredLeases({ db, sweeperId, newToken: () => crypto.randomUUID(), leaseMs, deadWorkers: dead.map((w) => w.id), ownRuns });
  for (const w of dead) await markWorkerOffline({ db, id: w.id });
  for (const r of expired) {
    const { pgid, pgidStart, host: runHost } = r.launch;
    let killed = '';
    if (runHost === host) {
      // The recorded group, if it is still the run's, and whatever left it: the run's cgroup and its marker
      // (workers/process-group.ts) find a setsid grandchild even after the group itself is gone.
      const group = pgid && sameGroup(pgid, pgidStart) ? pgid : null;
      const { escaped } = killRun({ runId: r.runId, pgid: group, cgroupDir: runCgroupPath(r.runId) });
      if (group) killed = `; its process group ${pgid} was killed`;
      if (escaped) killed += `; ${escaped} process${escaped === 1 ? '' : 'es'} outside the group killed by the run's cgroup or environment marker`;
    }
    const note = `its worker stopped heartbeating (lease expired); settled by ${sweeperId}${killed}`;
    try {
      if (r.attempts > MAX_ARCHIVE_ATTEMPTS) {
        // Every sweeper before this one took the run over and stopped before storing it (archiving the bundle
        // killed it, or outlasted the lease): settle it now, without the archive, instead of trying forever.
        const error = `archiving did not finish in ${MAX_ARCHIVE_ATTEMPTS} attempts by the sweep (each sweeper stopped before storing the evidence)`;
        log(`run ${r.runId}: failed — ${error}`);
        await settleWithoutArchive({ db, runId: r.runId, token: r.token, status: 'failed', exitCode: null, signal: null, note, endedAt: Date.now() }, error);
      } else {
        log(`run ${r.runId}: lost — ${note}`);
        await finalizeRun({ db, runId: r.runId, token: r.token, status: 'lost', exitCode: null, signal: null, note, endedAt: Date.now() });
      }
    } catch (e) {
      log(`run ${r.runId}: settling the lost run failed (the next sweep tries again): ${(e as Error).message}`);
    }
  }
  return expired.length;
}
