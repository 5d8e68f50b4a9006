/**
 * One better-sqlite3 connection per database file per process, cached on
 * globalThis so Next's hot reload does not open a new one per request.
 * Migrations are applied when the connection opens.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';
import { getEnv } from '../server/env';
import { syncRunColumnsOnOpen } from './queries/runs';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const g = globalThis as unknown as { __runproofDbs?: Map<string, Db> };

export function openDb(file: string = getEnv().dbPath): Db {
  g.__runproofDbs ??= new Map();
  const cached = g.__runproofDbs.get(file);
  if (cached) return cached;
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  // FULL: a run's state transitions must survive power loss (docs/architecture.md, Layers); commits here are few and batched.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: path.join(getEnv().root, 'db/migrations') });
  // Verdicts and search lines of rows written before they existed (or under an older verdict rule): only when the rules changed.
  syncRunColumnsOnOpen({ db });
  g.__runproofDbs.set(file, db);
  return db;
}

export function closeDb(file: string = getEnv().dbPath): void {
  const db = g.__runproofDbs?.get(file);
  if (db) {
    db.$client.close();
    g.__runproofDbs!.delete(file);
  }
}
