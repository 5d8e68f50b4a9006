/**
 * Plans, their rows, and the links from runs to rows. The only code that
 * touches the plan tables.
 */
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { affected, type Db } from '../client';
import type { Plan, PlanRowRecord } from '../schema';
import type { Problem } from '../../lib/evidence/types';
import { toJsonText } from '../../lib/json-text';
import type { PlanRow, PlanRowRef } from '../../lib/plans/types';
import { rowFlags, type Flag } from '../../lib/plans/flags';
import { qualify, type RowRequirement } from '../../lib/plans/qualify';

/**
 * What proves the rows of the plan at a path (server/plans.ts `requirementsOf`:
 * the rules file, the guidance, the brief). Without it every linked run
 * counts, as before there were requirements.
 */
export type RequirementsOf = (planPath: string) => Map<string, RowRequirement | null> | null;

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
 * A text column to sort by, in byte order on both databases: SQLite's
 * BINARY collation, and "C" on PostgreSQL (whose default collation follows
 * the server's locale), so pages list plans and rows in the same order.
 */
function byText(db: Db, column: SQLiteColumn): SQL | SQLiteColumn {
  return db.dialect === 'postgres' ? sql`${column} COLLATE "C"` : column;
}

/** Plans in page order: by initiative, then name (the id between plans of the same name). */
function planOrder(db: Db) {
  const { plans } = db.t;
  return [byText(db, plans.initiative), byText(db, plans.display), plans.id];
}

/** Values per `IN (…)` list, well under SQLite's oldest parameter limit (999). */
const IN_BATCH = 400;

/**
 * Insert or refresh plans with all their rows, in one transaction: a plan's
 * rows are replaced whole, so a reader sees the old plan or the new one,
 * never a mix. Unchanged plans (same mtime, size and name) are left alone.
 * Returns how many changed.
 */
export async function upsertPlans({ db, plans: list }: { db: Db; plans: PlanInput[] }): Promise<number> {
  if (!list.length) return 0;
  return db.tx(async (tx) => {
    const { plans, planRows } = tx.t;
    let changed = 0;
    for (const plan of list) {
      const [old] = await tx.orm.select({ mtimeMs: plans.mtimeMs, size: plans.size, display: plans.display }).from(plans).where(eq(plans.id, plan.id)).limit(1);
      if (old && old.mtimeMs === plan.mtimeMs && old.size === plan.size && old.display === plan.display) continue;
      const row = { display: plan.display, initiative: plan.initiative, title: plan.title, mtimeMs: plan.mtimeMs, size: plan.size, problemsJson: toJsonText(plan.problems), indexedAt: Date.now() };
      await tx.orm
        .insert(plans)
        .values({ id: plan.id, path: plan.path, ...row })
        .onConflictDoUpdate({ target: plans.id, set: row });
      await tx.orm.delete(planRows).where(eq(planRows.planId, plan.id));
      const values = plan.rows.map((r, ord) => ({
        planId: plan.id,
        rowId: r.id,
        ord,
        phase: r.phase,
        phaseId: r.phaseId,
        description: r.description,
        state: r.state,
        guidance: r.guidance,
        line: r.line,
        endLine: r.endLine,
      }));
      for (let k = 0; k < values.length; k += ROW_BATCH) await tx.orm.insert(planRows).values(values.slice(k, k + ROW_BATCH));
      changed++;
    }
    return changed;
  });
}

/** Forget plans that are gone from disk. */
export async function removePlans({ db, ids }: { db: Db; ids: string[] }): Promise<number> {
  if (!ids.length) return 0;
  const { plans } = db.t;
  let removed = 0;
  for (let i = 0; i < ids.length; i += IN_BATCH) removed += affected(await db.orm.delete(plans).where(inArray(plans.id, ids.slice(i, i + IN_BATCH))));
  return removed;
}

export async function listPlanFiles({ db }: { db: Db }): Promise<Array<Pick<Plan, 'id' | 'path' | 'mtimeMs' | 'size'>>> {
  const { plans } = db.t;
  return db.orm.select({ id: plans.id, path: plans.path, mtimeMs: plans.mtimeMs, size: plans.size }).from(plans);
}

export interface RunLinkInput {
  planPath: string;
  planDisplay: string;
  rowId: string;
  source: PlanRowRef['source'];
}

/** Replace a run's links to plan rows (in one transaction, joining the caller's when there is one). */
export async function setRunPlanLinks({ db, runId, links }: { db: Db; runId: string; links: RunLinkInput[] }): Promise<void> {
  await db.tx(async (tx) => {
    const { runPlanRows } = tx.t;
    await tx.orm.delete(runPlanRows).where(eq(runPlanRows.runId, runId));
    for (const l of links)
      await tx.orm
        .insert(runPlanRows)
        .values({ runId, ...l })
        .onConflictDoNothing();
  });
}

/** Row IDs per run, for a page of the runs table (one query per 400 runs). */
export async function listRunRowIds({ db, runIds }: { db: Db; runIds: string[] }): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const { runPlanRows } = db.t;
  for (let i = 0; i < runIds.length; i += IN_BATCH)
    for (const r of await db.orm
      .select({ runId: runPlanRows.runId, rowId: runPlanRows.rowId })
      .from(runPlanRows)
      .where(inArray(runPlanRows.runId, runIds.slice(i, i + IN_BATCH)))
      .orderBy(byText(db, runPlanRows.planPath), byText(db, runPlanRows.rowId))) {
      const list = out.get(r.runId) ?? [];
      list.push(r.rowId);
      out.set(r.runId, list);
    }
  return out;
}

