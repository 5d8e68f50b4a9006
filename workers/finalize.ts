/**
 * A finished run's output folder into its archived bundle: what the trainer
 * wrote is copied in (metrics.csv, hparams.yaml, the tree and the checkpoint
 * listing, command.txt), the output folder is removed unless kept, the
 * evidence is analysed from the bundle, written as evidence.json and
 * summary.md, and stored with the run's rows under its lease token — the
 * bundle's files with it, in the same transaction (db stored_files: the
 * permalink outlives the folder, which is still written for now).
 *
 * Two callers, one path: the job when its child exits (workers/job.ts) and
 * the sweep for a run whose worker died (workers/sweep.ts, status `lost`).
 * Neither the child process nor the live view is needed here, so the sweep
 * settles a run from what is on disk and in the database alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { finishLaunchedRun, getLaunch, settleUnarchivedRun } from '../db/queries/launches';
import { getRunPlanRows, getRunPlanRowsAt } from '../db/queries/plans';
import { getRun } from '../db/queries/runs';
import type { Launch } from '../db/schema';
import { analyseBundleWithSeries, classifyFile } from '../lib/evidence/analyse';
import { renderSummaryMarkdown } from '../lib/evidence/summary';
import type { Evidence, RunStatus } from '../lib/evidence/types';
import { formatLsListing } from '../lib/lightning/checkpoints';
import { formatCommandLine, redactEnv } from '../lib/lightning/command';
import { parseJsonText } from '../lib/json-text';
import { readBundle } from '../server/bundles';
import { settleWithStoredFiles } from '../db/queries/stored-files';
import { packBuffer, packBundleFiles, storedFileCap } from '../server/stored-files';
import { judgePlanRowRefs, requestedForLinks } from '../server/plans';
import { analyseLaunched, factsFrom, LOG_NAME } from './launch-evidence';
import { findLoggerFiles, findMetricsCsv, findVersionDir, listCheckpoints, renderTree } from './outputs';

/** Copy what the trainer wrote into the bundle (metrics.csv, hparams.yaml, TensorBoard events, runproof.json, the tree and the checkpoint listing) and write command.txt. */
function archiveOutputs(launch: Launch, bundleDir: string): void {
  const out = launch.outputDir;
  const version = findVersionDir(out);
  const metrics = findMetricsCsv(out);
  if (metrics) fs.copyFileSync(metrics, path.join(bundleDir, 'metrics.csv'));
  if (version && fs.existsSync(path.join(version, 'hparams.yaml'))) fs.copyFileSync(path.join(version, 'hparams.yaml'), path.join(bundleDir, 'hparams.yaml'));
  // TensorBoard's events (Lightning's default logger writes no metrics.csv) and the Runproof callback's runproof.json.
  const logger = findLoggerFiles(out);
  for (const f of logger.events) fs.copyFileSync(f, path.join(bundleDir, path.basename(f)));
  if (logger.runproofJson) fs.copyFileSync(logger.runproofJson, path.join(bundleDir, 'runproof.json'));
  const logsRoot = version ? path.dirname(version) : null;
  if (logsRoot && fs.existsSync(logsRoot)) fs.writeFileSync(path.join(bundleDir, 'lightning_tree.txt'), renderTree(logsRoot));
  const ckpts = listCheckpoints(out);
  if (ckpts.length || fs.existsSync(out)) fs.writeFileSync(path.join(bundleDir, 'checkpoints_ls.txt'), formatLsListing(ckpts));
  fs.writeFileSync(path.join(bundleDir, 'command.txt'), `${formatCommandLine(parseJsonText(launch.argvJson), redactEnv(parseJsonText(launch.envJson)))}\n`);
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
export async function finalizeRun(input: FinalizeInput): Promise<Evidence | null> {
  try {
    return await archiveRun(input);
  } catch (e) {
    return settleWithoutArchive(input, `archiving the run failed: ${reason(e)}`);
  }
}

/**
 * What went wrong, for the run's page: drizzle on PostgreSQL wraps a refused
 * statement as "Failed query: <the SQL and its parameters>", with the
 * server's own message as the cause — that message is the one to show.
 */
function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.message.startsWith('Failed query:') && e.cause instanceof Error) return e.cause.message;
  return e.message;
}

/**
 * Settle a run without archiving its bundle: the evidence the live view last
 * stored (or an empty analysis), its checks left unjudged, the error as its
 * first problem and in its note (the page's headline), and the status asked
 * for — except that a run cannot be `succeeded` without its evidence, so that
 * becomes `failed`. A few small writes and no reading of the bundle: what
 * broke the archive cannot break this.
 */
