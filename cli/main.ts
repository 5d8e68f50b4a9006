/**
 * The `runproof` command. Exit codes: 0 ok, 1 the work found problems that
 * stop it (e.g. a folder that does not exist), 2 a usage error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderSummaryMarkdown } from '../lib/evidence/summary';
import { showBundle, importBundles } from '../server/bundles';
import { closeDb, isPostgresUrl, openDb } from '../db/client';
import { copyDatabase } from '../db/copy';
import { getLiveState, isTerminal, requestCancel } from '../db/queries/launches';
import { getEnv } from '../server/env';
import { isLoopbackAddress, parseTrustProxy, rotateSessionSecret } from '../server/auth';
import { startWebServer } from '../server/http-server';
import { launchRun, launchWorkers, planLaunch } from '../server/launch';
import { listProfiles, warmProfileProbes } from '../server/profiles';
import { Worker } from '../workers/worker';
import { sweepLostRuns } from '../workers/sweep';
import { getJudgedRunEvidence, planRequirements, scanPlans } from '../server/plans';
import { requirementText } from '../lib/plans/qualify';
import { judgeRun, statusWords } from '../lib/evidence/verdict';
import { indexPlansDir, PlanIndexer, plansRoots } from '../server/plan-index';
import type { Problem } from '../lib/evidence/types';
import { listWorkerViews } from '../db/queries/workers';
import { gpuSummary } from '../lib/workers/gpus';
import { parseLabels } from '../lib/workers/labels';
import { placeRun } from '../lib/workers/match';
import { THIS_SERVER, whereItRuns } from '../lib/workers/where';
import { parseJsonText } from '../lib/json-text';

const USAGE = `runproof — run evidence for ML smoke runs

Usage:
  runproof show <bundle-dir | log-file | run-id> [--json] [--requested "<command line>"]
  runproof import <dir>... [--json] [--strict] [--archive]
                                           --archive: also store each run's files in the database, so its
                                           permalink and files survive the folder being moved or deleted
  runproof launch <profile> [--set knob=value]... [--cpu-only] [--row ID]... [--label L]... [--wait] [--json] [--dry-run]
  runproof worker [--labels gpu,a100] [--concurrency N]
                                           run queued launches (npm start runs one too); a run needing
                                           labels goes only to a worker carrying them (its host name is one)
  runproof workers [--json]                the workers: host, online or not, busy, labels, GPUs, profiles
  runproof profiles [--json]               the profiles configured here and whether each can run
  runproof plans <dir> [--json]            the plan rows found in markdown files under a folder
  runproof serve [--port N] [--host H] [--no-worker]
                                           start the web server and a worker in this process (npm start)
  runproof db copy --to postgres://… [--from FILE]
                                           copy a SQLite database (default RUNPROOF_DB) into a PostgreSQL
                                           one: idempotent (run it again to finish), with progress and a
                                           final row count per table
  runproof logout-all                      end every login session (a new session secret)
  runproof help

Environment:
  RUNPROOF_DB     SQLite file (default data/runproof.db)
  RUNPROOF_DATABASE_URL  postgres://user:password@host:5432/db: use this PostgreSQL database instead
                        (every command; set it on the web server's host and on each worker's)
  RUNPROOF_HOST   address the server listens on (default 127.0.0.1)
  RUNPROOF_PORT   port (default 3000)
  RUNPROOF_PASSWORD     password for launching/cancelling in the browser (needed unless the request
                        comes from this machine to \`runproof serve\` listening on loopback)
  RUNPROOF_TRUST_PROXY  addresses of reverse proxies whose forwarding headers count (comma-separated)
  RUNPROOF_PUBLIC_URL   the URL users reach Runproof at, for permalinks (default: the listen address)
  RUNPROOF_PROFILES     JSON file with more profiles ({"profiles": [...]})
  RUNPROOF_CONCURRENCY  runs a worker executes at once (default 1)
  RUNPROOF_WORKER_LABELS  labels of the worker \`runproof serve\` runs (gpu,a100)
  RUNPROOF_STORED_FILE_MAX_BYTES  bytes of one bundle file stored in the database (default 64 MiB); text
                        over it keeps its head and tail, binary over it is left out, and the run says so
  RUNPROOF_PLANS_DIR    plans folder(s) to index, joined with ':' (default: plans/ of profile checkouts)
  RUNPROOF_REPO_URL     repository URL for links to plan lines (<url>/<plan path>#L<line>)
  PTYCHOPINN_DIR        PtychoPINN checkout: enables the ptycho-torch profile
`;

class UsageError extends Error {}

/** The database for messages: a SQLite file relative to here, or the PostgreSQL URL without its password. */
function shownWhere(where: string): string {
  return path.isAbsolute(where) ? path.relative(process.cwd(), where) || where : where;
}

