/**
 * The database: SQLite (the embedded default, one better-sqlite3 connection
 * per file per process) or PostgreSQL (`RUNPROOF_DATABASE_URL=postgres://…`,
 * a `pg` pool). Both are reached through one async `Db`, so db/queries/* is
 * written once:
 *
 * - `db.orm` builds queries with drizzle; `db.t` holds this dialect's tables
 *   (db/schema.ts, or db/schema-pg.ts derived from it). Await a builder; use
 *   `.returning()` for rows written and `affected()` for a count, never the
 *   SQLite-only `.run()`/`.all()`/`.get()`.
 * - `db.all`/`db.get`/`db.run` take raw `sql` for what the builder cannot
 *   say; quote camelCase aliases (`AS "startedAt"`), because PostgreSQL folds
 *   bare names to lower case, and compare booleans with `${true}`.
 * - `db.tx(fn)` runs fn in one transaction (SQLite: BEGIN IMMEDIATE, one at a
 *   time per connection; PostgreSQL: a pooled client). Inside it, `tx` is the
 *   Db to use; a nested tx joins the outer one.
 * - `db.listen`/`db.notify`: PostgreSQL LISTEN/NOTIFY. On SQLite (one host)
 *   notify does nothing and listeners are never called: callers poll.
 *
 * Migrations are applied when the database opens: db/migrations (SQLite) or
 * db/migrations-pg (PostgreSQL, under an advisory lock so servers and
 * workers starting together apply them once).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { entityKind, type SQL, sql } from 'drizzle-orm';
import { type BetterSQLite3Database, drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema';
import { pgTables } from './schema-pg';
import { getEnv } from '../server/env';
// A cycle (runs.ts imports affected() from here), safe: neither side calls the other while its module loads.
import { syncRunColumnsOnOpen } from './queries/runs';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The query builder, typed by the SQLite schema. On PostgreSQL it is drizzle's
 * node-postgres database over the derived tables in `t`: the builder methods
 * queries use (select, insert, update, delete, onConflict…, returning, await)
 * behave the same; the SQLite-only ones are kept out of db/queries by
 * db/queries/portable.test.ts.
 */
export type Orm = BetterSQLite3Database<typeof schema>;
export type Tables = Pick<
  typeof schema,
  | 'runs'
  | 'runSearch'
  | 'runSearchText'
  | 'bundleFiles'
  | 'storedFiles'
  | 'storedFileChunks'
  | 'liveLog'
  | 'epochValues'
  | 'series'
  | 'points'
  | 'checkpoints'
  | 'warnings'
  | 'checks'
  | 'launches'
  | 'workers'
  | 'plans'
  | 'planRows'
  | 'runPlanRows'
  | 'revokedSessions'
>;

export interface Db {
  readonly dialect: Dialect;
  readonly orm: Orm;
  readonly t: Tables;
  /** The database for messages: the SQLite file, or the URL without its password. */
  readonly where: string;
  /** True inside db.tx. */
  readonly inTx: boolean;
  all<T>(q: SQL): Promise<T[]>;
  get<T>(q: SQL): Promise<T | undefined>;
  /** Rows changed. */
  run(q: SQL): Promise<number>;
  /**
   * `durable: false`: a write that is a copy of something kept elsewhere (live points, the live log) commits without
   * waiting for the disk (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off); still crash-consistent.
   * Ignored by a nested tx (the outer one decides).
   */
  tx<T>(fn: (tx: Db) => Promise<T>, opts?: { durable?: boolean }): Promise<T>;
  /** Call `onMessage` for each NOTIFY on `channel` until the returned function is called (PostgreSQL; a no-op on SQLite). */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** NOTIFY `channel` (inside a tx: on commit). A no-op on SQLite. */
  notify(channel: string, payload?: string): Promise<void>;
  /** The schema-independent stamp of derived columns (SQLite user_version; PostgreSQL runproof_meta). */
  userVersion(): Promise<number>;
  setUserVersion(v: number): Promise<void>;
  /** The underlying better-sqlite3 connection (SQLite only: tests and the benchmark's bulk loads). */
  readonly sqlite?: Database.Database;
  /** The pool (PostgreSQL only). */
  readonly pool?: pg.Pool;
}

