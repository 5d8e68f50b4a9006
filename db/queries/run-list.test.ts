/**
 * The runs page's data against a real SQLite file: the stored verdict, names
 * and notes, sorting with runs that lack a value last, search over plan row
 * IDs, profiles, accelerators and knob values, the launched/imported filter,
 * archive and restore, delete (the launched bundle folder removed, an
 * imported one kept), and every sort and filter an index walk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db, Dialect } from '../client';
import { backends } from '../testing/backends';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { Check, Evidence, RunStatus } from '../../lib/evidence/types';
import { VERDICT_RANK, verdictOf } from '../../lib/evidence/verdict';
import { VERDICT_RANK_SQL } from '../schema';
import { requestCancel } from './launches';
import { setRunPlanLinks } from './plans';
import { deleteRun, getRun, hasLiveRuns, listInitiatives, listRuns, RUN_SORTS, runColumnsStamp, saveRun, setRunName, setRunNotes, setRunsArchived, syncRunColumns, syncRunColumnsOnOpen } from './runs';
import { enqueueTestRun, openTempDb, type TempDb } from './testing';
import { deleteRunAndBundle } from '../../server/run-admin';

let temp: TempDb;
let dir: string;
let db: Db;

/** A fresh database of `backend` for each test of the enclosing describe. */
function freshDb(backend: Dialect) {
  beforeEach(async () => {
    temp = await openTempDb('rp-list-', backend);
    ({ db, dir } = temp);
  });
  afterEach(async () => {
    await temp.close();
  });
}

const check = (id: Check['id'], status: Check['status']): Check => ({ id, status, detail: '' });

interface Opts {
  status?: RunStatus;
  checks?: Check[];
  startedAt?: number | null;
  runtimeS?: number | null;
  epochs?: number;
  best?: number | null;
  knobs?: Record<string, string | boolean>;
  accelerator?: string;
  origin?: 'imported' | 'launched';
  profile?: string;
  initiative?: string;
}

async function save(id: string, o: Opts = {}): Promise<Evidence> {
  const ev = analyseBundle([], { root: `/b/${id}`, title: `title ${id}` });
  ev.status = o.status ?? 'succeeded';
  ev.checks = o.checks ?? [check('exit', 'pass')];
  ev.runtime = o.runtimeS == null ? null : { realS: o.runtimeS, userS: null, sysS: null };
  ev.epochs = Array.from({ length: o.epochs ?? 0 }, (_, i) => ({ epoch: i, step: i, metrics: { val_loss: o.best ?? null } }));
  ev.monitor = { name: 'val_loss', mode: 'min', source: 'test' };
  ev.earlyStop = null;
  ev.knobs = o.knobs ?? {};
  ev.accelerator = { requested: null, resolved: o.accelerator ?? null, device: null, evidence: [] };
  if (o.initiative) ev.bundle.initiative = o.initiative;
  await saveRun({
    db,
    id,
    sourceKey: `/b/${id}`,
    origin: o.origin ?? 'imported',
    profile: o.profile ?? null,
    bundleDir: `/b/${id}`,
    contentHash: id,
    evidence: ev,
    series: [],
    startedAt: o.startedAt === undefined ? 1000 : o.startedAt,
  });
  return ev;
}

const ids = (r: { rows: Array<{ id: string }> }) => r.rows.map((x) => x.id);

