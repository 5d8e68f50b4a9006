/**
 * Tables. Time columns end in `_at` and hold integer milliseconds. The
 * evidence document is stored whole (`evidence_json`) so the page and the API
 * serve exactly what `runproof show --json` prints; the other columns and
 * tables exist to filter, sort and chart without parsing it.
 *
 * Columns holding a union are typed by it (`.$type<RunStatus>()`), and JSON
 * columns by what they hold (`.$type<JsonText<Evidence>>()`, read with
 * lib/json-text.ts parseJsonText): type-only, the SQL is unchanged.
 */
import { sql } from 'drizzle-orm';
import { blob, foreignKey, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { CheckStatus, Evidence, FileRole, Problem, RunStatus } from '../lib/evidence/types';
import { toJsonText, type JsonText } from '../lib/json-text';
import type { StoredCut, StoredEncoding } from '../lib/stored-files';
import type { StoredLiveProgress } from '../lib/live/events';
import type { ParamValues } from '../lib/profiles/build';
import type { ChartPairs } from '../lib/series/chart-data';
import type { GpuInfo } from '../lib/workers/gpus';
import type { ProfileAvailability, WorkerState } from '../lib/workers/match';

/** The stored verdict's sort rank, worst first (lib/evidence/verdict.ts VERDICT_RANK): fail 0, incomplete 1, pending 2, pass 3. */
export const VERDICT_RANK_SQL = "CASE verdict WHEN 'fail' THEN 0 WHEN 'incomplete' THEN 1 WHEN 'pending' THEN 2 WHEN 'pass' THEN 3 ELSE 4 END";

export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    /** Stable identity of the evidence: bundle folder (+ `#log` when a folder holds several runs). */
    sourceKey: text('source_key').notNull(),
    origin: text('origin', { enum: ['imported', 'launched'] }).notNull(),
    status: text('status').$type<RunStatus>().notNull(),
    profile: text('profile'),
    title: text('title').notNull(),
    bundleDir: text('bundle_dir').notNull(),
    logFile: text('log_file'),
    initiative: text('initiative'),
    phase: text('phase'),
    startedAt: integer('started_at'),
    endedAt: integer('ended_at'),
    durationMs: integer('duration_ms'),
    epochsRun: integer('epochs_run'),
    maxEpochs: integer('max_epochs'),
    monitor: text('monitor'),
    bestValue: real('best_value'),
    bestEpoch: integer('best_epoch'),
    acceleratorRequested: text('accelerator_requested'),
    acceleratorResolved: text('accelerator_resolved'),
    checksPass: integer('checks_pass').notNull().default(0),
    checksFail: integer('checks_fail').notNull().default(0),
    checksWarn: integer('checks_warn').notNull().default(0),
    checksSkip: integer('checks_skip').notNull().default(0),
    /** Hash of the bundle's files; re-import compares it to skip unchanged bundles. */
    contentHash: text('content_hash').notNull(),
    evidenceJson: text('evidence_json').$type<JsonText<Evidence>>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /**
     * Lease of a launched run: the worker that claimed it writes only while
     * its token matches, and renews `lease_expires_at` by heartbeat; a sweep
     * settles runs whose lease ran out as `lost`.
     */
    leaseToken: text('lease_token'),
    leaseExpiresAt: integer('lease_expires_at'),
    workerId: text('worker_id'),
    /**
     * What the evidence shows (lib/evidence/verdict.ts: pass, fail, incomplete,
     * pending), computed whenever the run is saved so the runs page sorts and
     * filters by it in SQL. Null only in rows written before it existed; the
     * connection fills those in when it opens (backfillRunColumns).
     */
    verdict: text('verdict', { enum: ['pass', 'fail', 'incomplete', 'pending'] }),
    /** A name people give the run (launched runs get one from their profile and knobs); null: the title is the name. */
    name: text('name'),
    notes: text('notes'),
    /** Archived runs leave the runs page (they stay reachable by link, and can be restored). */
    archivedAt: integer('archived_at'),
  },
  (t) => [
    // The queue: the oldest queued run first.
    index('runs_status_created').on(t.status, t.createdAt),
    uniqueIndex('runs_source_key').on(t.sourceKey),
    index('runs_started').on(t.startedAt, t.id),
    // The initiative filter's choices (a distinct scan of this index).
    index('runs_initiative_started').on(t.initiative, t.startedAt),
    // The runs page at 100,000 runs: one index per sortable column and per filter, each led by archived_at (the page
    // hides archived runs), so a page is an index walk and its count an index scan, never a read of the runs' rows.
    index('runs_live_started').on(t.archivedAt, t.startedAt, t.id),
    index('runs_live_status').on(t.archivedAt, t.status, t.startedAt, t.id),
    index('runs_live_initiative').on(t.archivedAt, t.initiative, t.startedAt, t.id),
    index('runs_live_duration').on(t.archivedAt, t.durationMs, t.id),
    index('runs_live_epochs').on(t.archivedAt, t.epochsRun, t.id),
    index('runs_live_best').on(t.archivedAt, t.bestValue, t.id),
    // Verdict sorts worst first (VERDICT_RANK), newest first within a verdict; read backwards it is the exact reverse.
    // The verdict filter asks for the rank too (rank = 0 for fail), so it walks this index.
    index('runs_live_verdict').on(t.archivedAt, sql`(${sql.raw(VERDICT_RANK_SQL)})`, sql`started_at DESC`, sql`id DESC`),
    index('runs_live_origin').on(t.archivedAt, t.origin, t.startedAt, t.id),
  ],
);

