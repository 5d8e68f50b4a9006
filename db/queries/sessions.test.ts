import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends';
import { isSessionRevoked, revokeSession } from './sessions';
import { openTempDb, type TempDb } from './testing';

describe.each(backends())('ended sessions (%s)', (backend) => {
  let t: TempDb;
  beforeEach(async () => {
    t = await openTempDb('rp-sessions-', backend);
  });
  afterEach(() => t.close());

  it('a revoked session is refused until it would have expired; ones past their expiry are forgotten', async () => {
    const { db } = t;
    await revokeSession({ db, id: 'a'.repeat(64), expiresAt: 10_000, now: 1000 });
    expect(await isSessionRevoked({ db, id: 'a'.repeat(64), now: 2000 })).toBe(true);
    expect(await isSessionRevoked({ db, id: 'b'.repeat(64), now: 2000 })).toBe(false);
    // Twice is once.
    await revokeSession({ db, id: 'a'.repeat(64), expiresAt: 10_000, now: 1000 });
    expect((await db.orm.select().from(db.t.revokedSessions)).length).toBe(1);
    // Past its expiry it is no longer listed (the token itself has expired), and the next revocation clears it out.
    expect(await isSessionRevoked({ db, id: 'a'.repeat(64), now: 10_000 })).toBe(false);
    await revokeSession({ db, id: 'c'.repeat(64), expiresAt: 50_000, now: 20_000 });
    expect((await db.orm.select({ id: db.t.revokedSessions.id }).from(db.t.revokedSessions)).map((r) => r.id)).toEqual(['c'.repeat(64)]);
  });
});
