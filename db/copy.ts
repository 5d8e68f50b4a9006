/**
 * `runproof db copy --to postgres://…`: every row of a SQLite database (runs,
 * points, plans, links, stored bundle files, workers…) into a PostgreSQL
 * database migrated to the same schema.
 *
 * Idempotent: rows are inserted with ON CONFLICT DO NOTHING on each table's
 * primary key, in batches that commit one by one, so a copy that stopped
 * half-way (a cut link, Ctrl-C) is finished by running it again. Tables go
 * parents first, so foreign keys hold at every commit. Identity sequences
 * are moved past the copied keys at the end, and the row counts of both
 * sides are compared table by table.
 */
import { getTableColumns } from 'drizzle-orm';
import { getTableConfig as getPgTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './client';
import { pgTables } from './schema-pg';

/** Parents before children (db/schema.ts foreign keys). */
export const COPY_ORDER = [
  'runs',
  'runSearch',
  'runSearchText',
  'bundleFiles',
  'storedFiles',
  'storedFileChunks',
  'liveLog',
  'epochValues',
  'series',
  'points',
  'checkpoints',
  'warnings',
  'checks',
  'launches',
  'workers',
  'plans',
  'planRows',
  'runPlanRows',
  'revokedSessions',
] as const;

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
  /** Rows this copy inserted (0 for a table a previous copy finished). */
  inserted: number;
}

export interface CopyResult {
  tables: TableCount[];
  /** Every table holds as many rows on both sides. */
  same: boolean;
  ms: number;
}

/** PostgreSQL takes at most 65,535 parameters a statement; a batch stays well under. */
const MAX_PARAMS = 30_000;

export async function copyDatabase(opts: { from: Db; to: Db; onProgress?: (p: CopyProgress) => void; batchRows?: number }): Promise<CopyResult> {
  const { from, to } = opts;
  if (from.dialect !== 'sqlite' || !from.sqlite) throw new Error('db copy reads a SQLite database');
  if (to.dialect !== 'postgres' || !to.pool) throw new Error('db copy writes to a PostgreSQL database (postgres://…)');
  const started = performance.now();
  const src = from.sqlite;
  const tables: TableCount[] = [];
  for (const key of COPY_ORDER) {
    const pgTable = pgTables[key] as PgTable;
    const cfg = getPgTableConfig(pgTable);
    const cols = Object.values(getTableColumns(pgTable)).map((c) => ({ name: c.name, bool: c.columnType === 'PgBoolean' }));
    const keyCols = cfg.primaryKeys[0]?.columns.map((c) => c.name) ?? cfg.columns.filter((c) => c.primary).map((c) => c.name);
    const total = (src.prepare(`SELECT count(*) AS n FROM "${cfg.name}"`).get() as { n: number }).n;
    const perBatch = Math.max(1, Math.min(opts.batchRows ?? 2000, Math.floor(MAX_PARAMS / cols.length)));
    const names = cols.map((c) => `"${c.name}"`).join(', ');
    // Keyset paging on the primary key (some tables are WITHOUT ROWID): each batch starts after the last one's key.
    const keyList = keyCols.map((c) => `"${c}"`).join(', ');
    const first = src.prepare(`SELECT ${names} FROM "${cfg.name}" ORDER BY ${keyList} LIMIT ?`);
    const next = src.prepare(`SELECT ${names} FROM "${cfg.name}" WHERE (${keyList}) > (${keyCols.map(() => '?').join(', ')}) ORDER BY ${keyList} LIMIT ?`);
    let after: unknown[] | null = null;
    let copied = 0;
    let inserted = 0;
    let lastReport = 0;
    opts.onProgress?.({ table: cfg.name, copied: 0, total });
    for (;;) {
      const rows = (after ? next.all(...after, perBatch) : first.all(perBatch)) as Array<Record<string, unknown>>;
      if (!rows.length) break;
      const last = rows[rows.length - 1];
      after = keyCols.map((c) => last[c]);
      const values: unknown[] = [];
      const tuples = rows.map((r) => {
        const marks = cols.map((c) => {
          const v = r[c.name];
          values.push(c.bool && v !== null ? Boolean(v) : v);
          return `$${values.length}`;
        });
        return `(${marks.join(', ')})`;
      });
      const res = await to.pool.query(`INSERT INTO "${cfg.name}" (${names}) VALUES ${tuples.join(', ')} ON CONFLICT (${keyCols.map((c) => `"${c}"`).join(', ')}) DO NOTHING`, values);
      inserted += res.rowCount ?? 0;
      copied += rows.length;
      if (performance.now() - lastReport > 1000 || copied === total) {
        lastReport = performance.now();
        opts.onProgress?.({ table: cfg.name, copied, total });
      }
    }
    // Keys copied into an identity column: the next one drawn there must come after them.
    for (const c of cfg.columns.filter((x) => (x as unknown as { generatedIdentity?: unknown }).generatedIdentity)) {
      await to.pool.query(
        `SELECT setval(pg_get_serial_sequence('"${cfg.name}"', '${c.name}'), GREATEST((SELECT COALESCE(max("${c.name}"), 0) FROM "${cfg.name}"), 1), (SELECT count(*) > 0 FROM "${cfg.name}"))`,
      );
    }
    const target = Number((await to.pool.query(`SELECT count(*) AS n FROM "${cfg.name}"`)).rows[0].n);
    tables.push({ table: cfg.name, source: total, target, inserted });
  }
  return { tables, same: tables.every((t) => t.source === t.target), ms: performance.now() - started };
}