/**
 * What the runs page's search reads: one lowercase line per run (name, title,
 * notes, profile, accelerators, knob values, bundle path, …), rebuilt when
 * the run is saved or renamed. run_search maps a run to an integer key and
 * stays narrow (a search turns thousands of matches back into run ids
 * through it); the line itself is in run_search_text, indexed for substring
 * search by the FTS5 trigram table run_search_fts (external content: that
 * table), kept in step by triggers (migration 0007). A word of three or more
 * characters is found without reading every line.
 */
export const runSearch = sqliteTable('run_search', {
  /** The rowid of the run's line in run_search_text and run_search_fts. */
  id: integer('id').primaryKey(),
  runId: text('run_id')
    .notNull()
    .unique()
    .references(() => runs.id, { onDelete: 'cascade' }),
});

export const runSearchText = sqliteTable('run_search_text', {
  id: integer('id')
    .primaryKey()
    .references(() => runSearch.id, { onDelete: 'cascade' }),
  text: text('text').notNull(),
});

export const bundleFiles = sqliteTable(
  'bundle_files',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    role: text('role').$type<FileRole>().notNull(),
    sizeBytes: integer('size_bytes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.path] })],
);

/**
 * Bundle files kept in the database (launched runs always, imports with
 * `--archive`), so a permalink outlives its folder: one row per file with
 * what the file was (size, sha256 of the whole file) and what was kept of it
 * (lib/stored-files.ts: all, head and tail, or nothing over the per-file
 * cap), its content in `stored_file_chunks`. Only paths listed here are
 * served from the database for the run.
 */
export const storedFiles = sqliteTable(
  'stored_files',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    /** Bundle-relative, `/`-separated, checked by storedPathError (no `..`, nothing absolute). */
    path: text('path').notNull(),
    encoding: text('encoding').$type<StoredEncoding>().notNull(),
    cut: text('cut').$type<StoredCut>().notNull(),
    /** The file's size on disk when stored. */
    sizeBytes: integer('size_bytes').notNull(),
    /** The stored copy's length as served (the file's size unless cut). */
    storedBytes: integer('stored_bytes').notNull(),
    /** Bytes of the chunk rows as encoded (what the table holds). */
    encodedBytes: integer('encoded_bytes').notNull(),
    /** Of the whole file on disk, cut or not. */
    sha256: text('sha256').notNull(),
    /** Content bytes per chunk (the last may hold fewer): chunk `seq` holds bytes [seq·chunk, (seq+1)·chunk). */
    chunkBytes: integer('chunk_bytes').notNull(),
    chunks: integer('chunks').notNull(),
    storedAt: integer('stored_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.path] })],
);

export const storedFileChunks = sqliteTable(
  'stored_file_chunks',
  {
    runId: text('run_id').notNull(),
    path: text('path').notNull(),
    seq: integer('seq').notNull(),
    bytes: blob('bytes', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.path, t.seq] }), foreignKey({ columns: [t.runId, t.path], foreignColumns: [storedFiles.runId, storedFiles.path] }).onDelete('cascade')],
);

/**
 * A launched run's log while it runs, one row per complete line, appended by
 * the worker (workers/live-follow.ts) under its lease token and read by the
 * events stream of any web server on the database by `seq`: no web server
 * reads the worker's disk. Bounded per run (lib/live/log-lines.ts: the last
 * lines up to a count and a byte total; a line over the cap is cut and
 * marked); the rows are deleted when the run settles, its archived log being
 * in `stored_files` by then.
 */