/** Rows an awaited insert/update/delete changed, on either driver. */
export function affected(result: unknown): number {
  const r = result as { changes?: number; rowCount?: number | null };
  return r.changes ?? r.rowCount ?? 0;
}

/** The repository root (where db/migrations* live). */
export function getEnvRoot(): string {
  return getEnv().root;
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** A PostgreSQL URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'a PostgreSQL URL';
  }
}

const g = globalThis as unknown as { __runproofDbs?: Map<string, Promise<Db>> };

/**
 * The database at `target` (a SQLite file path, `:memory:`, or a postgres://
 * URL; default RUNPROOF_DATABASE_URL or RUNPROOF_DB), opened once per process
 * and migrated. Cached on globalThis so Next's hot reload reuses it.
 */
export function openDb(target: string = getEnv().database): Promise<Db> {
  g.__runproofDbs ??= new Map();
  const cached = g.__runproofDbs.get(target);
  if (cached) return cached;
  const opening = (isPostgresUrl(target) ? openPostgres(target) : Promise.resolve(openSqlite(target))).then(async (db) => {
    // Verdicts and search lines of rows written before they existed (or under an older verdict rule): only when the rules changed.
    await syncRunColumnsOnOpen({ db });
    return db;
  });
  g.__runproofDbs.set(target, opening);
  opening.catch(() => g.__runproofDbs?.delete(target));
  return opening;
}

export async function closeDb(target: string = getEnv().database): Promise<void> {
  const opening = g.__runproofDbs?.get(target);
  if (!opening) return;
  g.__runproofDbs!.delete(target);
  const db = await opening.catch(() => null);
  if (db?.sqlite) db.sqlite.close();
  if (db?.pool) await db.pool.end();
}

// ---------------------------------------------------------------- SQLite

/**
 * One transaction at a time per connection, and nothing else on the
 * connection while one is open: a transaction's body is async, and a
 * statement another request issued meanwhile would run inside it (seeing its
 * uncommitted rows, and lost if it rolls back). So a statement outside the
 * transaction waits until it ends (`gate`), while one from inside it — found
 * by the async context that opened it, even through the outer `db` — runs at
 * once, and a nested `db.tx` there joins it instead of waiting on itself.
 */
class SqliteTxGate {
  private tail: Promise<void> = Promise.resolve();
  private holder: symbol | null = null;
  private ended: Promise<void> = Promise.resolve();
  private readonly owner = new AsyncLocalStorage<symbol>();

  /** Inside the open transaction's async context. */
  get mine(): boolean {
    return this.holder !== null && this.owner.getStore() === this.holder;
  }

  /** Run `fn` when no other context's transaction is open: checked and run in one step, so none can open between. */
  async through<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    while (this.holder !== null && !this.mine) await this.ended;
    return fn();
  }

  async run<T>(body: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const done = new Promise<void>((r) => {
      release = r;
    });
    const prev = this.tail;
    this.tail = prev.then(() => done);
    await prev;
    const me = Symbol('tx');
    this.holder = me;
    this.ended = done;
    try {
      return await this.owner.run(me, body);
    } finally {
      this.holder = null;
      release();
    }
  }
}

/** A query builder that waits at the gate before it runs (awaited builders run in `then`). */
function gated<T extends object>(target: T, through: SqliteTxGate['through']): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver);
      if (typeof v !== 'function' || prop === 'constructor' || typeof prop === 'symbol') return v;
      if (prop === 'then') return (onFulfilled?: (x: unknown) => unknown, onRejected?: (e: unknown) => unknown) => through(() => (v as PromiseLike<unknown>['then']).call(t, onFulfilled, onRejected));
      return (...args: unknown[]) => {
        const out = (v as (...a: unknown[]) => unknown).apply(t, args);
        // Every drizzle builder down the chain (select() → from() → where() …), so the one finally awaited is gated.
        return out !== null && typeof out === 'object' && entityKind in (out as object).constructor ? gated(out as object, through) : out;
      };
    },
  });
}

