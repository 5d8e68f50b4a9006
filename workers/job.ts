/**
 * One launched run's lifecycle, from claim to settled: prepare the bundle and
 * output folders, start the process (workers/run-process.ts), record it under
 * the lease, follow it live (workers/live-follow.ts) while heartbeating the
 * lease, stop it on cancel, timeout or a lost lease, and on exit settle it
 * with its archive (workers/finalize.ts, which the sweep shares). Every write
 * to the run goes through db/queries/launches.ts, fenced by the lease token.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../db/client';
import { appendLivePoints, getLaunch, recordGitCommit, recordProcessStart, renewLease, updateLiveEvidence } from '../db/queries/launches';
import { appendLiveLog } from '../db/queries/live-log';
import { getRunPlanRows } from '../db/queries/plans';
import { getRun } from '../db/queries/runs';
import type { RunStatus } from '../lib/evidence/types';
import { launchCommandHere } from '../server/launch';
import { recordCommandHere } from '../db/queries/workers';
import { toJsonText } from '../lib/json-text';
import { finalizeRun } from './finalize';
import { factsFrom, LOG_NAME } from './launch-evidence';
import { followLive, type LiveStore } from './live-follow';
import { killRun } from './process-group';
import { Repeat } from './repeat';
import { gitCommit, processStartTicks, RunStopper, startRunProcess, type RunExit, type StopReason } from './run-process';

// What other modules took from here before the worker's rooms were split (workers/archive-bounds.test.ts).
export { MAX_ARCHIVE_ATTEMPTS } from './finalize';
export { LOG_NAME } from './launch-evidence';
export type { LiveProgress } from './live-follow';

export interface JobOptions {
  db: Db;
  runId: string;
  token: string;
  leaseMs: number;
  heartbeatMs: number;
  /** Between TERM and KILL when stopping a run. */
  graceMs: number;
  /** How often the output folder is polled when no file event arrives. */
  pollMs: number;
  /** Aborting stops the run as a cancel (the worker shutting down). */
  abort?: AbortSignal;
  log?: (msg: string) => void;
}