export const liveLog = sqliteTable(
  'live_log',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    /** The line's number in the log, from 0 (a trimmed run keeps only its last ones). */
    seq: integer('seq').notNull(),
    text: text('text').notNull(),
    /** UTF-8 bytes of `text`, for the per-run byte bound. */
    bytes: integer('bytes').notNull(),
    /** The line was longer than the cap: `text` is its head and a marker. */
    cut: integer('cut', { mode: 'boolean' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const epochValues = sqliteTable(
  'epoch_values',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    epoch: integer('epoch').notNull(),
    step: integer('step').notNull(),
    value: real('value'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.metric, t.epoch] })],
);

/** One row per (run, metric); points reference it by integer id to keep the big table narrow. */
export const series = sqliteTable(
  'series',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    points: integer('points').notNull(),
    /**
     * The series downsampled for charts (≤ 2,000 [step, value] pairs, min/max
     * per bucket, first and last kept), computed when the points are written:
     * a page never reads a million points to draw two thousand.
     */
    chartJson: text('chart_json').$type<JsonText<ChartPairs>>().notNull(),
  },
  (t) => [uniqueIndex('series_run_metric').on(t.runId, t.metric)],
);

/**
 * Per-step points. The primary key (series_id, seq) makes this a clustered
 * covering index (WITHOUT ROWID in the migration): reading one series is one
 * range scan with step/value on the same pages.
 */
export const points = sqliteTable(
  'points',
  {
    seriesId: integer('series_id').notNull(),
    seq: integer('seq').notNull(),
    step: integer('step').notNull(),
    epoch: integer('epoch'),
    value: real('value'),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.seq] })],
);

export const checkpoints = sqliteTable(
  'checkpoints',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    state: text('state', { enum: ['found', 'missing'] }).notNull(),
    kind: text('kind').notNull(),
    epoch: integer('epoch'),
    step: integer('step'),
    score: real('score'),
    sizeBytes: integer('size_bytes'),
    expected: integer('expected', { mode: 'boolean' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.name] })],
);

export const warnings = sqliteTable(
  'warnings',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    category: text('category'),
    message: text('message').notNull(),
    file: text('file'),
    line: integer('line'),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const checks = sqliteTable(
  'checks',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    checkId: text('check_id').notNull(),
    status: text('status').$type<CheckStatus>().notNull(),
    detail: text('detail').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.checkId] }), index('checks_status').on(t.checkId, t.status)],
);

/**
 * What a launch asked for and what the worker did with it: one row per
 * launched run. The argv is stored as JSON so it is replayed token for token,
 * never re-split.
 */
export const launches = sqliteTable('launches', {
  runId: text('run_id')
    .primaryKey()
    .references(() => runs.id, { onDelete: 'cascade' }),
  profile: text('profile').notNull(),
  paramsJson: text('params_json').$type<JsonText<ParamValues>>().notNull(),
  cpuOnly: integer('cpu_only', { mode: 'boolean' }).notNull(),
  argvJson: text('argv_json').$type<JsonText<string[]>>().notNull(),
  cwd: text('cwd').notNull(),
  /** Only the overrides the launch adds (profile env, CPU-only), not the whole inherited environment. */
  envJson: text('env_json').$type<JsonText<Record<string, string>>>().notNull(),
  outputDir: text('output_dir').notNull(),
  keepOutput: integer('keep_output', { mode: 'boolean' }).notNull(),
  timeoutMs: integer('timeout_ms').notNull(),
  queuedAt: integer('queued_at').notNull(),
  host: text('host'),
  pid: integer('pid'),
  /** Process group of the child (its pid: it is spawned as a group leader); the sweep kills it when the worker is gone. */
  pgid: integer('pgid'),
  /** The group leader's start time (/proc stat ticks): with the pgid it identifies the group, so a late sweep never kills a reused id. */
  pgidStart: text('pgid_start'),
  processStartedAt: integer('process_started_at'),
  exitCode: integer('exit_code'),
  signal: text('signal'),
  cancelRequestedAt: integer('cancel_requested_at'),
  gitCommit: text('git_commit'),
  /** Why the run could not start or finish, in words, when it was Runproof's doing rather than the trainer's. */
  error: text('error'),
  /**
   * Sweeps that took the run over to archive it (its worker gone). Counted when
   * the sweep re-leases the run, before it archives, so a sweeper that dies
   * archiving (a bundle that exhausts its memory) still counts; past the limit
   * the run is settled without its archive instead of being tried again forever.
   */
  archiveAttempts: integer('archive_attempts').notNull().default(0),
  /** Live progress for the page while running: epoch, steps, checkpoints present; bumped with `live_seq`. */
  liveJson: text('live_json').$type<JsonText<StoredLiveProgress>>().notNull().default(toJsonText<StoredLiveProgress>({})),
  liveSeq: integer('live_seq').notNull().default(0),
  /** Worker labels the run needs (its profile's and its launch's): only a worker carrying all of them claims it. */
  labelsJson: text('labels_json').$type<JsonText<string[]>>().notNull().default(toJsonText<string[]>([])),
  /** The worker that claimed the run (runs.worker_id is the lease holder, which a sweep takes over); the host is `host`. */
  workerId: text('worker_id'),
});

