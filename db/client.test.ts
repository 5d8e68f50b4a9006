/**
 * Transactions seen from beside them: a statement another request issues
 * while a transaction's async body is open must neither see its uncommitted
 * rows nor be rolled back with it. PostgreSQL gives each its own connection;
 * SQLite has one connection per process, so db/client.ts holds such
 * statements at a gate until the transaction ends.
 */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from './client';
import { getRun } from './queries/runs';
import { enqueueTestRun, openTempDb, type TempDb } from './queries/testing';
import { backends } from './testing/backends';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = async (db: Db) => (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM runs`))!.n;

describe.each(backends())('transactions beside other requests (%s)', (backend) => {
  let t: TempDb;
  beforeEach(async () => {
    t = await openTempDb('rp-client-', backend);
  });
  afterEach(() => t.close());

  it('a read beside an open transaction sees only what is committed', async () => {
    const { db } = t;
    let inside = 0;
    const failing = db.tx(async (tx) => {
      await enqueueTestRun(tx, 'a', 1000);
      inside = await count(tx);
      await sleep(80);
      throw new Error('rolled back');
    });
    await sleep(10);
    // Issued while the body sleeps, the builder and the raw read alike: neither may see the run it never committed.
    // (Promise.all starts the builder now; a drizzle builder runs when it is first awaited.)
    const reads = Promise.all([count(db), db.orm.select({ id: db.t.runs.id }).from(db.t.runs)]);
    await expect(failing).rejects.toThrow('rolled back');
    const [raw, built] = await reads;
    expect(inside).toBe(1);
    expect(raw).toBe(0);
    expect(built).toEqual([]);
    expect(await count(db)).toBe(0);
  });

  it('a write beside a transaction that rolls back is kept', async () => {
    const { db } = t;
    await enqueueTestRun(db, 'kept', 1000);
    const failing = db.tx(async (tx) => {
      await enqueueTestRun(tx, 'dropped', 2000);
      await sleep(60);
      throw new Error('the body fails');
    });
    await sleep(10);
    // Started now (a builder runs when first awaited), while the failing body sleeps.
    const renamed = Promise.resolve(db.orm.update(db.t.runs).set({ name: 'renamed beside it' }).where(sql`id = 'kept'`));
    await expect(failing).rejects.toThrow('the body fails');
    await renamed;
    expect(await getRun({ db, id: 'dropped' })).toBeUndefined();
    expect((await getRun({ db, id: 'kept' }))!.name).toBe('renamed beside it');
  });

  it('inside a transaction, the outer db joins it instead of waiting on it', async () => {
    const { db } = t;
    const out = await Promise.race([
      db.tx(async (tx) => {
        await enqueueTestRun(tx, 'x', 1000);
        // A helper that was handed the outer db: on SQLite it must run in this transaction, not wait for it to end.
        await db.tx(async (inner) => inner.orm.update(inner.t.runs).set({ name: 'from the outer db' }).where(sql`id = 'x'`));
        return backend === 'sqlite' ? count(db) : count(tx);
      }),
      sleep(5000).then(() => 'deadlocked'),
    ]);
    expect(out).toBe(1);
    expect((await getRun({ db, id: 'x' }))!.name).toBe('from the outer db');
  });
});
