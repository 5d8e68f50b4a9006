/**
 * Runs and their evidence. The only code that touches the run tables.
 */
import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../client';
import { bundleFiles, checkpoints, checks, epochValues, runs, series, VERDICT_RANK_SQL, warnings, type NewRun, type Run } from '../schema';
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
export function insertRows<T extends SQLiteTable>(db: Db, table: T, rows: Array<T['$inferInsert']>): void {
  if (!rows.length) return;
  const perRow = Object.keys(getTableColumns(table)).length;
  const per = Math.max(1, Math.floor(MAX_STATEMENT_PARAMS / perRow));
  for (let i = 0; i < rows.length; i += per)
    db.insert(table)
      .values(rows.slice(i, i + per))
      .run();
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

function writeSearch(db: Db, runId: string, text: string): void {
  const client = db.$client;
  // The run's integer key (kept across rewrites), then its line; an unchanged line is left alone (no index churn).
  const id = client.prepare('INSERT INTO run_search (run_id) VALUES (?) ON CONFLICT (run_id) DO UPDATE SET run_id = excluded.run_id RETURNING id').pluck().get(runId) as number;
  client.prepare('INSERT INTO run_search_text (id, text) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET text = excluded.text WHERE text IS NOT excluded.text').run(id, text);
}

/** Rewrite one run's search line from its row (after a rename, a note, a launch). */
export function refreshRunSearch({ db, runId }: { db: Db; runId: string }): void {
  const run = getRun({ db, id: runId });
  if (!run) return;
  let ev: Evidence | null = null;
  try {
    ev = parseJsonText(run.evidenceJson);
  } catch {
    ev = null;
  }
  writeSearch(db, runId, runSearchText(run, ev));
}

/**
 * Bring the columns this version adds up to date when a database opens: the
 * verdict of every run whose stored verdict is missing or no longer what
 * verdictSql says (one UPDATE; the rule reads only columns the row has), and
 * a search line for every run without one (rows written before 0006).
 */
export function syncRunColumns({ db }: { db: Db }): { verdicts: number; searches: number } {
  const client = db.$client;
  const rule = verdictSql();
  return client
    .transaction(() => {
      const verdicts = client.prepare(`UPDATE runs SET verdict = ${rule} WHERE verdict IS NOT ${rule}`).run().changes;
      const missing = client.prepare('SELECT id FROM runs WHERE id NOT IN (SELECT s.run_id FROM run_search s JOIN run_search_text t ON t.id = s.id)').pluck().all() as string[];
      for (const runId of missing) refreshRunSearch({ db, runId });
      return { verdicts, searches: missing.length };
    })
    .immediate();
}

/** Part of the open-time stamp: bump it to make the next open run syncRunColumns again. */
export const RUN_SEARCH_VERSION = 1;

/** The rules the stored columns were computed under, as SQLite's user_version (an int32; migrations do not use it). */
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
export function syncRunColumnsOnOpen({ db }: { db: Db }): { verdicts: number; searches: number } | null {
  const stamp = runColumnsStamp();
  if (db.$client.pragma('user_version', { simple: true }) === stamp) return null;
  const r = syncRunColumns({ db });
  db.$client.pragma(`user_version = ${stamp}`);
  return r;
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
    const existing = db.select({ createdAt: runs.createdAt, name: runs.name, notes: runs.notes }).from(runs).where(eq(runs.id, input.id)).get();
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
    db.insert(runs)
      .values(row)
      .onConflictDoUpdate({ target: runs.id, set: { ...row, createdAt: undefined } })
      .run();
    writeSearch(
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

    insertRows(
      db,
      bundleFiles,
      evidence.files.map((f) => ({ runId: input.id, path: f.path, role: f.role, sizeBytes: f.sizeBytes })),
    );
    const epochRows: Array<typeof epochValues.$inferInsert> = [];
    for (const e of evidence.epochs) for (const [metric, value] of Object.entries(e.metrics)) epochRows.push({ runId: input.id, metric, epoch: e.epoch, step: e.step, value });
    insertRows(db, epochValues, epochRows);
    insertRows(db, checkpoints, checkpointRows(input.id, evidence));
    insertRows(
      db,
      warnings,
      evidence.warnings.map((w, seq) => ({ runId: input.id, seq, category: w.category, message: w.message, file: w.file, line: w.line, count: w.count })),
    );
    insertRows(
      db,
      checks,
      evidence.checks.map((c) => ({ runId: input.id, checkId: c.id, status: c.status, detail: c.detail })),
    );

    for (const s of input.series) {
      const keep = downsampleMinMax(s.steps, s.values, CHART_POINTS);
      const chartJson = toJsonText<ChartPairs>(Array.from(keep, (k) => [s.steps[k], numOrNull(s.values[k])]));
      const seriesId = Number(db.insert(series).values({ runId: input.id, metric: s.metric, points: s.length, chartJson }).returning({ id: series.id }).get().id);
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
    if (missing.has(e.name) && !rows.has(e.name))
      rows.set(e.name, { runId, name: e.name, state: 'missing', kind: e.kind, epoch: e.epoch, step: null, score: e.score, sizeBytes: null, expected: true });
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
  const evidence = parseJsonText(run.evidenceJson);
  evidence.planRows = getRunPlanRows({ db, runId: id });
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
const { evidenceJson: _evidence, ...listColumns } = getTableColumns(runs);

const SORT_COLUMN: Record<Exclude<RunSort, 'verdict'>, SQLiteColumn> = { started: runs.startedAt, duration: runs.durationMs, epochs: runs.epochsRun, best: runs.bestValue };
/** The same expression as the runs_live_verdict index, so SQLite walks that index. */
const verdictRank = sql.raw(`(${VERDICT_RANK_SQL})`);
const MAX_TERMS = 8;

const searchTerms = (q: string | null | undefined) => (q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_TERMS);

/**
 * The runs whose search line holds every word of `q` (or who prove a plan
 * row whose ID holds it), into the connection's temp.search_hits, which the
 * page query and its count then share. A word of three or more characters is
 * looked up in the trigram index (run_search_fts: a substring match without
 * reading every line); a shorter one is matched by LIKE over the lines.
 * Synchronous like every better-sqlite3 call, so no other query runs between
 * filling the table and reading it. Returns how many runs matched.
 */
function searchHits(db: Db, q: string | null | undefined): number {
  const terms = searchTerms(q);
  if (!terms.length) return 0;
  const client = db.$client;
  client.exec('CREATE TEMP TABLE IF NOT EXISTS search_hits (id TEXT PRIMARY KEY) WITHOUT ROWID');
  client.prepare('DELETE FROM temp.search_hits').run();
  const like = (term: string) => `%${term.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
  const phrase = (term: string) => `"${term.replace(/"/g, '""')}"`;
  const indexed = (term: string) => [...term].length >= 3;
  const LIKE_ROWS = "SELECT run_id FROM run_plan_rows WHERE row_id LIKE ? ESCAPE '\\'";
  const inRows = client.prepare(`${LIKE_ROWS} LIMIT 1`);
  const long = terms.filter(indexed);
  const short = terms.filter((t) => !indexed(t));
  let sqlText: string;
  let params: string[];
  if (!terms.some((t) => inRows.get(like(t)) !== undefined)) {
    // The usual case, no word names a plan row: the index intersects the long words itself, LIKE checks the short ones.
    const shortLike = short.map(() => "t.text LIKE ? ESCAPE '\\'");
    sqlText = long.length
      ? `SELECT s.run_id FROM run_search s${short.length ? ' JOIN run_search_text t ON t.id = s.id' : ''} WHERE s.id IN (SELECT rowid FROM run_search_fts WHERE run_search_fts MATCH ?)${shortLike.map((c) => ` AND ${c}`).join('')}`
      : `SELECT s.run_id FROM run_search_text t JOIN run_search s ON s.id = t.id WHERE ${shortLike.join(' AND ')}`;
    params = [...(long.length ? [long.map(phrase).join(' AND ')] : []), ...short.map(like)];
  } else {
    // A word may match a line or a plan row: each word's runs, intersected.
    params = [];
    sqlText = terms
      .map((term) => {
        params.push(indexed(term) ? phrase(term) : like(term), like(term));
        const lines = indexed(term)
          ? 'SELECT s.run_id FROM run_search s WHERE s.id IN (SELECT rowid FROM run_search_fts WHERE run_search_fts MATCH ?)'
          : "SELECT s.run_id FROM run_search_text t JOIN run_search s ON s.id = t.id WHERE t.text LIKE ? ESCAPE '\\'";
        return `SELECT run_id FROM (${lines} UNION ${LIKE_ROWS})`;
      })
      .join(' INTERSECT ');
  }
  return client.prepare(`INSERT INTO temp.search_hits ${sqlText}`).run(...params).changes;
}

/** Below this many matches the page reads the matching runs directly; above it, it walks its index checking each run. */
const FEW_HITS = 2000;

/** The WHERE of a runs-page query. */
function runsWhere(f: ListRunsFilter, hits: number | null): SQL | undefined {
  const where: SQL[] = [f.archived ? isNotNull(runs.archivedAt) : isNull(runs.archivedAt)];
  if (f.status) where.push(eq(runs.status, f.status));
  if (f.initiative) where.push(eq(runs.initiative, f.initiative));
  // As the rank, so the filter walks runs_live_verdict.
  if (f.verdict) where.push(sql`${verdictRank} = ${VERDICT_RANK[f.verdict]}`);
  if (f.origin) where.push(eq(runs.origin, f.origin));
  // The search's matches are in temp.search_hits (see searchHits). Many: `+` keeps SQLite walking the page's own
  // index and checking each id against them, instead of fetching every matching run row by id; few: read just those.
  if (hits !== null) where.push(hits > FEW_HITS ? sql`+${runs.id} IN temp.search_hits` : sql`${runs.id} IN temp.search_hits`);
  return and(...where);
}

/**
 * One page of runs, filtered, sorted and paged in SQL. Every sort is an
 * index walk (a `runs_live_*` index per column); runs without a value for
 * the column come last in either direction.
 */
export function listRuns({ db, ...f }: { db: Db } & ListRunsFilter): { rows: RunListRow[]; total: number; page: number; pageSize: number; sort: RunSort; dir: SortDir } {
  const pageSize = Math.min(Math.max(f.pageSize ?? 50, 1), 500);
  const page = Math.max(f.page ?? 1, 1);
  const sort: RunSort = f.sort && RUN_SORTS.includes(f.sort) ? f.sort : 'started';
  const dir: SortDir = f.dir === 'asc' || f.dir === 'desc' ? f.dir : DEFAULT_DIR[sort];
  const hits = searchTerms(f.q).length ? searchHits(db, f.q) : null;
  const cond = runsWhere(f, hits);
  const offset = (page - 1) * pageSize;
  const select = (where: SQL | undefined, by: SQL[], limit: number, skip: number) =>
    db
      .select(listColumns)
      .from(runs)
      .where(where)
      .orderBy(...by)
      .limit(limit)
      .offset(skip)
      .all();
  const count = (where: SQL | undefined) => db.select({ n: sql<number>`count(*)` }).from(runs).where(where).get()?.n ?? 0;

  let rows: RunListRow[];
  if (sort === 'verdict') {
    // Worst first, newest first within a verdict; descending is the exact reverse (the index read backwards).
    rows = select(cond, dir === 'asc' ? [asc(verdictRank), desc(runs.startedAt), desc(runs.id)] : [desc(verdictRank), asc(runs.startedAt), asc(runs.id)], pageSize, offset);
  } else {
    const col = SORT_COLUMN[sort];
    if (dir === 'desc') {
      // SQLite orders NULL lowest: descending puts runs without a value last already.
      rows = select(cond, [desc(col), desc(runs.id)], pageSize, offset);
    } else {
      // Ascending: the runs with a value first (an index range past the NULLs), then those without.
      const valued = count(and(cond, isNotNull(col)));
      rows = offset < valued ? select(and(cond, isNotNull(col)), [asc(col), asc(runs.id)], pageSize, offset) : [];
      if (rows.length < pageSize) rows = rows.concat(select(and(cond, isNull(col)), [asc(runs.id)], pageSize - rows.length, Math.max(0, offset - valued)));
    }
  }
  return { rows, total: count(cond), page, pageSize, sort, dir };
}

/** Longest name and notes kept (longer input is refused by the form, cut here as a last resort). */
export const NAME_CHARS = 120;
export const NOTES_CHARS = 4000;

const clean = (s: string | null, max: number) => {
  const t = (s ?? '').replace(/\r\n?/g, '\n').trim();
  return t ? t.slice(0, max) : null;
};

/** Name a run (blank: back to its title). False when there is no such run. */
export function setRunName({ db, id, name }: { db: Db; id: string; name: string | null }): boolean {
  return db.$client
    .transaction(() => {
      const r = db
        .update(runs)
        .set({ name: clean(name, NAME_CHARS)?.replace(/\s+/g, ' ') ?? null })
        .where(eq(runs.id, id))
        .run();
      if (!r.changes) return false;
      refreshRunSearch({ db, runId: id });
      return true;
    })
    .immediate();
}

/** A run's notes (blank: none). False when there is no such run. */
export function setRunNotes({ db, id, notes }: { db: Db; id: string; notes: string | null }): boolean {
  return db.$client
    .transaction(() => {
      const r = db
        .update(runs)
        .set({ notes: clean(notes, NOTES_CHARS) })
        .where(eq(runs.id, id))
        .run();
      if (!r.changes) return false;
      refreshRunSearch({ db, runId: id });
      return true;
    })
    .immediate();
}

/** Archive (or restore) runs; a run already in that state is left as it is. Returns how many changed. */
export function setRunsArchived({ db, ids, archived, now = Date.now() }: { db: Db; ids: readonly string[]; archived: boolean; now?: number }): number {
  if (!ids.length) return 0;
  return db
    .update(runs)
    .set({ archivedAt: archived ? now : null })
    .where(and(inArray(runs.id, [...new Set(ids)]), archived ? isNull(runs.archivedAt) : isNotNull(runs.archivedAt)))
    .run().changes;
}

export type DeleteRunResult = { ok: true; origin: 'imported' | 'launched'; bundleDir: string } | { ok: false; reason: 'not-found' | 'live' };

/**
 * Delete a run and everything stored about it (child rows by their foreign
 * keys; points through their series). A queued or running run is refused:
 * cancel it first. The bundle folder is the caller's to remove or keep.
 */
export function deleteRun({ db, id }: { db: Db; id: string }): DeleteRunResult {
  return db.$client
    .transaction((): DeleteRunResult => {
      const run = db.select({ status: runs.status, origin: runs.origin, bundleDir: runs.bundleDir }).from(runs).where(eq(runs.id, id)).get();
      if (!run) return { ok: false, reason: 'not-found' };
      if (run.status === 'queued' || run.status === 'running') return { ok: false, reason: 'live' };
      db.$client.prepare('DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE run_id = ?)').run(id);
      db.delete(runs).where(eq(runs.id, id)).run();
      return { ok: true, origin: run.origin, bundleDir: run.bundleDir };
    })
    .immediate();
}

/** Is any run queued or running (and not archived)? The runs page refreshes itself while one is. */
export function hasLiveRuns({ db }: { db: Db }): boolean {
  return db.$client.prepare(`SELECT 1 FROM runs WHERE status IN ('queued', 'running') AND archived_at IS NULL LIMIT 1`).get() !== undefined;
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
      const pairs = parseJsonText(s.chartJson);
      return { metric: s.metric, points: s.points, steps: pairs.map((p) => p[0]), values: pairs.map((p) => p[1] ?? NaN) };
    });
}
