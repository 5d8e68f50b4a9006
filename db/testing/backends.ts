/**
 * The backends a database test runs on: SQLite always, PostgreSQL when
 * RUNPROOF_TEST_DATABASE_URL names a server (CI gives one). Use with
 * `describe.each(backends())('… (%s)', (backend) => …)` and open the
 * database with openTempDb(prefix, backend).
 */
import type { Dialect } from '../client';
import { testServerUrl } from './postgres';

export function backends(): Dialect[] {
  return testServerUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
}
