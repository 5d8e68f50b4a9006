/**
 * Every process a launched run starts, found and stopped even when it left the
 * run's process group. A grandchild that calls setsid() or setpgid() (a
 * daemonising data loader, `setsid sleep 300`, Node's `detached: true`) is out
 * of reach of `kill(-pgid)`; two things still find it:
 *
 * - a cgroup (v2): when the host allows it (a writable cgroup2 mount, as root)
 *   the run's child enters `<mount>/runproof/<run-id>` before it executes the
 *   trainer, so everything it ever forks is in there whatever session or group
 *   it moves to, and `cgroup.kill` ends them all at once;
 * - the run marker: every child gets `RUNPROOF_RUN_MARKER=<run-id>` in its
 *   environment and passes it on to what it starts; after the group kill,
 *   /proc/<pid>/environ of the same user's processes is scanned for it and
 *   survivors are killed, round after round until a scan finds none.
 *
 * The marker is the fallback wherever cgroups are not available, and a second
 * net where they are. Its limit: a process that both leaves the group and
 * execs with a cleared environment (`env -i`) carries no marker; only the
 * cgroup catches that one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export const RUN_MARKER_VAR = 'RUNPROOF_RUN_MARKER';

/** The environment entry that marks a run's processes. The run id is unique per launch, so the sweep can rebuild it from the run alone. */
export function runMarkerEnv(runId: string): Record<string, string> {
  return { [RUN_MARKER_VAR]: runId };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// --- cgroups -------------------------------------------------------------------------------

export type CgroupMode = 'auto' | 'off';

/** `RUNPROOF_CGROUP=off` never creates a run cgroup (the marker alone then finds escaped processes); anything else is `auto`. */
export function cgroupMode(): CgroupMode {
  return process.env.RUNPROOF_CGROUP === 'off' ? 'off' : 'auto';
}

/** The first cgroup2 mount in /proc/self/mountinfo (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on a hybrid host), or null. */
export function cgroup2Mount(): string | null {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  for (const line of info.split('\n')) {
    // id parent maj:min root mountpoint options [optional fields…] - fstype source super-options
    const [left, right] = line.split(' - ');
    if (right?.split(' ')[0] !== 'cgroup2') continue;
    const mountPoint = left.split(' ')[4];
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    if (mountPoint) return mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return null;
}

/** Where the run's cgroup is (whether or not it exists): `<cgroup2 mount>/runproof/<run-id>`. */
export function runCgroupPath(runId: string): string | null {
  const mount = cgroup2Mount();
  return mount ? path.join(mount, 'runproof', runId) : null;
}

/**
 * Can runs get their own cgroup here? Asked once per process, by really doing
 * it: create `<mount>/runproof/probe-<pid>`, have a shell move itself in the
 * way a run's wrapper will, check, remove.
 */
let support: { ok: boolean; reason: string } | null = null;
export function cgroupSupport(): { ok: boolean; reason: string } {
  if (support) return support;
  const mount = cgroup2Mount();
  if (!mount) return (support = { ok: false, reason: 'no cgroup v2 hierarchy is mounted' });
  const probe = path.join(mount, 'runproof', `probe-${process.pid}`);
  try {
    fs.mkdirSync(probe, { recursive: true });
  } catch (e) {
    return (support = { ok: false, reason: `cannot create ${probe}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
  }
  try {
    const r = spawnSync('/bin/sh', ['-c', 'echo 0 >"$0" && cat /proc/self/cgroup', path.join(probe, 'cgroup.procs')], { encoding: 'utf8', timeout: 5000 });
    const rel = `/${path.relative(mount, probe)}`;
    if (r.status === 0 && r.stdout.split('\n').includes(`0::${rel}`)) support = { ok: true, reason: `runs get their own cgroup under ${path.dirname(probe)}` };
    else support = { ok: false, reason: `cannot move a process into ${probe}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
  } finally {
    removeCgroup(probe);
  }
  return support;
}

/** Make the run's cgroup; null (and the marker alone) when the host does not allow it or it is switched off. */
export function createRunCgroup(runId: string): string | null {
  if (cgroupMode() === 'off' || !cgroupSupport().ok) return null;
  const dir = runCgroupPath(runId);
  if (!dir) return null;
  try {
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return null;
  }
}

/**
 * The argv that runs `argv` inside the cgroup: a fixed shell script moves the
 * shell itself into the cgroup (writing 0 to cgroup.procs moves the writer)
 * and then execs the trainer in the same process, so not even its first fork
 * happens outside. The values stay separate argv elements (`$0`, `"$@"`);
 * nothing is ever parsed by the shell. A failed move is not fatal: the
 * marker still finds the run's processes.
 */
export function wrapInCgroup(argv: string[], cgroupDir: string): string[] {
  return ['/bin/sh', '-c', 'echo 0 >"$0" 2>/dev/null; exec "$@"', path.join(cgroupDir, 'cgroup.procs'), ...argv];
}

/**
 * Why `cmd` cannot be started, in spawn's own words, or null. Asked before a
 * wrapped start: the shell wrapper itself always starts, so a missing trainer
 * would otherwise show only as exit 127.
 */
export function executableProblem(cmd: string, env: Record<string, string | undefined>, cwd: string): string | null {
  const candidates = cmd.includes('/') ? [path.resolve(cwd, cmd)] : (env.PATH ?? '').split(':').map((dir) => path.resolve(cwd, dir || '.', cmd));
  let code = 'ENOENT';
  for (const c of candidates) {
    try {
      if (!fs.statSync(c).isFile()) continue;
      fs.accessSync(c, fs.constants.X_OK);
      return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') code = 'EACCES';
    }
  }
  return `spawn ${cmd} ${code}`;
}

function cgroupPids(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cgroupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return cgroupPids(dir).length > 0;
  }
}

/** Kill everything in the cgroup: `cgroup.kill` (Linux ≥ 5.14), else SIGKILL to each member, repeated while it is populated. */
function killCgroup(dir: string): void {
  try {
    fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    /* older kernel, or gone */
  }
  for (let round = 0; round < 50 && cgroupPopulated(dir); round++) {
    for (const pid of cgroupPids(dir))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    sleepSync(10);
  }
}

/** rmdir the cgroup once its last process has gone (the kernel refuses while it is populated). True when it no longer exists. */
export function removeCgroup(dir: string, waitMs = 2000): boolean {
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' || Date.now() > end) return false;
    }
    sleepSync(10);
  }
}

// --- the run marker ------------------------------------------------------------------------

function pgrpOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}

