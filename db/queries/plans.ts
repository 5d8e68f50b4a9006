/**
 * Plans, their rows, and the links from runs to rows. The only code that
 * touches the plan tables.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { planRows, plans, runPlanRows, runs, type Plan, type PlanRowRecord } from '../schema';
import type { Problem } from '../../lib/evidence/types';
import type { PlanRow, PlanRowRef } from '../../lib/plans/types';

export interface PlanInput {
  id: string;
  path: string;
  display: string;
  initiative: string;
  title: string | null;
  mtimeMs: number;
  size: number;
  rows: PlanRow[];
  problems: Problem[];
}

/** Rows per INSERT (10 columns each, far below SQLite's parameter limit). */
const ROW_BATCH = 64;

/**
 * Insert or refresh plans with all their rows, in one transaction; unchanged
 * plans (same mtime, size and name) are left alone. Returns how many changed.
 */
export function upsertPlans({ db, plans: list }: { db: Db; plans: PlanInput[] }): number {
  if (!list.length) return 0;
  return db.transaction((tx) => {
    let changed = 0;
    for (const plan of list) {
      const old = tx.select({ mtimeMs: plans.mtimeMs, size: plans.size, display: plans.display }).from(plans).where(eq(plans.id, plan.id)).get();
      if (old && old.mtimeMs === plan.mtimeMs && old.size === plan.size && old.display === plan.display) continue;
      const row = { display: plan.display, initiative: plan.initiative, title: plan.title, mtimeMs: plan.mtimeMs, size: plan.size, problemsJson: JSON.stringify(plan.problems), indexedAt: Date.now() };
      tx.insert(plans).values({ id: plan.id, path: plan.path, ...row }).onConflictDoUpdate({ target: plans.id, set: row }).run();
      tx.delete(planRows).where(eq(planRows.planId, plan.id)).run();
      const values = plan.rows.map((r, ord) => ({ planId: plan.id, rowId: r.id, ord, phase: r.phase, phaseId: r.phaseId, description: r.description, state: r.state, guidance: r.guidance, line: r.line, endLine: r.endLine }));
      for (let k = 0; k < values.length; k += ROW_BATCH) tx.insert(planRows).values(values.slice(k, k + ROW_BATCH)).run();
      changed++;
    }
    return changed;
  }, { behavior: 'immediate' });
}


/** Forget plans that are gone from disk. */
export function removePlans({ db, ids }: { db: Db; ids: string[] }): number {
  if (!ids.length) return 0;
  return db.delete(plans).where(inArray(plans.id, ids)).run().changes;
}

export function listPlanFiles({ db }: { db: Db }): Array<Pick<Plan, 'id' | 'path' | 'mtimeMs' | 'size'>> {
  return db.select({ id: plans.id, path: plans.path, mtimeMs: plans.mtimeMs, size: plans.size }).from(plans).all();
}

export interface RunLinkInput {
  planPath: string;
  planDisplay: string;
  rowId: string;
  source: PlanRowRef['source'];
}

/** Replace a run's links to plan rows. */
export function setRunPlanLinks({ db, runId, links }: { db: Db; runId: string; links: RunLinkInput[] }): void {
  db.transaction((tx) => {
    tx.delete(runPlanRows).where(eq(runPlanRows.runId, runId)).run();
    for (const l of links) tx.insert(runPlanRows).values({ runId, ...l }).onConflictDoNothing().run();
  }, { behavior: 'immediate' });
}

/** Row IDs per run, for a page of the runs table (one query). */
export function listRunRowIds({ db, runIds }: { db: Db; runIds: string[] }): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!runIds.length) return out;
  for (const r of db.select({ runId: runPlanRows.runId, rowId: runPlanRows.rowId }).from(runPlanRows).where(inArray(runPlanRows.runId, runIds)).all()) {
    const list = out.get(r.runId) ?? [];
    list.push(r.rowId);
    out.set(r.runId, list);
  }
  return out;
}

/** A run's links with the plan id (for links to row pages); planId is null when the plan is gone. */
export function getRunPlanLinks({ db, runId }: { db: Db; runId: string }) {
  return db
    .select({ planPath: runPlanRows.planPath, plan: runPlanRows.planDisplay, id: runPlanRows.rowId, source: runPlanRows.source, planId: plans.id, state: planRows.state, line: planRows.line })
    .from(runPlanRows)
    .leftJoin(plans, eq(plans.path, runPlanRows.planPath))
    .leftJoin(planRows, and(eq(planRows.planId, plans.id), eq(planRows.rowId, runPlanRows.rowId)))
    .where(eq(runPlanRows.runId, runId))
    .all();
}

/** A run's plan rows as the evidence document carries them, resolved against the current index. */
export function getRunPlanRows({ db, runId }: { db: Db; runId: string }): PlanRowRef[] {
  return getRunPlanLinks({ db, runId }).map((r) =>
    r.state === null ? { plan: r.plan, id: r.id, state: null, line: null, source: r.source, missing: true } : { plan: r.plan, id: r.id, state: r.state, line: r.line, source: r.source },
  );
}

/** The run facts a row shows for each run that proves it. */
export interface RowRun {
  runId: string;
  title: string;
  status: string;
  origin: string;
  profile: string | null;
  startedAt: number | null;
  createdAt: number;
  checksPass: number;
  checksFail: number;
  checksWarn: number;
  checksSkip: number;
  source: string;
}

