/**
 * One launched run, from claim to bundle: spawn the argv in its own process
 * group with stdout and stderr on the bundle's log (one file descriptor, so
 * the kernel keeps their arrival order and the log survives the worker),
 * follow metrics.csv and the checkpoint folder into the database while it
 * runs, stop it on cancel or timeout (TERM to the group, grace, KILL), and on
 * exit archive the bundle and store its evidence.
 */
import { getRunPlanRows, getRunPlanRowsAt } from '../db/queries/plans';
import { judgePlanRowRefs, requestedForLinks } from '../server/plans';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawn } from 'node:child_process';
import type { Db } from '../db/client';
import { appendLivePoints, finishLaunchedRun, getLaunch, recordGitCommit, recordProcessStart, renewLease, settleUnarchivedRun, updateLiveEvidence, type LivePoints } from '../db/queries/launches';
import { getRun } from '../db/queries/runs';
import type { Launch, Run } from '../db/schema';
import { analyseBundleWithSeries, classifyFile, type InputFile } from '../lib/evidence/analyse';
import { renderSummaryMarkdown } from '../lib/evidence/summary';
import type { Evidence, LaunchFacts, RunStatus } from '../lib/evidence/types';
import { formatLsListing } from '../lib/lightning/checkpoints';
import { keepEnds } from '../lib/evidence/caps';
import { formatCommandLine, redactEnv } from '../lib/lightning/command';
import { MetricsCsvAccumulator } from '../lib/lightning/metrics-csv';
import { LOG_PART_BYTES, LOG_WHOLE_BYTES, readBundle, readHeadTail } from '../server/bundles';
import { FileTail } from './tail';
import { createRunCgroup, executableProblem, killRun, removeCgroup, runMarkerEnv, signalRun, wrapInCgroup, type RunProcesses } from './process-group';
import { recheckLaunchPaths } from '../server/launch';
import { findMetricsCsv, findVersionDir, listCheckpoints, renderTree, type CheckpointEntry } from './outputs';

export const LOG_NAME = 'train.log';
/** Checkpoint files the live page lists while a run goes (the first and last half of this many). */
const LIVE_CHECKPOINTS = 200;

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

export interface LiveProgress {
  epochsDone: number;
  maxEpochs: number | null;
  step: number | null;
  last: Record<string, number | null>;
  /** The first and last LIVE_CHECKPOINTS / 2 files found (the page's list stays small however many there are)… */
  checkpoints: Array<{ name: string; sizeBytes: number }>;
  /** …of this many. */
  checkpointCount: number;
  logBytes: number;
  stopping: 'cancel' | 'timeout' | null;
}