/**
 * Live processes of this user whose environment holds the run's marker
 * (/proc/<pid>/environ: the environment they were exec'd with). Zombies have
 * an empty environ, so only processes that can still run are listed.
 */
export function findMarkedPids(runId: string): number[] {
  const entry = Buffer.from(`${RUN_MARKER_VAR}=${runId}\0`);
  const inner = Buffer.concat([Buffer.from([0]), entry]);
  const uid = process.getuid?.();
  const out: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out; // no /proc: nothing can be found this way
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (uid !== undefined && fs.statSync(`/proc/${name}`).uid !== uid) continue;
      const env = fs.readFileSync(`/proc/${name}/environ`);
      // Entries are NUL-terminated: match a whole entry, at the start or after a NUL.
      if (env.indexOf(entry) === 0 || env.indexOf(inner) >= 0) out.push(Number(name));
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return out;
}

// --- stopping a run ------------------------------------------------------------------------

export interface RunProcesses {
  runId: string;
  /** The process group the run was started in (its leader's pid), when known. */
  pgid: number | null;
  /** The run's cgroup, when it has one. */
  cgroupDir: string | null;
}

/** TERM (or any signal) to the run's group, and to its processes that left it (cgroup members, marked processes). */
export function signalRun(run: RunProcesses, signal: NodeJS.Signals): void {
  if (run.pgid)
    try {
      process.kill(-run.pgid, signal);
    } catch {
      /* group gone */
    }
  const others = new Set([...(run.cgroupDir ? cgroupPids(run.cgroupDir) : []), ...findMarkedPids(run.runId)]);
  for (const pid of others)
    if (run.pgid === null || pgrpOf(pid) !== run.pgid)
      try {
        process.kill(pid, signal);
      } catch {
        /* gone */
      }
}

export interface KillResult {
  /** Processes outside the run's group that were still alive and were killed (by the cgroup or the marker). */
  escaped: number;
  /** Marked processes still alive after every round (a fork storm, or processes of another user). */
  left: number[];
}

/**
 * SIGKILL to everything the run started: its group, its cgroup (then removed),
 * then marked processes, scan after scan until one finds none (at most
 * `rounds`). A killed process cannot fork any more (the kernel aborts a fork
 * with a fatal signal pending), so each round only has to catch what was
 * forked before the previous one.
 */
export function killRun(run: RunProcesses, { rounds = 20 }: { rounds?: number } = {}): KillResult {
  const escapedPids = new Set<number>();
  const note = (pids: number[]) => {
    for (const pid of pids) if (run.pgid === null || pgrpOf(pid) !== run.pgid) escapedPids.add(pid);
  };
  if (run.cgroupDir) note(cgroupPids(run.cgroupDir));
  if (run.pgid)
    try {
      process.kill(-run.pgid, 'SIGKILL');
    } catch {
      /* group gone */
    }
  if (run.cgroupDir && fs.existsSync(run.cgroupDir)) {
    killCgroup(run.cgroupDir);
    removeCgroup(run.cgroupDir);
  }
  let left = findMarkedPids(run.runId);
  for (let round = 0; left.length && round < rounds; round++) {
    note(left);
    for (const pid of left)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    sleepSync(round < 5 ? 5 : 25);
    left = findMarkedPids(run.runId);
  }
  return { escaped: escapedPids.size, left };
}
