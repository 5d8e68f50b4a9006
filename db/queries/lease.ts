/**
 * The fence every worker write takes after a claim, and the two SQL pieces
 * the queue statements spell differently on each backend. Shared by
 * launches.ts, live-log.ts and workers.ts.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client';

/**
 * Does `token` still hold the run's lease? Asked first inside the writing
 * transaction. SQLite runs one writer at a time (BEGIN IMMEDIATE), so the
 * answer holds until commit. PostgreSQL runs transactions side by side: the
 * row is locked (FOR UPDATE) so a sweep re-leasing the run waits for this
 * transaction to commit, or this one waits for the sweep and then sees the
 * new token. Either way no write lands under a lease that was taken over.
 */
export async function holdsLease(tx: Db, runId: string, token: string): Promise<boolean> {
  return (await tx.get(sql`SELECT 1 AS one FROM runs WHERE id = ${runId} AND lease_token = ${token}${forUpdate(tx)}`)) !== undefined;
}

/** ` FOR UPDATE` on PostgreSQL (lock the rows read, for the rest of the transaction); nothing on SQLite, whose writer holds the whole file. */
export function forUpdate(db: Db): SQL {
  return db.dialect === 'postgres' ? sql` FOR UPDATE` : sql``;
}

/**
 * The strings of a JSON array (a bound JSON text, or a column holding one) as
 * a subquery of one column, `value`: any number of values binds one variable.
 */
export function jsonStrings(db: Db, json: SQL | string): SQL {
  return db.dialect === 'postgres' ? sql`SELECT jsonb_array_elements_text(${json}::jsonb) AS value` : sql`SELECT value FROM json_each(${json})`;
}