function openSqlite(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  // FULL: a run's state transitions must survive power loss (docs/architecture.md, Layers); commits here are few and batched.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const orm = drizzleSqlite(sqlite, { schema }) as Orm;
  migrateSqlite(orm, { migrationsFolder: path.join(getEnv().root, 'db/migrations') });
  const txs = new SqliteTxGate();
  const through: SqliteTxGate['through'] = (fn) => txs.through(fn);
  // Outside a transaction every statement passes the gate; inside, the body's own statements run as they come.
  const gatedOrm = gated(orm, through);
  const make = (inTx: boolean): Db => {
    const pass: SqliteTxGate['through'] = inTx ? async (fn) => fn() : through;
    const db: Db = {
      dialect: 'sqlite',
      orm: inTx ? orm : gatedOrm,
      t: schema,
      where: file,
      inTx,
      sqlite,
      all: <T>(q: SQL) => pass(() => orm.all(q) as T[]),
      get: <T>(q: SQL) => pass(() => orm.get(q) as T | undefined),
      run: (q: SQL) => pass(() => orm.run(q).changes),
      async tx<T>(fn: (tx: Db) => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
        if (inTx || txs.mine) return fn(make(true));
        return txs.run(async () => {
          // Under the gate (the pragma cannot change inside a transaction): no other transaction commits with it.
          const lax = opts?.durable === false;
          if (lax) sqlite.pragma('synchronous = NORMAL');
          try {
            sqlite.prepare('BEGIN IMMEDIATE').run();
            try {
              const out = await fn(make(true));
              sqlite.prepare('COMMIT').run();
              return out;
            } catch (e) {
              if (sqlite.inTransaction) sqlite.prepare('ROLLBACK').run();
              throw e;
            }
          } finally {
            if (lax) sqlite.pragma('synchronous = FULL');
          }
        });
      },
      listen: async () => async () => {},
      notify: async () => {},
      userVersion: () => pass(() => sqlite.pragma('user_version', { simple: true }) as number),
      setUserVersion: (v: number) =>
        pass(() => {
          sqlite.pragma(`user_version = ${Math.trunc(v)}`);
        }),
    };
    return db;
  };
  return make(false);
}

// ---------------------------------------------------------------- PostgreSQL

/**
 * int8 (counts, bigint columns: milliseconds) and numeric (sums) as numbers:
 * every value here fits in 2^53. Set on pg's global parsers because drizzle's
 * node-postgres session passes those to each query, not the pool's.
 */
const asNumber = (v: string) => Number(v);
pg.types.setTypeParser(pg.types.builtins.INT8, asNumber);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, asNumber);

const MIGRATION_LOCK = 7_272_707;