/** A run's links with the plan id (for links to row pages), by plan path and row ID; planId is null when the plan is gone. */
export async function getRunPlanLinks({ db, runId }: { db: Db; runId: string }) {
  const { plans, planRows, runPlanRows } = db.t;
  return db.orm
    .select({ planPath: runPlanRows.planPath, plan: runPlanRows.planDisplay, id: runPlanRows.rowId, source: runPlanRows.source, planId: plans.id, state: planRows.state, line: planRows.line })
    .from(runPlanRows)
    .leftJoin(plans, eq(plans.path, runPlanRows.planPath))
    .leftJoin(planRows, and(eq(planRows.planId, plans.id), eq(planRows.rowId, runPlanRows.rowId)))
    .where(eq(runPlanRows.runId, runId))
    .orderBy(byText(db, runPlanRows.planPath), byText(db, runPlanRows.rowId));
}

/** A run's plan rows as the evidence document carries them, resolved against the current index. */
export async function getRunPlanRows({ db, runId }: { db: Db; runId: string }): Promise<PlanRowRef[]> {
  return (await getRunPlanRowsAt({ db, runId })).map((r) => r.ref);
}

/** The same, each with its plan's path on this host (for reading what proves the row; never served). */
export async function getRunPlanRowsAt({ db, runId }: { db: Db; runId: string }): Promise<Array<{ ref: PlanRowRef; planPath: string }>> {
  return (await getRunPlanLinks({ db, runId })).map((r) => ({
    planPath: r.planPath,
    ref: r.state === null ? { plan: r.plan, id: r.id, state: null, line: null, source: r.source, missing: true } : { plan: r.plan, id: r.id, state: r.state, line: r.line, source: r.source },
  }));
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
  /** The argv the run ran (a launch's, else the command its bundle records); null when unknown. */
  argv: string[] | null;
  /** Whether it qualifies for the row it is listed under (lib/plans/qualify.ts), and why not. */
  qualifies: boolean;
  why: string | null;
}

/*
 * The argv a run ran, for judging it against a row: a launch's own argv
 * (launches.argv_json), else the command its bundle records (the evidence's
 * command.argv), as JSON text. COALESCE stops at the first non-null
 * argument, so the evidence is only parsed for imported runs. PostgreSQL
 * reads it as json, not jsonb: json keeps the text as written and takes any
 * escape jsonb refuses (\u0000).
 */