/** The commit checked out in the profile's cwd, asked in parallel with the run's start (it is not worth delaying it). */
function gitCommit(cwd: string): Promise<string | null> {
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

/** `planRows`: the row IDs the run is linked to (run_plan_rows, written with the run at launch). */
function factsFrom(launch: Launch, planRows: string[], extra: Partial<LaunchFacts>): LaunchFacts {
  return {
    profile: launch.profile,
    argv: JSON.parse(launch.argvJson),
    cwd: launch.cwd,
    env: redactEnv(JSON.parse(launch.envJson)),
    params: JSON.parse(launch.paramsJson),
    cpuOnly: launch.cpuOnly,
    planRows,
    host: launch.host,
    pid: launch.pid,
    gitCommit: launch.gitCommit,
    queuedAt: launch.queuedAt,
    startedAt: launch.processStartedAt,
    endedAt: null,
    exitCode: null,
    signal: null,
    timeoutSec: Math.round(launch.timeoutMs / 1000),
    cancelRequested: launch.cancelRequestedAt != null,
    note: null,
    ...extra,
  };
}

/**
 * The evidence of a launched run from its files. The live view (status
 * `running`) and the final archive ask the same question with the same
 * options; only the status and the end facts differ.
 */
function analyseLaunched(
  files: InputFile[],
  run: Run,
  facts: LaunchFacts,
  end: { status: RunStatus; exitCode: number | null; signal: string | null; cleanedUp: boolean | null; wallS: number | null; logFile?: string },
  rowRequest: { text: string; source: string } | null = null,
) {
  return analyseBundleWithSeries(files, {
    root: run.bundleDir,
    logFile: end.logFile,
    title: run.title,
    // The request is what a plan row it qualifies for asks for (server/plans.ts requestedForLinks), else the
    // command the form built: facts.env is already redacted, as command.txt is.
    requested: rowRequest ?? { text: formatCommandLine(facts.argv, facts.env), source: 'launch form' },
    launch: { exitCode: end.exitCode, signal: end.signal, cleanedUp: end.cleanedUp, status: end.status, facts, wallS: end.wallS },
  });
}

/**
 * The log as the live view analyses it: whole up to the parse cap, else its
 * head and tail as the importer reads them (server/bundles.ts), so a trainer
 * that prints gigabytes costs each re-analysis a newline scan, not the log in
 * memory.
 */
function readLiveLog(file: string): InputFile {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= LOG_WHOLE_BYTES) return { path: LOG_NAME, sizeBytes: size, text: fs.readFileSync(fd, 'utf8') };
    const cut = readHeadTail(fd, size, LOG_PART_BYTES);
    return { path: LOG_NAME, sizeBytes: size, text: cut.head.toString('utf8'), tail: { text: cut.tail.toString('utf8'), firstLine: cut.tailFirstLine } };
  } finally {
    fs.closeSync(fd);
  }
}

/** Copy what the trainer wrote into the bundle (metrics.csv, hparams.yaml, the tree and the checkpoint listing) and write command.txt. */
function archiveOutputs(launch: Launch, bundleDir: string): void {
  const out = launch.outputDir;
  const version = findVersionDir(out);
  const metrics = findMetricsCsv(out);
  if (metrics) fs.copyFileSync(metrics, path.join(bundleDir, 'metrics.csv'));
  if (version && fs.existsSync(path.join(version, 'hparams.yaml'))) fs.copyFileSync(path.join(version, 'hparams.yaml'), path.join(bundleDir, 'hparams.yaml'));
  const logsRoot = version ? path.dirname(version) : null;
  if (logsRoot && fs.existsSync(logsRoot)) fs.writeFileSync(path.join(bundleDir, 'lightning_tree.txt'), renderTree(logsRoot));
  const ckpts = listCheckpoints(out);
  if (ckpts.length || fs.existsSync(out)) fs.writeFileSync(path.join(bundleDir, 'checkpoints_ls.txt'), formatLsListing(ckpts));
  fs.writeFileSync(path.join(bundleDir, 'command.txt'), `${formatCommandLine(JSON.parse(launch.argvJson), redactEnv(JSON.parse(launch.envJson)))}\n`);
}

export interface FinalizeInput {
  db: Db;
  runId: string;
  token: string;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  note: string | null;
  endedAt: number;
}

/** Sweeps that may try to archive a run whose worker is gone; the one after settles it without the archive. */
export const MAX_ARCHIVE_ATTEMPTS = 3;

/**
 * Write the bundle and store the final evidence. Used by the worker when its
 * child exits and by the sweep for a run whose worker died (status `lost`):
 * either way the partial evidence on disk is kept and shown. Whatever goes
 * wrong while archiving (an unreadable bundle, a write the database refuses),
 * the run still settles — `failed`, with the error — rather than stay
 * `running`. Null when the run is no longer this caller's to settle.
 */
export function finalizeRun(input: FinalizeInput): Evidence | null {
  try {
    return archiveRun(input);
  } catch (e) {
    return settleWithoutArchive(input, `archiving the run failed: ${(e as Error)?.message ?? String(e)}`);
  }
}

