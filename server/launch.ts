/**
 * Queue a launch: the one path the form, `runproof launch` and the API share,
 * so all three validate the same way and store the same thing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import type { Launch } from '../db/schema';
import { enqueueRun } from '../db/queries/launches';
import { resolveRowRefs } from '../db/queries/plans';
import { analyseBundle } from '../lib/evidence/analyse';
import type { LaunchFacts } from '../lib/evidence/types';
import { formatCommandLine, redactEnv } from '../lib/lightning/command';
import { launchRequestSchema, type LaunchRequest } from '../lib/profiles/schema';
import { autoRunName } from '../lib/profiles/run-name';
import { unionLabels } from '../lib/workers/labels';
import type { WorkerView } from '../lib/workers/match';
import { whereItRuns, type WhereItRuns } from '../lib/workers/where';
import { listWorkerViews } from '../db/queries/workers';
import { buildCommand, recheckPathParams, type ParamValue } from '../lib/profiles/build';
import { parseJsonText } from '../lib/json-text';
import { getEnv } from './env';
import { configuredProfiles, fsQuestions, getProfile, prepareLaunch, templateContext } from './profiles';

export type LaunchResult =
  | { ok: true; runId: string; argv: string[]; cwd: string; env: Record<string, string>; commandText: string; labels: string[]; where: WhereItRuns }
  | { ok: false; error: string; fieldErrors: Record<string, string> };

function newRunId(): string {
  return crypto.randomBytes(6).toString('hex');
}

export function runDirs(runId: string): { bundleDir: string; outputDir: string } {
  const env = getEnv();
  return { bundleDir: path.resolve(env.root, env.RUNPROOF_BUNDLES_DIR, runId), outputDir: path.resolve(env.root, env.RUNPROOF_WORK_DIR, runId) };
}

type Refused = Extract<LaunchResult, { ok: false }>;

/** A validated launch, ready to queue (or to print, for --dry-run). */
export type PlannedLaunch = Extract<LaunchResult, { ok: true }> & {
  request: ReturnType<typeof launchRequestSchema.parse>;
  title: string;
  /** The run's name to start with: profile and the knobs that differ from its defaults. */
  name: string;
  timeoutMs: number;
  keepOutput: boolean;
};

/** The registered workers as the launch path weighs them (online, or seen recently, with what their hosts can run). */
export function launchWorkers(db: Db, now = Date.now()): Promise<WorkerView[]> {
  return listWorkerViews({ db, leaseMs: getEnv().RUNPROOF_LEASE_MS, now });
}

/**
 * Validate a request against its profile and build the command, with the
 * output folder a run of this id gets. The profile must be available on this
 * host or on a registered worker's (`workers`; none registered: this host
 * decides, lib/workers/where.ts). A profile that will run elsewhere has its
 * knobs checked here for type, range and form, and its path knobs checked
 * against the disk by the worker before it starts the run.
 */
export function planLaunch(raw: unknown, opts: { runId?: string; workers?: readonly WorkerView[]; now?: number } = {}): PlannedLaunch | Refused {
  const runId = opts.runId ?? newRunId();
  const parsed = launchRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const i of parsed.error.issues) fieldErrors[i.path.join('.') || '_'] = i.message;
    return { ok: false, error: 'the launch request is not valid', fieldErrors };
  }
  const req = parsed.data;
  const entry = getProfile(req.profile);
  if (!entry) return { ok: false, error: `unknown profile ${req.profile}`, fieldErrors: { profile: 'unknown profile' } };
  const labels = unionLabels(entry.profile.requires.labels, req.labels);
  const where = whereItRuns({ profile: req.profile, labels, local: entry, workers: opts.workers ?? [], now: opts.now ?? Date.now() });
  if (!where.ok) {
    const error = opts.workers?.length
      ? `profile ${req.profile} cannot run anywhere: ${where.verdicts.map((v) => `${v.where}: ${v.reason}`).join('; ')}`
      : `profile ${req.profile} is not available here: ${entry.reason}`;
    return { ok: false, error, fieldErrors: { profile: opts.workers?.length ? where.sentence : (entry.reason ?? 'not available') } };
  }
  const { outputDir } = runDirs(runId);
  // This host's disk answers path questions only for a profile that can run here.
  const prepared = prepareLaunch(entry, req.params as Record<string, ParamValue>, { cpuOnly: req.cpuOnly, outputDir, checkPaths: where.local });
  if (!prepared.validated.ok || !prepared.command) {
    const n = Object.keys(prepared.validated.errors).length;
    return {
      ok: false,
      error: `${n} knob${n === 1 ? '' : 's'} not valid: ${Object.entries(prepared.validated.errors)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}`,
      fieldErrors: prepared.validated.errors,
    };
  }
  const c = prepared.command;
  const rows = req.planRows.length ? ` · ${req.planRows.map((r) => r.replace(/^.*[#:]/, '')).join(', ')}` : '';
  return {
    ok: true,
    runId,
    argv: c.argv,
    cwd: c.cwd,
    env: c.env,
    commandText: formatCommandLine(c.argv, redactEnv(c.env)),
    // What a worker must carry to take it: the profile's labels and the launch's.
    labels,
    where,
    request: { ...req, params: prepared.validated.values },
    title: `${entry.profile.name} smoke run${rows}`,
    name: autoRunName(entry.profile, prepared.validated.values, { cpuOnly: req.cpuOnly }),
    timeoutMs: entry.profile.timeoutSec * 1000,
    keepOutput: entry.profile.keepOutput,
  };
}

