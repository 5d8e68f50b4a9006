/**
 * For tests on PostgreSQL: a fresh database per test, copied from a migrated
 * template, on the server RUNPROOF_TEST_DATABASE_URL names (any database on
 * it; the role must be allowed CREATE DATABASE). Unset: the tests that take
 * a backend run on SQLite only (db/testing/backends.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { closeDb, openDb } from '../client';

export function testServerUrl(): string | undefined {
  const v = process.env.RUNPROOF_TEST_DATABASE_URL;
  return v ? v : undefined;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The template's name says which migrations it holds (a changed migration makes a new one) and whose it is (only its owner may copy it). */
function templateName(root: string, serverUrl: string): string {
  const dir = path.join(root, 'db/migrations-pg');
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.sql')) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  h.update(decodeURIComponent(new URL(serverUrl).username));
  return `runproof_tpl_${h.digest('hex').slice(0, 12)}`;
}

const TEMPLATE_LOCK = 7_272_708;

/** `fn` with a client of its own on `url`, ended after. */
export async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new, migrated, empty database; returns its URL. */
export async function createTestDatabase(serverUrl: string, root: string): Promise<string> {
  const tpl = templateName(root, serverUrl);
  const name = `runproof_t_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await admin(serverUrl, async (c) => {
    await c.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const have = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [tpl]);
      if (have.rowCount === 0) {
        await c.query(`CREATE DATABASE "${tpl}"`);
        const tplUrl = withDatabase(serverUrl, tpl);
        await openDb(tplUrl);
        await closeDb(tplUrl);
      }
      await c.query(`CREATE DATABASE "${name}" TEMPLATE "${tpl}"`);
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  return withDatabase(serverUrl, name);
}

/**
 * Drop a test database once its last session is gone. A role that is not a
 * superuser (CI's) may not end sessions of others — autovacuum opens one on a
 * database that just took many rows — so this waits them out (up to 10 s)
 * instead of forcing, and leaves the database with a warning rather than
 * failing the test that used it.
 */
export async function dropTestDatabase(serverUrl: string, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await admin(serverUrl, async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
        return;
      } catch (e) {
        // 55006: object_in_use (another session is connected to it).
        if ((e as { code?: string }).code !== '55006' || attempt >= 50) {
          console.warn(`test database ${name} left behind: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
}