/**
 * Settle a run without archiving its bundle: the evidence the live view last
 * stored (or an empty analysis), its checks left unjudged, the error as its
 * first problem and in its note (the page's headline), and the status asked
 * for — except that a run cannot be `succeeded` without its evidence, so that
 * becomes `failed`. A few small writes and no reading of the bundle: what
 * broke the archive cannot break this.
 */
export function settleWithoutArchive(input: FinalizeInput, error: string): Evidence | null {
  const { db, runId } = input;
  const run = getRun({ db, id: runId });
  const launch = getLaunch({ db, runId });
  if (!run || !launch) return null;
  const note = [input.note, error].filter(Boolean).join('; ');
  const facts = factsFrom(launch, getRunPlanRows({ db, runId }).map((r) => r.id), { endedAt: input.endedAt, exitCode: input.exitCode, signal: input.signal, note });
  const status: RunStatus = input.status === 'succeeded' ? 'failed' : input.status;
  let evidence: Evidence;
  try {
    evidence = JSON.parse(run.evidenceJson) as Evidence;
    if (!Array.isArray(evidence.checks) || !Array.isArray(evidence.problems)) throw new Error('not an evidence document');
  } catch {
    evidence = analyseBundleWithSeries([], { root: run.bundleDir, title: run.title }).evidence;
  }
  evidence.status = status;
  evidence.launch = facts;
  if (facts.startedAt) evidence.runtime = { realS: (input.endedAt - facts.startedAt) / 1000, userS: null, sysS: null, source: 'worker' };
  evidence.checks = evidence.checks.map((c) => (c.id === 'exit' ? { id: c.id, status: 'fail', detail: error } : { id: c.id, status: 'skip', detail: 'not judged: the run could not be archived' }));
  if (!evidence.checks.some((c) => c.id === 'exit')) evidence.checks.unshift({ id: 'exit', status: 'fail', detail: error });
  evidence.problems = [{ file: 'runproof', line: null, message: `${error}. The run was settled without its archive: the evidence below is what the live view last stored.` }, ...evidence.problems.slice(0, 100)];
  delete evidence.planRows; // filled in when served
  const ok = settleUnarchivedRun({ db, runId, token: input.token, evidence, exitCode: input.exitCode, signal: input.signal, error: note, endedAt: input.endedAt });
  if (!ok) return null;
  try {
    // The bundle says the same as the page, if it can still be written.
    fs.writeFileSync(path.join(/*turbopackIgnore: true*/ run.bundleDir, 'evidence.json'), `${JSON.stringify(evidence, null, 2)}\n`);
  } catch { /* the bundle folder may be what failed */ }
  return evidence;
}

