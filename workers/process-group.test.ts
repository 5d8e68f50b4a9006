/**
 * Finding and stopping a run's processes that left its process group, with
 * real processes: a setsid grandchild that ignores SIGTERM, found by the run
 * marker, and (where the host allows cgroups) by the run's cgroup even when it
 * cleared its environment.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { cgroupSupport, createRunCgroup, executableProblem, findMarkedPids, killRun, removeCgroup, runCgroupPath, runMarkerEnv, signalRun, wrapInCgroup } from './process-group';
import { waitFor } from './testing';

/** A process that SIGTERM cannot stop: it prints its pid once the handler is in place. */
const STUBBORN = "process.on('SIGTERM', () => {}); console.log(process.pid); setInterval(() => {}, 1000)";
/** Starts STUBBORN detached (setsid: a new session and group) with the given environment, then waits to be killed. */
const PARENT = (clearEnv: boolean) =>
  `const { spawn } = require('node:child_process');
   spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}], { detached: true, stdio: ['ignore', 'inherit', 'ignore'], env: ${clearEnv ? '{}' : 'process.env'} }).unref();
   setInterval(() => {}, 1000);`;

/** Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes in a container). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function pgrpOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

const started: number[] = [];
const cgroups: string[] = [];
afterEach(() => {
  for (const pid of started.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  for (const dir of cgroups.splice(0)) removeCgroup(dir);
});

/** Start a run-like parent in its own group (as the worker does) and wait for its escaped grandchild's pid. */
async function startEscaper(runId: string, opts: { clearEnv?: boolean; argv?: (a: string[]) => string[] } = {}): Promise<{ parent: ChildProcess; grandchild: number }> {
  const argv = [process.execPath, '-e', PARENT(opts.clearEnv ?? false)];
  const cmd = opts.argv ? opts.argv(argv) : argv;
  const parent = spawn(cmd[0], cmd.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...runMarkerEnv(runId) } });
  started.push(parent.pid!);
  let out = '';
  parent.stdout!.on('data', (d) => (out += d));
  const grandchild = await waitFor('the grandchild pid', () => Number(out.trim()) || null, 10_000);
  started.push(grandchild);
  return { parent, grandchild };
}

describe('the run marker (the fallback)', () => {
  test('finds a setsid grandchild that ignores SIGTERM, and killRun leaves no marked process', async () => {
    const runId = `t${Date.now().toString(16)}a`;
    const { parent, grandchild } = await startEscaper(runId);
    // It really escaped: another group, so kill(-pgid) would not reach it.
    expect(pgrpOf(grandchild)).not.toBe(parent.pid);
    expect(findMarkedPids(runId).sort()).toEqual([parent.pid!, grandchild].sort());
    // A whole entry only: another run whose id starts with this one's is not matched.
    expect(findMarkedPids(runId.slice(0, -1))).toEqual([]);

    signalRun({ runId, pgid: parent.pid!, cgroupDir: null }, 'SIGTERM');
    await waitFor('the parent to die of SIGTERM', () => !alive(parent.pid!), 5000);
    expect(alive(grandchild)).toBe(true); // ignores TERM

    const r = killRun({ runId, pgid: parent.pid!, cgroupDir: null });
    expect(r).toEqual({ escaped: 1, left: [] });
    expect(alive(grandchild)).toBe(false);
    expect(findMarkedPids(runId)).toEqual([]);
  });

  test('without a known group (a sweep after the leader is gone) the marker alone kills every survivor', async () => {
    const runId = `t${Date.now().toString(16)}b`;
    const { parent, grandchild } = await startEscaper(runId);
    const r = killRun({ runId, pgid: null, cgroupDir: null });
    expect(r.left).toEqual([]);
    expect(r.escaped).toBe(2);
    await waitFor('both gone', () => !alive(parent.pid!) && !alive(grandchild), 2000);
  });
});

describe('the run cgroup', () => {
  test('the wrapper passes every argv element through untouched (nothing is parsed by the shell)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-wrap-'));
    try {
      const tricky = ['$(touch pwned)', '`id`', 'a b', '; rm -rf /', '"$0"', "it's", '-n', ''];
      // A plain folder stands in for the cgroup: the wrapper writes 0 into its cgroup.procs file and execs.
      const argv = wrapInCgroup([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...tricky], dir);
      const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(tricky);
      expect(fs.existsSync(path.join(dir, 'pwned'))).toBe(false);
      expect(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')).toBe('0\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a trainer that is missing is named as spawn would name it (the wrapper itself always starts)', () => {
    expect(executableProblem('definitely-not-a-command-here', { PATH: '/usr/bin:/bin' }, '/')).toBe('spawn definitely-not-a-command-here ENOENT');
    expect(executableProblem('sh', { PATH: '/nonexistent:/bin' }, '/')).toBeNull();
    expect(executableProblem(process.execPath, {}, '/')).toBeNull();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-exec-'));
    try {
      fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n', { mode: 0o644 });
      expect(executableProblem('./train.py', {}, dir)).toBe('spawn ./train.py EACCES');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('where the host allows it, a grandchild that left the group AND cleared its environment is still killed; elsewhere that is the documented limit', async () => {
    const runId = `t${Date.now().toString(16)}c`;
    const support = cgroupSupport();
    const dir = createRunCgroup(runId);
    expect(dir !== null, support.reason).toBe(support.ok);
    if (dir) cgroups.push(dir);
    const { parent, grandchild } = await startEscaper(runId, { clearEnv: true, argv: dir ? (a) => wrapInCgroup(a, dir) : undefined });
    expect(pgrpOf(grandchild)).not.toBe(parent.pid);
    expect(findMarkedPids(runId)).toEqual([parent.pid!]); // no marker on the grandchild
    const r = killRun({ runId, pgid: parent.pid!, cgroupDir: dir });
    await waitFor('the parent gone', () => !alive(parent.pid!), 2000);
    if (dir) {
      expect(r.escaped).toBe(1);
      expect(alive(grandchild)).toBe(false);
      expect(fs.existsSync(dir)).toBe(false); // removed once empty
      expect(fs.existsSync(runCgroupPath(runId)!)).toBe(false);
    } else {
      // Only a cgroup can find this one (README, "Stopping a run"): the marker-only kill leaves it.
      expect(alive(grandchild)).toBe(true);
    }
  });

  test('RUNPROOF_CGROUP=off never makes a run cgroup', () => {
    const saved = process.env.RUNPROOF_CGROUP;
    process.env.RUNPROOF_CGROUP = 'off';
    try {
      expect(createRunCgroup(`t${Date.now().toString(16)}d`)).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.RUNPROOF_CGROUP;
      else process.env.RUNPROOF_CGROUP = saved;
    }
  });
});