/**
 * Workers say what they can run: their host, labels, GPUs and the profiles
 * available on their host (availability is the worker's host's, not the web
 * server's). A clean stop sets `state` offline; one whose heartbeat is older
 * than the lease is shown offline too (lib/workers/match.ts workerState).
 */
export const workers = sqliteTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  concurrency: integer('concurrency').notNull(),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
  state: text('state').$type<WorkerState>().notNull().default('online'),
  /** Its labels, its host name's among them, sorted. */
  labelsJson: text('labels_json').$type<JsonText<string[]>>().notNull().default(toJsonText<string[]>([])),
  /** `nvidia-smi` on its host (lib/workers/gpus.ts); empty without one. */
  gpusJson: text('gpus_json').$type<JsonText<GpuInfo[]>>().notNull().default(toJsonText<GpuInfo[]>([])),
  /** Profiles configured on its host with availability and reason; null until it has checked. */
  profilesJson: text('profiles_json').$type<JsonText<ProfileAvailability[]>>(),
});

/**
 * Sessions ended with "Log out", by the SHA-256 of their token: every web
 * server on the database refuses them, not only the one that ended them.
 * Kept until the token would have expired anyway.
 */
export const revokedSessions = sqliteTable('revoked_sessions', {
  id: text('id').primaryKey(),
  expiresAt: integer('expires_at').notNull(),
});

export type Run = typeof runs.$inferSelect;
export type Launch = typeof launches.$inferSelect;
export type NewRun = typeof runs.$inferInsert;

/**
 * Plan files found under the plans folder or above imported bundles. A plan
 * is re-read when its mtime or size changes; its rows are replaced whole.
 */
export const plans = sqliteTable('plans', {
  /** Short hash of the absolute path: the plan's id in URLs. */
  id: text('id').primaryKey(),
  path: text('path').notNull().unique(),
  /** Path relative to the repository holding it (`plans/active/…/plan.md`); what pages and the evidence show. */
  display: text('display').notNull(),
  initiative: text('initiative').notNull(),
  title: text('title'),
  mtimeMs: integer('mtime_ms').notNull(),
  size: integer('size').notNull(),
  problemsJson: text('problems_json').$type<JsonText<Problem[]>>().notNull().default(toJsonText<Problem[]>([])),
  indexedAt: integer('indexed_at').notNull(),
});

export const planRows = sqliteTable(
  'plan_rows',
  {
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'cascade' }),
    rowId: text('row_id').notNull(),
    ord: integer('ord').notNull(),
    phase: text('phase'),
    phaseId: text('phase_id'),
    description: text('description').notNull(),
    state: text('state').notNull(),
    guidance: text('guidance').notNull(),
    line: integer('line').notNull(),
    endLine: integer('end_line').notNull(),
  },
  (t) => [primaryKey({ columns: [t.planId, t.rowId] })],
);

/**
 * Which plan rows a run proves. Keyed by the plan's path, not its id row, so
 * a link outlives the row (or the plan) it names: that is a flag, not a loss.
 */
export const runPlanRows = sqliteTable(
  'run_plan_rows',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    planPath: text('plan_path').notNull(),
    planDisplay: text('plan_display').notNull(),
    rowId: text('row_id').notNull(),
    source: text('source', { enum: ['summary', 'brief', 'folder', 'launch'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.planPath, t.rowId] }), index('run_plan_rows_row').on(t.planPath, t.rowId)],
);

export type Plan = typeof plans.$inferSelect;
export type PlanRowRecord = typeof planRows.$inferSelect;
