/**
 * The web UI's door to the database. Database errors are logged here with
 * their cause; pages and API routes only see a plain message.
 */
import os from 'node:os';
import { openDb, type Db } from '@/db/client';
import { sweepLostRuns } from '@/workers/sweep';
import { getEnv } from '@/server/env';
import { refreshPlansThrottled } from '@/server/plan-index';
import { planPatchesForRun } from '@/server/plan-patch';
import { getJudgedRunEvidence, planRequirements, requirementsOf } from '@/server/plans';
import type { Problem } from '@/lib/evidence/types';
import { getPlan, getPlanPage, getPlanRowDetail, getPlanTree, type PlanPageOptions, getRunPlanLinks, listPickableRows, listPlanFiles, listRunRowIds, resolveRowRefs } from '@/db/queries/plans';
import { getEvidenceJson, getLivePoints, getLiveState, listLiveWorkers } from '@/db/queries/launches';
import { getRun, getRunEvidence, getRunSeriesForChart, hasLiveRuns, listInitiatives, listRuns, type ListRunsFilter } from '@/db/queries/runs';
import { getEpochSeries } from '@/db/queries/compare';
import { epochSeriesFromEvidence, type CompareRunInput } from '@/lib/compare/compare';

export class DataUnavailableError extends Error {
  constructor(what: string) {
    super(`Could not read the run database (${what}). Check RUNPROOF_DB and the server log.`);
    this.name = 'DataUnavailableError';
  }
}

function withDb<T>(what: string, fn: (db: Db) => T): T {
  try {
    return fn(openDb());
  } catch (e) {
    console.error(`[runproof] ${what} failed:`, e);
    throw new DataUnavailableError(what);
  }
}

export function loadRuns(filter: ListRunsFilter) {
  return withDb('listing runs', (db) => listRuns({ db, ...filter }));
}

/** Is any run queued or running? The runs page refreshes itself while one is. */
export function loadHasLiveRuns(): boolean {
  return withDb('listing runs', (db) => hasLiveRuns({ db }));
}

export function loadInitiatives(): string[] {
  return withDb('listing initiatives', (db) => listInitiatives({ db }));
}

/** A run and its evidence; its plan rows judged: does this run qualify for each (lib/plans/qualify.ts). */
export function loadRunEvidence(id: string) {
  return withDb('reading a run', (db) => getJudgedRunEvidence({ db, id }));
}

export function loadRunSeries(runId: string) {
  return withDb('reading run metrics', (db) => getRunSeriesForChart({ db, runId }));
}

/**
 * Runs to compare with their per-epoch series, in the order asked; ids that
 * name no run come back in `unknown`. A live run has no `epoch_values` rows
 * until it is archived, so its series comes from its live evidence instead.
 */
export function loadComparison(ids: string[]): { runs: Array<CompareRunInput & { startedAt: number | null; name: string | null }>; unknown: string[] } {
  return withDb('reading runs to compare', (db) => {
    const found = ids.map((id) => ({ id, got: getRunEvidence({ db, id }) }));
    const known = found.flatMap((f) => (f.got ? [f.got] : []));
    const series = getEpochSeries({ db, runIds: known.map((k) => k.run.id) });
    return {
      runs: known.map(({ run, evidence }) => {
        const s = series[run.id] ?? {};
        return { id: run.id, evidence, startedAt: run.startedAt, name: run.name, series: Object.keys(s).length ? s : epochSeriesFromEvidence(evidence) };
      }),
      unknown: found.filter((f) => !f.got).map((f) => f.id),
    };
  });
}

/** The run row alone (no evidence parsed): the events stream checks it exists and finds its log. */
export function loadRun(id: string) {
  return withDb('reading a run', (db) => getRun({ db, id }));
}

/**
 * The events stream's reads, polled every tick (not cached: each call must
 * see what the worker wrote since the last).
 */