function argvColumn(db: Db) {
  const { launches, runs } = db.t;
  return db.dialect === 'postgres'
    ? sql<string | null>`coalesce(${launches.argvJson}, (${runs.evidenceJson}::json #> '{command,argv}')::text)`
    : sql<string | null>`coalesce(${launches.argvJson}, json_extract(${runs.evidenceJson}, '$.command.argv'))`;
}

/** What a row shows of each linked run (with the link's source and the argv to judge). */
function rowRunColumns(db: Db) {
  const { runs, runPlanRows } = db.t;
  return {
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
    argvJson: argvColumn(db),
  };
}

type RowRunRecord = Omit<RowRun, 'argv' | 'qualifies' | 'why'> & { argvJson: string | null };

function parseArgv(json: string | null): string[] | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

/** A linked run judged against the row's requirement (null: any run qualifies). */
function judged({ argvJson, ...r }: RowRunRecord, req: RowRequirement | null): RowRun {
  const argv = parseArgv(argvJson);
  const q = qualify({ profile: r.profile, argv }, req);
  return { ...r, argv, qualifies: q.qualifies, why: q.why };
}

/** Requirements per plan path, each read once per call. */
function requirementCache(of: RequirementsOf | undefined): (planPath: string, rowId: string) => RowRequirement | null {
  const seen = new Map<string, Map<string, RowRequirement | null> | null>();
  return (planPath, rowId) => {
    if (!of) return null;
    if (!seen.has(planPath)) seen.set(planPath, of(planPath));
    return seen.get(planPath)?.get(rowId) ?? null;
  };
}

/** Newest first: by start time, queued runs (no start yet) by when they were queued. */
function newestFirst(db: Db) {
  const { runs } = db.t;
  return sql`coalesce(${runs.startedAt}, ${runs.createdAt}) DESC, ${byText(db, runs.id)} DESC`;
}

/** Every run link with its run (runs newest first), judged against its row's requirement. */
async function judgedLinks(db: Db, reqOf: (planPath: string, rowId: string) => RowRequirement | null) {
  const { launches, runs, runPlanRows } = db.t;
  const links = await db.orm
    .select({ ...rowRunColumns(db), planPath: runPlanRows.planPath, planDisplay: runPlanRows.planDisplay, rowId: runPlanRows.rowId })
    .from(runPlanRows)
    .innerJoin(runs, eq(runs.id, runPlanRows.runId))
    .leftJoin(launches, eq(launches.runId, runs.id))
    .orderBy(newestFirst(db));
  return links.map((l) => ({ ...judged(l, reqOf(l.planPath, l.rowId)), planPath: l.planPath, planDisplay: l.planDisplay, rowId: l.rowId }));
}

export interface PlanTree {
  plans: Array<Plan & { rows: Array<PlanRowRecord & { runs: RowRun[] }> }>;
  /** Links to rows (or plans) the index no longer has. */
  orphans: Array<RowRun & { planPath: string; planDisplay: string; rowId: string }>;
}

