/**
 * Runs whose processes leave the process group, and path knobs that change
 * between queue and start — against a real worker, a real SQLite file and
 * real child processes.
 *
 * The escape trainer starts a grandchild with `detached: true` (setsid: a new
 * session and process group) that ignores SIGTERM, so neither the group's
 * TERM nor its KILL reaches it; then it waits. Both ways of finding such a
 * process are run: the host's cgroup path (`auto`; on a host without cgroup v2
 * rights it is the marker again, and says so) and the forced fallback
 * (`RUNPROOF_CGROUP=off`: the environment marker alone).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { getLaunch, requestCancel } from '../db/queries/launches';
import { launchRun } from '../server/launch';
import { cgroupSupport, runCgroupPath } from './process-group';
import { Worker } from './worker';
import { makeTestEnv, pidsInGroup, REPO_ROOT, waitFor, waitForEnd, type TestEnv } from './testing';

const ESCAPER = `
import { spawn } from 'node:child_process';
import fs from 'node:fs';
// The grandchild writes its pid only once its SIGTERM handler is in place.
const stubborn = "process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.env.ESCAPE_PID_FILE, String(process.pid)); setInterval(() => {}, 1000)";
spawn(process.execPath, ['-e', stubborn], { detached: true, stdio: 'ignore' }).unref();
console.log('escaper: started a setsid grandchild');
setInterval(() => {}, 1000);
`;

/** Written when the trainer ran: the path-knob test asserts it never did. */
const TOUCH = `
import fs from 'node:fs';
const input = process.argv[process.argv.indexOf('--input') + 1];
fs.writeFileSync(process.env.RAN_FILE, input);
console.log('read', fs.readFileSync(input, 'utf8'));
`;

