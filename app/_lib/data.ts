/**
 * The web UI's one door to the database: pages, route handlers and server
 * actions read and write through here, and nothing else in app/ opens it
 * (app/web-layer.test.ts checks). Database errors on reads are logged here
 * with their cause; pages and API routes only see a plain message.
 *
 * Readers are wrapped in React's `cache()`, so within one request a page and
 * its generateMetadata (or two components) share one read; outside a render
 * (route handlers, the events stream) they simply read. Nothing here that a
 * page calls writes or kills: runs whose worker died are settled by the
 * sweep on `runproof serve`'s timer (cli/main.ts), never by rendering them.
 */
import { cache } from 'react';
import { openDb, type Db } from '@/db/client';
import { applyPlanPatches, planPatchesForRun } from '@/server/plan-patch';
import { launchRun } from '@/server/launch';
import { deleteRunAndBundle } from '@/server/run-admin';
import { openRunFile, runFilesStored, type RunFile } from '@/server/stored-files';
import { getJudgedRunEvidence, planRequirements, readIndexedPlanText, requirementsOf } from '@/server/plans';
import type { Problem } from '@/lib/evidence/types';
import { getPlan, getPlanPage, getPlanRowDetail, getPlanTree, type PlanPageOptions, getRunPlanLinks, listPickableRows, listPlanFiles, listRunRowIds, resolveRowRefs } from '@/db/queries/plans';
import { getEvidenceJson, getLaunch, getLivePoints, getLiveState, listLiveWorkers, requestCancel } from '@/db/queries/launches';
import { getRun, getRunEvidence, getRunSeriesForChart, hasLiveRuns, listInitiatives, listRuns, setRunName, setRunNotes, setRunsArchived, type ListRunsFilter } from '@/db/queries/runs';
import { getEpochSeries } from '@/db/queries/compare';
import { listWorkerViews } from '@/db/queries/workers';
import { listLiveLog } from '@/db/queries/live-log';
import { LIVE_LOG_TAIL_LINES } from '@/lib/live/log-lines';
import { getEnv } from '@/server/env';
import { parseJsonText } from '@/lib/json-text';
import { placeRun, type Placement, type WorkerView } from '@/lib/workers/match';
import { epochSeriesFromEvidence, type CompareRunInput } from '@/lib/compare/compare';

export class DataUnavailableError extends Error {
  constructor(what: string) {
    super(`Could not read the run database (${what}). Check RUNPROOF_DB and the server log.`);
    this.name = 'DataUnavailableError';
  }
}

async function withDb<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await fn(await openDb());
  } catch (e) {
    console.error(`[runproof] ${what} failed:`, e);
    throw new DataUnavailableError(what);
  }
}

export const loadRuns = cache((filter: ListRunsFilter) => {
  return withDb('listing runs', (db) => listRuns({ db, ...filter }));
});

/** Is any run queued or running? The runs page refreshes itself while one is. */
export const loadHasLiveRuns = cache((): Promise<boolean> => {
  return withDb('listing runs', (db) => hasLiveRuns({ db }));
});

export const loadInitiatives = cache((): Promise<string[]> => {
  return withDb('listing initiatives', (db) => listInitiatives({ db }));
});

/** A run and its evidence; its plan rows judged: does this run qualify for each (lib/plans/qualify.ts). */
export const loadRunEvidence = cache((id: string) => {
  return withDb('reading a run', (db) => getJudgedRunEvidence({ db, id }));
});

export const loadRunSeries = cache((runId: string) => {
  return withDb('reading run metrics', (db) => getRunSeriesForChart({ db, runId }));
});

/**
 * Runs to compare with their per-epoch series, in the order asked; ids that
 * name no run come back in `unknown`. A live run has no `epoch_values` rows
 * until it is archived, so its series comes from its live evidence instead.
 */