async function openPostgres(url: string): Promise<Db> {
  // allowExitOnIdle: an idle pool does not hold a finished command open (pg keeps idle clients 10 s); serve and the worker stay up by their own handles.
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'runproof', allowExitOnIdle: true });
  // An idle client that loses its server (a restart, a cut link) must not take the process down.
  pool.on('error', () => {});
  const where = redactUrl(url);
  const client = await pool.connect().catch((e: Error) => {
    void pool.end();
    throw new Error(`cannot connect to ${where}: ${e.message}`);
  });
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(client), { migrationsFolder: path.join(getEnv().root, 'db/migrations-pg') });
    await client.query('CREATE TABLE IF NOT EXISTS runproof_meta (key text PRIMARY KEY, value bigint NOT NULL)');
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  const t = pgTables as unknown as Tables;
  const root = drizzlePg(pool, { schema: pgTables });
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: Promise<pg.Client> | null = null;
  const listenOn = async (): Promise<pg.Client> => {
    listenClient ??= (async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'runproof-listen' });
      c.on('error', () => {
        // The link dropped: the next listen() reconnects; callers keep their polling fallback.
        listenClient = null;
      });
      c.on('notification', (m) => {
        for (const fn of listeners.get(m.channel) ?? []) fn(m.payload ?? '');
      });
      c.on('end', () => {
        listenClient = null;
      });
      try {
        await c.connect();
        // A reconnect (the last link dropped) listens again on every channel that still has listeners.
        for (const [ch, fns] of listeners) if (fns.size) await c.query(`LISTEN ${pgIdent(ch)}`);
      } catch (e) {
        // Not cached: the next listen() tries again.
        listenClient = null;
        await c.end().catch(() => {});
        throw e;
      }
      return c;
    })();
    return listenClient;
  };
  // The transaction whose async body is running, if any: the outer db used inside it (a helper handed `db`, not
  // `tx`) goes through it, instead of taking another connection that would wait on the rows the body has locked.
  // `open` goes false when it ends: work its body started and left running (a timer) then uses the pool again.
  const current = new AsyncLocalStorage<{ orm: NodePgDatabase<Record<string, unknown>>; open: boolean }>();
  const openTx = () => {
    const c = current.getStore();
    return c?.open ? c.orm : undefined;
  };
  const make = (own: NodePgDatabase<Record<string, unknown>>, inTx: boolean): Db => {
    const ormNow = () => (inTx ? own : (openTx() ?? own));
    const exec = (q: SQL) => ormNow().execute(q);
    const db: Db = {
      dialect: 'postgres',
      get orm() {
        return ormNow() as unknown as Orm;
      },
      t,
      where,
      get inTx() {
        return inTx || openTx() !== undefined;
      },
      pool,
      all: async <T>(q: SQL) => (await exec(q)).rows as T[],
      get: async <T>(q: SQL) => (await exec(q)).rows[0] as T | undefined,
      run: async (q: SQL) => (await exec(q)).rowCount ?? 0,
      async tx<T>(fn: (tx: Db) => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
        const open = inTx ? own : openTx();
        if (open) return fn(make(open, true));
        return root.transaction(async (txOrm) => {
          const txDb = txOrm as unknown as NodePgDatabase<Record<string, unknown>>;
          if (opts?.durable === false) await txDb.execute(sql`SET LOCAL synchronous_commit = off`);
          const ctx = { orm: txDb, open: true };
          try {
            return await current.run(ctx, () => fn(make(txDb, true)));
          } finally {
            ctx.open = false;
          }
        });
      },
      async listen(channel, onMessage) {
        const c = await listenOn();
        let set = listeners.get(channel);
        if (!set) {
          set = new Set();
          listeners.set(channel, set);
        }
        // Not listened to on this link yet (a new channel, or one whose listeners all left before a reconnect).
        if (!set.size) await c.query(`LISTEN ${pgIdent(channel)}`);
        set.add(onMessage);
        return async () => {
          set!.delete(onMessage);
        };
      },
      async notify(channel, payload = '') {
        await exec(sql`SELECT pg_notify(${channel}, ${payload})`);
      },
      async userVersion() {
        const row = (await exec(sql`SELECT value FROM runproof_meta WHERE key = 'user_version'`)).rows[0] as { value: number } | undefined;
        return row?.value ?? 0;
      },
      async setUserVersion(v) {
        await exec(sql`INSERT INTO runproof_meta (key, value) VALUES ('user_version', ${Math.trunc(v)}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
      },
    };
    return db;
  };
  const db = make(root as unknown as NodePgDatabase<Record<string, unknown>>, false);
  const end = pool.end.bind(pool);
  // Ending the pool ends the listening client too.
  pool.end = (async () => {
    const c = await listenClient?.catch(() => null);
    await c?.end().catch(() => {});
    await end();
  }) as typeof pool.end;
  return db;
}

function pgIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a channel name: ${name}`);
  return `"${name}"`;
}