describe.each(backends())('the runs list (%s)', (backend) => {
  freshDb(backend);

  describe('the stored verdict', () => {
    it('is verdictOf at every save, and the sync at open fills and corrects it', async () => {
      await save('ok');
      await save('bad', { checks: [check('exit', 'pass'), check('checkpoints', 'fail')] });
      await save('crash', { status: 'failed' });
      await save('none', { status: 'unknown', checks: [check('exit', 'skip')] });
      const verdicts = [];
      for (const id of ['ok', 'bad', 'crash', 'none']) verdicts.push((await getRun({ db, id }))!.verdict);
      expect(verdicts).toEqual(['pass', 'fail', 'fail', 'incomplete']);

      // Rows from before the column (NULL) or under another rule are brought in step when the database opens.
      await db.run(sql`UPDATE runs SET verdict = NULL WHERE id = 'ok'`);
      await db.run(sql`UPDATE runs SET verdict = 'pass' WHERE id = 'bad'`);
      await db.run(sql`DELETE FROM run_search WHERE run_id = 'crash'`);
      expect(await syncRunColumns({ db })).toEqual({ verdicts: 2, searches: 1 });
      expect((await getRun({ db, id: 'ok' }))!.verdict).toBe('pass');
      expect((await getRun({ db, id: 'bad' }))!.verdict).toBe('fail');
      expect((await listRuns({ db, q: 'title crash' })).total).toBe(1);
      for (const r of await db.all<{
        status: string;
        checksFail: number;
        checksPass: number;
        verdict: string;
      }>(sql`SELECT status, checks_fail AS "checksFail", checks_pass AS "checksPass", verdict FROM runs`)) {
        expect(r.verdict).toBe(verdictOf(r));
      }
    });

    it('the sync at open runs once per rule: a database already in step skips the whole-table scan', async () => {
      await save('ok');
      await db.setUserVersion(0);
      await db.run(sql`UPDATE runs SET verdict = NULL WHERE id = 'ok'`);
      expect(await syncRunColumnsOnOpen({ db })).toEqual({ verdicts: 1, searches: 0 });
      expect(await db.userVersion()).toBe(runColumnsStamp());
      // In step: skipped (a row tampered by hand is not looked for).
      await db.run(sql`UPDATE runs SET verdict = NULL WHERE id = 'ok'`);
      expect(await syncRunColumnsOnOpen({ db })).toBeNull();
      // Another rule (an older or newer Runproof wrote the stamp): synced again.
      await db.setUserVersion(runColumnsStamp() + 1);
      expect(await syncRunColumnsOnOpen({ db })).toEqual({ verdicts: 1, searches: 0 });
      expect((await getRun({ db, id: 'ok' }))!.verdict).toBe('pass');
    });

    it('the index rank is the rule’s VERDICT_RANK', async () => {
      for (const [v, rank] of Object.entries(VERDICT_RANK)) {
        expect(await db.get(sql`SELECT ${sql.raw(VERDICT_RANK_SQL)} AS rank FROM (SELECT CAST(${v} AS text) AS verdict) AS v`)).toEqual({ rank });
      }
    });

    it('a queued launch is pending, cancelled while queued it is incomplete', async () => {
      const ev = analyseBundle([], {
        root: '/b/q',
        title: 'q',
        requested: { text: 'node train.mjs --gridsize 3', source: 'launch form' },
        launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' },
      });
      await enqueueTestRun(db, 'q', Date.now(), { title: 'q', name: 'reference · gridsize 3', bundleDir: '/b/q', params: { gridsize: 3 }, outputDir: '/w/q', evidence: ev });
      expect(await getRun({ db, id: 'q' })).toMatchObject({ verdict: 'pending', name: 'reference · gridsize 3' });
      expect(await hasLiveRuns({ db })).toBe(true);
      // Its name and knobs are searchable from the start.
      expect(ids(await listRuns({ db, q: 'gridsize=3' }))).toEqual(['q']);
      expect(await requestCancel({ db, runId: 'q' })).toBe('cancelled');
      expect((await getRun({ db, id: 'q' }))!.verdict).toBe('incomplete');
      expect(await hasLiveRuns({ db })).toBe(false);
    });
  });

  describe('sorting', () => {
    beforeEach(async () => {
      await save('a', { startedAt: 3000, runtimeS: 5, epochs: 2, best: 0.5 });
      await save('b', { startedAt: 1000, runtimeS: null, epochs: 10, best: null, checks: [check('exit', 'fail')] });
      await save('c', { startedAt: null, runtimeS: 1, epochs: 1, best: 0.1, status: 'unknown', checks: [check('exit', 'skip')] });
      await save('d', { startedAt: 2000, runtimeS: 60, epochs: 5, best: 2 });
    });

    it('newest first by default; runs without a value come last in both directions', async () => {
      expect(ids(await listRuns({ db }))).toEqual(['a', 'd', 'b', 'c']);
      expect(ids(await listRuns({ db, sort: 'started', dir: 'asc' }))).toEqual(['b', 'd', 'a', 'c']);
      expect(ids(await listRuns({ db, sort: 'duration' }))).toEqual(['d', 'a', 'c', 'b']);
      expect(ids(await listRuns({ db, sort: 'duration', dir: 'asc' }))).toEqual(['c', 'a', 'd', 'b']);
      expect(ids(await listRuns({ db, sort: 'epochs' }))).toEqual(['b', 'd', 'a', 'c']);
      expect(ids(await listRuns({ db, sort: 'best' }))).toEqual(['c', 'a', 'd', 'b']);
      expect(ids(await listRuns({ db, sort: 'best', dir: 'desc' }))).toEqual(['d', 'a', 'c', 'b']);
    });

    it('verdict: worst first, newest first within a verdict; descending is the reverse', async () => {
      expect(ids(await listRuns({ db, sort: 'verdict' }))).toEqual(['b', 'c', 'a', 'd']);
      expect(ids(await listRuns({ db, sort: 'verdict', dir: 'desc' }))).toEqual(['d', 'a', 'c', 'b']);
    });

    it('pages through the runs with and without values without losing or repeating one', async () => {
      for (const [sort, dir] of RUN_SORTS.flatMap(
        (s) =>
          [
            [s, 'asc'],
            [s, 'desc'],
          ] as const,
      )) {
        const whole = ids(await listRuns({ db, sort, dir }));
        const paged: string[] = [];
        for (const page of [1, 2, 3, 4]) paged.push(...ids(await listRuns({ db, sort, dir, page, pageSize: 1 })));
        expect(paged, `${sort} ${dir}`).toEqual(whole);
        expect(ids(await listRuns({ db, sort, dir, page: 2, pageSize: 3 }))).toEqual(whole.slice(3));
      }
    });
  });

  describe('search and filters', () => {
    beforeEach(async () => {
      await save('x1', { knobs: { gridsize: '3', 'early-stop-patience': '5' }, accelerator: 'cuda', origin: 'launched', profile: 'ptycho-torch' });
      await save('x2', { knobs: { gridsize: '2' }, accelerator: 'cpu' });
      await save('x3', { knobs: {}, accelerator: 'mps' });
      await setRunPlanLinks({ db, runId: 'x3', links: [{ planPath: '/p/plan.md', planDisplay: 'plan.md', rowId: 'EB4.A', source: 'summary' }] });
    });

    it('finds plan row IDs, profiles, accelerators and knob values; every word must match', async () => {
      expect(ids(await listRuns({ db, q: 'eb4.a' }))).toEqual(['x3']);
      expect(ids(await listRuns({ db, q: 'ptycho-torch' }))).toEqual(['x1']);
      expect(ids(await listRuns({ db, q: 'CUDA' }))).toEqual(['x1']);
      expect(ids(await listRuns({ db, q: 'gridsize=3' }))).toEqual(['x1']);
      // `-` in a knob's name is also spelled `_`, as `runproof launch --set` takes it.
      expect(ids(await listRuns({ db, q: 'early_stop_patience=5' }))).toEqual(['x1']);
      expect(ids(await listRuns({ db, q: 'gridsize cpu' }))).toEqual(['x2']);
      // A plan row ID beside another word: both must match, one through the row, the other through the line.
      expect(ids(await listRuns({ db, q: 'eb4.a mps' }))).toEqual(['x3']);
      expect((await listRuns({ db, q: 'eb4.a cuda' })).total).toBe(0);
      expect((await listRuns({ db, q: 'gridsize nothing-like-this' })).total).toBe(0);
      // LIKE's wildcards are literal.
      expect((await listRuns({ db, q: '100%_' })).total).toBe(0);
    });

    it('a word of three or more characters is found through the trigram index, a shorter one by LIKE; the index follows renames and deletes', async () => {
      // The lines the index answers for (SQLite: the FTS5 trigram table; PostgreSQL: the pg_trgm-indexed lines themselves).
      const fts = async (word: string) =>
        (backend === 'sqlite'
          ? await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM run_search_fts WHERE run_search_fts MATCH ${`"${word}"`}`)
          : await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM run_search_text WHERE text LIKE ${`%${word}%`}`))!.n;
      expect(await fts('gridsize=3')).toBe(1);
      expect(ids(await listRuns({ db, q: 'x1' }))).toEqual(['x1']);
      expect(ids(await listRuns({ db, q: 'cu' }))).toEqual(['x1']);
      await setRunName({ db, id: 'x3', name: 'quokka' });
      expect(await fts('quokka')).toBe(1);
      expect(ids(await listRuns({ db, q: 'quok' }))).toEqual(['x3']);
      await deleteRun({ db, id: 'x3' });
      expect(await fts('quokka')).toBe(0);
      // A word with FTS syntax in it is a plain substring.
      expect((await listRuns({ db, q: '"grid OR size*' })).total).toBe(0);
      expect(ids(await listRuns({ db, q: 'GRIDSIZE=2' }))).toEqual(['x2']);
    });

    it('finds names and notes, and a rename is searchable at once; re-saving the evidence keeps them', async () => {
      expect(await setRunName({ db, id: 'x2', name: '  lr sweep\nbaseline ' })).toBe(true);
      expect(await setRunNotes({ db, id: 'x2', notes: 'Compare with the\r\nGPU run.' })).toBe(true);
      expect(await getRun({ db, id: 'x2' })).toMatchObject({ name: 'lr sweep baseline', notes: 'Compare with the\nGPU run.' });
      expect(ids(await listRuns({ db, q: 'sweep' }))).toEqual(['x2']);
      expect(ids(await listRuns({ db, q: 'gpu run' }))).toEqual(['x2']);
      await save('x2', { knobs: { gridsize: '2' }, accelerator: 'cpu' });
      expect(await getRun({ db, id: 'x2' })).toMatchObject({ name: 'lr sweep baseline', notes: 'Compare with the\nGPU run.' });
      expect(ids(await listRuns({ db, q: 'sweep' }))).toEqual(['x2']);
      expect(await setRunName({ db, id: 'x2', name: ' ' })).toBe(true);
      expect((await getRun({ db, id: 'x2' }))!.name).toBeNull();
      expect(await setRunName({ db, id: 'nope', name: 'x' })).toBe(false);
    });

    it('searches running at once each get their own matches (on SQLite they share the connection’s table of hits)', async () => {
      const [cuda, cpu, mps, grid] = await Promise.all([listRuns({ db, q: 'cuda' }), listRuns({ db, q: 'cpu' }), listRuns({ db, q: 'mps eb4.a' }), listRuns({ db, q: 'gridsize', sort: 'verdict' })]);
      expect([ids(cuda), ids(cpu), ids(mps), ids(grid).sort()]).toEqual([['x1'], ['x2'], ['x3'], ['x1', 'x2']]);
      expect([cuda.total, cpu.total, mps.total, grid.total]).toEqual([1, 1, 1, 2]);
    });

    it('lists each initiative once, in code-point order on both databases, and filters by one', async () => {
      await save('i1', { initiative: 'b-two' });
      await save('i2', { initiative: 'B-one' });
      await save('i3', { initiative: 'b-two' });
      await save('i4', { initiative: '_misc' });
      await save('i5', { initiative: 'a' });
      expect(await listInitiatives({ db })).toEqual(['B-one', '_misc', 'a', 'b-two']);
      expect(ids(await listRuns({ db, initiative: 'b-two' })).sort()).toEqual(['i1', 'i3']);
    });

    it('launched or imported; the verdict filter', async () => {
      expect(ids(await listRuns({ db, origin: 'launched' }))).toEqual(['x1']);
      expect(ids(await listRuns({ db, origin: 'imported' })).sort()).toEqual(['x2', 'x3']);
      await save('f', { checks: [check('exit', 'fail')] });
      expect(ids(await listRuns({ db, verdict: 'fail' }))).toEqual(['f']);
      expect((await listRuns({ db, verdict: 'pass' })).total).toBe(3);
    });

    it('archived runs are hidden, listed on their own, and restorable', async () => {
      expect(await setRunsArchived({ db, ids: ['x1', 'x2', 'nope'], archived: true, now: 5 })).toBe(2);
      expect(await setRunsArchived({ db, ids: ['x1'], archived: true })).toBe(0);
      expect(ids(await listRuns({ db }))).toEqual(['x3']);
      expect(ids(await listRuns({ db, archived: true })).sort()).toEqual(['x1', 'x2']);
      expect((await getRun({ db, id: 'x1' }))!.archivedAt).toBe(5);
      expect(ids(await listRuns({ db, archived: true, q: 'cuda' }))).toEqual(['x1']);
      expect(await setRunsArchived({ db, ids: ['x1'], archived: false })).toBe(1);
      expect(ids(await listRuns({ db })).sort()).toEqual(['x1', 'x3']);
    });
  });

  describe('delete', () => {
    it('removes the run with every row about it; a live run is refused', async () => {
      await save('gone', { epochs: 3, best: 1 });
      await setRunPlanLinks({ db, runId: 'gone', links: [{ planPath: '/p/plan.md', planDisplay: 'plan.md', rowId: 'A', source: 'summary' }] });
      expect(await deleteRun({ db, id: 'gone' })).toEqual({ ok: true, origin: 'imported', bundleDir: '/b/gone' });
      for (const t of ['runs', 'run_search', 'run_plan_rows', 'epoch_values', 'checks', 'series']) {
        expect(await db.get(sql.raw(`SELECT count(*) AS n FROM ${t} WHERE ${t === 'runs' ? 'id' : 'run_id'} = 'gone'`)), t).toEqual({ n: 0 });
      }
      expect(await db.get(sql`SELECT count(*) AS n FROM points`)).toEqual({ n: 0 });
      expect(await deleteRun({ db, id: 'gone' })).toEqual({ ok: false, reason: 'not-found' });
      const ev = analyseBundle([], { root: '/b/q', title: 'q', launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
      await enqueueTestRun(db, 'live', Date.now(), { title: 'q', bundleDir: '/b/q', outputDir: '/w/q', evidence: ev });
      expect(await deleteRun({ db, id: 'live' })).toEqual({ ok: false, reason: 'live' });
    });

    it('a launched run’s bundle folder is removed; an imported bundle and a folder outside the bundles folder are kept', async () => {
      const bundles = path.join(dir, 'bundles');
      const launched = path.join(bundles, 'run1');
      fs.mkdirSync(launched, { recursive: true });
      fs.writeFileSync(path.join(launched, 'train.log'), 'x');
      const imported = path.join(dir, 'team', 'bundle');
      fs.mkdirSync(imported, { recursive: true });
      fs.writeFileSync(path.join(imported, 'train.log'), 'x');
      const store = async (id: string, origin: 'launched' | 'imported', bundleDir: string) =>
        saveRun({ db, id, sourceKey: bundleDir, origin, bundleDir, contentHash: id, evidence: analyseBundle([], { root: bundleDir, title: id }), series: [] });
      await store('run1', 'launched', launched);
      await store('imp', 'imported', imported);
      // A launched run whose bundle_dir names a folder it does not own (not <bundles>/<its id>).
      await store('odd', 'launched', imported + '-odd');
      fs.mkdirSync(imported + '-odd');

      expect(await deleteRunAndBundle({ db, id: 'run1', bundlesRoot: bundles })).toMatchObject({ ok: true, removedFolder: fs.realpathSync(bundles) + '/run1' });
      expect(fs.existsSync(launched)).toBe(false);
      expect(await deleteRunAndBundle({ db, id: 'imp', bundlesRoot: bundles })).toMatchObject({ ok: true, removedFolder: null, keptFolder: imported });
      expect(fs.existsSync(path.join(imported, 'train.log'))).toBe(true);
      expect(await deleteRunAndBundle({ db, id: 'odd', bundlesRoot: bundles })).toMatchObject({ ok: true, removedFolder: null });
      expect(fs.existsSync(imported + '-odd')).toBe(true);
    });
  });
});

describe('query plans at scale (SQLite only: EXPLAIN QUERY PLAN of its planner and indexes)', () => {
  freshDb('sqlite');
  const client = () => db.sqlite!;

  /** SQLite's plan for a query listRuns would run, with the parameters it binds. */
  function plan(sqlText: string): string {
    return (client().prepare(`EXPLAIN QUERY PLAN ${sqlText}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
  }

  it('every sort and the filters walk an index: no sort step, no scan of the runs table', async () => {
    // Enough rows that SQLite's planner prefers the indexes as it would at 100,000 runs.
    for (let i = 0; i < 300; i++) await save(`r${i}`, { startedAt: i * 10, runtimeS: i % 7 ? i : null, epochs: i % 9, best: i % 5 ? i / 10 : null });
    client().pragma('optimize');
    const captured: string[] = [];
    const prepare = client().prepare.bind(client());
    (client() as unknown as { prepare: (s: string) => unknown }).prepare = (s: string) => {
      if (/^select .* from "runs"/i.test(s) && !/count\(\*\)/i.test(s)) captured.push(s);
      return prepare(s);
    };
    try {
      for (const sort of RUN_SORTS) for (const dir of ['asc', 'desc'] as const) await listRuns({ db, sort, dir });
      await listRuns({ db, status: 'failed' });
      await listRuns({ db, verdict: 'fail' });
      await listRuns({ db, origin: 'launched' });
      await listRuns({ db, initiative: 'X' });
      await listRuns({ db, q: 'gridsize' });
    } finally {
      (client() as unknown as { prepare: unknown }).prepare = prepare;
    }
    expect(captured.length).toBeGreaterThanOrEqual(15);
    for (const s of captured) {
      // Parameters do not change the plan's shape: bind placeholders as NULL-free literals through EXPLAIN.
      const p = plan(s.replace(/\?/g, "'1'"));
      expect(p, s).not.toMatch(/SCAN runs\b(?! USING)/);
      if (s.includes('temp.search_hits')) {
        // A search with few matches reads just those runs, by id, and sorts them.
        expect(p, s).toMatch(/SEARCH runs USING INDEX sqlite_autoindex_runs_1 \(id=\?\)/);
        continue;
      }
      expect(p, s).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      expect(p, s).toMatch(/USING (COVERING )?INDEX runs_live_|USING INDEX runs_started/);
    }
  });
});

// PostgreSQL only: its planner's EXPLAIN and the runs_live_* indexes as its migrations build them.
describe.each(backends().filter((b) => b === 'postgres'))('query plans (%s only)', (backend: Dialect) => {
  freshDb(backend);

  it('every sort and the filters walk a runs index in the page’s order: no sort step', async () => {
    for (let i = 0; i < 300; i++)
      await save(`r${i}`, {
        startedAt: i % 11 ? i * 10 : null,
        runtimeS: i % 7 ? i : null,
        epochs: i % 9,
        best: i % 5 ? i / 10 : null,
        checks: [check('exit', i % 4 ? 'pass' : 'fail')],
        initiative: `I${i % 3}`,
      });
    const pool = db.pool!;
    const captured: Array<{ text: string; values: unknown[] }> = [];
    const query = pool.query;
    (pool as unknown as { query: unknown }).query = (q: unknown, values?: unknown[]) => {
      const text = typeof q === 'string' ? q : (q as { text: string }).text;
      const vals = values ?? (q as { values?: unknown[] }).values;
      if (/^select .* from "runs"/i.test(text) && !/count\(/i.test(text)) captured.push({ text, values: vals ?? [] });
      return (query as (...a: unknown[]) => unknown).call(pool, q, values);
    };
    try {
      for (const sort of RUN_SORTS) for (const dir of ['asc', 'desc'] as const) await listRuns({ db, sort, dir, page: 2, pageSize: 20 });
      await listRuns({ db, status: 'failed' });
      await listRuns({ db, verdict: 'fail', initiative: 'I1' });
      await listRuns({ db, origin: 'launched' });
      await listRuns({ db, initiative: 'I2', sort: 'verdict' });
    } finally {
      (pool as unknown as { query: unknown }).query = query;
    }
    expect(captured.length).toBeGreaterThanOrEqual(15);
    const c = await pool.connect();
    try {
      // With scans and sorts priced out, a Sort node is left only where no index gives the page's order.
      await c.query('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off; SET enable_incremental_sort = off');
      for (const { text, values } of captured) {
        const plan = JSON.stringify((await c.query(`EXPLAIN (FORMAT JSON) ${text}`, values)).rows[0]['QUERY PLAN']);
        expect(plan, text).not.toMatch(/"Node Type":"(Incremental )?Sort"/);
        expect(plan, text).toMatch(/"Index Name":"runs_(live_[a-z]+|started)"/);
      }
    } finally {
      await c.query('RESET ALL');
      c.release();
    }
  });
});