function archiveRun(input: FinalizeInput): Evidence | null {
  const { db, runId } = input;
  const run = getRun({ db, id: runId });
  const launch = getLaunch({ db, runId });
  if (!run || !launch) return null;
  const bundleDir = run.bundleDir;
  fs.mkdirSync(bundleDir, { recursive: true });
  let note = input.note;
  try {
    archiveOutputs(launch, bundleDir);
  } catch (e) {
    note = [note, `archiving the output folder failed: ${(e as Error).message}`].filter(Boolean).join('; ');
  }
  let cleanedUp: boolean | null = null;
  if (!launch.keepOutput) {
    try {
      fs.rmSync(launch.outputDir, { recursive: true, force: true });
    } catch (e) {
      note = [note, `removing ${launch.outputDir} failed: ${(e as Error).message}`].filter(Boolean).join('; ');
    }
  }
  cleanedUp = !fs.existsSync(launch.outputDir);
  for (const f of ['evidence.json', 'summary.md']) fs.rmSync(path.join(/*turbopackIgnore: true*/ bundleDir, f), { force: true });

  const startedAt = launch.processStartedAt;
  const planRows = getRunPlanRows({ db, runId });
  const facts = factsFrom(launch, planRows.map((r) => r.id), { endedAt: input.endedAt, exitCode: input.exitCode, signal: input.signal, note });
  const read = readBundle(bundleDir);
  // The rows it is linked to: what each asks for sets its knobs check's request and whether it qualifies (summary.md says).
  const rowsAt = getRunPlanRowsAt({ db, runId });
  const identity = { profile: facts.profile, argv: facts.argv };
  const rowRequest = requestedForLinks(rowsAt.map((r) => ({ planPath: r.planPath, rowId: r.ref.id })), identity);
  const { evidence, series } = analyseLaunched(read.files, run, facts, {
    status: input.status,
    exitCode: input.exitCode,
    signal: input.signal,
    cleanedUp,
    wallS: startedAt ? (input.endedAt - startedAt) / 1000 : null,
    logFile: read.files.some((f) => f.path === LOG_NAME) ? LOG_NAME : undefined,
  }, rowRequest);
  evidence.problems = read.problems.concat(evidence.problems);
  evidence.planRows = judgePlanRowRefs(rowsAt.map((r) => r.ref), rowsAt.map((r) => r.planPath), identity);
  // summary.md is rendered from the evidence, so the evidence lists it after the fact; evidence.json is the
  // document itself and is not in its own file list.
  const summary = renderSummaryMarkdown(evidence);
  fs.writeFileSync(path.join(bundleDir, 'summary.md'), summary);
  evidence.files = [...evidence.files, { path: 'summary.md', role: classifyFile('summary.md'), sizeBytes: Buffer.byteLength(summary) }].sort((a, b) => (a.path < b.path ? -1 : 1));
  fs.writeFileSync(path.join(bundleDir, 'evidence.json'), `${JSON.stringify(evidence, null, 2)}\n`);
  const hash = readBundle(bundleDir).hash;
  const ok = finishLaunchedRun({
    db,
    id: runId,
    token: input.token,
    sourceKey: run.sourceKey,
    profile: run.profile,
    bundleDir,
    contentHash: hash,
    evidence,
    series,
    startedAt: startedAt ?? run.startedAt,
    endedAt: input.endedAt,
    exitCode: input.exitCode,
    signal: input.signal,
    error: note,
  });
  return ok ? evidence : null;
}

