/**
 * Ended sessions, shared by every web server on the database (server/session.ts):
 * a token is named by the SHA-256 of it, never stored itself.
 */
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Db } from '../client';

/** Record a session as ended until `expiresAt`; forget ones past their own expiry. */
export async function revokeSession({ db, id, expiresAt, now = Date.now() }: { db: Db; id: string; expiresAt: number; now?: number }): Promise<void> {
  const { revokedSessions } = db.t;
  await db.tx(async (tx) => {
    await tx.orm.insert(revokedSessions).values({ id, expiresAt }).onConflictDoNothing();
    await tx.orm.delete(revokedSessions).where(lte(revokedSessions.expiresAt, now));
  });
}

/** Was this session ended (and would it still be valid otherwise)? */
export async function isSessionRevoked({ db, id, now = Date.now() }: { db: Db; id: string; now?: number }): Promise<boolean> {
  const { revokedSessions } = db.t;
  const rows = await db.orm
    .select({ id: revokedSessions.id })
    .from(revokedSessions)
    .where(and(eq(revokedSessions.id, id), gt(revokedSessions.expiresAt, now)))
    .limit(1);
  return rows.length > 0;
}