async function cmdShow(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, requested: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('show takes one bundle folder or run id');
  const target = positionals[0];
  let evidence;
  const requested = values.requested ? { text: values.requested, source: '--requested' } : null;
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    evidence = showBundle(path.resolve(target), { requested });
  } else if (fs.existsSync(target) && target.endsWith('.log')) {
    // One log of a folder that holds several runs: analyse the folder as that run.
    evidence = showBundle(path.resolve(path.dirname(target)), { requested, logFile: path.basename(target) });
  } else {
    if (values.requested) throw new UsageError('--requested applies to a bundle folder, not a stored run');
    if (!getEnv().RUNPROOF_DATABASE_URL && !fs.existsSync(getEnv().dbPath)) {
      process.stderr.write(`runproof: ${target} is not a folder, and there is no database at ${getEnv().dbPath} to look it up as a run id\n`);
      return 1;
    }
    const db = await openDb();
    const found = await getJudgedRunEvidence({ db, id: target });
    if (!found) {
      process.stderr.write(`runproof: ${target} is neither a folder nor a run id in ${db.where}\n`);
      return 1;
    }
    evidence = found.evidence;
  }
  process.stdout.write(values.json ? `${JSON.stringify(evidence, null, 2)}\n` : renderSummaryMarkdown(evidence));
  return 0;
}