/** Run a claimed job to the end. Resolves with the status it settled at (or null when the lease was lost to the sweep). */
export async function runJob(opts: JobOptions): Promise<RunStatus | null> {
  const { db, runId, token } = opts;
  const say = opts.log ?? (() => {});
  const run = getRun({ db, id: runId });
  const launch = getLaunch({ db, runId });
  if (!run || !launch) throw new Error(`run ${runId} has no launch record`);
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
  // Path knobs were checked when the run was queued; a symlink swapped since then must not reach the trainer.
  const moved = recheckLaunchPaths(launch);
  if (moved) {
    fs.closeSync(logFd);
    return settleSpawnFailure(opts, moved);
  }
  let child;
  const startedAt = Date.now();
  // The run's own cgroup where the host allows it, and the marker always (workers/process-group.ts): they find
  // what leaves the process group (setsid, setpgid).
  const cgroupDir = createRunCgroup(runId);
  const childEnv = { ...process.env, PYTHONUNBUFFERED: '1', ...envOverrides, ...runMarkerEnv(runId) };
  const spawnFailed = (message: string) => {
    if (cgroupDir) removeCgroup(cgroupDir);
    fs.closeSync(logFd);
    return settleSpawnFailure(opts, `could not start ${argv[0]}: ${message}`);
  };
  try {
    if (!fs.existsSync(launch.cwd)) throw Object.assign(new Error(`working directory ${launch.cwd} does not exist`), { code: 'ENOENT' });
    const missing = cgroupDir ? executableProblem(argv[0], childEnv, launch.cwd) : null;
    if (missing) throw new Error(missing);
    const cmd = cgroupDir ? wrapInCgroup(argv, cgroupDir) : argv;
    child = spawn(cmd[0], cmd.slice(1), {
      cwd: launch.cwd,
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // From here on the child exists: whatever goes wrong, it must not outlive this function unattended.
  let recorded = false;
  try {
    recorded = recordProcessStart({ db, runId, token, pid: pgid, pgidStart: processStartTicks(pgid), host, gitCommit: null, startedAt });
  } catch (e) {
    say(`run ${runId}: recording the process failed: ${(e as Error).message}`);
  }
  if (!recorded) {
    killRun(procs);
    await exited;
    fs.closeSync(logFd);
    return null;
  }
  say(`run ${runId}: started pid ${pgid}${cgroupDir ? ` in cgroup ${cgroupDir}` : ''}: ${argv.join(' ')}`);
  return followChild({ opts, run, launch, argv, envOverrides, logPath, logFd, pgid, procs, startedAt, host, commitPromise, exited });
}

interface Child {
  opts: JobOptions;
  run: Run;
  launch: Launch;
  argv: string[];
  envOverrides: Record<string, string>;
  logPath: string;
  logFd: number;
  pgid: number;
  /** The group, the cgroup and the marker: everything the run started, for stopping it. */
  procs: RunProcesses;
  startedAt: number;
  host: string;
  commitPromise: Promise<string | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Follow a started child to its exit, then archive. */
async function followChild(c: Child): Promise<RunStatus | null> {
  const { opts, run, launch, argv, envOverrides, logPath, logFd, pgid, procs, startedAt, host, exited } = c;
  const { db, runId, token } = opts;
  const say = opts.log ?? (() => {});
  let commit: string | null = null;
  const commitKnown = c.commitPromise.then((sha) => {
    commit = sha;
    if (sha) {
      try { recordGitCommit({ db, runId, token, gitCommit: sha }); } catch (e) { say(`run ${runId}: recording the git commit failed: ${(e as Error).message}`); }
    }
  });
  const bundleDir = run.bundleDir;

  // --- live following -------------------------------------------------------------------
  const acc = new MetricsCsvAccumulator();
  let tail: FileTail | null = null;
  const stored = new Map<string, number>();
  const maxEpochs = Number((JSON.parse(launch.paramsJson) as Record<string, unknown>).max_epochs) || null;
  const live: LiveProgress = { epochsDone: 0, maxEpochs, step: null, last: {}, checkpoints: [], checkpointCount: 0, logBytes: 0, stopping: null };
  let lastCkptKey = '';
  let lastEvidenceAt = 0;
  let lastEpochs = 0;
  let owned = true;

  let ckpts: CheckpointEntry[] = [];
  const planRowIds = getRunPlanRows({ db, runId: run.id }).map((r) => r.id);
  const reanalyse = () => {
    const files: InputFile[] = [];
    try {
      files.push(readLiveLog(logPath));
    } catch { /* not yet */ }
    if (tail) try { files.push({ path: 'metrics.csv', sizeBytes: fs.statSync(tail.file).size, text: fs.readFileSync(tail.file, 'utf8') }); } catch { /* rewritten under us */ }
    const listing = formatLsListing(ckpts);
    files.push({ path: 'checkpoints_ls.txt', sizeBytes: listing.length, text: listing });
    const facts = factsFrom({ ...launch, host, pid: pgid, gitCommit: commit, processStartedAt: startedAt }, planRowIds, {});
    return analyseLaunched(files, run, facts, { status: 'running', exitCode: null, signal: null, cleanedUp: null, wallS: (Date.now() - startedAt) / 1000, logFile: LOG_NAME }).evidence;
  };

  /** `scan`: also walk the output folder for checkpoints (on the poll; a metrics.csv write only needs the tail read). */
  const tick = (scan: boolean) => {
    if (!owned) return;
    let changed = false;
    if (!tail) {
      const m = findMetricsCsv(launch.outputDir);
      if (m) tail = new FileTail(m);
    }
    const points: LivePoints[] = [];
    const lengths = new Map<string, number>();
    if (tail) {
      const chunk = tail.read();
      if (chunk.reset) acc.reset();
      if (chunk.text) acc.push(chunk.text);
      if (chunk.text || chunk.reset) {
        const parsed = acc.result();
        for (const s of parsed.series) {
          const have = stored.get(s.metric) ?? 0;
          lengths.set(s.metric, s.length);
          if (s.length < have) {
            points.push({ metric: s.metric, from: 0, steps: s.steps.subarray(0, s.length), epochs: s.epochs.subarray(0, s.length), values: s.values.subarray(0, s.length), replace: true });
          } else if (s.length > have) {
            points.push({ metric: s.metric, from: have, steps: s.steps.subarray(have, s.length), epochs: s.epochs.subarray(have, s.length), values: s.values.subarray(have, s.length) });
          }
          if (s.length) live.last[s.metric] = Number.isFinite(s.values[s.length - 1]) ? s.values[s.length - 1] : null;
        }
        live.epochsDone = parsed.epochs.length;
        const lastStep = parsed.series.reduce((mx, s) => (s.length ? Math.max(mx, s.steps[s.length - 1]) : mx), -1);
        live.step = lastStep >= 0 ? lastStep : null;
        if (points.length) changed = true;
      }
    }
    if (scan) {
      ckpts = listCheckpoints(launch.outputDir);
      const ckKey = ckpts.map((c) => `${c.name}:${c.sizeBytes}`).join('|');
      if (ckKey !== lastCkptKey) { lastCkptKey = ckKey; live.checkpoints = keepEnds(ckpts, LIVE_CHECKPOINTS).kept.map((c) => ({ name: c.name, sizeBytes: c.sizeBytes })); live.checkpointCount = ckpts.length; changed = true; }
    }
    try {
      const size = fs.statSync(logPath).size;
      if (size !== live.logBytes) { live.logBytes = size; changed = true; }
    } catch { /* log removed? keep going */ }

    if (points.length) {
      if (!appendLivePoints({ db, runId, token, points, live })) owned = false;
      // Only what was committed counts as stored: a failed write is retried from the same index next tick.
      else for (const [m, n] of lengths) stored.set(m, n);
    }
    // The evidence (epoch table, best epoch, checkpoints vs replay) is recomputed per epoch and at most once a
    // second otherwise; it re-reads the log and metrics.csv, so big files space it out (1 s more per MB).
    const now = Date.now();
    const gap = 1000 + live.logBytes / 1000;
    if (owned && changed && ((live.epochsDone !== lastEpochs && now - lastEvidenceAt > gap / 4) || now - lastEvidenceAt > gap)) {
      lastEpochs = live.epochsDone;
      lastEvidenceAt = now;
      if (!updateLiveEvidence({ db, runId, token, evidence: reanalyse(), live })) owned = false;
    }
  };

  let watcher: fs.FSWatcher | null = null;
  let pending = false;
  let lastTickAt = 0;
  // File events come per write (one per metrics row, many per log line); coalesce them to at most one tick per
  // 50 ms so following a run costs the trainer next to nothing, at a latency far below the 1 s goal.
  const soon = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; lastTickAt = Date.now(); safeTick(false); }, Math.max(0, lastTickAt + 50 - Date.now()));
  };
  const safeTick = (scan: boolean) => {
    try { tick(scan); } catch (e) { say(`run ${runId}: live update failed: ${(e as Error).message}`); }
  };
  // Only metrics.csv is watched (a recursive watch of the whole output folder costs the trainer CPU on every
  // write); the poll finds it, sees checkpoints come and go, and re-arms the watch if the file is replaced.
  const watchMetrics = () => {
    if (watcher || !tail) return;
    try {
      watcher = fs.watch(tail.file, soon);
      watcher.on('error', () => { watcher?.close(); watcher = null; });
    } catch { /* not there (yet, or any more): the poll carries on */ }
  };
  const poll = setInterval(() => { safeTick(true); watchMetrics(); }, opts.pollMs);

  // --- heartbeat, cancel, timeout ----------------------------------------------------------
  let stopReason: 'cancel' | 'timeout' | 'lease' | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  /** Processes killed outside the group (setsid escapes), for the note. */
  let escaped = 0;
  const killAll = () => {
    const r = killRun(procs);
    escaped += r.escaped;
    if (r.escaped || r.left.length) say(`run ${runId}: killed ${r.escaped} process(es) that had left its group${r.left.length ? `; still alive: ${r.left.join(', ')}` : ''}`);
  };
  const stop = (why: 'cancel' | 'timeout' | 'lease') => {
    if (stopReason) return;
    stopReason = why;
    live.stopping = why === 'lease' ? null : why;
    say(`run ${runId}: stopping (${why}): SIGTERM to group ${pgid}`);
    if (why === 'lease') { killAll(); return; }
    signalRun(procs, 'SIGTERM');
    killTimer = setTimeout(() => { say(`run ${runId}: grace over, SIGKILL to group ${pgid}`); killAll(); }, opts.graceMs);
  };
  const beat = setInterval(() => {
    try {
      const r = renewLease({ db, runId, token, leaseMs: opts.leaseMs });
      if (!r.owned) { owned = false; stop('lease'); }
      else if (r.cancelRequested) stop('cancel');
    } catch (e) {
      say(`run ${runId}: heartbeat failed: ${(e as Error).message}`);
    }
  }, opts.heartbeatMs);
  const timeout = setTimeout(() => stop('timeout'), launch.timeoutMs);
  const onAbort = () => stop('cancel');
  opts.abort?.addEventListener('abort', onAbort);
  let code: number | null;
  let signal: NodeJS.Signals | null;
  try {
    // A cancel that arrived between claim and spawn.
    if (opts.abort?.aborted || renewLease({ db, runId, token, leaseMs: opts.leaseMs }).cancelRequested) stop('cancel');
    ({ code, signal } = await exited);
  } catch (e) {
    // Never leave the child running unattended.
    killAll();
    await exited;
    throw e;
  } finally {
    clearInterval(beat);
    clearInterval(poll);
    clearTimeout(timeout);
    if (killTimer) clearTimeout(killTimer);
    (watcher as fs.FSWatcher | null)?.close();
    opts.abort?.removeEventListener('abort', onAbort);
    // Whatever the trainer left running (data loader workers, a shell's children, daemons that left the group) goes with it.
    killAll();
  }
  const endedAt = Date.now();
  await commitKnown;
  safeTick(true);
  fs.closeSync(logFd);
  say(`run ${runId}: exited ${code ?? signal}`);
  // Archive only while still holding the run: if the sweep took it meanwhile, the sweeper archives it, not both.
  if (!owned || !renewLease({ db, runId, token, leaseMs: opts.leaseMs }).owned) return null;

  let status: RunStatus;
  let note: string | null = null;
  if (stopReason === 'cancel') { status = 'cancelled'; note = 'cancelled from Runproof: SIGTERM to the process group, SIGKILL after the grace period'; }
  else if (stopReason === 'timeout') { status = 'timed_out'; note = `exceeded the profile's timeout of ${Math.round(launch.timeoutMs / 1000)} s`; }
  else status = code === 0 ? 'succeeded' : 'failed';
  if (escaped) note = [note, `${escaped} process${escaped === 1 ? '' : 'es'} that had left the process group (setsid) killed by the run's ${procs.cgroupDir ? 'cgroup' : 'environment marker'}`].filter(Boolean).join('; ');
  const ev = finalizeRun({ db, runId, token, status, exitCode: code, signal, note, endedAt });
  return ev ? status : null;
}

function settleSpawnFailure(opts: JobOptions, message: string): RunStatus | null {
  const run = getRun({ db: opts.db, id: opts.runId });
  if (run) fs.appendFileSync(path.join(run.bundleDir, LOG_NAME), `runproof: ${message}\n`);
  const ev = finalizeRun({ db: opts.db, runId: opts.runId, token: opts.token, status: 'failed', exitCode: null, signal: null, note: message, endedAt: Date.now() });
  return ev ? 'failed' : null;
}
