/**
 * Runs and their evidence. The only code that touches the run tables.
 */
import { and, asc, desc, eq, getTableColumns, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../client';
import { bundleFiles, checkpoints, checks, epochValues, runs, series, warnings, type NewRun, type Run } from '../schema';
import type { Evidence, RunStatus } from '../../lib/evidence/types';
import { downsampleMinMax } from '../../lib/series/downsample';
import { getRunPlanRows } from './plans';

export interface SeriesInput {
  metric: string;
  length: number;
  steps: ArrayLike<number>;
  epochs: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface SaveRunInput {
  db: Db;
  id: string;
  sourceKey: string;
  origin: 'imported' | 'launched';
  profile?: string | null;
  bundleDir: string;
  contentHash: string;
  evidence: Evidence;
  series: SeriesInput[];
  startedAt?: number | null;
  endedAt?: number | null;
}

/** Points per series that charts get (docs/targets.md: ≤ 2,000 on the wire). */
export const CHART_POINTS = 2000;

/** Per-series rows per INSERT: multi-row VALUES cut statement overhead; 128 × 5 params stays far below SQLite's limit. */
const POINT_BATCH = 128;

/**
 * Bound parameters per statement. SQLite refuses a statement with more than
 * SQLITE_MAX_VARIABLE_NUMBER of them (32,766 in this build, 999 in builds
 * before 3.32): one multi-row INSERT of a run's 4,000 checkpoints or warnings
 * passes it, so every child insert goes in chunks sized under the oldest limit.
 */
export const MAX_STATEMENT_PARAMS = 999;

/** Insert rows in as many statements as the parameter limit needs (each row binds at most one parameter per column). */
export function insertRows<T extends SQLiteTable>(db: Db, table: T, rows: Array<T['$inferInsert']>): void {
  if (!rows.length) return;
  const perRow = Object.keys(getTableColumns(table)).length;
  const per = Math.max(1, Math.floor(MAX_STATEMENT_PARAMS / perRow));
  for (let i = 0; i < rows.length; i += per) db.insert(table).values(rows.slice(i, i + per)).run();
}

function numOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Summary columns derived from the evidence document. */
export function runColumnsFromEvidence(evidence: Evidence): Omit<NewRun, 'id' | 'sourceKey' | 'origin' | 'bundleDir' | 'contentHash' | 'evidenceJson' | 'createdAt' | 'updatedAt'> {
  const count = (s: string) => evidence.checks.filter((c) => c.status === s).length;
  const es = evidence.earlyStop;
  let best: number | null = es?.bestScore ?? null;
  let bestEpoch: number | null = es?.bestEpoch ?? null;
  if (best === null && evidence.monitor) {
    for (const e of evidence.epochs) {
      const v = e.metrics[evidence.monitor.name];
      if (v == null) continue;
      if (best === null || (evidence.monitor.mode === 'min' ? v < best : v > best)) { best = v; bestEpoch = e.epoch; }
    }
  }
  return {
    status: evidence.status,
    title: evidence.title,
    logFile: evidence.bundle.log,
    initiative: evidence.bundle.initiative,
    phase: evidence.bundle.phase,
    durationMs: evidence.runtime ? Math.round(evidence.runtime.realS * 1000) : null,
    epochsRun: evidence.epochs.length || null,
    maxEpochs: evidence.maxEpochs,
    monitor: evidence.monitor?.name ?? null,
    bestValue: best,
    bestEpoch,
    acceleratorRequested: evidence.accelerator.requested,
    acceleratorResolved: evidence.accelerator.resolved,
    checksPass: count('pass'),
    checksFail: count('fail'),
    checksWarn: count('warn'),
    checksSkip: count('skip'),
  };
}

/**
 * Insert or replace a run with all its child rows in one synchronous
 * transaction (better-sqlite3 transactions cannot span awaits). Child rows
 * are deleted and rewritten: evidence is recomputed whole, never patched.
 */
export function saveRun(input: SaveRunInput): void {
  const { db, evidence } = input;
  const client = db.$client;
  const now = Date.now();
  const cols = runColumnsFromEvidence(evidence);
  const insertPoints = new Map<number, ReturnType<typeof client.prepare>>();
  const stmtFor = (n: number) => {
    let s = insertPoints.get(n);
    if (!s) {
      s = client.prepare(`INSERT INTO points (series_id, seq, step, epoch, value) VALUES ${Array.from({ length: n }, () => '(?,?,?,?,?)').join(',')}`);
      insertPoints.set(n, s);
    }
    return s;
  };
  client.transaction(() => {
    deleteRunChildren(db, input.id);
    const existing = db.select({ createdAt: runs.createdAt }).from(runs).where(eq(runs.id, input.id)).get();
    const row: NewRun = {
      id: input.id,
      sourceKey: input.sourceKey,
      origin: input.origin,
      profile: input.profile ?? null,
      bundleDir: input.bundleDir,
      contentHash: input.contentHash,
      evidenceJson: JSON.stringify(evidence),
      startedAt: input.startedAt ?? null,
      endedAt: input.endedAt ?? null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...cols,
    };
    db.insert(runs).values(row).onConflictDoUpdate({ target: runs.id, set: { ...row, createdAt: undefined } }).run();

    insertRows(db, bundleFiles, evidence.files.map((f) => ({ runId: input.id, path: f.path, role: f.role, sizeBytes: f.sizeBytes })));
    const epochRows: Array<typeof epochValues.$inferInsert> = [];
    for (const e of evidence.epochs) for (const [metric, value] of Object.entries(e.metrics)) epochRows.push({ runId: input.id, metric, epoch: e.epoch, step: e.step, value });
    insertRows(db, epochValues, epochRows);
    insertRows(db, checkpoints, checkpointRows(input.id, evidence));
    insertRows(db, warnings, evidence.warnings.map((w, seq) => ({ runId: input.id, seq, category: w.category, message: w.message, file: w.file, line: w.line, count: w.count })));
    insertRows(db, checks, evidence.checks.map((c) => ({ runId: input.id, checkId: c.id, status: c.status, detail: c.detail })));

    for (const s of input.series) {
      const keep = downsampleMinMax(s.steps, s.values, CHART_POINTS);
      const chartJson = JSON.stringify(Array.from(keep, (k) => [s.steps[k], numOrNull(s.values[k])]));
      const seriesId = Number(db.insert(series).values({ runId: input.id, metric: s.metric, points: s.length, chartJson }).returning({ id: series.id }).get().id);
      const full = stmtFor(POINT_BATCH);
      const params = new Array(POINT_BATCH * 5);
      let i = 0;
      for (; i + POINT_BATCH <= s.length; i += POINT_BATCH) {
        for (let j = 0; j < POINT_BATCH; j++) {
          const k = i + j, o = j * 5;
          params[o] = seriesId; params[o + 1] = k; params[o + 2] = s.steps[k]; params[o + 3] = numOrNull(s.epochs[k]); params[o + 4] = numOrNull(s.values[k]);
        }
        full.run(params);
      }
      const rest = s.length - i;
      if (rest > 0) {
        const p: Array<number | null> = [];
        for (let k = i; k < s.length; k++) p.push(seriesId, k, s.steps[k], numOrNull(s.epochs[k]), numOrNull(s.values[k]));
        stmtFor(rest).run(p);
      }
    }
  })();
}

/**
 * The checkpoint inventory as rows: the files found, then the missing ones the
 * replay expected. A name is the key: a listing that names one file twice
 * (two folders, or a listing and the file itself) stores it once.
 */
function checkpointRows(runId: string, evidence: Evidence): Array<typeof checkpoints.$inferInsert> {
  const rows = new Map<string, typeof checkpoints.$inferInsert>();
  for (const c of evidence.checkpoints.found) {
    if (!rows.has(c.name)) rows.set(c.name, { runId, name: c.name, state: 'found', kind: c.kind, epoch: c.epoch, step: c.step, score: c.score, sizeBytes: c.sizeBytes, expected: c.expected });
  }
  const missing = new Set(evidence.checkpoints.missing);
  for (const e of evidence.checkpoints.expected) {
    if (missing.has(e.name) && !rows.has(e.name)) rows.set(e.name, { runId, name: e.name, state: 'missing', kind: e.kind, epoch: e.epoch, step: null, score: e.score, sizeBytes: null, expected: true });
  }
  return [...rows.values()];
}

function deleteRunChildren(db: Db, runId: string): void {
  // points has no foreign key (it would slow bulk inserts); remove through its series.
  db.$client.prepare('DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE run_id = ?)').run(runId);
  for (const t of [series, bundleFiles, epochValues, checkpoints, warnings, checks]) db.delete(t).where(eq(t.runId, runId)).run();
}


export function getRunBySourceKey({ db, sourceKey }: { db: Db; sourceKey: string }): Pick<Run, 'id' | 'contentHash'> | undefined {
  return db.select({ id: runs.id, contentHash: runs.contentHash }).from(runs).where(eq(runs.sourceKey, sourceKey)).get();
}

export function getRun({ db, id }: { db: Db; id: string }): Run | undefined {
  return db.select().from(runs).where(eq(runs.id, id)).get();
}

export function getRunEvidence({ db, id }: { db: Db; id: string }): { run: Run; evidence: Evidence } | null {
  const run = getRun({ db, id });
  if (!run) return null;
  const evidence = JSON.parse(run.evidenceJson) as Evidence;
  evidence.planRows = getRunPlanRows({ db, runId: id });
  return { run, evidence };
}

export interface ListRunsFilter {
  status?: RunStatus | null;
  initiative?: string | null;
  /** Free text over title, bundle path, initiative and monitor. */
  q?: string | null;
  /** `failing`: runs with at least one failed check; `passing`: none failed. */
  verdict?: 'failing' | 'passing' | null;
  page?: number;
  pageSize?: number;
}

export type RunListRow = Omit<Run, 'evidenceJson'>;
const { evidenceJson: _evidence, ...listColumns } = getTableColumns(runs);

/** One page of runs, newest first, filtered and paged in SQL. */
export function listRuns({ db, ...f }: { db: Db } & ListRunsFilter): { rows: RunListRow[]; total: number; page: number; pageSize: number } {
  const pageSize = Math.min(Math.max(f.pageSize ?? 50, 1), 500);
  const page = Math.max(f.page ?? 1, 1);
  const where: SQL[] = [];
  if (f.status) where.push(eq(runs.status, f.status));
  if (f.initiative) where.push(eq(runs.initiative, f.initiative));
  if (f.verdict === 'failing') where.push(sql`${runs.checksFail} > 0`);
  if (f.verdict === 'passing') where.push(sql`${runs.checksFail} = 0`);
  if (f.q) {
    const pat = `%${f.q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    where.push(or(...[runs.title, runs.bundleDir, runs.initiative, runs.monitor].map((col) => sql`${col} LIKE ${pat} ESCAPE '\\'`))!);
  }
  const cond = where.length ? and(...where) : undefined;
  const rows = db
    .select(listColumns)
    .from(runs)
    .where(cond)
    .orderBy(desc(runs.startedAt), desc(runs.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .all() as RunListRow[];
  const total = db.select({ n: sql<number>`count(*)` }).from(runs).where(cond).get()?.n ?? 0;
  return { rows, total, page, pageSize };
}

export function listInitiatives({ db }: { db: Db }): string[] {
  return db
    .selectDistinct({ initiative: runs.initiative })
    .from(runs)
    .where(sql`${runs.initiative} IS NOT NULL`)
    .orderBy(asc(runs.initiative))
    .all()
    .map((r) => r.initiative!);
}


/** Per-step series of a run, raw (the caller downsamples). */
export function getRunSeries({ db, runId }: { db: Db; runId: string }): Array<{ metric: string; steps: Float64Array; values: Float64Array }> {
  const list = db.select().from(series).where(eq(series.runId, runId)).all();
  const stmt = db.$client.prepare('SELECT step, value FROM points WHERE series_id = ? ORDER BY seq').raw(true);
  return list.map((s) => {
    const steps = new Float64Array(s.points);
    const values = new Float64Array(s.points);
    let i = 0;
    for (const r of stmt.iterate(s.id) as Iterable<[number, number | null]>) {
      steps[i] = r[0];
      values[i] = r[1] ?? NaN;
      i++;
    }
    return { metric: s.metric, steps: steps.subarray(0, i), values: values.subarray(0, i) };
  });
}


/** Chart-ready series (≤ 2,000 points each, computed at write time). */
export function getRunSeriesForChart({ db, runId }: { db: Db; runId: string }): Array<{ metric: string; points: number; steps: number[]; values: number[] }> {
  return db
    .select({ metric: series.metric, points: series.points, chartJson: series.chartJson })
    .from(series)
    .where(eq(series.runId, runId))
    .all()
    .map((s) => {
      const pairs = JSON.parse(s.chartJson) as Array<[number, number | null]>;
      return { metric: s.metric, points: s.points, steps: pairs.map((p) => p[0]), values: pairs.map((p) => p[1] ?? NaN) };
    });
}
