/**
 * Runs and their evidence. The only code that touches the run tables.
 */
import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type Database from 'better-sqlite3';
import { affected, type Db } from '../client';
import { type checkpoints, VERDICT_RANK_SQL, type NewRun, type Run } from '../schema';
import type { Evidence, RunStatus } from '../../lib/evidence/types';
import { VERDICT_RANK, verdictOf, verdictSql, type Verdict } from '../../lib/evidence/verdict';
import { parseJsonText, toJsonText } from '../../lib/json-text';
import type { ChartPairs } from '../../lib/series/chart-data';
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

/** Points per series that charts get (docs/architecture.md, Storage: ≤ 2,000 on the wire). */
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
export async function insertRows<T extends SQLiteTable>(db: Db, table: T, rows: Array<T['$inferInsert']>): Promise<void> {
  if (!rows.length) return;
  const perRow = Object.keys(getTableColumns(table)).length;
  const per = Math.max(1, Math.floor(MAX_STATEMENT_PARAMS / perRow));
  for (let i = 0; i < rows.length; i += per) await db.orm.insert(table).values(rows.slice(i, i + per));
}

function numOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Summary columns derived from the evidence document. */
export function runColumnsFromEvidence(
  evidence: Evidence,
): Omit<NewRun, 'id' | 'sourceKey' | 'origin' | 'bundleDir' | 'contentHash' | 'evidenceJson' | 'createdAt' | 'updatedAt' | 'name' | 'notes' | 'archivedAt'> {
  const count = (s: string) => evidence.checks.filter((c) => c.status === s).length;
  const checksFail = count('fail');
  const checksPass = count('pass');
  const es = evidence.earlyStop;
  let best: number | null = es?.bestScore ?? null;
  let bestEpoch: number | null = es?.bestEpoch ?? null;
  if (best === null && evidence.monitor) {
    for (const e of evidence.epochs) {
      const v = e.metrics[evidence.monitor.name];
      if (v == null) continue;
      if (best === null || (evidence.monitor.mode === 'min' ? v < best : v > best)) {
        best = v;
        bestEpoch = e.epoch;
      }
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
    checksPass,
    checksFail,
    checksWarn: count('warn'),
    checksSkip: count('skip'),
    verdict: verdictOf({ status: evidence.status, checksFail, checksPass }),
  };
}

/** The run columns the search line is made of. */
export type SearchFields = Pick<
  Run,
  'id' | 'title' | 'name' | 'notes' | 'profile' | 'origin' | 'bundleDir' | 'logFile' | 'initiative' | 'phase' | 'monitor' | 'acceleratorRequested' | 'acceleratorResolved'
>;

/** A search line is cut here: enough for a long command and its knobs, small enough to scan 100,000 of. */
const SEARCH_CHARS = 4000;

/**
 * What the runs page's search matches, lower-cased: the run's id, name,
 * title, notes, profile, origin, bundle path, log, initiative, phase,
 * monitor, accelerators (requested, resolved, device) and every knob —
 * effective, requested and launched — as `name=value` (a `-` in the name
 * also spelled `_`, as `runproof launch --set` takes it). Plan row IDs are
 * matched through run_plan_rows, which changes without the run.
 */
export function runSearchText(r: SearchFields, ev: Evidence | null): string {
  const parts: Array<string | null | undefined> = [
    r.id,
    r.name,
    r.title,
    r.notes,
    r.profile,
    r.origin,
    r.bundleDir,
    r.logFile,
    r.initiative,
    r.phase,
    r.monitor,
    r.acceleratorRequested,
    r.acceleratorResolved,
  ];
  if (ev) {
    parts.push(ev.accelerator.device);
    const knobs = new Set<string>();
    const add = (k: string, v: unknown) => {
      if (v === null || v === undefined || v === '') return;
      knobs.add(`${k}=${v}`);
      if (k.includes('-')) knobs.add(`${k.replace(/-/g, '_')}=${v}`);
    };
    for (const [k, v] of Object.entries(ev.knobs ?? {})) add(k, v);
    for (const [k, v] of Object.entries(ev.requested?.knobs ?? {})) add(k, v);
    for (const [k, v] of Object.entries(ev.launch?.params ?? {})) add(k, v);
    parts.push([...knobs].join(' '));
  }
  return parts
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .join('\n')
    .replace(/\s+/g, ' ')
    .toLowerCase()
    .slice(0, SEARCH_CHARS);
}

async function writeSearch(db: Db, runId: string, text: string): Promise<void> {
  // The run's integer key (kept across rewrites), then its line; an unchanged line is left alone (no index churn).
  const key = await db.get<{ id: number }>(sql`INSERT INTO run_search (run_id) VALUES (${runId}) ON CONFLICT (run_id) DO UPDATE SET run_id = excluded.run_id RETURNING id`);
  await db.run(
    sql`INSERT INTO run_search_text (id, text) VALUES (${Number(key!.id)}, ${text}) ON CONFLICT (id) DO UPDATE SET text = excluded.text WHERE run_search_text.text IS DISTINCT FROM excluded.text`,
  );
}

/** Rewrite one run's search line from its row (after a rename, a note, a launch). */
export async function refreshRunSearch({ db, runId }: { db: Db; runId: string }): Promise<void> {
  const run = await getRun({ db, id: runId });
  if (!run) return;
  let ev: Evidence | null = null;
  try {
    ev = parseJsonText(run.evidenceJson);
  } catch {
    ev = null;
  }
  await writeSearch(db, runId, runSearchText(run, ev));
}

/**
 * Bring the columns this version adds up to date when a database opens: the
 * verdict of every run whose stored verdict is missing or no longer what
 * verdictSql says (one UPDATE; the rule reads only columns the row has), and
 * a search line for every run without one (rows written before 0006).
 */
export async function syncRunColumns({ db }: { db: Db }): Promise<{ verdicts: number; searches: number }> {
  const rule = verdictSql();
  return db.tx(async (tx) => {
    const verdicts = await tx.run(sql.raw(`UPDATE runs SET verdict = ${rule} WHERE verdict IS DISTINCT FROM ${rule}`));
    const missing = await tx.all<{ id: string }>(sql`SELECT id FROM runs WHERE id NOT IN (SELECT s.run_id FROM run_search s JOIN run_search_text t ON t.id = s.id)`);
    for (const { id } of missing) await refreshRunSearch({ db: tx, runId: id });
    return { verdicts, searches: missing.length };
  });
}

/** Part of the open-time stamp: bump it to make the next open run syncRunColumns again. */
export const RUN_SEARCH_VERSION = 1;

/** The rules the stored columns were computed under, as the database's user version (an int32; migrations do not use it). */
export function runColumnsStamp(): number {
  const text = `${verdictSql()}\u0000search ${RUN_SEARCH_VERSION}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // Never 0: a fresh or pre-stamp database reads 0 and must be synced.
  return h | 0 || 1;
}

/**
 * syncRunColumns when the database opens, but only when the rules changed
 * since the last open (or the database predates the stamp): every save writes
 * the verdict and the search line, so a database already in step skips the
 * scan (a whole-table read: 753 ms at 100,000 runs, against 1.7 ms skipped —
 * `npm run bench` — on every CLI command and server start). Null when skipped.
 */
export async function syncRunColumnsOnOpen({ db }: { db: Db }): Promise<{ verdicts: number; searches: number } | null> {
  const stamp = runColumnsStamp();
  if ((await db.userVersion()) === stamp) return null;
  const r = await syncRunColumns({ db });
  await db.setUserVersion(stamp);
  return r;
}

/** Per-series rows per INSERT … SELECT FROM unnest on PostgreSQL: five arrays of this many values each. */
const PG_POINT_BATCH = 50_000;

/** A series' points, in order: SQLite through cached multi-row statements, PostgreSQL through arrays unnested server-side. */
async function insertPoints(db: Db, seriesId: number, s: SeriesInput, stmtFor: ((n: number) => Database.Statement) | null): Promise<void> {
  if (stmtFor) {
    const full = stmtFor(POINT_BATCH);
    const params = new Array(POINT_BATCH * 5);
    let i = 0;
    for (; i + POINT_BATCH <= s.length; i += POINT_BATCH) {
      for (let j = 0; j < POINT_BATCH; j++) {
        const k = i + j,
          o = j * 5;
        params[o] = seriesId;
        params[o + 1] = k;
        params[o + 2] = s.steps[k];
        params[o + 3] = numOrNull(s.epochs[k]);
        params[o + 4] = numOrNull(s.values[k]);
      }
      full.run(params);
    }
    const rest = s.length - i;
    if (rest > 0) {
      const p: Array<number | null> = [];
      for (let k = i; k < s.length; k++) p.push(seriesId, k, s.steps[k], numOrNull(s.epochs[k]), numOrNull(s.values[k]));
      stmtFor(rest).run(p);
    }
    return;
  }
  for (let i = 0; i < s.length; i += PG_POINT_BATCH) {
    const n = Math.min(PG_POINT_BATCH, s.length - i);
    const seq = new Array<number>(n);
    const steps = new Array<number>(n);
    const epochs = new Array<number | null>(n);
    const values = new Array<number | null>(n);
    for (let j = 0; j < n; j++) {
      seq[j] = i + j;
      steps[j] = s.steps[i + j];
      epochs[j] = numOrNull(s.epochs[i + j]);
      values[j] = numOrNull(s.values[i + j]);
    }
    await db.run(
      sql`INSERT INTO points (series_id, seq, step, epoch, value) SELECT ${seriesId}, u.seq, u.step, u.epoch, u.value FROM unnest(${sql.param(seq)}::bigint[], ${sql.param(steps)}::bigint[], ${sql.param(epochs)}::bigint[], ${sql.param(values)}::float8[]) AS u(seq, step, epoch, value)`,
    );
  }
}

/**
 * Insert or replace a run with all its child rows in one transaction (inside
 * the caller's when `db` is a tx). Child rows are deleted and rewritten:
 * evidence is recomputed whole, never patched.
 */
export async function saveRun(input: SaveRunInput): Promise<void> {
  const { evidence } = input;
  const now = Date.now();
  const cols = runColumnsFromEvidence(evidence);
  await input.db.tx(async (db) => {
    const t = db.t;
    const client = db.dialect === 'sqlite' ? db.sqlite! : null;
    const cached = new Map<number, Database.Statement>();
    const stmtFor = client
      ? (n: number) => {
          let st = cached.get(n);
          if (!st) {
            st = client.prepare(`INSERT INTO points (series_id, seq, step, epoch, value) VALUES ${Array.from({ length: n }, () => '(?,?,?,?,?)').join(',')}`);
            cached.set(n, st);
          }
          return st;
        }
      : null;
    await deleteRunChildren(db, input.id);
    const [existing] = await db.orm.select({ createdAt: t.runs.createdAt, name: t.runs.name, notes: t.runs.notes }).from(t.runs).where(eq(t.runs.id, input.id)).limit(1);
    const row: NewRun = {
      id: input.id,
      sourceKey: input.sourceKey,
      origin: input.origin,
      profile: input.profile ?? null,
      bundleDir: input.bundleDir,
      contentHash: input.contentHash,
      evidenceJson: toJsonText(evidence),
      startedAt: input.startedAt ?? null,
      endedAt: input.endedAt ?? null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...cols,
    };
    // Name, notes and archived_at are people's, not the evidence's: a re-import or the worker's final save keeps them.
    const { createdAt: _created, ...update } = row;
    await db.orm.insert(t.runs).values(row).onConflictDoUpdate({ target: t.runs.id, set: update });
    await writeSearch(
      db,
      input.id,
      runSearchText(
        {
          ...row,
          name: existing?.name ?? null,
          notes: existing?.notes ?? null,
          profile: row.profile ?? null,
          logFile: row.logFile ?? null,
          initiative: row.initiative ?? null,
          phase: row.phase ?? null,
          monitor: row.monitor ?? null,
          acceleratorRequested: row.acceleratorRequested ?? null,
          acceleratorResolved: row.acceleratorResolved ?? null,
        },
        evidence,
      ),
    );

    await insertRows(
      db,
      t.bundleFiles,
      evidence.files.map((f) => ({ runId: input.id, path: f.path, role: f.role, sizeBytes: f.sizeBytes })),
    );
    const epochRows: Array<typeof t.epochValues.$inferInsert> = [];
    for (const e of evidence.epochs) for (const [metric, value] of Object.entries(e.metrics)) epochRows.push({ runId: input.id, metric, epoch: e.epoch, step: e.step, value });
    await insertRows(db, t.epochValues, epochRows);
    await insertRows(db, t.checkpoints, checkpointRows(input.id, evidence));
    await insertRows(
      db,
      t.warnings,
      evidence.warnings.map((w, seq) => ({ runId: input.id, seq, category: w.category, message: w.message, file: w.file, line: w.line, count: w.count })),
    );
    await insertRows(
      db,
      t.checks,
      evidence.checks.map((c) => ({ runId: input.id, checkId: c.id, status: c.status, detail: c.detail })),
    );

    for (const s of input.series) {
      const keep = downsampleMinMax(s.steps, s.values, CHART_POINTS);
      const chartJson = toJsonText<ChartPairs>(Array.from(keep, (k) => [s.steps[k], numOrNull(s.values[k])]));
      const [created] = await db.orm.insert(t.series).values({ runId: input.id, metric: s.metric, points: s.length, chartJson }).returning({ id: t.series.id });
      await insertPoints(db, Number(created.id), s, stmtFor);
    }
  });
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
    if (missing.has(e.name) && !rows.has(e.name))
      rows.set(e.name, { runId, name: e.name, state: 'missing', kind: e.kind, epoch: e.epoch, step: null, score: e.score, sizeBytes: null, expected: true });
  }
  return [...rows.values()];
}

async function deleteRunChildren(db: Db, runId: string): Promise<void> {
  const t = db.t;
  // points has no foreign key (it would slow bulk inserts); remove through its series.
  await db.run(sql`DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE run_id = ${runId})`);
  for (const c of [t.series, t.bundleFiles, t.epochValues, t.checkpoints, t.warnings, t.checks]) await db.orm.delete(c).where(eq(c.runId, runId));
}

export async function getRunBySourceKey({ db, sourceKey }: { db: Db; sourceKey: string }): Promise<Pick<Run, 'id' | 'contentHash'> | undefined> {
  const { runs } = db.t;
  return (await db.orm.select({ id: runs.id, contentHash: runs.contentHash }).from(runs).where(eq(runs.sourceKey, sourceKey)).limit(1))[0];
}

export async function getRun({ db, id }: { db: Db; id: string }): Promise<Run | undefined> {
  const { runs } = db.t;
  return (await db.orm.select().from(runs).where(eq(runs.id, id)).limit(1))[0];
}

export async function getRunEvidence({ db, id }: { db: Db; id: string }): Promise<{ run: Run; evidence: Evidence } | null> {
  const run = await getRun({ db, id });
  if (!run) return null;
  const evidence = parseJsonText(run.evidenceJson);
  evidence.planRows = await getRunPlanRows({ db, runId: id });
  return { run, evidence };
}

/** Columns the runs page sorts by. */
export const RUN_SORTS = Object.freeze(['started', 'duration', 'epochs', 'best', 'verdict'] as const);
export type RunSort = (typeof RUN_SORTS)[number];
export type SortDir = 'asc' | 'desc';
/** The direction a column sorts in when its header is first clicked: newest, longest, most epochs, lowest value, worst verdict. */
export const DEFAULT_DIR: Record<RunSort, SortDir> = { started: 'desc', duration: 'desc', epochs: 'desc', best: 'asc', verdict: 'asc' };

export interface ListRunsFilter {
  status?: RunStatus | null;
  initiative?: string | null;
  /**
   * Words, each of which must appear in the run's search line (id, name,
   * title, notes, profile, accelerators, knob values, command, bundle path…;
   * see runSearchText) or in the ID of a plan row it proves.
   */
  q?: string | null;
  verdict?: Verdict | null;
  origin?: 'launched' | 'imported' | null;
  /** Archived runs are left out unless asked for; `true` lists only them. */
  archived?: boolean | null;
  sort?: RunSort | null;
  dir?: SortDir | null;
  page?: number;
  pageSize?: number;
}

export type RunListRow = Omit<Run, 'evidenceJson'>;

function listColumns(db: Db) {
  const { evidenceJson: _evidence, ...cols } = getTableColumns(db.t.runs);
  return cols;
}

function sortColumn(db: Db, sort: Exclude<RunSort, 'verdict'>): SQLiteColumn {
  const { runs } = db.t;
  return { started: runs.startedAt, duration: runs.durationMs, epochs: runs.epochsRun, best: runs.bestValue }[sort];
}

/** The same expression as the runs_live_verdict index, so the database walks that index. */
const verdictRank = sql.raw(`(${VERDICT_RANK_SQL})`);
const MAX_TERMS = 8;

const searchTerms = (q: string | null | undefined) => (q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_TERMS);

/** `%term%` for LIKE … ESCAPE '\': the term's own %, _ and \ match themselves. */
const likeAny = (term: string) => `%${term.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
/** An FTS5 phrase: the term as one string, quotes doubled. */
const phrase = (term: string) => `"${term.replace(/"/g, '""')}"`;

/**
 * The ids of the runs whose search line holds every word of `terms` (or who
 * prove a plan row whose ID holds it), as a SELECT of run_id. On SQLite a
 * word of three or more characters is looked up in the trigram index
 * (run_search_fts: a substring match without reading every line) and a
 * shorter one is matched by LIKE over the lines; on PostgreSQL every word is
 * a LIKE over the lines, which the pg_trgm index of run_search_text serves
 * for words of three or more characters. Plan row IDs match without regard
 * to case, as SQLite's LIKE does.
 */
async function searchQuery(db: Db, terms: string[]): Promise<SQL> {
  const sqlite = db.dialect === 'sqlite';
  const indexed = (term: string) => sqlite && [...term].length >= 3;
  const textLike = (term: string) => sql`t.text LIKE ${likeAny(term)} ESCAPE '\\'`;
  const rowLike = (term: string) => (sqlite ? sql`row_id LIKE ${likeAny(term)} ESCAPE '\\'` : sql`row_id ILIKE ${likeAny(term)} ESCAPE '\\'`);
  const ftsIds = (match: string) => sql`SELECT rowid FROM run_search_fts WHERE run_search_fts MATCH ${match}`;
  const fts = (match: string) => sql`SELECT s.run_id FROM run_search s WHERE s.id IN (${ftsIds(match)})`;
  const namesRow = await db.get(sql`SELECT run_id FROM run_plan_rows WHERE ${sql.join(terms.map(rowLike), sql` OR `)} LIMIT 1`);
  if (!namesRow) {
    // The usual case, no word names a plan row: the index intersects the long words itself, LIKE checks the short ones.
    const long = terms.filter(indexed);
    const short = terms.filter((t) => !indexed(t));
    if (!long.length) return sql`SELECT s.run_id FROM run_search_text t JOIN run_search s ON s.id = t.id WHERE ${sql.join(short.map(textLike), sql` AND `)}`;
    const match = long.map(phrase).join(' AND ');
    if (!short.length) return fts(match);
    return sql`SELECT s.run_id FROM run_search s JOIN run_search_text t ON t.id = s.id WHERE s.id IN (${ftsIds(match)}) AND ${sql.join(short.map(textLike), sql` AND `)}`;
  }
  // A word may match a line or a plan row: each word's runs, intersected.
  return sql.join(
    terms.map((term, i) => {
      const lines = indexed(term) ? fts(phrase(term)) : sql`SELECT s.run_id FROM run_search_text t JOIN run_search s ON s.id = t.id WHERE ${textLike(term)}`;
      return sql`SELECT run_id FROM (${lines} UNION SELECT run_id FROM run_plan_rows WHERE ${rowLike(term)}) AS ${sql.raw(`w${i}`)}`;
    }),
    sql` INTERSECT `,
  );
}

/** Below this many matches the page reads the matching runs directly; above it, it walks its index checking each run. */
const FEW_HITS = 2000;

/** One search at a time per SQLite connection: the page's queries read the temp.search_hits that its search filled. */
const searchLocks = new WeakMap<object, Promise<unknown>>();
function oneSearchAtATime<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const prev = searchLocks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const settled = run.catch(() => {});
  searchLocks.set(key, settled);
  return run;
}

/**
 * The search's condition on runs.id. SQLite: the matches go into the
 * connection's temp.search_hits, which the page query and its count then
 * share; many (`+` keeps SQLite walking the page's own index and checking
 * each id against them, instead of fetching every matching run row by id) or
 * few (read just those). PostgreSQL: the search itself, as a subquery.
 */
async function searchFilter(db: Db, terms: string[]): Promise<SQL> {
  const runId = db.t.runs.id;
  const query = await searchQuery(db, terms);
  if (db.dialect !== 'sqlite') return sql`${runId} IN (${query})`;
  await db.run(sql`CREATE TEMP TABLE IF NOT EXISTS search_hits (id TEXT PRIMARY KEY) WITHOUT ROWID`);
  await db.run(sql`DELETE FROM temp.search_hits`);
  const hits = await db.run(sql`INSERT INTO temp.search_hits ${query}`);
  return hits > FEW_HITS ? sql`+${runId} IN temp.search_hits` : sql`${runId} IN temp.search_hits`;
}

/** The WHERE of a runs-page query. */
function runsWhere(db: Db, f: ListRunsFilter, search: SQL | null): SQL | undefined {
  const { runs } = db.t;
  const where: SQL[] = [f.archived ? isNotNull(runs.archivedAt) : isNull(runs.archivedAt)];
  if (f.status) where.push(eq(runs.status, f.status));
  if (f.initiative) where.push(eq(runs.initiative, f.initiative));
  // As the rank, so the filter walks runs_live_verdict.
  if (f.verdict) where.push(sql`${verdictRank} = ${VERDICT_RANK[f.verdict]}`);
  if (f.origin) where.push(eq(runs.origin, f.origin));
  if (search) where.push(search);
  return and(...where);
}

/**
 * One page of runs, filtered, sorted and paged in SQL. Every sort is an
 * index walk (a `runs_live_*` index per column); runs without a value for
 * the column come last in either direction, on both databases.
 */
export async function listRuns({ db, ...f }: { db: Db } & ListRunsFilter): Promise<{ rows: RunListRow[]; total: number; page: number; pageSize: number; sort: RunSort; dir: SortDir }> {
  const terms = searchTerms(f.q);
  const read = () => readRunsPage(db, f, terms);
  // SQLite: the temp table of the search is the connection's, so no other page may refill it between this one's reads.
  return terms.length && db.sqlite ? oneSearchAtATime(db.sqlite, read) : read();
}

async function readRunsPage(db: Db, f: ListRunsFilter, terms: string[]) {
  const { runs } = db.t;
  const pageSize = Math.min(Math.max(f.pageSize ?? 50, 1), 500);
  const page = Math.max(f.page ?? 1, 1);
  const sort: RunSort = f.sort && RUN_SORTS.includes(f.sort) ? f.sort : 'started';
  const dir: SortDir = f.dir === 'asc' || f.dir === 'desc' ? f.dir : DEFAULT_DIR[sort];
  const cond = runsWhere(db, f, terms.length ? await searchFilter(db, terms) : null);
  const offset = (page - 1) * pageSize;
  const cols = listColumns(db);
  const select = async (where: SQL | undefined, by: SQL[], limit: number, skip: number): Promise<RunListRow[]> =>
    db.orm
      .select(cols)
      .from(runs)
      .where(where)
      .orderBy(...by)
      .limit(limit)
      .offset(skip);
  const count = async (where: SQL | undefined) => Number((await db.orm.select({ n: sql<number>`count(*)` }).from(runs).where(where))[0]?.n ?? 0);
  const sqlite = db.dialect === 'sqlite';
  // PostgreSQL does not take `archived_at IS NULL` as fixing the column, as it takes `= value`, so it would not see that a
  // runs_live_* index (archived_at, <column>, id) holds the live runs in the page's order, and would sort them all. The live
  // list names archived_at first, in the index's direction: the same order, as every live run has it NULL. (The archived list
  // has many archive times, and few runs.)
  const live = (order: typeof asc) => (!sqlite && !f.archived ? [order(runs.archivedAt)] : []);

  let rows: RunListRow[];
  let total: number | undefined;
  if (sort === 'verdict') {
    // Worst first, newest first within a verdict (never-started runs last); descending is the exact reverse (the index read backwards).
    // PostgreSQL orders NULL highest, so it is told where the runs without a start go (its runs_live_verdict says the same).
    const startedDesc = sqlite ? desc(runs.startedAt) : sql`${runs.startedAt} DESC NULLS LAST`;
    const startedAsc = sqlite ? asc(runs.startedAt) : sql`${runs.startedAt} ASC NULLS FIRST`;
    rows = await select(cond, dir === 'asc' ? [...live(asc), asc(verdictRank), startedDesc, desc(runs.id)] : [...live(desc), desc(verdictRank), startedAsc, asc(runs.id)], pageSize, offset);
  } else {
    const col = sortColumn(db, sort);
    if (dir === 'desc' && sqlite) {
      // SQLite orders NULL lowest: descending puts runs without a value last already.
      rows = await select(cond, [desc(col), desc(runs.id)], pageSize, offset);
    } else {
      // The runs with a value first (an index range past the NULLs), then those without (PostgreSQL orders NULL highest,
      // so descending needs this too). PostgreSQL counts both in one pass over the index; the runs without a value are
      // ordered by the column too (all NULL) so that the index's order is the page's.
      const order = dir === 'asc' ? asc : desc;
      let valued: number;
      if (sqlite) valued = await count(and(cond, isNotNull(col)));
      else {
        const [n] = await db.orm
          .select({ total: sql<number>`count(*)`, valued: sql<number>`count(${col})` })
          .from(runs)
          .where(cond);
        total = Number(n?.total ?? 0);
        valued = Number(n?.valued ?? 0);
      }
      rows = offset < valued ? await select(and(cond, isNotNull(col)), [...live(order), order(col), order(runs.id)], pageSize, offset) : [];
      if (rows.length < pageSize) {
        const by = sqlite ? [order(runs.id)] : [...live(order), order(col), order(runs.id)];
        rows = rows.concat(await select(and(cond, isNull(col)), by, pageSize - rows.length, Math.max(0, offset - valued)));
      }
    }
  }
  return { rows, total: total ?? (await count(cond)), page, pageSize, sort, dir };
}

/** Longest name and notes kept (longer input is refused by the form, cut here as a last resort). */
export const NAME_CHARS = 120;
export const NOTES_CHARS = 4000;

const clean = (s: string | null, max: number) => {
  const t = (s ?? '').replace(/\r\n?/g, '\n').trim();
  return t ? t.slice(0, max) : null;
};

/** Name a run (blank: back to its title). False when there is no such run. */
export async function setRunName({ db, id, name }: { db: Db; id: string; name: string | null }): Promise<boolean> {
  return db.tx(async (tx) => {
    const { runs } = tx.t;
    const r = await tx.orm
      .update(runs)
      .set({ name: clean(name, NAME_CHARS)?.replace(/\s+/g, ' ') ?? null })
      .where(eq(runs.id, id));
    if (!affected(r)) return false;
    await refreshRunSearch({ db: tx, runId: id });
    return true;
  });
}

/** A run's notes (blank: none). False when there is no such run. */
export async function setRunNotes({ db, id, notes }: { db: Db; id: string; notes: string | null }): Promise<boolean> {
  return db.tx(async (tx) => {
    const { runs } = tx.t;
    const r = await tx.orm
      .update(runs)
      .set({ notes: clean(notes, NOTES_CHARS) })
      .where(eq(runs.id, id));
    if (!affected(r)) return false;
    await refreshRunSearch({ db: tx, runId: id });
    return true;
  });
}

/** Archive (or restore) runs; a run already in that state is left as it is. Returns how many changed. */
export async function setRunsArchived({ db, ids, archived, now = Date.now() }: { db: Db; ids: readonly string[]; archived: boolean; now?: number }): Promise<number> {
  const { runs } = db.t;
  const unique = [...new Set(ids)];
  if (!unique.length) return 0;
  return db.tx(async (tx) => {
    let changed = 0;
    for (let i = 0; i < unique.length; i += MAX_STATEMENT_PARAMS - 1) {
      const r = await tx.orm
        .update(runs)
        .set({ archivedAt: archived ? now : null })
        .where(and(inArray(runs.id, unique.slice(i, i + MAX_STATEMENT_PARAMS - 1)), archived ? isNull(runs.archivedAt) : isNotNull(runs.archivedAt)));
      changed += affected(r);
    }
    return changed;
  });
}

export type DeleteRunResult = { ok: true; origin: 'imported' | 'launched'; bundleDir: string } | { ok: false; reason: 'not-found' | 'live' };

/**
 * Delete a run and everything stored about it (child rows by their foreign
 * keys; points through their series). A queued or running run is refused:
 * cancel it first. The bundle folder is the caller's to remove or keep.
 */
export async function deleteRun({ db, id }: { db: Db; id: string }): Promise<DeleteRunResult> {
  return db.tx(async (tx): Promise<DeleteRunResult> => {
    const { runs } = tx.t;
    const [run] = await tx.orm.select({ status: runs.status, origin: runs.origin, bundleDir: runs.bundleDir }).from(runs).where(eq(runs.id, id)).limit(1);
    if (!run) return { ok: false, reason: 'not-found' };
    if (run.status === 'queued' || run.status === 'running') return { ok: false, reason: 'live' };
    await tx.run(sql`DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE run_id = ${id})`);
    await tx.orm.delete(runs).where(eq(runs.id, id));
    return { ok: true, origin: run.origin, bundleDir: run.bundleDir };
  });
}

/** Is any run queued or running (and not archived)? The runs page refreshes itself while one is. */
export async function hasLiveRuns({ db }: { db: Db }): Promise<boolean> {
  return (await db.get(sql`SELECT 1 AS one FROM runs WHERE status IN ('queued', 'running') AND archived_at IS NULL LIMIT 1`)) !== undefined;
}

/** The initiatives runs name, in code-point order on both databases (PostgreSQL's own text order follows the server's locale). */
export async function listInitiatives({ db }: { db: Db }): Promise<string[]> {
  const { runs } = db.t;
  const rows = await db.orm.selectDistinct({ initiative: runs.initiative }).from(runs).where(isNotNull(runs.initiative));
  return rows.map((r) => r.initiative!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Per-step series of a run, raw (the caller downsamples). */
export async function getRunSeries({ db, runId }: { db: Db; runId: string }): Promise<Array<{ metric: string; steps: Float64Array; values: Float64Array }>> {
  const { series } = db.t;
  const list = await db.orm.select().from(series).where(eq(series.runId, runId)).orderBy(asc(series.id));
  // SQLite: rows as arrays, one at a time (a series may hold millions of points); PostgreSQL: one round trip per series.
  const stmt = db.sqlite?.prepare('SELECT step, value FROM points WHERE series_id = ? ORDER BY seq').raw(true);
  const out: Array<{ metric: string; steps: Float64Array; values: Float64Array }> = [];
  for (const s of list) {
    const steps = new Float64Array(s.points);
    const values = new Float64Array(s.points);
    const points: Iterable<[number, number | null]> = stmt
      ? (stmt.iterate(s.id) as Iterable<[number, number | null]>)
      : (await db.all<{ step: number; value: number | null }>(sql`SELECT step, value FROM points WHERE series_id = ${s.id} ORDER BY seq`)).map((r) => [r.step, r.value]);
    let i = 0;
    for (const [step, value] of points) {
      if (i >= s.points) break;
      steps[i] = step;
      values[i] = value ?? NaN;
      i++;
    }
    out.push({ metric: s.metric, steps: steps.subarray(0, i), values: values.subarray(0, i) });
  }
  return out;
}

/** Chart-ready series (≤ 2,000 points each, computed at write time). */
export async function getRunSeriesForChart({ db, runId }: { db: Db; runId: string }): Promise<Array<{ metric: string; points: number; steps: number[]; values: number[] }>> {
  const { series } = db.t;
  const rows = await db.orm.select({ metric: series.metric, points: series.points, chartJson: series.chartJson }).from(series).where(eq(series.runId, runId)).orderBy(asc(series.id));
  return rows.map((s) => {
    const pairs = parseJsonText(s.chartJson);
    return { metric: s.metric, points: s.points, steps: pairs.map((p) => p[0]), values: pairs.map((p) => p[1] ?? NaN) };
  });
}
