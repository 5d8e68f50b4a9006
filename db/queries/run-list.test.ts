/**
 * The runs page's data against a real SQLite file: the stored verdict, names
 * and notes, sorting with runs that lack a value last, search over plan row
 * IDs, profiles, accelerators and knob values, the launched/imported filter,
 * archive and restore, delete (the launched bundle folder removed, an
 * imported one kept), and every sort and filter an index walk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../client';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { Check, Evidence, RunStatus } from '../../lib/evidence/types';
import { VERDICT_RANK, verdictOf } from '../../lib/evidence/verdict';
import { VERDICT_RANK_SQL } from '../schema';
import { enqueueRun, requestCancel } from './launches';
import { setRunPlanLinks } from './plans';
import { deleteRun, getRun, hasLiveRuns, listRuns, RUN_SORTS, runColumnsStamp, saveRun, setRunName, setRunNotes, setRunsArchived, syncRunColumns, syncRunColumnsOnOpen } from './runs';
import { deleteRunAndBundle } from '../../server/run-admin';

let dir: string;
let file: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-list-'));
  file = path.join(dir, 'l.db');
  db = openDb(file);
});
afterEach(() => {
  closeDb(file);
  fs.rmSync(dir, { recursive: true, force: true });
});

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
}

function save(id: string, o: Opts = {}): Evidence {
  const ev = analyseBundle([], { root: `/b/${id}`, title: `title ${id}` });
  ev.status = o.status ?? 'succeeded';
  ev.checks = o.checks ?? [check('exit', 'pass')];
  ev.runtime = o.runtimeS == null ? null : { realS: o.runtimeS, userS: null, sysS: null };
  ev.epochs = Array.from({ length: o.epochs ?? 0 }, (_, i) => ({ epoch: i, step: i, metrics: { val_loss: o.best ?? null } }));
  ev.monitor = { name: 'val_loss', mode: 'min', source: 'test' };
  ev.earlyStop = null;
  ev.knobs = o.knobs ?? {};
  ev.accelerator = { requested: null, resolved: o.accelerator ?? null, device: null, evidence: [] };
  saveRun({
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

describe('the stored verdict', () => {
  it('is verdictOf at every save, and the sync at open fills and corrects it', () => {
    save('ok');
    save('bad', { checks: [check('exit', 'pass'), check('checkpoints', 'fail')] });
    save('crash', { status: 'failed' });
    save('none', { status: 'unknown', checks: [check('exit', 'skip')] });
    expect(['ok', 'bad', 'crash', 'none'].map((id) => getRun({ db, id })!.verdict)).toEqual(['pass', 'fail', 'fail', 'incomplete']);

    // Rows from before the column (NULL) or under another rule are brought in step when the database opens.
    db.$client.prepare("UPDATE runs SET verdict = NULL WHERE id = 'ok'").run();
    db.$client.prepare("UPDATE runs SET verdict = 'pass' WHERE id = 'bad'").run();
    db.$client.prepare("DELETE FROM run_search WHERE run_id = 'crash'").run();
    expect(syncRunColumns({ db })).toEqual({ verdicts: 2, searches: 1 });
    expect(getRun({ db, id: 'ok' })!.verdict).toBe('pass');
    expect(getRun({ db, id: 'bad' })!.verdict).toBe('fail');
    expect(listRuns({ db, q: 'title crash' }).total).toBe(1);
    for (const r of db.$client.prepare('SELECT status, checks_fail AS checksFail, checks_pass AS checksPass, verdict FROM runs').all() as Array<{
      status: string;
      checksFail: number;
      checksPass: number;
      verdict: string;
    }>) {
      expect(r.verdict).toBe(verdictOf(r));
    }
  });

  it('the sync at open runs once per rule: a database already in step skips the whole-table scan', () => {
    save('ok');
    db.$client.pragma('user_version = 0');
    db.$client.prepare("UPDATE runs SET verdict = NULL WHERE id = 'ok'").run();
    expect(syncRunColumnsOnOpen({ db })).toEqual({ verdicts: 1, searches: 0 });
    expect(db.$client.pragma('user_version', { simple: true })).toBe(runColumnsStamp());
    // In step: skipped (a row tampered by hand is not looked for).
    db.$client.prepare("UPDATE runs SET verdict = NULL WHERE id = 'ok'").run();
    expect(syncRunColumnsOnOpen({ db })).toBeNull();
    // Another rule (an older or newer Runproof wrote the stamp): synced again.
    db.$client.pragma(`user_version = ${runColumnsStamp() + 1}`);
    expect(syncRunColumnsOnOpen({ db })).toEqual({ verdicts: 1, searches: 0 });
    expect(getRun({ db, id: 'ok' })!.verdict).toBe('pass');
  });

  it('the index rank is the rule’s VERDICT_RANK', () => {
    for (const [v, rank] of Object.entries(VERDICT_RANK)) {
      expect(db.$client.prepare(`SELECT ${VERDICT_RANK_SQL} FROM (SELECT ? AS verdict)`).pluck().get(v)).toBe(rank);
    }
  });

  it('a queued launch is pending, cancelled while queued it is incomplete', () => {
    const ev = analyseBundle([], {
      root: '/b/q',
      title: 'q',
      requested: { text: 'node train.mjs --gridsize 3', source: 'launch form' },
      launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' },
    });
    enqueueRun({
      db,
      id: 'q',
      profile: 'reference',
      title: 'q',
      name: 'reference · gridsize 3',
      bundleDir: '/b/q',
      params: { gridsize: 3 },
      cpuOnly: false,
      planLinks: [],
      argv: ['true'],
      cwd: '/',
      env: {},
      outputDir: '/w/q',
      keepOutput: false,
      timeoutMs: 1000,
      evidence: ev,
    });
    expect(getRun({ db, id: 'q' })).toMatchObject({ verdict: 'pending', name: 'reference · gridsize 3' });
    expect(hasLiveRuns({ db })).toBe(true);
    // Its name and knobs are searchable from the start.
    expect(ids(listRuns({ db, q: 'gridsize=3' }))).toEqual(['q']);
    expect(requestCancel({ db, runId: 'q' })).toBe('cancelled');
    expect(getRun({ db, id: 'q' })!.verdict).toBe('incomplete');
    expect(hasLiveRuns({ db })).toBe(false);
  });
});

describe('sorting', () => {
  beforeEach(() => {
    save('a', { startedAt: 3000, runtimeS: 5, epochs: 2, best: 0.5 });
    save('b', { startedAt: 1000, runtimeS: null, epochs: 10, best: null, checks: [check('exit', 'fail')] });
    save('c', { startedAt: null, runtimeS: 1, epochs: 1, best: 0.1, status: 'unknown', checks: [check('exit', 'skip')] });
    save('d', { startedAt: 2000, runtimeS: 60, epochs: 5, best: 2 });
  });

  it('newest first by default; runs without a value come last in both directions', () => {
    expect(ids(listRuns({ db }))).toEqual(['a', 'd', 'b', 'c']);
    expect(ids(listRuns({ db, sort: 'started', dir: 'asc' }))).toEqual(['b', 'd', 'a', 'c']);
    expect(ids(listRuns({ db, sort: 'duration' }))).toEqual(['d', 'a', 'c', 'b']);
    expect(ids(listRuns({ db, sort: 'duration', dir: 'asc' }))).toEqual(['c', 'a', 'd', 'b']);
    expect(ids(listRuns({ db, sort: 'epochs' }))).toEqual(['b', 'd', 'a', 'c']);
    expect(ids(listRuns({ db, sort: 'best' }))).toEqual(['c', 'a', 'd', 'b']);
    expect(ids(listRuns({ db, sort: 'best', dir: 'desc' }))).toEqual(['d', 'a', 'c', 'b']);
  });

  it('verdict: worst first, newest first within a verdict; descending is the reverse', () => {
    expect(ids(listRuns({ db, sort: 'verdict' }))).toEqual(['b', 'c', 'a', 'd']);
    expect(ids(listRuns({ db, sort: 'verdict', dir: 'desc' }))).toEqual(['d', 'a', 'c', 'b']);
  });

  it('pages through the runs with and without values without losing or repeating one', () => {
    for (const [sort, dir] of RUN_SORTS.flatMap(
      (s) =>
        [
          [s, 'asc'],
          [s, 'desc'],
        ] as const,
    )) {
      const whole = ids(listRuns({ db, sort, dir }));
      const paged = [1, 2, 3, 4].flatMap((page) => ids(listRuns({ db, sort, dir, page, pageSize: 1 })));
      expect(paged, `${sort} ${dir}`).toEqual(whole);
      expect(ids(listRuns({ db, sort, dir, page: 2, pageSize: 3 }))).toEqual(whole.slice(3));
    }
  });
});

describe('search and filters', () => {
  beforeEach(() => {
    save('x1', { knobs: { gridsize: '3', 'early-stop-patience': '5' }, accelerator: 'cuda', origin: 'launched', profile: 'ptycho-torch' });
    save('x2', { knobs: { gridsize: '2' }, accelerator: 'cpu' });
    save('x3', { knobs: {}, accelerator: 'mps' });
    setRunPlanLinks({ db, runId: 'x3', links: [{ planPath: '/p/plan.md', planDisplay: 'plan.md', rowId: 'EB4.A', source: 'summary' }] });
  });

  it('finds plan row IDs, profiles, accelerators and knob values; every word must match', () => {
    expect(ids(listRuns({ db, q: 'eb4.a' }))).toEqual(['x3']);
    expect(ids(listRuns({ db, q: 'ptycho-torch' }))).toEqual(['x1']);
    expect(ids(listRuns({ db, q: 'CUDA' }))).toEqual(['x1']);
    expect(ids(listRuns({ db, q: 'gridsize=3' }))).toEqual(['x1']);
    // `-` in a knob's name is also spelled `_`, as `runproof launch --set` takes it.
    expect(ids(listRuns({ db, q: 'early_stop_patience=5' }))).toEqual(['x1']);
    expect(ids(listRuns({ db, q: 'gridsize cpu' }))).toEqual(['x2']);
    // A plan row ID beside another word: both must match, one through the row, the other through the line.
    expect(ids(listRuns({ db, q: 'eb4.a mps' }))).toEqual(['x3']);
    expect(listRuns({ db, q: 'eb4.a cuda' }).total).toBe(0);
    expect(listRuns({ db, q: 'gridsize nothing-like-this' }).total).toBe(0);
    // LIKE's wildcards are literal.
    expect(listRuns({ db, q: '100%_' }).total).toBe(0);
  });

  it('a word of three or more characters is found through the trigram index, a shorter one by LIKE; the index follows renames and deletes', () => {
    const fts = (word: string) => db.$client.prepare('SELECT count(*) FROM run_search_fts WHERE run_search_fts MATCH ?').pluck().get(`"${word}"`) as number;
    expect(fts('gridsize=3')).toBe(1);
    expect(ids(listRuns({ db, q: 'x1' }))).toEqual(['x1']);
    expect(ids(listRuns({ db, q: 'cu' }))).toEqual(['x1']);
    setRunName({ db, id: 'x3', name: 'quokka' });
    expect(fts('quokka')).toBe(1);
    expect(ids(listRuns({ db, q: 'quok' }))).toEqual(['x3']);
    deleteRun({ db, id: 'x3' });
    expect(fts('quokka')).toBe(0);
    // A word with FTS syntax in it is a plain substring.
    expect(listRuns({ db, q: '"grid OR size*' }).total).toBe(0);
    expect(ids(listRuns({ db, q: 'GRIDSIZE=2' }))).toEqual(['x2']);
  });

  it('finds names and notes, and a rename is searchable at once; re-saving the evidence keeps them', () => {
    expect(setRunName({ db, id: 'x2', name: '  lr sweep\nbaseline ' })).toBe(true);
    expect(setRunNotes({ db, id: 'x2', notes: 'Compare with the\r\nGPU run.' })).toBe(true);
    expect(getRun({ db, id: 'x2' })).toMatchObject({ name: 'lr sweep baseline', notes: 'Compare with the\nGPU run.' });
    expect(ids(listRuns({ db, q: 'sweep' }))).toEqual(['x2']);
    expect(ids(listRuns({ db, q: 'gpu run' }))).toEqual(['x2']);
    save('x2', { knobs: { gridsize: '2' }, accelerator: 'cpu' });
    expect(getRun({ db, id: 'x2' })).toMatchObject({ name: 'lr sweep baseline', notes: 'Compare with the\nGPU run.' });
    expect(ids(listRuns({ db, q: 'sweep' }))).toEqual(['x2']);
    expect(setRunName({ db, id: 'x2', name: ' ' })).toBe(true);
    expect(getRun({ db, id: 'x2' })!.name).toBeNull();
    expect(setRunName({ db, id: 'nope', name: 'x' })).toBe(false);
  });

  it('launched or imported; the verdict filter', () => {
    expect(ids(listRuns({ db, origin: 'launched' }))).toEqual(['x1']);
    expect(ids(listRuns({ db, origin: 'imported' })).sort()).toEqual(['x2', 'x3']);
    save('f', { checks: [check('exit', 'fail')] });
    expect(ids(listRuns({ db, verdict: 'fail' }))).toEqual(['f']);
    expect(listRuns({ db, verdict: 'pass' }).total).toBe(3);
  });

  it('archived runs are hidden, listed on their own, and restorable', () => {
    expect(setRunsArchived({ db, ids: ['x1', 'x2', 'nope'], archived: true, now: 5 })).toBe(2);
    expect(setRunsArchived({ db, ids: ['x1'], archived: true })).toBe(0);
    expect(ids(listRuns({ db }))).toEqual(['x3']);
    expect(ids(listRuns({ db, archived: true })).sort()).toEqual(['x1', 'x2']);
    expect(getRun({ db, id: 'x1' })!.archivedAt).toBe(5);
    expect(ids(listRuns({ db, archived: true, q: 'cuda' }))).toEqual(['x1']);
    expect(setRunsArchived({ db, ids: ['x1'], archived: false })).toBe(1);
    expect(ids(listRuns({ db })).sort()).toEqual(['x1', 'x3']);
  });
});

describe('delete', () => {
  it('removes the run with every row about it; a live run is refused', () => {
    save('gone', { epochs: 3, best: 1 });
    setRunPlanLinks({ db, runId: 'gone', links: [{ planPath: '/p/plan.md', planDisplay: 'plan.md', rowId: 'A', source: 'summary' }] });
    expect(deleteRun({ db, id: 'gone' })).toEqual({ ok: true, origin: 'imported', bundleDir: '/b/gone' });
    for (const t of ['runs', 'run_search', 'run_plan_rows', 'epoch_values', 'checks']) {
      expect(
        db.$client
          .prepare(`SELECT count(*) FROM ${t} WHERE ${t === 'runs' ? 'id' : 'run_id'} = 'gone'`)
          .pluck()
          .get(),
        t,
      ).toBe(0);
    }
    expect(deleteRun({ db, id: 'gone' })).toEqual({ ok: false, reason: 'not-found' });
    const ev = analyseBundle([], { root: '/b/q', title: 'q', launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
    enqueueRun({
      db,
      id: 'live',
      profile: 'reference',
      title: 'q',
      bundleDir: '/b/q',
      params: {},
      cpuOnly: false,
      planLinks: [],
      argv: ['true'],
      cwd: '/',
      env: {},
      outputDir: '/w/q',
      keepOutput: false,
      timeoutMs: 1000,
      evidence: ev,
    });
    expect(deleteRun({ db, id: 'live' })).toEqual({ ok: false, reason: 'live' });
  });

  it('a launched run’s bundle folder is removed; an imported bundle and a folder outside the bundles folder are kept', () => {
    const bundles = path.join(dir, 'bundles');
    const launched = path.join(bundles, 'run1');
    fs.mkdirSync(launched, { recursive: true });
    fs.writeFileSync(path.join(launched, 'train.log'), 'x');
    const imported = path.join(dir, 'team', 'bundle');
    fs.mkdirSync(imported, { recursive: true });
    fs.writeFileSync(path.join(imported, 'train.log'), 'x');
    const store = (id: string, origin: 'launched' | 'imported', bundleDir: string) =>
      saveRun({ db, id, sourceKey: bundleDir, origin, bundleDir, contentHash: id, evidence: analyseBundle([], { root: bundleDir, title: id }), series: [] });
    store('run1', 'launched', launched);
    store('imp', 'imported', imported);
    // A launched run whose bundle_dir names a folder it does not own (not <bundles>/<its id>).
    store('odd', 'launched', imported + '-odd');
    fs.mkdirSync(imported + '-odd');

    expect(deleteRunAndBundle({ db, id: 'run1', bundlesRoot: bundles })).toMatchObject({ ok: true, removedFolder: fs.realpathSync(bundles) + '/run1' });
    expect(fs.existsSync(launched)).toBe(false);
    expect(deleteRunAndBundle({ db, id: 'imp', bundlesRoot: bundles })).toMatchObject({ ok: true, removedFolder: null, keptFolder: imported });
    expect(fs.existsSync(path.join(imported, 'train.log'))).toBe(true);
    expect(deleteRunAndBundle({ db, id: 'odd', bundlesRoot: bundles })).toMatchObject({ ok: true, removedFolder: null });
    expect(fs.existsSync(imported + '-odd')).toBe(true);
  });
});

describe('query plans at scale', () => {
  /** SQLite's plan for a query listRuns would run, with the parameters it binds. */
  function plan(sqlText: string): string {
    return (db.$client.prepare(`EXPLAIN QUERY PLAN ${sqlText}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
  }

  it('every sort and the filters walk an index: no sort step, no scan of the runs table', () => {
    // Enough rows that SQLite's planner prefers the indexes as it would at 100,000 runs.
    for (let i = 0; i < 300; i++) save(`r${i}`, { startedAt: i * 10, runtimeS: i % 7 ? i : null, epochs: i % 9, best: i % 5 ? i / 10 : null });
    db.$client.pragma('optimize');
    const captured: string[] = [];
    const prepare = db.$client.prepare.bind(db.$client);
    (db.$client as unknown as { prepare: (s: string) => unknown }).prepare = (s: string) => {
      if (/^select .* from "runs"/i.test(s) && !/count\(\*\)/i.test(s)) captured.push(s);
      return prepare(s);
    };
    try {
      for (const sort of RUN_SORTS) for (const dir of ['asc', 'desc'] as const) listRuns({ db, sort, dir });
      listRuns({ db, status: 'failed' });
      listRuns({ db, verdict: 'fail' });
      listRuns({ db, origin: 'launched' });
      listRuns({ db, initiative: 'X' });
      listRuns({ db, q: 'gridsize' });
    } finally {
      (db.$client as unknown as { prepare: unknown }).prepare = prepare;
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