export const live = {
  state: (runId: string) => withDb('reading live progress', (db) => getLiveState({ db, runId })),
  evidenceJson: (runId: string) => withDb('reading live evidence', (db) => getEvidenceJson({ db, runId })),
  points: (runId: string, after: Record<string, number>) => withDb('reading live points', (db) => getLivePoints({ db, runId, after })),
  /** Workers that heartbeated in the last 15 s: will anyone pick a queued run up? */
  workers: () => withDb('listing workers', (db) => listLiveWorkers({ db, staleMs: 15_000 }).length),
};

/** Run ids are short hex strings; anything else is not a run (and never reaches SQL). */
export function isRunId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/**
 * A running run whose lease ran out has lost its worker: settle it here (as
 * `lost`, process group killed, partial evidence archived) rather than show
 * it running forever when no worker is left to sweep.
 */
export function settleIfLost(run: { status: string; leaseExpiresAt: number | null }): boolean {
  if (run.status !== 'running' || run.leaseExpiresAt === null || run.leaseExpiresAt > Date.now()) return false;
  return withDb('settling a lost run', (db) => sweepLostRuns({ db, sweeperId: `web ${os.hostname()}:${process.pid}`, leaseMs: getEnv().RUNPROOF_LEASE_MS, log: (m) => console.warn(`[runproof] ${m}`) }) > 0);
}

/** Plans: the index is refreshed (changed files re-read) at most every 2 s before a plans page reads it. */
function withPlans<T>(what: string, fn: (db: Db) => T): T {
  return withDb(what, (db) => {
    refreshPlansThrottled(db);
    return fn(db);
  });
}

export function loadPlanTree() {
  return withPlans('reading plans', (db) => getPlanTree({ db, requirementsOf }));
}

/** One page of the plans page (rows in order, flags judged over every row). */
export function loadPlanPage(opts: PlanPageOptions) {
  return withPlans('reading plans', (db) => getPlanPage({ db, ...opts, requirementsOf }));
}

export function loadPlan(id: string) {
  return withPlans('reading a plan', (db) => getPlan({ db, id }));
}

export function loadPlanRow(planId: string, rowId: string) {
  return withPlans('reading a plan row', (db) => getPlanRowDetail({ db, planId, rowId, requirementsOf }));
}

export function loadRunPlanLinks(runId: string) {
  return withPlans('reading plan rows of a run', (db) => getRunPlanLinks({ db, runId }));
}

export function loadPickableRows() {
  return withPlans('listing plan rows', (db) => listPickableRows({ db }));
}

/** Form values (`<plan id>:<row>` or a bare row ID) as picker refs; bare IDs that name one row only. */
export function loadRowRefs(refs: string[]): string[] {
  if (!refs.length) return [];
  return withPlans('resolving plan rows', (db) => {
    const byPath = new Map(listPlanFiles({ db }).map((p) => [p.path, p.id]));
    return resolveRowRefs({ db, refs }).links.map((l) => `${byPath.get(l.planPath)}:${l.rowId}`);
  });
}

/** Plan ids are 12 hex digits. */
export function isPlanId(id: string): boolean {
  return /^[0-9a-f]{12}$/.test(id);
}

/** Problems of the rules files (runproof-proves.json) above these plans, each once. */
export function loadRequirementProblems(planPaths: string[]): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const p of planPaths) {
    let problems: Problem[];
    try {
      problems = planRequirements(p).problems;
    } catch (e) {
      console.error(`[runproof] reading what proves the rows of ${p} failed:`, e);
      continue;
    }
    for (const pr of problems) {
      const key = `${pr.file}\0${pr.line}\0${pr.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(pr);
      }
    }
  }
  return out;
}

export function loadRunPlanPatches(runId: string, permalink: string) {
  return withPlans('proposing a plan update', (db) => planPatchesForRun({ db, runId, permalink }));
}

export function loadPlanRowIds(runIds: string[]) {
  return withDb('reading plan rows of runs', (db) => listRunRowIds({ db, runIds }));
}
