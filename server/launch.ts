/**
 * Queue a launch: the one path the form, `runproof launch` and the API share,
 * so all three validate the same way and store the same thing.
 */
import crypto from 'node:crypto';
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
import { recheckPathParams, type ParamValue } from '../lib/profiles/build';
import { parseJsonText } from '../lib/json-text';
import { getEnv } from './env';
import { configuredProfiles, fsQuestions, getProfile, prepareLaunch, templateContext } from './profiles';

export type LaunchResult =
  | { ok: true; runId: string; argv: string[]; cwd: string; env: Record<string, string>; commandText: string; labels: string[] }
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

/** Validate a request against its profile and build the command, with the output folder a run of this id gets. */
export function planLaunch(raw: unknown, runId: string = newRunId()): PlannedLaunch | Refused {
  const parsed = launchRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const i of parsed.error.issues) fieldErrors[i.path.join('.') || '_'] = i.message;
    return { ok: false, error: 'the launch request is not valid', fieldErrors };
  }
  const req = parsed.data;
  const entry = getProfile(req.profile);
  if (!entry) return { ok: false, error: `unknown profile ${req.profile}`, fieldErrors: { profile: 'unknown profile' } };
  if (!entry.available) return { ok: false, error: `profile ${req.profile} is not available here: ${entry.reason}`, fieldErrors: { profile: entry.reason ?? 'not available' } };
  const { outputDir } = runDirs(runId);
  const prepared = prepareLaunch(entry, req.params as Record<string, ParamValue>, { cpuOnly: req.cpuOnly, outputDir });
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
    labels: unionLabels(entry.profile.requires.labels, req.labels),
    request: { ...req, params: prepared.validated.values },
    title: `${entry.profile.name} smoke run${rows}`,
    name: autoRunName(entry.profile, prepared.validated.values, { cpuOnly: req.cpuOnly }),
    timeoutMs: entry.profile.timeoutSec * 1000,
    keepOutput: entry.profile.keepOutput,
  };
}

/** Validate and queue. The worker picks the run up; nothing is executed here. */
export function launchRun({ db, request, now = Date.now() }: { db: Db; request: LaunchRequest | unknown; now?: number }): LaunchResult {
  const plan = planLaunch(request);
  if (!plan.ok) return plan;
  const { bundleDir, outputDir } = runDirs(plan.runId);
  const req = plan.request;
  // Only rows the plan index has: a run is linked to a real row or refused.
  const rows = resolveRowRefs({ db, refs: req.planRows });
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
  enqueueRun({
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
  return { ok: true, runId: plan.runId, argv: plan.argv, cwd: plan.cwd, env: plan.env, commandText: plan.commandText, labels: plan.labels };
}

/**
 * A queued launch's path knobs checked again right before its process starts
 * (the worker calls this): the file system may have changed since the launch
 * was validated — a symlink swapped to point outside the allowed roots, a
 * folder removed. Null when the run may start, else why it may not. The
 * availability probe is not run again (the run was accepted; only its paths
 * can have moved).
 */
export function recheckLaunchPaths(launch: Pick<Launch, 'profile' | 'paramsJson' | 'cwd'>): string | null {
  let profiles;
  try {
    profiles = configuredProfiles(templateContext());
  } catch (e) {
    return `the profiles cannot be read, so the path knobs cannot be checked again: ${(e as Error).message}`;
  }
  const entry = profiles.find((p) => p.profile.name === launch.profile);
  if (!entry) return `profile ${launch.profile} is no longer configured, so its path knobs cannot be checked again`;
  const problems = recheckPathParams(entry.profile, parseJsonText(launch.paramsJson), launch.cwd, fsQuestions);
  return problems.length ? `${problems.join('; ')} (checked again before starting; the run was not started)` : null;
}