export const loadComparison = cache((ids: string[]): Promise<{ runs: Array<CompareRunInput & { startedAt: number | null; name: string | null }>; unknown: string[] }> => {
  return withDb('reading runs to compare', async (db) => {
    const found: Array<{ id: string; got: Awaited<ReturnType<typeof getRunEvidence>> }> = [];
    for (const id of ids) found.push({ id, got: await getRunEvidence({ db, id }) });
    const known = found.flatMap((f) => (f.got ? [f.got] : []));
    const series = await getEpochSeries({ db, runIds: known.map((k) => k.run.id) });
    return {
      runs: known.map(({ run, evidence }) => {
        const s = series[run.id] ?? {};
        return { id: run.id, evidence, startedAt: run.startedAt, name: run.name, series: Object.keys(s).length ? s : epochSeriesFromEvidence(evidence) };
      }),
      unknown: found.filter((f) => !f.got).map((f) => f.id),
    };
  });
});

/** The run row alone (no evidence parsed): the events stream checks it exists and finds its log. */
export const loadRun = cache((id: string) => {
  return withDb('reading a run', (db) => getRun({ db, id }));
});

/**
 * One file of a run for serving: from the database when the run's files are
 * stored there (only the paths stored for it), else from its bundle folder
 * (server/stored-files.ts openRunFile). The caller closes `fd` when set.
 */
export function openRunFileOf(run: { id: string; bundleDir: string }, requested: string | string[]): Promise<RunFile> {
  return withDb('reading a bundle file', (db) => openRunFile({ db, runId: run.id, bundleDir: run.bundleDir, requested }));
}

/** Are the run's files kept in the database? Then its page never says the folder is missing. */
export const loadFilesStored = cache((runId: string): Promise<boolean> => {
  return withDb('reading a run', (db) => runFilesStored({ db, runId }));
});

/**
 * The events stream's reads, polled every tick (not cached: each call must
 * see what the worker wrote since the last).
 */
export const live = {
  state: (runId: string) => withDb('reading live progress', (db) => getLiveState({ db, runId })),
  evidenceJson: (runId: string) => withDb('reading live evidence', (db) => getEvidenceJson({ db, runId })),
  points: (runId: string, after: Record<string, number>) => withDb('reading live points', (db) => getLivePoints({ db, runId, after })),
  /** The live log's lines after seq `after`, or with null its last LIVE_LOG_TAIL_LINES (the page's window). */
  log: (runId: string, after: number | null) => withDb('reading the live log', (db) => listLiveLog({ db, runId, after, tail: LIVE_LOG_TAIL_LINES })),
  /** Workers that heartbeated in the last 15 s: will anyone pick a queued run up? */
  workers: () => withDb('listing workers', async (db) => (await listLiveWorkers({ db, staleMs: 15_000 })).length),
};

/** A launched run's request (profile, knobs, CPU only): "run again with these knobs" starts from it. */
export const loadLaunch = cache((runId: string) => withDb('reading a launch', async (db) => (await getLaunch({ db, runId })) ?? null));

/** Every worker that has registered, with what it can run and how busy it is (online ones first). */
export const loadWorkers = cache((): Promise<WorkerView[]> => {
  return withDb('listing workers', (db) => listWorkerViews({ db, leaseMs: getEnv().RUNPROOF_LEASE_MS }));
});

/**
 * Where a launched run goes or went: the labels it needs, the workers that
 * could take it now and in words where it goes (lib/workers/match.ts), and
 * the worker and host that claimed it. Null for an imported run.
 */
export const loadRunPlacement = cache((runId: string): Promise<{ labels: string[]; workerId: string | null; host: string | null; placement: Placement } | null> => {
  return withDb('reading where a run goes', async (db) => {
    const l = await getLaunch({ db, runId });
    if (!l) return null;
    const labels = parseJsonText(l.labelsJson);
    const placement = placeRun(await listWorkerViews({ db, leaseMs: getEnv().RUNPROOF_LEASE_MS }), { profile: l.profile, labels });
    return { labels, workerId: l.workerId, host: l.host, placement };
  });
});

/** Run ids are short hex strings; anything else is not a run (and never reaches SQL). */
export function isRunId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