export async function settleWithoutArchive(input: FinalizeInput, error: string): Promise<Evidence | null> {
  const { db, runId } = input;
  const run = await getRun({ db, id: runId });
  const launch = await getLaunch({ db, runId });
  if (!run || !launch) return null;
  const note = [input.note, error].filter(Boolean).join('; ');
  const facts = factsFrom(
    launch,
    (await getRunPlanRows({ db, runId })).map((r) => r.id),
    { endedAt: input.endedAt, exitCode: input.exitCode, signal: input.signal, note },
  );
  const status: RunStatus = input.status === 'succeeded' ? 'failed' : input.status;
  let evidence: Evidence;
  try {
    evidence = parseJsonText(run.evidenceJson);
    if (!Array.isArray(evidence.checks) || !Array.isArray(evidence.problems)) throw new Error('not an evidence document');
  } catch {
    evidence = analyseBundleWithSeries([], { root: run.bundleDir, title: run.title }).evidence;
  }
  evidence.status = status;
  evidence.launch = facts;
  if (facts.startedAt) evidence.runtime = { realS: (input.endedAt - facts.startedAt) / 1000, userS: null, sysS: null, source: 'worker' };
  evidence.checks = evidence.checks.map((c) => (c.id === 'exit' ? { id: c.id, status: 'fail', detail: error } : { id: c.id, status: 'skip', detail: 'not judged: the run could not be archived' }));
  if (!evidence.checks.some((c) => c.id === 'exit')) evidence.checks.unshift({ id: 'exit', status: 'fail', detail: error });
  evidence.problems = [
    { file: 'runproof', line: null, message: `${error}. The run was settled without its archive: the evidence below is what the live view last stored.` },
    ...evidence.problems.slice(0, 100),
  ];
  delete evidence.planRows; // filled in when served
  const ok = await settleUnarchivedRun({ db, runId, token: input.token, evidence, exitCode: input.exitCode, signal: input.signal, error: note, endedAt: input.endedAt });
  if (!ok) return null;
  try {
    // The bundle says the same as the page, if it can still be written.
    fs.writeFileSync(path.join(/*turbopackIgnore: true*/ run.bundleDir, 'evidence.json'), `${JSON.stringify(evidence, null, 2)}\n`);
  } catch {
    /* the bundle folder may be what failed */
  }
  return evidence;
}

async function archiveRun(input: FinalizeInput): Promise<Evidence | null> {
  const { db, runId } = input;
  const run = await getRun({ db, id: runId });
  const launch = await getLaunch({ db, runId });
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
  const planRows = await getRunPlanRows({ db, runId });
  const facts = factsFrom(
    launch,
    planRows.map((r) => r.id),
    { endedAt: input.endedAt, exitCode: input.exitCode, signal: input.signal, note },
  );
  const read = readBundle(bundleDir);
  // The rows it is linked to: what each asks for sets its knobs check's request and whether it qualifies (summary.md says).
  const rowsAt = await getRunPlanRowsAt({ db, runId });
  const identity = { profile: facts.profile, argv: facts.argv };
  const rowRequest = requestedForLinks(
    rowsAt.map((r) => ({ planPath: r.planPath, rowId: r.ref.id })),
    identity,
  );
  const { evidence, series } = analyseLaunched(
    read.files,
    run,
    facts,
    {
      status: input.status,
      exitCode: input.exitCode,
      signal: input.signal,
      cleanedUp,
      wallS: startedAt ? (input.endedAt - startedAt) / 1000 : null,
      logFile: read.files.some((f) => f.path === LOG_NAME) ? LOG_NAME : undefined,
    },
    rowRequest,
  );
  evidence.problems = read.problems.concat(evidence.problems);
  evidence.planRows = judgePlanRowRefs(
    rowsAt.map((r) => r.ref),
    rowsAt.map((r) => r.planPath),
    identity,
  );
  // The bundle's files go into the database with the run (its permalink outlives the folder); what the
  // per-file cap cut or left out is a problem of the run, so it is read before the evidence is written.
  const stored = packBundleFiles({ dir: bundleDir, paths: evidence.files.map((f) => f.path).filter((p) => p !== 'summary.md' && p !== 'evidence.json'), cap: storedFileCap() });
  evidence.problems = evidence.problems.concat(stored.problems);
  // summary.md is rendered from the evidence, so the evidence lists it after the fact; evidence.json is the
  // document itself and is not in its own file list.
  const summary = renderSummaryMarkdown(evidence);
  fs.writeFileSync(path.join(bundleDir, 'summary.md'), summary);
  evidence.files = [...evidence.files, { path: 'summary.md', role: classifyFile('summary.md'), sizeBytes: Buffer.byteLength(summary) }].sort((a, b) => (a.path < b.path ? -1 : 1));
  const evidenceText = `${JSON.stringify(evidence, null, 2)}\n`;
  fs.writeFileSync(path.join(bundleDir, 'evidence.json'), evidenceText);
  // Rendered here and bounded by the evidence caps: stored whole, from memory.
  const files = [...stored.files, packBuffer('summary.md', summary), packBuffer('evidence.json', evidenceText)];
  const hash = readBundle(bundleDir).hash;
  // The settle and the files in one transaction: `tx` is that transaction's database.
  const ok = await settleWithStoredFiles({
    db,
    runId,
    files,
    settle: (tx) =>
      finishLaunchedRun({
        db: tx,
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
      }),
  });
  return ok ? evidence : null;
}
