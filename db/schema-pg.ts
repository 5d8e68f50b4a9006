/**
 * The PostgreSQL tables, derived from the one schema description in
 * db/schema.ts: each SQLite table is read back with getTableConfig and built
 * again with pg-core, so a column, index or key is declared once.
 *
 * Types: text → text, integer → bigint (mode number: times are milliseconds,
 * past int4), real → double precision, a boolean integer → boolean, a blob →
 * bytea. A single-column integer primary key is SQLite's rowid alias, which
 * numbers rows it is not given; here it is an identity column that does the
 * same. `drizzle-kit generate --config drizzle.pg.config.ts` writes
 * db/migrations-pg from these tables.
 */
import { getTableColumns, is, SQL, type Column } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  foreignKey,
  index,
  type PgColumnBuilderBase,
  type PgTableWithColumns,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { getTableConfig, type SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as sqlite from './schema';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

// biome-ignore lint/suspicious/noExplicitAny: the derived tables are typed by their SQLite twins (db/client.ts Tables)
type AnyPgTable = PgTableWithColumns<any>;

function columnFor(c: SQLiteColumn, identity: boolean): PgColumnBuilderBase {
  let b;
  switch (c.columnType) {
    case 'SQLiteText':
      b = text(c.name);
      break;
    case 'SQLiteInteger':
      b = bigint(c.name, { mode: 'number' });
      if (identity) b = b.generatedByDefaultAsIdentity();
      break;
    case 'SQLiteReal':
      b = doublePrecision(c.name);
      break;
    case 'SQLiteBoolean':
      b = boolean(c.name);
      break;
    case 'SQLiteBlobBuffer':
      b = bytea(c.name);
      break;
    default:
      throw new Error(`db/schema-pg.ts: no PostgreSQL type for ${c.columnType} (column ${c.name})`);
  }
  if (c.primary) b = b.primaryKey();
  if (c.notNull && !c.primary) b = b.notNull();
  if (c.hasDefault && c.default !== undefined) b = b.default(c.default as never);
  if (c.isUnique) b = b.unique(c.uniqueName);
  return b;
}

const built = new Map<string, AnyPgTable>();

function pgTableFor(t: SQLiteTable): AnyPgTable {
  const cfg = getTableConfig(t);
  const have = built.get(cfg.name);
  if (have) return have;
  // A rowid alias that is also a foreign key (run_search_text.id) is always given its value.
  const fkColumns = new Set(cfg.foreignKeys.flatMap((fk) => fk.reference().columns.map((c) => c.name)));
  const rowidKey = (c: SQLiteColumn) => c.primary && c.columnType === 'SQLiteInteger' && !fkColumns.has(c.name);
  const cols: Record<string, PgColumnBuilderBase> = {};
  const keyOf = new Map<string, string>();
  for (const [key, c] of Object.entries(getTableColumns(t)) as [string, SQLiteColumn][]) {
    cols[key] = columnFor(c, rowidKey(c));
    keyOf.set(c.name, key);
  }
  const table: AnyPgTable = pgTable(cfg.name, cols, (pt) => {
    const col = (c: Column) => pt[keyOf.get(c.name) as string];
    const part = (p: Column | SQL) => (is(p, SQL) ? p : col(p as Column));
    const extra = [];
    for (const pk of cfg.primaryKeys) extra.push(primaryKey({ columns: pk.columns.map(col) as [never, ...never[]] }));
    for (const u of cfg.uniqueConstraints) extra.push(unique(u.name).on(...(u.columns.map(col) as [never, ...never[]])));
    for (const ix of cfg.indexes) {
      const parts = ix.config.columns.map((p) => part(p as Column | SQL)) as [never, ...never[]];
      extra.push((ix.config.unique ? uniqueIndex(ix.config.name) : index(ix.config.name)).on(...parts));
    }
    for (const fk of cfg.foreignKeys) {
      const ref = fk.reference();
      const target = pgTableFor(ref.foreignTable);
      const targetKey = (c: Column) => target[Object.entries(getTableColumns(ref.foreignTable)).find(([, fc]) => fc.name === c.name)![0]];
      let b = foreignKey({ columns: ref.columns.map(col) as [never, ...never[]], foreignColumns: ref.foreignColumns.map(targetKey) as [never, ...never[]] });
      if (fk.onDelete) b = b.onDelete(fk.onDelete);
      if (fk.onUpdate && fk.onUpdate !== 'no action') b = b.onUpdate(fk.onUpdate);
      extra.push(b);
    }
    return extra;
  });
  built.set(cfg.name, table);
  return table;
}

/** Every table of db/schema.ts, under the same export names. */
export const pgTables = Object.fromEntries(
  Object.entries(sqlite)
    .filter(([, v]) => v && typeof v === 'object' && is(v, SQLiteTable))
    .map(([k, v]) => [k, pgTableFor(v as SQLiteTable)]),
) as Record<string, AnyPgTable>;

// drizzle-kit reads the tables from this module's exports.
export const {
  runs,
  runSearch,
  runSearchText,
  bundleFiles,
  storedFiles,
  storedFileChunks,
  liveLog,
  epochValues,
  series,
  points,
  checkpoints,
  warnings,
  checks,
  launches,
  workers,
  plans,
  planRows,
  runPlanRows,
  revokedSessions,
} = pgTables;