const rowRunColumns = {
  runId: runs.id,
  title: runs.title,
  status: runs.status,
  origin: runs.origin,
  profile: runs.profile,
  startedAt: runs.startedAt,
  createdAt: runs.createdAt,
  checksPass: runs.checksPass,
  checksFail: runs.checksFail,
  checksWarn: runs.checksWarn,
  checksSkip: runs.checksSkip,
  source: runPlanRows.source,
};

/** Newest first: by start time, queued runs (no start yet) by when they were queued. */
const newestFirst = sql`coalesce(${runs.startedAt}, ${runs.createdAt}) DESC, ${runs.id} DESC`;

export interface PlanTree {
  plans: Array<Plan & { rows: Array<PlanRowRecord & { runs: RowRun[] }> }>;
  /** Links to rows (or plans) the index no longer has. */
  orphans: Array<RowRun & { planPath: string; planDisplay: string; rowId: string }>;
}

/** Every plan with its rows and, per row, its runs newest first. */
export function getPlanTree({ db }: { db: Db }): PlanTree {
  const allPlans = db.select().from(plans).orderBy(plans.initiative, plans.display).all();
  const rows = db.select().from(planRows).orderBy(planRows.planId, planRows.ord).all();
  const links = db
    .select({ ...rowRunColumns, planPath: runPlanRows.planPath, planDisplay: runPlanRows.planDisplay, rowId: runPlanRows.rowId })
    .from(runPlanRows)
    .innerJoin(runs, eq(runs.id, runPlanRows.runId))
    .orderBy(newestFirst)
    .all();
  const byPlan = new Map(allPlans.map((p) => [p.id, { ...p, rows: [] as Array<PlanRowRecord & { runs: RowRun[] }> }]));
  const byPath = new Map(allPlans.map((p) => [p.path, p.id]));
  const rowIndex = new Map<string, PlanRowRecord & { runs: RowRun[] }>();
  for (const r of rows) {
    const withRuns = { ...r, runs: [] as RowRun[] };
    byPlan.get(r.planId)?.rows.push(withRuns);
    rowIndex.set(`${r.planId}\0${r.rowId}`, withRuns);
  }
  const orphans: PlanTree['orphans'] = [];
  for (const l of links) {
    const planId = byPath.get(l.planPath);
    const row = planId ? rowIndex.get(`${planId}\0${l.rowId}`) : undefined;
    if (row) row.runs.push(l);
    else orphans.push(l);
  }
  return { plans: [...byPlan.values()], orphans };
}

export function getPlan({ db, id }: { db: Db; id: string }): (Plan & { rows: PlanRowRecord[] }) | null {
  const plan = db.select().from(plans).where(eq(plans.id, id)).get();
  if (!plan) return null;
  return { ...plan, rows: db.select().from(planRows).where(eq(planRows.planId, id)).orderBy(planRows.ord).all() };
}

/** One row with its plan and every run that proves it, newest first. */
export function getPlanRowDetail({ db, planId, rowId }: { db: Db; planId: string; rowId: string }): { plan: Plan; row: PlanRowRecord; runs: RowRun[] } | null {
  const plan = db.select().from(plans).where(eq(plans.id, planId)).get();
  if (!plan) return null;
  const row = db.select().from(planRows).where(and(eq(planRows.planId, planId), eq(planRows.rowId, rowId))).get();
  if (!row) return null;
  const linked = db
    .select(rowRunColumns)
    .from(runPlanRows)
    .innerJoin(runs, eq(runs.id, runPlanRows.runId))
    .where(and(eq(runPlanRows.planPath, plan.path), eq(runPlanRows.rowId, rowId)))
    .orderBy(newestFirst)
    .all();
  return { plan, row, runs: linked };
}

/** Rows for the launch form's picker, plan by plan. */
export function listPickableRows({ db }: { db: Db }): Array<{ planId: string; display: string; initiative: string; rows: Array<Pick<PlanRowRecord, 'rowId' | 'state' | 'description' | 'phase'>> }> {
  const tree = db.select({ id: plans.id, display: plans.display, initiative: plans.initiative }).from(plans).orderBy(plans.initiative, plans.display).all();
  const rows = db.select({ planId: planRows.planId, rowId: planRows.rowId, state: planRows.state, description: planRows.description, phase: planRows.phase }).from(planRows).orderBy(planRows.planId, planRows.ord).all();
  return tree.map((p) => ({ planId: p.id, display: p.display, initiative: p.initiative, rows: rows.filter((r) => r.planId === p.id) })).filter((p) => p.rows.length);
}

/** Find rows by `ID` or `plan-path#ID` / `plan-id:ID` (CLI and form values). */
export function resolveRowRefs({ db, refs }: { db: Db; refs: string[] }): { links: RunLinkInput[]; errors: string[] } {
  const links: RunLinkInput[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    const m = ref.match(/^(.*)[#:]([^#:]+)$/);
    const rowId = m ? m[2] : ref;
    const planKey = m ? m[1] : null;
    const found = db
      .select({ path: plans.path, display: plans.display, id: plans.id })
      .from(planRows)
      .innerJoin(plans, eq(plans.id, planRows.planId))
      .where(eq(planRows.rowId, rowId))
      .all()
      .filter((p) => !planKey || p.id === planKey || p.display === planKey || p.path === planKey || p.display.endsWith(`/${planKey}`));
    if (found.length === 1) links.push({ planPath: found[0].path, planDisplay: found[0].display, rowId, source: 'launch' });
    else if (!found.length) errors.push(`no indexed plan has a row ${ref}`);
    else errors.push(`${rowId} is a row of ${found.length} plans (${found.map((p) => p.display).join(', ')}); name one as <plan>#${rowId}`);
  }
  return { links, errors };
}