/** Every plan with its rows and, per row, its runs newest first. */
export async function getPlanTree({ db, requirementsOf }: { db: Db; requirementsOf?: RequirementsOf }): Promise<PlanTree> {
  const reqOf = requirementCache(requirementsOf);
  const { plans, planRows } = db.t;
  const allPlans = await db.orm
    .select()
    .from(plans)
    .orderBy(...planOrder(db));
  const rows = await db.orm.select().from(planRows).orderBy(planRows.planId, planRows.ord);
  const links = await judgedLinks(db, reqOf);
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

/**
 * Rows per page of the plans page. A server-rendered row costs its HTML and
 * again its React payload (about 2 KB together), so 100 rows keep a page
 * near 250 KB whatever the plan's size.
 */
export const PLAN_PAGE_SIZE = 100;

export interface PlanPageOptions {
  /** 1-based; out-of-range pages are clamped. Absent: the page holding `planId`/`rowId`, else 1. */
  page?: number | null;
  pageSize?: number;
  /** Only rows with a flag (and only plans that have one). */
  flaggedOnly?: boolean;
  /** Land on the page where this plan starts (or, with rowId, where this row is). */
  planId?: string | null;
  rowId?: string | null;
}

export type PlanPageRow = PlanRowRecord & { runs: RowRun[]; flags: Flag[] };

export interface PlanPagePlan extends Plan {
  /** All rows of the plan, and how many are flagged (whatever the filter). */
  rowCount: number;
  flaggedCount: number;
  /** The plan's rows on this page, in plan order (filtered when flaggedOnly). */
  rows: PlanPageRow[];
  /** The plan starts on this page (its heading, problems and first rows); false for a continuation. */
  starts: boolean;
  /** More of the plan's (matching) rows follow on a later page. */
  continues: boolean;
}

export interface PlanPage {
  page: number;
  pageCount: number;
  pageSize: number;
  planCount: number;
  totalRows: number;
  flaggedRows: number;
  /** Rows the filter keeps (all rows without it). */
  matchingRows: number;
  /** 0-based index (among matching rows) of the first row on this page. */
  firstIndex: number;
  /** Plans with rows (or, row-less, their place) on this page, in order. */
  plans: PlanPagePlan[];
  /** Links to rows the index no longer has: on the first page only (`orphanCount` says how many there are). */
  orphans: PlanTree['orphans'];
  orphanCount: number;
}

/**
 * One page of the plans page: every plan's rows in order (initiative, plan,
 * row), `pageSize` at a time, each with its runs newest first and its flags.
 * Flags need every row's runs, so the keys and states of all rows and the
 * run links are read (small columns, one query each) and judged here; only
 * the page's rows are read whole. A 20,000-row plan is 200 pages of 100
 * rows, not one of 20,000.
 */
export async function getPlanPage({ db, requirementsOf, ...opts }: { db: Db; requirementsOf?: RequirementsOf } & PlanPageOptions): Promise<PlanPage> {
  const reqOf = requirementCache(requirementsOf);
  const pageSize = Math.max(1, Math.min(1000, Math.floor(opts.pageSize ?? PLAN_PAGE_SIZE)));
  const flaggedOnly = !!opts.flaggedOnly;
  const { plans, planRows } = db.t;
  const allPlans = await db.orm
    .select()
    .from(plans)
    .orderBy(...planOrder(db));
  const keys = await db.all<{ planId: string; rowId: string; state: string }>(
    db.dialect === 'postgres'
      ? sql`SELECT r.plan_id AS "planId", r.row_id AS "rowId", r.state AS state FROM plan_rows r JOIN plans p ON p.id = r.plan_id ORDER BY p.initiative COLLATE "C", p.display COLLATE "C", p.id, r.ord`
      : sql`SELECT r.plan_id AS "planId", r.row_id AS "rowId", r.state AS state FROM plan_rows r JOIN plans p ON p.id = r.plan_id ORDER BY p.initiative, p.display, p.id, r.ord`,
  );
  const links = await judgedLinks(db, reqOf);

  const byPath = new Map(allPlans.map((p) => [p.path, p.id]));
  const known = new Set<string>();
  for (const k of keys) known.add(`${k.planId}\0${k.rowId}`);
  const runsOf = new Map<string, RowRun[]>();
  const orphans: PlanTree['orphans'] = [];
  for (const l of links) {
    const planId = byPath.get(l.planPath);
    const key = planId ? `${planId}\0${l.rowId}` : null;
    if (!key || !known.has(key)) {
      orphans.push(l);
      continue;
    }
    const list = runsOf.get(key);
    if (list) list.push(l);
    else runsOf.set(key, [l]);
  }

  // Judge every row; keep the ones the filter wants, in order.
  const perPlan = new Map<string, { rowCount: number; flaggedCount: number; first: number; last: number }>();
  const matching: Array<{ planId: string; rowId: string; runs: RowRun[]; flags: Flag[] }> = [];
  let flaggedRows = 0;
  for (const k of keys) {
    const rowRuns = runsOf.get(`${k.planId}\0${k.rowId}`) ?? [];
    const flags = rowFlags(k.state, rowRuns);
    const stat = perPlan.get(k.planId) ?? { rowCount: 0, flaggedCount: 0, first: -1, last: -1 };
    stat.rowCount++;
    if (flags.length) {
      stat.flaggedCount++;
      flaggedRows++;
    }
    if (!flaggedOnly || flags.length) {
      if (stat.first < 0) stat.first = matching.length;
      stat.last = matching.length;
      matching.push({ planId: k.planId, rowId: k.rowId, runs: rowRuns, flags });
    }
    perPlan.set(k.planId, stat);
  }

  const pageCount = Math.max(1, Math.ceil(matching.length / pageSize));
  // A plan without matching rows keeps its place in the order: on the page of the rows before it.
  const placeOf = new Map<string, number>();
  let seen = 0;
  for (const p of allPlans) {
    const st = perPlan.get(p.id);
    if (st && st.first >= 0) {
      placeOf.set(p.id, st.first);
      seen = st.last + 1;
    } else if (!flaggedOnly) placeOf.set(p.id, Math.max(0, seen - 1));
  }
  const pageAt = (index: number) => Math.min(pageCount, Math.floor(index / pageSize) + 1);
  let page = opts.page && Number.isFinite(opts.page) ? Math.min(pageCount, Math.max(1, Math.floor(opts.page))) : 1;
  if (!opts.page && opts.planId) {
    const at = opts.rowId ? matching.findIndex((m) => m.planId === opts.planId && m.rowId === opts.rowId) : -1;
    const index = at >= 0 ? at : placeOf.get(opts.planId);
    if (index !== undefined) page = pageAt(index);
  }
  const firstIndex = (page - 1) * pageSize;
  const slice = matching.slice(firstIndex, firstIndex + pageSize);

  // The page's rows, read whole, a plan at a time.
  const whole = new Map<string, PlanRowRecord>();
  const idsByPlan = new Map<string, string[]>();
  for (const m of slice) {
    const list = idsByPlan.get(m.planId);
    if (list) list.push(m.rowId);
    else idsByPlan.set(m.planId, [m.rowId]);
  }
  for (const [planId, ids] of idsByPlan)
    for (let i = 0; i < ids.length; i += IN_BATCH)
      for (const r of await db.orm
        .select()
        .from(planRows)
        .where(and(eq(planRows.planId, planId), inArray(planRows.rowId, ids.slice(i, i + IN_BATCH)))))
        whole.set(`${planId}\0${r.rowId}`, r);

  const out: PlanPagePlan[] = [];
  const onPage = new Map<string, PlanPagePlan>();
  for (const p of allPlans) {
    const place = placeOf.get(p.id);
    if (place === undefined) continue;
    const st = perPlan.get(p.id) ?? { rowCount: 0, flaggedCount: 0, first: -1, last: -1 };
    const hasRowsHere = st.first >= 0 && st.first < firstIndex + pageSize && st.last >= firstIndex;
    const placedHere = st.first < 0 && pageAt(place) === page;
    if (!hasRowsHere && !placedHere) continue;
    const entry: PlanPagePlan = { ...p, rowCount: st.rowCount, flaggedCount: st.flaggedCount, rows: [], starts: st.first < 0 || st.first >= firstIndex, continues: st.last >= firstIndex + pageSize };
    out.push(entry);
    onPage.set(p.id, entry);
  }
  for (const m of slice) {
    const r = whole.get(`${m.planId}\0${m.rowId}`);
    if (r) onPage.get(m.planId)?.rows.push({ ...r, runs: m.runs, flags: m.flags });
  }
  return {
    page,
    pageCount,
    pageSize,
    planCount: allPlans.length,
    totalRows: keys.length,
    flaggedRows,
    matchingRows: matching.length,
    firstIndex,
    plans: out,
    orphans: page === 1 ? orphans : [],
    orphanCount: orphans.length,
  };
}

export async function getPlan({ db, id }: { db: Db; id: string }): Promise<(Plan & { rows: PlanRowRecord[] }) | null> {
  const { plans, planRows } = db.t;
  const [plan] = await db.orm.select().from(plans).where(eq(plans.id, id)).limit(1);
  if (!plan) return null;
  return { ...plan, rows: await db.orm.select().from(planRows).where(eq(planRows.planId, id)).orderBy(planRows.ord) };
}

/** One row with its plan and every run that proves it, newest first. */
export async function getPlanRowDetail({
  db,
  planId,
  rowId,
  requirementsOf,
}: {
  db: Db;
  planId: string;
  rowId: string;
  requirementsOf?: RequirementsOf;
}): Promise<{ plan: Plan; row: PlanRowRecord; runs: RowRun[]; requirement: RowRequirement | null } | null> {
  const { plans, planRows, runPlanRows, runs, launches } = db.t;
  const [plan] = await db.orm.select().from(plans).where(eq(plans.id, planId)).limit(1);
  if (!plan) return null;
  const [row] = await db.orm
    .select()
    .from(planRows)
    .where(and(eq(planRows.planId, planId), eq(planRows.rowId, rowId)))
    .limit(1);
  if (!row) return null;
  const requirement = requirementsOf?.(plan.path)?.get(rowId) ?? null;
  const linked = await db.orm
    .select(rowRunColumns(db))
    .from(runPlanRows)
    .innerJoin(runs, eq(runs.id, runPlanRows.runId))
    .leftJoin(launches, eq(launches.runId, runs.id))
    .where(and(eq(runPlanRows.planPath, plan.path), eq(runPlanRows.rowId, rowId)))
    .orderBy(newestFirst(db));
  return { plan, row, runs: linked.map((l) => judged(l, requirement)), requirement };
}

/** Rows for the launch form's picker, plan by plan. */
export async function listPickableRows({
  db,
}: {
  db: Db;
}): Promise<Array<{ planId: string; display: string; initiative: string; rows: Array<Pick<PlanRowRecord, 'rowId' | 'state' | 'description' | 'phase'>> }>> {
  const { plans, planRows } = db.t;
  const tree = await db.orm
    .select({ id: plans.id, display: plans.display, initiative: plans.initiative })
    .from(plans)
    .orderBy(...planOrder(db));
  const rows = await db.orm
    .select({ planId: planRows.planId, rowId: planRows.rowId, state: planRows.state, description: planRows.description, phase: planRows.phase })
    .from(planRows)
    .orderBy(planRows.planId, planRows.ord);
  return tree.map((p) => ({ planId: p.id, display: p.display, initiative: p.initiative, rows: rows.filter((r) => r.planId === p.id) })).filter((p) => p.rows.length);
}

/** Find rows by `ID` or `plan-path#ID` / `plan-id:ID` (CLI and form values). */
export async function resolveRowRefs({ db, refs }: { db: Db; refs: string[] }): Promise<{ links: RunLinkInput[]; errors: string[] }> {
  const { plans, planRows } = db.t;
  const links: RunLinkInput[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    const m = ref.match(/^(.*)[#:]([^#:]+)$/);
    const rowId = m ? m[2] : ref;
    const planKey = m ? m[1] : null;
    const found = (
      await db.orm.select({ path: plans.path, display: plans.display, id: plans.id }).from(planRows).innerJoin(plans, eq(plans.id, planRows.planId)).where(eq(planRows.rowId, rowId))
    ).filter((p) => !planKey || p.id === planKey || p.display === planKey || p.path === planKey || p.display.endsWith(`/${planKey}`));
    if (found.length === 1) links.push({ planPath: found[0].path, planDisplay: found[0].display, rowId, source: 'launch' });
    else if (!found.length) errors.push(`no indexed plan has a row ${ref}`);
    else errors.push(`${rowId} is a row of ${found.length} plans (${found.map((p) => p.display).join(', ')}); name one as <plan>#${rowId}`);
  }
  return { links, errors };
}
