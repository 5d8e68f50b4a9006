/**
 * Tables. Time columns end in `_at` and hold integer milliseconds. The
 * evidence document is stored whole (`evidence_json`) so the page and the API
 * serve exactly what `runproof show --json` prints; the other columns and
 * tables exist to filter, sort and chart without parsing it.
 */
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    /** Stable identity of the evidence: bundle folder (+ `#log` when a folder holds several runs). */
    sourceKey: text('source_key').notNull(),
    origin: text('origin', { enum: ['imported', 'launched'] }).notNull(),
    status: text('status').notNull(),
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
    evidenceJson: text('evidence_json').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('runs_source_key').on(t.sourceKey),
    // The runs page sorts by start time and filters by status/initiative; these keep it an index walk at 10k+ runs.
    index('runs_started').on(t.startedAt, t.id),
    index('runs_status_started').on(t.status, t.startedAt),
    index('runs_initiative_started').on(t.initiative, t.startedAt),
  ],
);

export const bundleFiles = sqliteTable(
  'bundle_files',
  {
    runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    role: text('role').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.path] })],
);

export const epochValues = sqliteTable(
  'epoch_values',
  {
    runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
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
    runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    metric: text('metric').notNull(),
    points: integer('points').notNull(),
    /**
     * The series downsampled for charts (≤ 2,000 [step, value] pairs, min/max
     * per bucket, first and last kept), computed when the points are written:
     * a page never reads a million points to draw two thousand.
     */
    chartJson: text('chart_json').notNull(),
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
    runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
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
    runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
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
    runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    checkId: text('check_id').notNull(),
    status: text('status').notNull(),
    detail: text('detail').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.checkId] }), index('checks_status').on(t.checkId, t.status)],
);

export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;
