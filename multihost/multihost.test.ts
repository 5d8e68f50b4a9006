/**
 * Past one machine, for real: PostgreSQL on this host; two worker "hosts",
 * each a network namespace joined to this one by a veth pair and with a host
 * name of its own (unshare --uts), each running `runproof worker` against
 * PostgreSQL over its veth address. 20 launches spread across both by
 * labels. Then one host's link is cut while it runs: its runs must be settled
 * `lost` (by the other host's worker, the only one left to sweep) within the
 * lease + 5 s; when the link comes back its worker must kill their process
 * groups; every other run finishes, on the host its labels allow, once.
 *
 * Needs root, `ip netns`, `unshare` and Debian's postgresql binaries. CI has
 * them all; where one is missing the suite says which and is skipped (in CI
 * it fails instead).
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createNetns, type Netns, netnsUnavailable } from '../attack/harness/netns';
import { closeDb, type Db, openDb } from '../db/client';
import { getLaunch } from '../db/queries/launches';
import { getRun } from '../db/queries/runs';
import { listWorkerViews } from '../db/queries/workers';
import { pidsInGroup, waitFor } from '../workers/testing';
import { type PgServer, pgBinDir, startPgServer } from './harness/pg-server';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'runproof.mjs');
const LEASE_MS = 4000;
const HOST_A = 'rp-host-a';
const HOST_B = 'rp-host-b';

function unavailable(): string | null {
  const ns = netnsUnavailable();
  if (ns) return ns;
  if (!pgBinDir()) return 'no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)';
  if (spawnSync('unshare', ['--version']).status !== 0) return '`unshare` (util-linux) is not available';
  return null;
}

const why = unavailable();
if (why && process.env.CI) throw new Error(`the multi-host test cannot run in CI: ${why}`);
if (why) console.warn(`multi-host test skipped: ${why}`);

interface Host {
  name: string;
  ns: Netns;
  worker: ChildProcess;
  log: string[];
}

describe.skipIf(!!why)('two worker hosts on one PostgreSQL database', () => {
  let pg: PgServer;
  let nsA: Netns;
  let nsB: Netns;
  let db: Db;
  let localUrl: string;
  let scratch: string;
  let claimsFile: string;
  const hosts: Host[] = [];

  const cliEnv = () => ({
    ...process.env,
    RUNPROOF_ROOT: REPO,
    RUNPROOF_DATABASE_URL: localUrl,
    RUNPROOF_PROFILES: path.join(scratch, 'profiles.json'),
    RUNPROOF_BUNDLES_DIR: path.join(scratch, 'here', 'bundles'),
    RUNPROOF_WORK_DIR: path.join(scratch, 'here', 'work'),
    RUNPROOF_LEASE_MS: String(LEASE_MS),
    NEXT_TELEMETRY_DISABLED: '1',
  });

  function startWorker(name: string, ns: Netns, labels: string): Host {
    const dir = path.join(scratch, name);
    const env = {
      ...cliEnv(),
      // Over the veth pair: the namespace reaches nothing else.
      RUNPROOF_DATABASE_URL: pg.urlVia(ns.hostAddr),
      RUNPROOF_BUNDLES_DIR: path.join(dir, 'bundles'),
      RUNPROOF_WORK_DIR: path.join(dir, 'work'),
    };
    // A host name of its own (a UTS namespace) inside the network namespace: what the worker registers and labels itself with.
    const worker = spawn(
      'ip',
      ['netns', 'exec', ns.name, 'unshare', '--uts', 'sh', '-c', `hostname ${name} && exec "$0" "$@"`, process.execPath, BIN, 'worker', '--labels', labels, '--concurrency', '2'],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log: string[] = [];
    worker.stderr!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
    return { name, ns, worker, log };
  }

  /** `runproof launch` from this host, as a user would. */
  function launch(ms: number, labels: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [BIN, 'launch', 'sleeper', '--set', `ms=${ms}`, ...labels.flatMap((l) => ['--label', l]), '--json'],
        { env: cliEnv(), encoding: 'utf8', timeout: 60_000 },
        (err, out, errText) => (err ? reject(new Error(`runproof launch: ${err.message}\n${errText}`)) : resolve((JSON.parse(out) as { id: string }).id)),
      );
    });
  }

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-multihost-'));
    fs.chmodSync(scratch, 0o755);
    claimsFile = path.join(scratch, 'claims.txt');
    fs.writeFileSync(claimsFile, '');
    fs.writeFileSync(
      path.join(scratch, 'profiles.json'),
      JSON.stringify({
        profiles: [
          {
            name: 'sleeper',
            title: 'Sleeper (multi-host test)',
            argv: ['{node}', '{runproof_root}/multihost/sleeper.mjs', '{param:ms}', '--output_dir', '{output_dir}'],
            params: [{ name: 'ms', type: 'int', default: 3000, min: 100, max: 120_000 }],
            env: { RUNPROOF_TEST_CLAIMS: claimsFile },
            timeoutSec: 300,
          },
        ],
      }),
    );
    nsA = createNetns();
    nsB = createNetns();
    pg = await startPgServer([nsA.hostAddr, nsB.hostAddr], [`${nsA.nsAddr}/32`, `${nsB.nsAddr}/32`]);
    localUrl = pg.urlVia('127.0.0.1');
    db = await openDb(localUrl);
    hosts.push(startWorker(HOST_A, nsA, 'gpu'), startWorker(HOST_B, nsB, 'cpu'));
    await waitFor(
      'both workers to register',
      async () => {
        const ws = await listWorkerViews({ db, leaseMs: LEASE_MS });
        return ws.filter((w) => w.state === 'online' && w.profiles?.some((p) => p.name === 'sleeper' && p.available)).length === 2;
      },
      60_000,
      250,
    );
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') for (const h of hosts) console.error(`--- ${h.name} worker log (last 40 lines)\n${h.log.slice(-40).join('\n')}`);
  });

  afterAll(async () => {
    for (const h of hosts) h.worker.kill('SIGKILL');
    await closeDb(localUrl).catch(() => {});
    pg?.stop();
    nsA?.close();
    nsB?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('20 launches by label; a cut link loses only that host’s runs, within the lease + 5 s; nothing runs twice', async () => {
    const workers = await listWorkerViews({ db, leaseMs: LEASE_MS });
    expect(workers.map((w) => w.host).sort()).toEqual([HOST_A, HOST_B]);
    expect(workers.find((w) => w.host === HOST_A)!.labels).toContain('gpu');

    // Two long runs first, which only host A may take; its link is cut while they run.
    const long = [await launch(120_000, ['gpu']), await launch(120_000, ['gpu'])];
    await waitFor(
      'both long runs to run on host A',
      async () => {
        const rs = await Promise.all(long.map((id) => getRun({ db, id })));
        return rs.every((r) => r?.status === 'running');
      },
      60_000,
    );
    await waitFor(
      'their process groups to be recorded',
      async () => {
        const ls = await Promise.all(long.map((id) => getLaunch({ db, runId: id })));
        return ls.every((l) => l?.pgid);
      },
      20_000,
    );
    const longLaunches = (await Promise.all(long.map((id) => getLaunch({ db, runId: id })))).map((l) => l!);
    for (const l of longLaunches) expect(l.host).toBe(HOST_A);
    const pgids = longLaunches.map((l) => l.pgid!);
    for (const g of pgids) expect(pidsInGroup(g).length).toBeGreaterThan(0);

    // 18 more in three waves of six launches at once: a third only host A may take (they wait behind the long
    // runs), a third only host B, a third either.
    const needA: string[] = [...long];
    const needB: string[] = [];
    const either: string[] = [];
    for (let wave = 0; wave < 3; wave++) {
      const ids = await Promise.all([0, 1, 2, 3, 4, 5].map((k) => launch(2000, k % 3 === 0 ? ['gpu'] : k % 3 === 1 ? [HOST_B] : [])));
      for (const [k, id] of ids.entries()) (k % 3 === 0 ? needA : k % 3 === 1 ? needB : either).push(id);
    }
    const all = [...needA, ...needB, ...either];
    expect(all).toHaveLength(20);
    for (const id of long) expect((await getRun({ db, id }))!.status, 'the long runs outlast the launches').toBe('running');

    // Cut host A off: its worker can no longer heartbeat; host B's worker sweeps.
    execFileSync('ip', ['link', 'set', nsA.hostIf, 'down']);
    const cutAt = Date.now();
    const lostAfter: number[] = await Promise.all(
      long.map((id) =>
        waitFor(
          `run ${id} to be settled lost`,
          async () => {
            const r = await getRun({ db, id });
            return r?.status === 'lost' ? Date.now() - cutAt : null;
          },
          LEASE_MS + 15_000,
        ),
      ),
    );
    for (const ms of lostAfter) expect(ms).toBeLessThanOrEqual(LEASE_MS + 5000);
    // Settled by the other host (the sweeper names itself), and the groups still run on the cut-off host: no host kills another's pids.
    for (const id of long) expect(JSON.stringify((await getRun({ db, id }))!.evidenceJson)).toMatch(/settled by/);
    for (const g of pgids) expect(pidsInGroup(g).length).toBeGreaterThan(0);

    // The link comes back: host A's worker learns its lease is gone and kills the groups (well before their two minutes are up).
    execFileSync('ip', ['link', 'set', nsA.hostIf, 'up']);
    const backAt = Date.now();
    await waitFor('the lost runs’ process groups to be killed', async () => pgids.every((g) => pidsInGroup(g).length === 0), 15_000);
    const killedAfter = Date.now() - backAt;
    // Killed, not ended: they would have slept for two minutes.
    expect(Date.now() - cutAt).toBeLessThan(60_000);
    expect(killedAfter).toBeLessThan(15_000);

    // Everything else finishes, on a host its labels allow.
    await waitFor(
      'the other 18 runs to succeed',
      async () => {
        const rs = await Promise.all(all.filter((id) => !long.includes(id)).map((id) => getRun({ db, id })));
        return rs.every((r) => r && ['succeeded', 'failed', 'lost', 'cancelled', 'timed_out', 'unknown'].includes(r.status));
      },
      120_000,
      250,
    );
    const status = Object.fromEntries(await Promise.all(all.map(async (id) => [id, (await getRun({ db, id }))!.status] as const)));
    const host = Object.fromEntries(await Promise.all(all.map(async (id) => [id, (await getLaunch({ db, runId: id }))!.host] as const)));
    for (const id of long) expect(status[id]).toBe('lost');
    for (const id of all.filter((x) => !long.includes(x))) expect(status[id], `run ${id} on ${host[id]}`).toBe('succeeded');
    for (const id of needA) expect(host[id]).toBe(HOST_A);
    for (const id of needB) expect(host[id]).toBe(HOST_B);
    for (const id of either) expect([HOST_A, HOST_B]).toContain(host[id]);
    // Both hosts took some of the runs either could take, or at least each ran its own.
    expect(new Set(Object.values(host))).toEqual(new Set([HOST_A, HOST_B]));

    // Each run's process started exactly once, on the host the database says ran it.
    const claims = fs
      .readFileSync(claimsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const count = new Map<string, number>();
    for (const [id, h] of claims) {
      count.set(id, (count.get(id) ?? 0) + 1);
      expect(h, `run ${id}`).toBe(host[id]);
    }
    for (const id of all) expect(count.get(id), `starts of run ${id}`).toBe(1);
    expect(claims).toHaveLength(20);

    // Host A's worker is back online; it said why it stopped the runs.
    const after = await listWorkerViews({ db, leaseMs: LEASE_MS });
    expect(after.find((w) => w.host === HOST_A)?.state).toBe('online');
    console.log(
      `multihost: 20 runs (${needA.length} on ${HOST_A} by label, ${needB.length} on ${HOST_B} by label, ${either.length} either); cut link → lost after ${lostAfter.map((m) => `${m} ms`).join(', ')} (lease ${LEASE_MS} ms); groups killed ${killedAfter} ms after the link came back`,
    );
  });
});