async function cmdImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, strict: { type: 'boolean' }, archive: { type: 'boolean' } } });
  if (positionals.length === 0) throw new UsageError('import needs at least one folder');
  for (const p of positionals) {
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) {
      process.stderr.write(`runproof: ${p} is not a folder\n`);
      return 1;
    }
  }
  const db = await openDb();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const result = await importBundles({ db, roots: positionals, onProgress: values.json ? undefined : log, archive: values.archive ?? false });
  if (values.json) {
    const { added, updated, unchanged, failed, problems, runs, archived } = result;
    process.stdout.write(`${JSON.stringify({ added, updated, unchanged, failed, problems, runs, archived }, null, 2)}\n`);
  } else {
    const a = result.archived;
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
    if (a.runs)
      log(
        `stored in the database: ${a.files} file${a.files === 1 ? '' : 's'} of ${a.runs} run${a.runs === 1 ? '' : 's'}, ${mib(a.sizeBytes)} on disk as ${mib(a.encodedBytes)} (${Math.round(a.ms)} ms)`,
      );
    for (const p of result.problems) log(`  problem: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    log(
      `imported into ${shownWhere(db.where)}: ${result.added} added, ${result.updated} updated, ${result.unchanged} unchanged, ${result.failed ? `${result.failed} FAILED, ` : ''}${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} (${Math.round(performance.now() - started)} ms)`,
    );
  }
  // A bundle that failed is always printed; it fails the command only when asked (--strict).
  if (result.failed && !values.json) log(`${result.failed} bundle${result.failed === 1 ? '' : 's'} not imported (see FAILED above)${values.strict ? '' : '; --strict makes this exit 1'}`);
  return values.strict && result.failed ? 1 : 0;
}

function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes knob=value, got ${JSON.stringify(s)}`);
    // An empty value would mean the profile's default: say so rather than launch with it unasked.
    if (s.slice(eq + 1).trim() === '') throw new UsageError(`--set ${s.slice(0, eq)}= has no value; leave the --set out for the profile's default`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cmdLaunch(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true, default: [] },
      'cpu-only': { type: 'boolean' },
      row: { type: 'string', multiple: true, default: [] },
      label: { type: 'string', multiple: true, default: [] },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('launch takes one profile name (see `runproof profiles`)');
  const labels = parseLabels(values.label);
  if (labels.errors.length) throw new UsageError(`--label: ${labels.errors.join('; ')}`);
  const request = { profile: positionals[0], params: parseSets(values.set), cpuOnly: values['cpu-only'] ?? false, planRows: values.row, labels: labels.labels };
  if (values['dry-run']) {
    // Where it could run counts here too: a profile a worker's host can run is not refused for this host's lack.
    const plan = planLaunch(request, { workers: await launchWorkers(await openDb()) });
    if (!plan.ok) {
      process.stderr.write(`runproof: ${plan.error}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify({ argv: plan.argv, cwd: plan.cwd, env: plan.env })}\n`);
    return 0;
  }
  const db = await openDb();
  // Rows are resolved against the plan index: bring it up to date with the plans folders first.
  if (values.row.length) for (const root of plansRoots()) await indexPlansDir(db, root);
  const r = await launchRun({ db, request });
  if (!r.ok) {
    process.stderr.write(`runproof: ${r.error}\n`);
    return 1;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`queued run ${r.runId}${r.labels.length ? ` (needs labels ${r.labels.join(', ')})` : ''}: ${r.commandText}`);
  if (!r.where.local) log(r.where.sentence);
  // Where it goes, or what it waits for: a worker online with the labels and the profile available on its host.
  const placement = async () => placeRun(await listWorkerViews({ db, leaseMs: getEnv().RUNPROOF_LEASE_MS }), { profile: request.profile, labels: r.labels });
  if (!values.wait) {
    if (values.json)
      process.stdout.write(`${JSON.stringify({ id: r.runId, status: 'queued', argv: r.argv, cwd: r.cwd, env: r.env, labels: r.labels, runsOn: { here: r.where.local, hosts: r.where.hosts } })}\n`);
    const p = await placement();
    if (!p.able.length) log(p.sentence);
    return 0;
  }
  // Ctrl-C while waiting cancels the run rather than leaving it behind.
  let interrupted = false;
  const onInt = () => {
    interrupted = true;
    log(`cancelling ${r.runId}…`);
    requestCancel({ db, runId: r.runId }).catch((e: Error) => log(`cancelling ${r.runId} failed: ${e.message}`));
  };
  process.on('SIGINT', onInt);
  let warned = false;
  let last = '';
  const started = Date.now();
  for (;;) {
    // Status and progress only while it runs; the evidence document is read once, at the end.
    const st = await getLiveState({ db, runId: r.runId });
    const status = st?.status ?? 'unknown';
    const progress = st ? parseJsonText(st.liveJson) : {};
    const line = `${status}${progress.epochsDone ? ` · epoch ${progress.epochsDone}${progress.maxEpochs ? `/${progress.maxEpochs}` : ''}` : ''}`;
    if (line !== last && !values.json) log(`  ${line}`);
    last = line;
    if (!st || isTerminal(status)) {
      process.off('SIGINT', onInt);
      const found = await getJudgedRunEvidence({ db, id: r.runId });
      if (!found) {
        log(`run ${r.runId} is gone from ${db.where}`);
        return 1;
      }
      if (values.json) process.stdout.write(`${JSON.stringify(found.evidence, null, 2)}\n`);
      else {
        const ev = found.evidence;
        // The verdict first (lib/evidence/verdict.ts), then how the process ended and each check.
        const j = judgeRun(ev);
        log(`run ${r.runId}: ${j.sentence} (process ${statusWords(status)})`);
        log(`checks: ${j.checks.map((c) => `${c.id} ${c.status}`).join(', ')}`);
        log(`bundle: ${found.run.bundleDir}`);
      }
      return status === 'succeeded' ? 0 : interrupted ? 130 : 1;
    }
    if (!warned && status === 'queued' && Date.now() - started > 3000) {
      const p = await placement();
      if (!p.able.length) {
        warned = true;
        log(`still ${p.sentence}`);
      }
    }
    await sleep(250);
  }
}

async function workerFromEnv(log: (m: string) => void, opts: { concurrency?: number; labels?: string[] } = {}): Promise<Worker> {
  const env = getEnv();
  return new Worker({ db: await openDb(), concurrency: opts.concurrency ?? env.RUNPROOF_CONCURRENCY, leaseMs: env.RUNPROOF_LEASE_MS, labels: opts.labels ?? env.RUNPROOF_WORKER_LABELS, log });
}

/** Stop claiming; ask the worker's own running runs to stop (TERM, grace, KILL) so none is left orphaned; wait for them to settle. */
function stopWorkerOnSignal(worker: Worker, log: (m: string) => void, onDone: () => void): void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`worker: ${sig}: cancelling ${worker.running} running run(s) and stopping`);
    worker.cancelAll();
    void worker.stop().then(onDone);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function cmdWorker(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { concurrency: { type: 'string' }, labels: { type: 'string', multiple: true } } });
  const n = values.concurrency !== undefined ? Number(values.concurrency) : undefined;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 64)) throw new UsageError('--concurrency takes a whole number from 1 to 64');
  const labels = values.labels ? parseLabels(values.labels) : undefined;
  if (labels?.errors.length) throw new UsageError(`--labels: ${labels.errors.join('; ')}`);
  const log = (m: string) => process.stderr.write(`[worker] ${m}\n`);
  const worker = await workerFromEnv(log, { concurrency: n, labels: labels?.labels });
  await worker.start();
  const code = await new Promise<number>((resolve) => stopWorkerOnSignal(worker, log, () => resolve(0)));
  // On PostgreSQL the worker's LISTEN connection would keep the process up: the database is closed on the way out.
  await closeDb();
  return code;
}