/** Run a claimed job to the end. Resolves with the status it settled at (or null when the lease was lost to the sweep). */
export async function runJob(opts: JobOptions): Promise<RunStatus | null> {
  const { db, runId, token } = opts;
  const say = opts.log ?? (() => {});
  const run = await getRun({ db, id: runId });
  const queued = await getLaunch({ db, runId });
  if (!run || !queued) throw new Error(`run ${runId} has no launch record`);
  // The command as this host runs it (the web server that queued it may be another host), its path knobs
  // checked on this disk: a symlink swapped since the queue, or a path only the other host had, must not reach the trainer.
  const here = launchCommandHere(queued);
  const launch = here.ok && here.rebuilt ? { ...queued, argvJson: toJsonText(here.argv), cwd: here.cwd, envJson: toJsonText(here.env) } : queued;
  const argv = JSON.parse(launch.argvJson) as string[];
  const envOverrides = JSON.parse(launch.envJson) as Record<string, string>;
  const bundleDir = run.bundleDir;
  fs.mkdirSync(bundleDir, { recursive: true });
  fs.rmSync(launch.outputDir, { recursive: true, force: true });
  fs.mkdirSync(launch.outputDir, { recursive: true });
  const logPath = path.join(bundleDir, LOG_NAME);
  const logFd = fs.openSync(logPath, 'a');

  const host = os.hostname();
  const commitPromise = gitCommit(launch.cwd);
  if (!here.ok) {
    fs.closeSync(logFd);
    return settleSpawnFailure(opts, here.problem);
  }
  if (here.rebuilt) {
    if (!(await recordCommandHere({ db, runId, token, argv: here.argv, cwd: here.cwd, env: here.env }))) {
      fs.closeSync(logFd);
      return null;
    }
    say(`run ${runId}: command resolved on this host: cwd ${here.cwd} (queued with ${queued.cwd})`);
  }
  const startedAt = Date.now();
  const start = await startRunProcess({ runId, argv, cwd: launch.cwd, envOverrides, logFd });
  if (!start.started) {
    fs.closeSync(logFd);
    return settleSpawnFailure(opts, start.problem);
  }
  const { pgid, procs, exited } = start.started;
  // From here on the child exists: whatever goes wrong, it must not outlive this function unattended.
  let recorded = false;
  try {
    recorded = await recordProcessStart({ db, runId, token, pid: pgid, pgidStart: processStartTicks(pgid), host, gitCommit: null, startedAt });
  } catch (e) {
    say(`run ${runId}: recording the process failed: ${(e as Error).message}`);
  }
  if (!recorded) {
    killRun(procs);
    await exited;
    fs.closeSync(logFd);
    return null;
  }
  say(`run ${runId}: started pid ${pgid}${procs.cgroupDir ? ` in cgroup ${procs.cgroupDir}` : ''}: ${argv.join(' ')}`);

  // --- the git commit, when git answers -------------------------------------------------------
  let commit: string | null = null;
  const commitKnown = commitPromise.then(async (sha) => {
    commit = sha;
    if (sha) {
      try {
        await recordGitCommit({ db, runId, token, gitCommit: sha });
      } catch (e) {
        say(`run ${runId}: recording the git commit failed: ${(e as Error).message}`);
      }
    }
  });

  // --- live following, while the lease is ours --------------------------------------------------
  let owned = true;
  /** A write the database refused with this token: the run is no longer ours, nothing more is published. */
  const held = async (write: Promise<boolean>) => {
    const ok = await write;
    if (!ok) owned = false;
    return ok;
  };
  // followLive makes these one at a time, in the order the run wrote them.
  const store: LiveStore = {
    held: () => owned,
    appendPoints: (points, live) => held(appendLivePoints({ db, runId, token, points, live })),
    storeEvidence: (evidence, live) => held(updateLiveEvidence({ db, runId, token, evidence, live })),
    appendLog: (lines) => held(appendLiveLog({ db, runId, token, lines })),
  };
  let planRowIds: string[] = [];
  try {
    planRowIds = (await getRunPlanRows({ db, runId: run.id })).map((r) => r.id);
  } catch (e) {
    // The child runs already: reading its links must not leave it unattended (the archive reads them again).
    say(`run ${runId}: reading its plan rows failed: ${(e as Error).message}`);
  }
  const follow = followLive({
    run,
    launch,
    logPath,
    startedAt,
    facts: () => factsFrom({ ...launch, host, pid: pgid, gitCommit: commit, processStartedAt: startedAt }, planRowIds, {}),
    store,
    pollMs: opts.pollMs,
    say,
  });

  // --- heartbeat, cancel, timeout ----------------------------------------------------------
  const stopper = new RunStopper({ runId, procs, graceMs: opts.graceMs, say });
  const stop = (why: StopReason) => {
    if (stopper.reason) return;
    follow.live.stopping = why === 'lease' ? null : why;
    stopper.stop(why);
  };
  /** The child has exited: the heartbeat only holds the lease from then on (through the archive), it stops nothing. */
  let exitedAlready = false;
  // One renewal at a time (a slow database does not stack them up); stopping waits for the one in flight. It
  // runs until the run is settled: an archive that outlasts the lease must not let a sweep take the run over.
  const beat = new Repeat(
    async () => {
      const r = await renewLease({ db, runId, token, leaseMs: opts.leaseMs });
      if (!r.owned) owned = false;
      if (exitedAlready) return;
      if (!r.owned) stop('lease');
      else if (r.cancelRequested) stop('cancel');
    },
    opts.heartbeatMs,
    (e) => say(`run ${runId}: heartbeat failed: ${(e as Error).message}`),
  );
  const timeout = setTimeout(() => stop('timeout'), launch.timeoutMs);
  const onAbort = () => stop('cancel');
  opts.abort?.addEventListener('abort', onAbort);
  let code: number | null;
  let signal: NodeJS.Signals | null;
  let endedAt = 0;
  try {
    // A cancel that arrived between claim and spawn.
    if (opts.abort?.aborted || (await renewLease({ db, runId, token, leaseMs: opts.leaseMs })).cancelRequested) stop('cancel');
    ({ code, signal } = await exited);
  } catch (e) {
    // Never leave the child running unattended.
    stopper.killAll();
    await exited;
    exitedAlready = true;
    await beat.stop();
    await follow.tick(false); // the live writes in flight end before the error goes up
    throw e;
  } finally {
    endedAt = Date.now();
    exitedAlready = true;
    follow.close();
    clearTimeout(timeout);
    stopper.dispose();
    opts.abort?.removeEventListener('abort', onAbort);
    // Whatever the trainer left running (data loader workers, a shell's children, daemons that left the group) goes with it.
    stopper.killAll();
  }
  try {
    await commitKnown;
    // The last look, queued after any still writing: the settle below starts only once every live write is done.
    await follow.tick(true);
    fs.closeSync(logFd);
    say(`run ${runId}: exited ${code ?? signal}`);
    // Archive only while still holding the run: if the sweep took it meanwhile, the sweeper archives it, not both.
    if (!owned || !(await renewLease({ db, runId, token, leaseMs: opts.leaseMs })).owned) return null;
    return await settleExited(opts, { code, signal }, stopper, launch.timeoutMs, Boolean(procs.cgroupDir), endedAt);
  } finally {
    await beat.stop();
  }
}

/** The status and note a run that exited settles with (why it was stopped, if it was), then its archive. */
async function settleExited(opts: JobOptions, exit: RunExit, stopper: RunStopper, timeoutMs: number, inCgroup: boolean, endedAt: number): Promise<RunStatus | null> {
  const { code, signal } = exit;
  let status: RunStatus;
  let note: string | null = null;
  if (stopper.reason === 'cancel') {
    status = 'cancelled';
    note = 'cancelled from Runproof: SIGTERM to the process group, SIGKILL after the grace period';
  } else if (stopper.reason === 'timeout') {
    status = 'timed_out';
    note = `exceeded the profile's timeout of ${Math.round(timeoutMs / 1000)} s`;
  } else status = code === 0 ? 'succeeded' : 'failed';
  const { escaped } = stopper;
  if (escaped)
    note = [note, `${escaped} process${escaped === 1 ? '' : 'es'} that had left the process group (setsid) killed by the run's ${inCgroup ? 'cgroup' : 'environment marker'}`]
      .filter(Boolean)
      .join('; ');
  const ev = await finalizeRun({ db: opts.db, runId: opts.runId, token: opts.token, status, exitCode: code, signal, note, endedAt });
  return ev ? status : null;
}

async function settleSpawnFailure(opts: JobOptions, message: string): Promise<RunStatus | null> {
  const run = await getRun({ db: opts.db, id: opts.runId });
  if (run) fs.appendFileSync(path.join(run.bundleDir, LOG_NAME), `runproof: ${message}\n`);
  const ev = await finalizeRun({ db: opts.db, runId: opts.runId, token: opts.token, status: 'failed', exitCode: null, signal: null, note: message, endedAt: Date.now() });
  return ev ? 'failed' : null;
}
