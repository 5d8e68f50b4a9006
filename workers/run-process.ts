/**
 * The run's process: the argv spawned in its own process group (and its own
 * cgroup where the host allows one) with stdout and stderr on the bundle's
 * log, one file descriptor, so the kernel keeps their arrival order and the
 * log survives the worker; stopped with TERM to the group, a grace period,
 * then KILL to everything it started (workers/process-group.ts finds what
 * left the group). No database here: what the process is, not what the run
 * records about it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRunCgroup, executableProblem, killRun, removeCgroup, runMarkerEnv, signalRun, wrapInCgroup, type RunProcesses } from './process-group';

/** The commit checked out in the profile's cwd, asked in parallel with the run's start (it is not worth delaying it). */
export function gitCommit(cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', timeout: 3000 }, (err, stdout) => {
      const sha = String(stdout ?? '').trim();
      resolve(!err && /^[0-9a-f]{40}$/.test(sha) ? sha : null);
    });
  });
}

/**
 * When the process started, in clock ticks since boot (/proc/<pid>/stat field
 * 22): with the pid it identifies a process, so a sweep days later never kills
 * an unrelated process that was given the same pid. Null where /proc is absent.
 */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Is `pgid` still the group this run started? If its leader is alive it must
 * have the recorded start time; if the leader is gone but the group lives on
 * (orphaned grandchildren), the id cannot have been reused, since Linux does
 * not hand out a pid that is still some group's id.
 */
export function sameGroup(pgid: number, startTicks: string | null): boolean {
  if (!groupAlive(pgid)) return false;
  const now = processStartTicks(pgid);
  return now === null || startTicks === null || now === startTicks;
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child that exists: from here on it must not outlive its caller unattended. */
export interface StartedProcess {
  child: ChildProcess;
  pgid: number;
  /** The group, the cgroup and the marker: everything the run started, for stopping it. */
  procs: RunProcesses;
  exited: Promise<RunExit>;
}

export interface StartInput {
  runId: string;
  argv: string[];
  cwd: string;
  /** The launch's environment, over the worker's own. */
  envOverrides: Record<string, string>;
  /** The bundle's log, open for appending: the child's stdout and stderr. */
  logFd: number;
}

/**
 * Spawn the argv. `problem` when it could not start (no working directory, no
 * such executable, spawn refused): the run's cgroup is already removed then,
 * and the log descriptor is left for the caller to close.
 */
export async function startRunProcess(input: StartInput): Promise<{ started: StartedProcess; problem?: undefined } | { started?: undefined; problem: string }> {
  const { runId, argv, cwd, envOverrides, logFd } = input;
  // The run's own cgroup where the host allows it, and the marker always (workers/process-group.ts): they find
  // what leaves the process group (setsid, setpgid).
  const cgroupDir = createRunCgroup(runId);
  const childEnv = { ...process.env, PYTHONUNBUFFERED: '1', ...envOverrides, ...runMarkerEnv(runId) };
  const spawnFailed = (message: string) => {
    if (cgroupDir) removeCgroup(cgroupDir);
    return { problem: `could not start ${argv[0]}: ${message}` };
  };
  let child: ChildProcess;
  try {
    if (!fs.existsSync(cwd)) throw Object.assign(new Error(`working directory ${cwd} does not exist`), { code: 'ENOENT' });
    const missing = cgroupDir ? executableProblem(argv[0], childEnv, cwd) : null;
    if (missing) throw new Error(missing);
    const cmd = cgroupDir ? wrapInCgroup(argv, cgroupDir) : argv;
    child = spawn(cmd[0], cmd.slice(1), {
      cwd,
      // Python buffers stdout when it is not a terminal; unbuffered, the live log shows lines as they are printed.
      env: childEnv,
      stdio: ['ignore', logFd, logFd],
      detached: true, // its own process group: cancel and the sweep signal -pgid and reach grandchildren too
    });
  } catch (e) {
    return spawnFailed((e as Error).message);
  }
  const spawnError = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (e) => resolve(e));
  });
  if (spawnError || child.pid === undefined) return spawnFailed(spawnError?.message ?? 'no pid');
  const pgid = child.pid;
  const procs: RunProcesses = { runId, pgid, cgroupDir };
  const exited = new Promise<RunExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { started: { child, pgid, procs, exited } };
}

/** Why a run is being stopped: a cancel (from the page, or the worker shutting down), its timeout, or its lease lost to the sweep. */
export type StopReason = 'cancel' | 'timeout' | 'lease';

/**
 * Stopping a started run: TERM to the group, then KILL to everything it
 * started once the grace period is over; at once when the lease is lost (the
 * run is someone else's to settle, nothing is waited for). The first reason
 * given is the one that counts.
 */
export class RunStopper {
  reason: StopReason | null = null;
  /** Processes killed outside the group (setsid escapes), for the note. */
  escaped = 0;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(private readonly p: { runId: string; procs: RunProcesses; graceMs: number; say: (msg: string) => void }) {}

  /** SIGKILL to everything the run started, counting what had left its group. */
  killAll(): void {
    const { runId, procs, say } = this.p;
    const r = killRun(procs);
    this.escaped += r.escaped;
    if (r.escaped || r.left.length) say(`run ${runId}: killed ${r.escaped} process(es) that had left its group${r.left.length ? `; still alive: ${r.left.join(', ')}` : ''}`);
  }

  /** False when the run was already being stopped (the first reason stands). */
  stop(why: StopReason): boolean {
    if (this.reason) return false;
    this.reason = why;
    const { runId, procs, graceMs, say } = this.p;
    say(`run ${runId}: stopping (${why}): SIGTERM to group ${procs.pgid}`);
    if (why === 'lease') {
      this.killAll();
      return true;
    }
    signalRun(procs, 'SIGTERM');
    this.killTimer = setTimeout(() => {
      say(`run ${runId}: grace over, SIGKILL to group ${procs.pgid}`);
      this.killAll();
    }, graceMs);
    return true;
  }

  /** The child has exited: no grace timer may fire later. */
  dispose(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
  }
}