async function cmdWorkers(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const workers = await listWorkerViews({ db: await openDb(), leaseMs: getEnv().RUNPROOF_LEASE_MS });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ workers }, null, 2)}\n`);
    return 0;
  }
  if (!workers.length) process.stdout.write('no workers have registered; start one with `runproof worker` (npm start runs one)\n');
  const ago = (ms: number) => `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago`;
  for (const w of workers) {
    process.stdout.write(`${w.host}  ${w.state}  ${w.busy}/${w.concurrency} busy  worker ${w.id}  (${w.state === 'online' ? 'heartbeat' : 'last seen'} ${ago(w.heartbeatAt)})\n`);
    process.stdout.write(`    labels    ${w.labels.join(', ') || '(none)'}\n    gpus      ${gpuSummary(w.gpus)}\n`);
    if (w.profiles === null) process.stdout.write('    profiles  (still checking)\n');
    else for (const p of w.profiles) process.stdout.write(`    ${p.available ? 'can run ' : 'cannot  '}  ${p.name}${p.reason ? `: ${p.reason}` : ''}\n`);
  }
  return 0;
}

async function cmdProfiles(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const list = listProfiles();
  // Availability is per host: this one's (above), and each registered worker's as it reported it.
  const now = Date.now();
  const workers = await launchWorkers(await openDb(), now);
  const where = (e: (typeof list)[number]) => whereItRuns({ profile: e.profile.name, labels: e.profile.requires.labels, local: e, workers, now });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        list.map((e) => {
          const w = where(e);
          return {
            name: e.profile.name,
            title: e.profile.title,
            available: e.available,
            reason: e.reason,
            source: e.source,
            params: e.profile.params,
            launchable: w.ok,
            where: w.sentence,
            workers: w.verdicts.filter((v) => v.where !== THIS_SERVER).map((v) => ({ host: v.where, available: v.ok, reason: v.reason })),
          };
        }),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  for (const e of list) {
    process.stdout.write(`${e.profile.name.padEnd(20)} ${e.available ? 'available  ' : 'unavailable'}  ${e.profile.title}${e.reason ? `\n${' '.repeat(34)}${e.reason}` : ''}\n`);
    for (const v of where(e).verdicts.filter((x) => x.where !== THIS_SERVER)) process.stdout.write(`${' '.repeat(34)}on ${v.where}: ${v.ok ? 'can run' : `cannot: ${v.reason}`}\n`);
    process.stdout.write(`${' '.repeat(34)}knobs: ${e.profile.params.map((p) => `${p.name}${p.default !== undefined ? `=${p.default}` : ''}`).join(' ')}\n`);
  }
  return 0;
}

function cmdPlans(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('plans takes one folder');
  const dir = positionals[0];
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    process.stderr.write(`runproof: ${dir} is not a folder\n`);
    return 1;
  }
  const problems: Problem[] = [];
  const found = scanPlans(dir, (p) => problems.push(p));
  // What proves each row (runproof-proves.json, guidance, brief); a bad rules file is a problem with its line, once.
  const reqs = found.map((p) => planRequirements(p.path));
  const seen = new Set<string>();
  for (const pr of reqs.flatMap((r) => r.problems)) {
    const key = `${pr.file}\0${pr.line}\0${pr.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(pr);
    }
  }
  const proves = (k: number, id: string) => {
    const req = reqs[k].rows.get(id);
    return req ? requirementText(req) : null;
  };
  if (values.json) {
    const out = {
      plans: found.map((p) => ({ plan: p.display, path: p.path, initiative: p.initiative, title: p.parsed.title, rows: p.parsed.rows.length })),
      rows: found.flatMap((p, k) =>
        p.parsed.rows.map((r) => ({
          plan: p.display,
          id: r.id,
          state: r.state,
          line: r.line,
          endLine: r.endLine,
          phase: r.phase,
          description: r.description,
          guidance: r.guidance,
          provedBy: proves(k, r.id),
        })),
      ),
      problems,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  found.forEach((p, k) => {
    process.stdout.write(`${p.display}  (${p.initiative}, ${p.parsed.rows.length} rows)\n`);
    let phase: string | null | undefined;
    for (const r of p.parsed.rows) {
      if (r.phase !== phase) process.stdout.write(`  ${(phase = r.phase) ?? '(no heading)'}\n`);
      const text = r.description.split('\n')[0];
      process.stdout.write(`    ${r.id.padEnd(8)} ${r.state.padEnd(4)} L${String(r.line).padEnd(5)} ${text.length > 90 ? `${text.slice(0, 89)}…` : text}\n`);
      const by = proves(k, r.id);
      if (by) process.stdout.write(`${' '.repeat(24)}proved by ${by}\n`);
    }
  });
  if (!found.length) process.stdout.write(`no plan tables (| ID | … | State | … |) under ${dir}\n`);
  for (const p of problems) process.stderr.write(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}\n`);
  return 0;
}

/**
 * The lost-run sweep (workers/sweep.ts) for a `runproof serve` without a
 * worker: at start and then every quarter lease, as a worker sweeps, so a run
 * whose worker was killed becomes `lost` (process group killed, partial
 * evidence archived) whether or not anyone is looking at it.
 */
async function startLostRunSweep(log: (m: string) => void): Promise<() => void> {
  const env = getEnv();
  const db = await openDb();
  const sweeperId = `serve ${os.hostname()}:${process.pid}`;
  // One sweep at a time: a slow one (a far database) is not overlapped by the next tick.
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await sweepLostRuns({ db, sweeperId, leaseMs: env.RUNPROOF_LEASE_MS, log });
    } catch (e) {
      log(`sweeping lost runs failed (the next sweep tries again): ${(e as Error).message}`);
    } finally {
      sweeping = false;
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), Math.max(500, Math.floor(env.RUNPROOF_LEASE_MS / 4)));
  return () => clearInterval(timer);
}

async function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, 'no-worker': { type: 'boolean' } } });
  const env = getEnv();
  const host = values.host ?? env.RUNPROOF_HOST;
  const port = values.port !== undefined ? Number(values.port) : env.RUNPROOF_PORT;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port takes a port number, got ${JSON.stringify(values.port)}`);
  if (!fs.existsSync(path.join(env.root, '.next', 'BUILD_ID'))) {
    process.stderr.write('runproof: no production build found; run `npm run build` first (or `npm run setup`)\n');
    return 1;
  }
  // Open (and migrate) the database before listening: a wrong URL or a refused connection stops here, named.
  const db = await openDb();
  // The app in this process reads these: the database, and the host and port actually served.
  Object.assign(process.env, { NEXT_TELEMETRY_DISABLED: '1', RUNPROOF_ROOT: env.root, RUNPROOF_DB: env.dbPath, RUNPROOF_HOST: host, RUNPROOF_PORT: String(port) });
  // Next's server runs in this process (not a child), so it cannot outlive the worker beside it.
  const web = await startWebServer({
    dir: env.root,
    host,
    port,
    trustProxy: parseTrustProxy(env.RUNPROOF_TRUST_PROXY),
    publicUrl: env.RUNPROOF_PUBLIC_URL,
    log: (m) => process.stderr.write(`[web] ${m}\n`),
  });
  const shown = web.address.includes(':') ? `[${web.address}]` : web.address;
  process.stderr.write(`Runproof on http://${shown}:${web.port}  (database ${shownWhere(db.where)})\n`);
  // Availability probes (a python importing torch takes seconds) run now, in the background, not in the launch form's first render.
  warmProfileProbes();
  if (!isLoopbackAddress(web.address)) {
    process.stderr.write(
      env.RUNPROOF_PASSWORD
        ? 'Listening beyond this machine: launching and cancelling need a login (RUNPROOF_PASSWORD).\n'
        : 'Listening beyond this machine without RUNPROOF_PASSWORD: launching and cancelling are switched off. Set RUNPROOF_PASSWORD (at least 8 characters) to allow them after a login.\n',
    );
  }
  // Its labels come from RUNPROOF_WORKER_LABELS, like any worker's from --labels.
  const worker = values['no-worker'] ? null : await workerFromEnv((m) => process.stderr.write(`[worker] ${m}\n`));
  await worker?.start();
  // Runs whose worker died are settled here, on a timer, never by rendering a page: the worker beside the
  // web server sweeps on its own timer; without one (--no-worker), serve sweeps on the same schedule.
  const stopSweep = worker ? () => {} : await startLostRunSweep((m) => process.stderr.write(`[sweep] ${m}\n`));
  const indexer = new PlanIndexer({ db, roots: plansRoots(), log: (m) => process.stderr.write(`[plans] ${m}\n`) });
  await indexer.start();
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`runproof serve: ${sig}: stopping\n`);
      worker?.cancelAll();
      stopSweep();
      // Closing the database last: on PostgreSQL its LISTEN connection would keep the process up.
      void Promise.all([web.close(), worker?.stop(), indexer.stop()])
        .then(() => closeDb())
        .catch((e: Error) => process.stderr.write(`runproof serve: stopping: ${e.message}\n`))
        .then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function cmdDb(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'copy') throw new UsageError(`db takes one subcommand: copy (got ${sub === undefined ? 'none' : JSON.stringify(sub)})`);
  const { values } = parseArgs({ args: rest, options: { to: { type: 'string' }, from: { type: 'string' } } });
  if (!values.to || !isPostgresUrl(values.to)) throw new UsageError('db copy needs --to postgres://user:password@host:5432/database');
  const fromFile = path.resolve(values.from ?? getEnv().dbPath);
  if (!fs.existsSync(fromFile)) {
    process.stderr.write(`runproof: no SQLite database at ${fromFile}\n`);
    return 1;
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const from = await openDb(fromFile);
  const to = await openDb(values.to);
  log(`copying ${shownWhere(from.where)} into ${to.where}`);
  const result = await copyDatabase({
    from,
    to,
    onProgress: (p) => log(`  ${p.table.padEnd(20)} ${String(p.copied).padStart(9)} / ${p.total}`),
  });
  log(`\n  ${'table'.padEnd(20)} ${'sqlite'.padStart(9)} ${'postgres'.padStart(9)} ${'new'.padStart(9)}`);
  for (const t of result.tables)
    log(`  ${t.table.padEnd(20)} ${String(t.source).padStart(9)} ${String(t.target).padStart(9)} ${String(t.inserted).padStart(9)}${t.source === t.target ? '' : '   DIFFERS'}`);
  const rows = result.tables.reduce((n, t) => n + t.source, 0);
  if (result.same) log(`\ncopied: every table holds the same number of rows on both sides (${rows} rows, ${(result.ms / 1000).toFixed(1)} s)`);
  else log('\nthe row counts differ (DIFFERS above): the PostgreSQL database was not empty, or rows were added during the copy; run it again on an empty database');
  await closeDb(values.to);
  await closeDb(fromFile);
  return result.same ? 0 : 1;
}

function cmdLogoutAll(args: string[]): number {
  parseArgs({ args, options: {} });
  const file = rotateSessionSecret();
  process.stdout.write(`Every session has ended: a new session secret is in ${path.relative(process.cwd(), file) || file}. A running server notices it at its next request; everyone logs in again.\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'show':
        return await cmdShow(rest);
      case 'import':
        return await cmdImport(rest);
      case 'serve':
      case 'start':
        return await cmdServe(rest);
      case 'launch':
        return await cmdLaunch(rest);
      case 'worker':
        return await cmdWorker(rest);
      case 'workers':
        return await cmdWorkers(rest);
      case 'profiles':
        return await cmdProfiles(rest);
      case 'plans':
        return cmdPlans(rest);
      case 'db':
        return await cmdDb(rest);
      case 'logout-all':
        return cmdLogoutAll(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command: ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`runproof: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`runproof: ${(e as Error).message}\n`);
    return 1;
  }
}
