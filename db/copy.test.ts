/**
 * `runproof db copy`: a real SQLite install (the bundled PtychoPINN evidence
 * imported with its files archived, its plans indexed, a queued launch)
 * copied into a fresh PostgreSQL database. PostgreSQL only: needs
 * RUNPROOF_TEST_DATABASE_URL (CI gives one).
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { importBundles } from '../server/bundles';
import { COPY_ORDER, copyDatabase } from './copy';
import { getRunEvidence, listRuns } from './queries/runs';
import { getStoredFile, readStoredChunks } from './queries/stored-files';
import { enqueueTestRun, openTempDb, type TempDb } from './queries/testing';
import { testServerUrl } from './testing/postgres';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'ptychopinn');

describe.skipIf(!testServerUrl())('db copy: SQLite into PostgreSQL', () => {
  let from: TempDb;
  let to: TempDb;
  beforeEach(async () => {
    from = await openTempDb('runproof-copy-', 'sqlite');
    to = await openTempDb('runproof-copy-', 'postgres');
  });
  afterEach(async () => {
    await from.close();
    await to.close();
  });

  test('every table arrives whole; a second copy adds nothing; a half-done copy is finished by the next', async () => {
    const imported = await importBundles({ db: from.db, roots: [FIXTURES], archive: true });
    expect(imported.added).toBeGreaterThan(10);
    await enqueueTestRun(from.db, 'queued1', Date.now());
    const progress: string[] = [];
    const first = await copyDatabase({ from: from.db, to: to.db, onProgress: (p) => progress.push(`${p.table} ${p.copied}/${p.total}`), batchRows: 50 });
    expect(first.same).toBe(true);
    expect(first.tables.map((t) => t.table)).toHaveLength(COPY_ORDER.length);
    for (const t of first.tables) expect(t.inserted, t.table).toBe(t.source);
    const byName = Object.fromEntries(first.tables.map((t) => [t.table, t]));
    for (const t of ['runs', 'points', 'series', 'checks', 'stored_files', 'stored_file_chunks', 'plans', 'plan_rows', 'run_plan_rows', 'launches']) expect(byName[t].source, t).toBeGreaterThan(0);
    expect(progress).toContain(`points ${byName.points.source}/${byName.points.source}`);

    // The same evidence, list and stored files come back from PostgreSQL.
    const a = await listRuns({ db: from.db });
    const b = await listRuns({ db: to.db });
    expect(b.total).toBe(a.total);
    expect(b.rows.map((r) => r.id)).toEqual(a.rows.map((r) => r.id));
    for (const r of a.rows.slice(0, 5)) expect(await getRunEvidence({ db: to.db, id: r.id })).toEqual(await getRunEvidence({ db: from.db, id: r.id }));
    const stored = (await from.db.all<{ runId: string; path: string }>(sql`SELECT run_id AS "runId", path FROM stored_files LIMIT 3`))[0];
    const fa = await getStoredFile({ db: from.db, runId: stored.runId, path: stored.path });
    const fb = await getStoredFile({ db: to.db, runId: stored.runId, path: stored.path });
    expect(fb).toEqual(fa);
    const bytes = async (t: TempDb) => Buffer.concat((await readStoredChunks({ db: t.db, runId: stored.runId, path: stored.path, first: 0, last: fa!.chunks - 1 })).map((c) => c.bytes));
    expect((await bytes(to)).equals(await bytes(from))).toBe(true);

    // Again: nothing new.
    const second = await copyDatabase({ from: from.db, to: to.db });
    expect(second.same).toBe(true);
    for (const t of second.tables) expect(t.inserted, t.table).toBe(0);

    // A copy cut off half-way (here: the last half of the points and every check gone) is finished by running it again.
    await to.db.run(sql`DELETE FROM points WHERE seq > 10`);
    await to.db.run(sql`DELETE FROM checks`);
    const third = await copyDatabase({ from: from.db, to: to.db });
    expect(third.same).toBe(true);
    expect(Object.fromEntries(third.tables.map((t) => [t.table, t.inserted])).checks).toBe(byName.checks.source);

    // Keys drawn after the copy do not collide with copied ones (identity sequences moved past them).
    await enqueueTestRun(to.db, 'after-copy', Date.now());
    await to.db.run(sql`INSERT INTO series (run_id, metric, points, chart_json) VALUES ('after-copy', 'm', 0, '[]')`);
  });

  test('a target holding other rows is reported, table by table', async () => {
    await enqueueTestRun(from.db, 'a', Date.now());
    await enqueueTestRun(to.db, 'only-in-postgres', Date.now());
    const r = await copyDatabase({ from: from.db, to: to.db });
    expect(r.same).toBe(false);
    const runs = r.tables.find((t) => t.table === 'runs')!;
    expect(runs).toMatchObject({ source: 1, target: 2, inserted: 1 });
  });
});