let env: TestEnv | null = null;
let worker: Worker | null = null;
let scratch: string | null = null;
const strays: number[] = [];
afterEach(async () => {
  for (const pid of strays.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  await worker?.stop();
  worker = null;
  await env?.cleanup();
  env = null;
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose environment carries the run's marker (read here, independently of the product's scan). */
function markedPids(runId: string): number[] {
  const out: number[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      if (fs.readFileSync(`/proc/${ent}/environ`, 'latin1').split('\0').includes(`RUNPROOF_RUN_MARKER=${runId}`) && alive(Number(ent))) out.push(Number(ent));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function setup(mode: 'auto' | 'off', backend: Dialect, extra: Record<string, string> = {}): Promise<{ env: TestEnv; pidFile: string }> {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-escape-'));
  const script = path.join(scratch, 'escaper.mjs');
  fs.writeFileSync(script, ESCAPER);
  const pidFile = path.join(scratch, 'grandchild.pid');
  const profiles = path.join(scratch, 'profiles.json');
  fs.writeFileSync(
    profiles,
    JSON.stringify({
      profiles: [{ name: 'escaper', title: 'Leaves a setsid grandchild', argv: ['{node}', script, '--output_dir', '{output_dir}'], env: { ESCAPE_PID_FILE: pidFile }, timeoutSec: 120 }],
    }),
  );
  env = await makeTestEnv({ RUNPROOF_PROFILES: profiles, RUNPROOF_CGROUP: mode, ...extra }, backend);
  return { env, pidFile };
}

async function launch(e: TestEnv, profile: string, params: Record<string, string> = {}): Promise<string> {
  const r = await launchRun({ db: e.db, request: { profile, params } });
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

async function escapedGrandchild(e: TestEnv, runId: string, pidFile: string): Promise<{ pgid: number; grandchild: number }> {
  const grandchild = await waitFor('the grandchild', () => (fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8'))) || null, 20_000);
  strays.push(grandchild);
  const pgid = await waitFor('the recorded group', async () => (await getLaunch({ db: e.db, runId }))!.pgid, 5000);
  // It really left: not in the run's group, so the group kill alone would miss it.
  expect(pidsInGroup(pgid)).not.toContain(grandchild);
  expect(markedPids(runId)).toContain(grandchild);
  // On the cgroup path it is inside the run's cgroup whatever its session.
  const cg = fs.readFileSync(`/proc/${grandchild}/cgroup`, 'utf8');
  expect(cg.includes(`/runproof/${runId}\n`)).toBe(usesCgroup());
  return { pgid, grandchild };
}

let mode: 'auto' | 'off' = 'auto';
const usesCgroup = () => mode === 'auto' && cgroupSupport().ok;

describe.each(
  backends().flatMap((b) => [
    ['the run cgroup (where the host allows it)', 'auto' as const, b],
    ['the environment marker (cgroups off)', 'off' as const, b],
  ]),
)('a setsid grandchild that ignores SIGTERM, found by %s (%s)', (_name, m, backend) => {
  test('cancel: no process with the run marker is left 10 s after the cancel', async () => {
    mode = m;
    const { env: e, pidFile } = await setup(m, backend);
    const id = await launch(e, 'escaper');
    let stoppedAt = 0;
    const log = (msg: string) => {
      if (msg.includes('stopping (cancel)')) stoppedAt = Date.now();
    };
    worker = new Worker({ db: e.db, concurrency: 1, leaseMs: 3000, graceMs: 2000, pollMs: 100, claimPollMs: 50, log });
    await worker.start();
    const { pgid, grandchild } = await escapedGrandchild(e, id, pidFile);
    const t0 = Date.now();
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    await waitFor('no marked process left', () => markedPids(id).length === 0 && pidsInGroup(pgid).length === 0, 10_000, 10);
    const zeroAt = Date.now();
    const { run, evidence } = await waitForEnd(e.db, id, 10_000);
    console.log(
      `[measure] ${usesCgroup() ? 'cgroup' : 'marker'} path: cancel requested → 0 processes in ${zeroAt - t0} ms, of which ${zeroAt - stoppedAt} ms after the worker acted on it (the rest is the wait for the heartbeat, every 600 ms here)`,
    );
    expect(run.status).toBe('cancelled');
    expect(alive(grandchild)).toBe(false);
    expect(evidence.launch?.note).toMatch(
      usesCgroup() ? /1 process that had left the process group \(setsid\) killed by the run's cgroup/ : /1 process that had left the process group \(setsid\) killed by the run's environment marker/,
    );
    if (usesCgroup()) expect(fs.existsSync(`/sys/fs/cgroup/unified/runproof/${id}`) || fs.existsSync(`/sys/fs/cgroup/runproof/${id}`)).toBe(false);
  });

  test('worker killed: the sweep settles the run lost and kills the grandchild the group kill cannot reach', async () => {
    mode = m;
    const { env: e, pidFile } = await setup(m, backend, { RUNPROOF_LEASE_MS: '2000' });
    const id = await launch(e, 'escaper');
    const w1 = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/runproof.mjs'), 'worker'], { env: { ...process.env }, stdio: 'ignore' });
    try {
      const { pgid, grandchild } = await escapedGrandchild(e, id, pidFile);
      w1.kill('SIGKILL');
      await new Promise((r) => w1.once('exit', r));
      // Nothing depends on the worker: the trainer and its grandchild run on.
      expect(pidsInGroup(pgid).length).toBeGreaterThan(0);
      expect(alive(grandchild)).toBe(true);
      worker = new Worker({ db: e.db, concurrency: 1, leaseMs: 2000, claimPollMs: 50 });
      await worker.start();
      const { run, evidence } = await waitForEnd(e.db, id, 15_000);
      expect(run.status).toBe('lost');
      expect(evidence.launch?.note).toMatch(/process group \d+ was killed; 1 process outside the group killed by the run's cgroup or environment marker/);
      await waitFor('the grandchild gone', () => !alive(grandchild), 2000);
      expect(markedPids(id)).toEqual([]);
    } finally {
      if (w1.exitCode === null) w1.kill('SIGKILL');
    }
  }, 60_000);
});

describe.each(backends())('path knobs are checked again right before the process starts (%s)', (backend: Dialect) => {
  test('a symlink swapped to point outside between queue and start fails the run with the reason, and the trainer never runs', async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-swap-'));
    const cwd = path.join(scratch, 'checkout');
    fs.mkdirSync(path.join(cwd, 'data'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'data/real.txt'), 'inside\n');
    fs.writeFileSync(path.join(scratch, 'secret.txt'), 'outside\n');
    fs.symlinkSync('real.txt', path.join(cwd, 'data/swapped.txt'));
    fs.symlinkSync('real.txt', path.join(cwd, 'data/kept.txt'));
    fs.writeFileSync(path.join(scratch, 'touch.mjs'), TOUCH);
    const ran = path.join(scratch, 'ran');
    const profiles = path.join(scratch, 'profiles.json');
    fs.writeFileSync(
      profiles,
      JSON.stringify({
        profiles: [
          {
            name: 'reader',
            title: 'Reads a file',
            cwd,
            argv: ['{node}', path.join(scratch, 'touch.mjs'), '{params}'],
            params: [{ name: 'input', type: 'path', roots: ['data'] }],
            env: { RAN_FILE: ran },
          },
        ],
      }),
    );
    env = await makeTestEnv({ RUNPROOF_PROFILES: profiles }, backend);
    const e = env;
    const swapped = await launch(e, 'reader', { input: 'data/swapped.txt' });
    const kept = await launch(e, 'reader', { input: 'data/kept.txt' });
    // Queued and valid; now the link is swapped to a file outside data/.
    fs.unlinkSync(path.join(cwd, 'data/swapped.txt'));
    fs.symlinkSync(path.join(scratch, 'secret.txt'), path.join(cwd, 'data/swapped.txt'));
    worker = new Worker({ db: e.db, concurrency: 1, leaseMs: 3000, claimPollMs: 50 });
    await worker.start();

    const bad = await waitForEnd(e.db, swapped, 20_000);
    expect(bad.run.status).toBe('failed');
    const why = `path knob input now resolves outside data: data/swapped.txt → ${fs.realpathSync(path.join(scratch, 'secret.txt'))}`;
    expect((await getLaunch({ db: e.db, runId: swapped }))!.error).toContain(why);
    expect(bad.evidence.launch?.note).toContain(why);
    expect(bad.evidence.launch?.pid).toBeNull(); // never started
    expect(fs.readFileSync(path.join(bad.run.bundleDir, 'train.log'), 'utf8')).toContain(why);

    // The run beside it, whose link did not move, starts and reads its file.
    const good = await waitForEnd(e.db, kept, 20_000);
    expect(good.run.status).toBe('succeeded');
    expect(fs.readFileSync(ran, 'utf8')).toBe('data/kept.txt'); // the only run that ever ran
    expect(fs.readFileSync(path.join(good.run.bundleDir, 'train.log'), 'utf8')).toContain('read inside');
  });
});

test('a trainer that does not exist fails the run as "could not start", with no cgroup left behind (the wrapper itself always starts)', async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-missing-'));
  const profiles = path.join(scratch, 'profiles.json');
  fs.writeFileSync(profiles, JSON.stringify({ profiles: [{ name: 'missing', title: 'No such trainer', argv: [path.join(scratch, 'no-such-trainer'), '--output_dir', '{output_dir}'] }] }));
  env = await makeTestEnv({ RUNPROOF_PROFILES: profiles, RUNPROOF_CGROUP: 'auto' });
  const e = env;
  const id = await launch(e, 'missing');
  worker = new Worker({ db: e.db, concurrency: 1, leaseMs: 3000, claimPollMs: 50 });
  await worker.start();
  const { run, evidence } = await waitForEnd(e.db, id, 20_000);
  expect(run.status).toBe('failed');
  const trainer = path.join(scratch, 'no-such-trainer');
  expect(evidence.launch?.note).toBe(`could not start ${trainer}: spawn ${trainer} ENOENT`);
  const cg = runCgroupPath(id);
  if (cg) expect(fs.existsSync(cg)).toBe(false);
});

// Guards the helper the tests above trust: the independent scan sees a marked process and stops seeing it once killed.
test('the test scan of /proc finds a marked process', async () => {
  const runId = `scan${Date.now()}`;
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, RUNPROOF_RUN_MARKER: runId }, stdio: 'ignore' });
  strays.push(p.pid!);
  await waitFor('the marked process', () => markedPids(runId).includes(p.pid!), 5000);
  p.kill('SIGKILL');
  await waitFor('it gone', () => markedPids(runId).length === 0, 5000);
});