/** Validate and queue. The worker picks the run up; nothing is executed here. */
export async function launchRun({ db, request, now = Date.now() }: { db: Db; request: LaunchRequest | unknown; now?: number }): Promise<LaunchResult> {
  const plan = planLaunch(request, { workers: await launchWorkers(db, now), now });
  if (!plan.ok) return plan;
  const { bundleDir, outputDir } = runDirs(plan.runId);
  const req = plan.request;
  // Only rows the plan index has: a run is linked to a real row or refused.
  const rows = await resolveRowRefs({ db, refs: req.planRows });
  if (rows.errors.length) return { ok: false, error: rows.errors.join('; '), fieldErrors: { planRows: rows.errors.join('; ') } };
  const rowIds = rows.links.map((l) => l.rowId);
  const facts: LaunchFacts = {
    profile: req.profile,
    argv: plan.argv,
    cwd: plan.cwd,
    env: redactEnv(plan.env),
    params: req.params,
    cpuOnly: req.cpuOnly,
    planRows: rowIds,
    host: null,
    pid: null,
    gitCommit: null,
    queuedAt: now,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    timeoutSec: Math.round(plan.timeoutMs / 1000),
    cancelRequested: false,
    note: null,
  };
  const evidence = analyseBundle([], {
    root: bundleDir,
    title: plan.title,
    requested: { text: plan.commandText, source: 'launch form' },
    launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued', facts },
  });
  await enqueueRun({
    db,
    id: plan.runId,
    profile: req.profile,
    title: plan.title,
    name: plan.name,
    bundleDir,
    params: req.params,
    cpuOnly: req.cpuOnly,
    planLinks: rows.links,
    argv: plan.argv,
    cwd: plan.cwd,
    env: plan.env,
    outputDir,
    keepOutput: plan.keepOutput,
    timeoutMs: plan.timeoutMs,
    labels: plan.labels,
    evidence,
    now,
  });
  return { ok: true, runId: plan.runId, argv: plan.argv, cwd: plan.cwd, env: plan.env, commandText: plan.commandText, labels: plan.labels, where: plan.where };
}

/** The command a worker runs for a queued launch, as its own host resolves it, or why it may not start. */
export type CommandHere = { ok: true; argv: string[]; cwd: string; env: Record<string, string>; rebuilt: boolean } | { ok: false; problem: string };

/**
 * A queued launch as this host (the worker's, right before it spawns) runs
 * it. The launch was validated and built on the web server, whose host may
 * not be this one: the profile's templates (`{env:NAME}` in its cwd,
 * `{python}`, `{runproof_root}`) are resolved again here from the stored,
 * validated knobs, and `rebuilt` says the command differs from the queued one
 * (the worker records the one it runs). The path knobs are checked again
 * against this disk: it may have changed since the launch was validated (a
 * symlink swapped to point outside the allowed roots, a folder removed), and
 * a launch queued for another host was never checked against it. The
 * availability probe is not run again (the claim only takes runs of profiles
 * available here).
 */
export function launchCommandHere(launch: Pick<Launch, 'profile' | 'paramsJson' | 'cwd' | 'argvJson' | 'envJson' | 'cpuOnly' | 'outputDir'>): CommandHere {
  const ctx = templateContext();
  let profiles;
  try {
    profiles = configuredProfiles(ctx);
  } catch (e) {
    return { ok: false, problem: `the profiles cannot be read, so the path knobs cannot be checked again: ${(e as Error).message}` };
  }
  const entry = profiles.find((p) => p.profile.name === launch.profile);
  if (!entry) return { ok: false, problem: `profile ${launch.profile} is no longer configured, so its path knobs cannot be checked again` };
  const values = parseJsonText(launch.paramsJson);
  const built = buildCommand(entry.profile, values, { ...ctx, outputDir: launch.outputDir, cpuOnly: launch.cpuOnly });
  if (!fs.existsSync(built.cwd)) return { ok: false, problem: `working directory ${built.cwd} does not exist on this host (the run was not started)` };
  const problems = recheckPathParams(entry.profile, values, built.cwd, fsQuestions);
  if (problems.length) return { ok: false, problem: `${problems.join('; ')} (checked again before starting; the run was not started)` };
  const rebuilt =
    built.cwd !== launch.cwd || JSON.stringify(built.argv) !== JSON.stringify(parseJsonText(launch.argvJson)) || JSON.stringify(built.env) !== JSON.stringify(parseJsonText(launch.envJson));
  return { ok: true, ...built, rebuilt };
}