// Plans are read as indexed: `runproof serve`'s PlanIndexer keeps the index current (a page render never writes).
export const loadPlanTree = cache(() => {
  return withDb('reading plans', (db) => getPlanTree({ db, requirementsOf }));
});

/** One page of the plans page (rows in order, flags judged over every row). */
export const loadPlanPage = cache((opts: PlanPageOptions) => {
  return withDb('reading plans', (db) => getPlanPage({ db, ...opts, requirementsOf }));
});

export const loadPlan = cache((id: string) => {
  return withDb('reading a plan', (db) => getPlan({ db, id }));
});

export const loadPlanRow = cache((planId: string, rowId: string) => {
  return withDb('reading a plan row', (db) => getPlanRowDetail({ db, planId, rowId, requirementsOf }));
});

export const loadRunPlanLinks = cache((runId: string) => {
  return withDb('reading plan rows of a run', (db) => getRunPlanLinks({ db, runId }));
});

export const loadPickableRows = cache(() => {
  return withDb('listing plan rows', (db) => listPickableRows({ db }));
});

/** Form values (`<plan id>:<row>` or a bare row ID) as picker refs; bare IDs that name one row only. */
export const loadRowRefs = cache(async (refs: string[]): Promise<string[]> => {
  if (!refs.length) return [];
  return withDb('resolving plan rows', async (db) => {
    const byPath = new Map((await listPlanFiles({ db })).map((p) => [p.path, p.id]));
    return (await resolveRowRefs({ db, refs })).links.map((l) => `${byPath.get(l.planPath)}:${l.rowId}`);
  });
});

/** An indexed plan's text, only while its path is still the plain file that was indexed (not a link swapped in since). */
export const loadPlanText = cache((planPath: string): string | null => readIndexedPlanText(planPath));

/** Plan ids are 12 hex digits. */
export function isPlanId(id: string): boolean {
  return /^[0-9a-f]{12}$/.test(id);
}

/** Problems of the rules files (runproof-proves.json) above these plans, each once. */
export const loadRequirementProblems = cache((planPaths: string[]): Problem[] => {
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
});

export const loadRunPlanPatches = cache((runId: string, permalink: string) => {
  return withDb('proposing a plan update', (db) => planPatchesForRun({ db, runId, permalink }));
});

export const loadPlanRowIds = cache((runIds: string[]) => {
  return withDb('reading plan rows of runs', (db) => listRunRowIds({ db, runIds }));
});

/*
 * Writes, for the server actions only (a page render never calls these).
 * Errors pass through: the action's runAction (app/_lib/run-action.ts) logs
 * them and answers with a plain failure.
 */

async function write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  return fn(await openDb());
}

/** Validate and queue a launch (server/launch.ts, shared with the CLI). */
export function launch(request: Parameters<typeof launchRun>[0]['request']) {
  return write((db) => launchRun({ db, request }));
}

/** Ask a run to stop; 'no-run' when the id names no run at all. */
export function cancelRun(runId: string) {
  return write(async (db) => ((await getRun({ db, id: runId })) ? requestCancel({ db, runId }) : ('no-run' as const)));
}

/** Archive (or restore) runs; how many changed. */
export function archiveRuns(ids: string[], archived: boolean): Promise<number> {
  return write((db) => setRunsArchived({ db, ids, archived }));
}

/** A run's name and notes; false when the run is gone. */
export function saveRunMeta(runId: string, name: string, notes: string): Promise<boolean> {
  return write((db) => db.tx(async (tx) => (await setRunName({ db: tx, id: runId, name })) && setRunNotes({ db: tx, id: runId, notes })));
}

/** Delete a run (and a launched run's bundle folder). */
export function deleteRun(runId: string) {
  return write((db) => deleteRunAndBundle({ db, id: runId }));
}

/** Write the proposed plan update into the plan files (server/plan-patch.ts decides what may be written). */
export function applyPlanUpdate(runId: string, permalink: string) {
  return write((db) => applyPlanPatches({ db, runId, permalink }));
}
