/**
 * Plans on disk and in the index: linking bundles to rows, indexing and
 * re-indexing, import, and the proposed patch, against real fixture trees
 * and a real database: a SQLite file, and a PostgreSQL database when
 * RUNPROOF_TEST_DATABASE_URL names a server.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getPlanRowDetail, getPlanTree, getRunPlanRows, resolveRowRefs } from '../db/queries/plans';
import { getRunEvidence } from '../db/queries/runs';
import { rowFlags } from '../lib/plans/flags';
import { renderSummaryMarkdown } from '../lib/evidence/summary';
import { parsePlan } from '../lib/plans/parse';
import type { Db } from '../db/client';
import { backends } from '../db/testing/backends';
import { makeTestEnv, REPO_ROOT, sleep, type TestEnv } from '../workers/testing';
import { importBundles, showBundle } from './bundles';
import { indexPlansDir, PlanIndexer, plansRoots, refreshKnownPlans } from './plan-index';
import { applyPlanPatches, planPatchesForRun, combinedPatch } from './plan-patch';
import { displayPath, judgePlanRowRefs, linkBundle, nearestPlans, planIdFor, planRequirements, readIndexedPlanText, scanPlans } from './plans';

const PTYCHO = path.join(REPO_ROOT, 'fixtures/ptychopinn');
const KNOBS = 'plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs';
const SMOKE = path.join(PTYCHO, KNOBS, 'runtime_smoke/2025-10-24T061500Z');
const SHARED = path.resolve(REPO_ROOT, '../shared/fixtures/ptychopinn');

let env: TestEnv | null = null;
const tmps: string[] = [];
afterEach(async () => {
  await env?.cleanup();
  env = null;
  for (const t of tmps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

/** A copy of a tree in a temp folder (so tests may edit plans). */
function copyTree(src: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-plans-'));
  tmps.push(dir);
  fs.cpSync(src, dir, { recursive: true });
  return dir;
}

describe('linking a bundle to plan rows', () => {
  it('finds the nearest plan above the bundle and the brief that names the bundle', () => {
    const ctx = nearestPlans(SMOKE);
    expect(ctx.plans.map((p) => p.display)).toEqual([`${KNOBS}/plan.md`]);
    expect(ctx.brief?.path).toBe(path.join(PTYCHO, 'input.md'));
  });

  it('takes a brief only when it names the bundle itself, not a longer path', () => {
    const root = copyTree(PTYCHO);
    fs.writeFileSync(path.join(root, 'input.md'), `Artifacts: ${KNOBS}/runtime_smoke/2025-10-24T061500Z0/\nDo: EB4.A\n`);
    expect(linkBundle(path.join(root, KNOBS, 'runtime_smoke/2025-10-24T061500Z'))).toEqual([]);
  });

  it('links the repo runtime-smoke bundle to EB4.A and EB4.B through the brief', () => {
    expect(linkBundle(SMOKE).map((l) => `${l.rowId} ${l.source} ${l.missing}`)).toEqual(['EB4.A brief false', 'EB4.B brief false']);
    // Judged: the brief asks for python -m ptycho_torch.train, and this bundle ran it.
    const judged = { qualifies: true, why: null, requires: 'python -m ptycho_torch.train (input.md:7)', requiredCommand: expect.stringContaining('--gridsize 3') };
    expect(showBundle(SMOKE).planRows).toEqual([
      { plan: `${KNOBS}/plan.md`, id: 'EB4.A', state: '[ ]', line: 46, source: 'brief', ...judged },
      { plan: `${KNOBS}/plan.md`, id: 'EB4.B', state: '[ ]', line: 47, source: 'brief', ...judged },
    ]);
  });

  it('reads row IDs from summary.md and folder names, and keeps IDs the plan lacks as missing', () => {
    const root = copyTree(PTYCHO);
    const knobs = path.join(root, KNOBS);
    const bundle = path.join(knobs, 'EB2.A-smoke');
    fs.mkdirSync(bundle);
    fs.writeFileSync(path.join(bundle, 'summary.md'), '# Smoke\nProves EB3.A-B; EB4.C was dropped from the plan.\n');
    expect(linkBundle(bundle).map((l) => `${l.rowId} ${l.source}${l.missing ? ' missing' : ''}`)).toEqual(['EB3.A summary', 'EB3.B summary', 'EB4.C summary missing', 'EB2.A folder']);
    expect(showBundle(bundle).planRows!.find((r) => r.id === 'EB4.C')).toEqual({ plan: `${KNOBS}/plan.md`, id: 'EB4.C', state: null, line: null, source: 'summary', missing: true });
  });

  it('names plans as the team does, relative to the folder above plans/', () => {
    const noRepo = () => false;
    expect(displayPath('/x/repo/plans/active/A/plan.md', noRepo)).toBe('plans/active/A/plan.md');
    // The innermost plans/ folder: a checkout kept under ~/plans/ still names its own paths.
    expect(displayPath('/home/u/plans/ptycho/plans/active/X/plan.md', noRepo)).toBe('plans/active/X/plan.md');
    expect(displayPath('/x/repo/docs/sub/plan.md', (d) => d === '/x/repo')).toBe('docs/sub/plan.md');
    expect(displayPath('/elsewhere/plan.md', noRepo)).toBe('plan.md');
  });
});

describe.each(backends())('the plan index (%s)', (backend) => {
  it('import links bundles and indexes the plans above them; the row page data shows the failing run', async () => {
    env = await makeTestEnv({}, backend);
    const r = await importBundles({ db: env.db, roots: [PTYCHO] });
    expect(r.problems).toEqual([]);
    const tree = await getPlanTree({ db: env.db });
    expect(tree.plans.map((p) => p.display).sort()).toEqual(['plans/active/ADR-003-BACKEND-API/implementation.md', `${KNOBS}/plan.md`]);
    const smoke = r.runs.find((x) => x.dir === SMOKE)!;
    const smokeEvidence = (await getRunEvidence({ db: env.db, id: smoke.id }))!.evidence;
    expect(smokeEvidence.planRows!.map((p) => p.id)).toEqual(['EB4.A', 'EB4.B']);
    expect(renderSummaryMarkdown(smokeEvidence)).toContain(`**Proves:** EB4.A \`[ ]\` (\`${KNOBS}/plan.md:46\`), EB4.B \`[ ]\` (\`${KNOBS}/plan.md:47\`)`);
    const planId = planIdFor(fs.realpathSync(path.join(PTYCHO, KNOBS, 'plan.md')));
    const row = (await getPlanRowDetail({ db: env.db, planId, rowId: 'EB4.A' }))!;
    expect(row.runs.map((x) => x.runId)).toEqual([smoke.id]);
    // The brief that asks for EB4.A asks for --gridsize 3: the knobs check compares the run with it, and fails with the checkpoints.
    expect(row.runs[0]).toMatchObject({ checksFail: 2, qualifies: true, argv: expect.arrayContaining(['ptycho_torch.train']) });
    expect(smokeEvidence.checks.find((c) => c.id === 'knobs')).toMatchObject({ status: 'fail', detail: 'gridsize: requested 3, ran 2' });
    expect(smokeEvidence.requested?.source).toBe('EB4.A (brief input.md:7)');
    expect(rowFlags(row.row.state, row.runs).map((f) => f.kind)).toEqual(['latest-fails']);
    // [x] rows without a passing run are flagged.
    const eb1 = tree.plans.find((p) => p.id === planId)!.rows.find((x) => x.rowId === 'EB1.A')!;
    expect(rowFlags(eb1.state, eb1.runs).map((f) => f.kind)).toEqual(['done-without-evidence']);
    // Re-import adds nothing and keeps the links.
    const again = await importBundles({ db: env.db, roots: [PTYCHO] });
    expect(again.added).toBe(0);
    expect(await getRunPlanRows({ db: env.db, runId: smoke.id })).toHaveLength(2);
  });

  it('re-indexes a changed plan, and a link to a removed row becomes a flagged orphan', async () => {
    env = await makeTestEnv({}, backend);
    const root = copyTree(PTYCHO);
    const r = await importBundles({ db: env.db, roots: [root] });
    const smokeId = r.runs.find((x) => x.dir.endsWith('runtime_smoke/2025-10-24T061500Z'))!.id;
    const plan = path.join(root, KNOBS, 'plan.md');
    const text = fs.readFileSync(plan, 'utf8');
    fs.writeFileSync(plan, text.replace('| EB4.A | CLI smoke scripts | [ ] |', '| EB4.A | CLI smoke scripts | [x] |').replace(/^\| EB4\.B .*\n/m, ''));
    fs.utimesSync(plan, new Date(), new Date(Date.now() + 5000));
    expect(await refreshKnownPlans(env.db)).toBeGreaterThan(0);
    expect(await getRunPlanRows({ db: env.db, runId: smokeId })).toEqual([
      { plan: `${KNOBS}/plan.md`, id: 'EB4.A', state: '[x]', line: 46, source: 'brief' },
      { plan: `${KNOBS}/plan.md`, id: 'EB4.B', state: null, line: null, source: 'brief', missing: true },
    ]);
    expect((await getPlanTree({ db: env.db })).orphans.map((o) => `${o.rowId} ${o.runId}`)).toEqual([`EB4.B ${smokeId}`]);
    fs.rmSync(plan);
    await refreshKnownPlans(env.db);
    expect((await getPlanTree({ db: env.db })).plans.map((p) => p.display)).toEqual(['plans/active/ADR-003-BACKEND-API/implementation.md']);
  });

  it('indexes a plans folder, reports bad tables with file and line, and forgets deleted plans', async () => {
    env = await makeTestEnv({}, backend);
    const root = copyTree(path.join(REPO_ROOT, 'fixtures/plans'));
    const first = await indexPlansDir(env.db, root);
    expect(first).toMatchObject({ plans: 1, rows: 11, changed: 1, removed: 0 });
    expect(first.problems.map((p) => `${p.file}:${p.line}`)).toEqual(['edge-cases.md:36', 'edge-cases.md:37', 'edge-cases.md:38', 'edge-cases.md:39']);
    expect((await indexPlansDir(env.db, root)).changed).toBe(0);
    fs.rmSync(path.join(root, 'edge-cases.md'));
    expect(await indexPlansDir(env.db, root)).toMatchObject({ plans: 0, removed: 1 });
  });

  it('reports invalid UTF-8 in a plan with its line and still indexes its rows', async () => {
    env = await makeTestEnv({}, backend);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-utf8-'));
    tmps.push(root);
    fs.writeFileSync(
      path.join(root, 'plan.md'),
      Buffer.concat([Buffer.from('| ID | State | Notes |\n| --- | --- | --- |\n| U1 | [x] | ok |\n| U2 | [ ] | bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' |\n')]),
    );
    fs.writeFileSync(path.join(root, 'notes.md'), Buffer.from([0x23, 0x20, 0xff, 0x0a]));
    const r = await indexPlansDir(env.db, root);
    expect(r).toMatchObject({ plans: 1, rows: 2 });
    expect(r.problems).toEqual([{ file: 'plan.md', line: 4, message: 'invalid UTF-8 (bad bytes shown as �)' }]);
  });

  it('the indexer notices a new plan file in a watched folder', async () => {
    env = await makeTestEnv({}, backend);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-watch-'));
    tmps.push(tmp);
    const root = path.join(tmp, 'plans');
    fs.mkdirSync(root);
    const logs: string[] = [];
    const indexer = new PlanIndexer({ db: env.db, roots: [root], log: (m) => logs.push(m), debounceMs: 20, pollMs: 60_000 });
    await indexer.start();
    try {
      fs.mkdirSync(path.join(root, 'active/NEW'), { recursive: true });
      fs.writeFileSync(path.join(root, 'active/NEW/plan.md'), '| ID | State |\n| --- | --- |\n| N1 | [ ] |\n');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !(await getPlanTree({ db: env.db })).plans.length) await sleep(25);
      expect((await getPlanTree({ db: env.db })).plans.map((p) => [p.initiative, p.rows.map((x) => x.rowId)])).toEqual([['NEW', ['N1']]]);
    } finally {
      await indexer.stop();
    }
  });

  it('the indexer re-reads an edited plan it knows from outside its folders (pages never re-index)', async () => {
    env = await makeTestEnv({}, backend);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-known-'));
    tmps.push(tmp);
    const elsewhere = path.join(tmp, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const plan = path.join(elsewhere, 'plan.md');
    fs.writeFileSync(plan, '| ID | State |\n| --- | --- |\n| K1 | [ ] |\n');
    await indexPlansDir(env.db, elsewhere);
    const watched = path.join(tmp, 'plans');
    fs.mkdirSync(watched);
    const indexer = new PlanIndexer({ db: env.db, roots: [watched], log: () => {}, debounceMs: 20, pollMs: 60_000, knownMs: 30 });
    await indexer.start();
    try {
      // Another size, so the stat sees the edit even within the same millisecond.
      fs.writeFileSync(plan, '| ID | State |\n| --- | --- |\n| K1 | [x] |\n| K2 | [ ] |\n');
      const rows = async () => (await getPlanTree({ db: env!.db })).plans.flatMap((p) => p.rows.map((x) => x.rowId));
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (await rows()).length < 2) await sleep(25);
      expect(await rows()).toEqual(['K1', 'K2']);
    } finally {
      await indexer.stop();
    }
  });

  it('the indexer runs one pass at a time: what is asked during a pass is done together in the next', async () => {
    env = await makeTestEnv({}, backend);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-passes-'));
    tmps.push(root);
    const plan = path.join(root, 'plan.md');
    const table = (ids: string[]) => `| ID | State |\n| --- | --- |\n${ids.map((id) => `| ${id} | [ ] |\n`).join('')}`;
    fs.writeFileSync(plan, table(['A1']));
    // Every write transaction of the indexer is slow, and counted while open: two passes at once would hold two.
    let open = 0;
    let most = 0;
    let entered = () => {};
    const writing = new Promise<void>((r) => {
      entered = r;
    });
    const real = env.db;
    const slow: Db = Object.create(real, {
      tx: {
        value: async <T>(fn: (tx: Db) => Promise<T>) => {
          most = Math.max(most, ++open);
          entered();
          try {
            await sleep(50);
            return await real.tx(fn);
          } finally {
            open--;
          }
        },
      },
    });
    const logs: string[] = [];
    const indexer = new PlanIndexer({ db: slow, roots: [root], log: (m) => logs.push(m), pollMs: 60_000, knownMs: 60_000 });
    try {
      const first = indexer.indexAll();
      await writing;
      fs.writeFileSync(plan, table(['A1', 'A2', 'A3']));
      const asked = [indexer.indexAll(), indexer.indexAll(), indexer.indexAll()];
      await Promise.all([first, ...asked]);
      expect(most).toBe(1);
      // The first pass and one more: the three asked during it were one.
      expect(logs.filter((m) => m.startsWith(`${root}:`))).toHaveLength(2);
      expect((await getPlanTree({ db: real })).plans.flatMap((p) => p.rows.map((x) => x.rowId))).toEqual(['A1', 'A2', 'A3']);
    } finally {
      await indexer.stop();
    }
  });

  it('indexes RUNPROOF_PLANS_DIR, else the plans/ of a profile checkout', async () => {
    const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-checkout-'));
    tmps.push(checkout);
    fs.mkdirSync(path.join(checkout, 'ptycho_torch'));
    fs.mkdirSync(path.join(checkout, 'plans'));
    env = await makeTestEnv({ PTYCHOPINN_DIR: checkout }, backend);
    expect(plansRoots()).toEqual([path.join(checkout, 'plans')]);
    process.env.RUNPROOF_PLANS_DIR = `fixtures/plans${path.delimiter}${checkout}`;
    try {
      expect(plansRoots()).toEqual([path.join(REPO_ROOT, 'fixtures/plans'), checkout]);
    } finally {
      delete process.env.RUNPROOF_PLANS_DIR;
      delete process.env.PTYCHOPINN_DIR;
    }
  });

  it('writes the plan update only when configured, only under the plans folder, then re-indexes', async () => {
    const root = copyTree(PTYCHO);
    env = await makeTestEnv({}, backend);
    const r = await importBundles({ db: env.db, roots: [root] });
    const smokeId = r.runs.find((x) => x.dir.endsWith('runtime_smoke/2025-10-24T061500Z'))!.id;
    const plan = path.join(root, KNOBS, 'plan.md');
    const before = fs.readFileSync(plan, 'utf8');
    const permalink = `http://localhost:3000/runs/${smokeId}`;
    expect(await applyPlanPatches({ db: env.db, runId: smokeId, permalink })).toEqual({
      written: [],
      refused: [{ plan: `${KNOBS}/plan.md`, reason: 'writing plans is not configured (RUNPROOF_PLANS_WRITABLE)' }],
    });
    process.env.RUNPROOF_PLANS_WRITABLE = '1';
    try {
      process.env.RUNPROOF_PLANS_DIR = path.join(root, 'plans/active/OTHER');
      expect((await applyPlanPatches({ db: env.db, runId: smokeId, permalink })).refused[0].reason).toBe('not under a plans folder (RUNPROOF_PLANS_DIR)');
      expect(fs.readFileSync(plan, 'utf8')).toBe(before);
      process.env.RUNPROOF_PLANS_DIR = path.join(root, 'plans');
      // Bytes that are not UTF-8 would not survive a rewrite: refused.
      fs.writeFileSync(plan, Buffer.concat([Buffer.from(before), Buffer.from([0xe9, 0x0a])]));
      expect((await applyPlanPatches({ db: env.db, runId: smokeId, permalink })).refused[0].reason).toBe('the plan has bytes that are not UTF-8; apply the patch by hand');
      fs.writeFileSync(plan, before);
      expect(await applyPlanPatches({ db: env.db, runId: smokeId, permalink })).toEqual({ written: [`${KNOBS}/plan.md`], refused: [] });
      // The run qualifies but fails its checks: partial, not done.
      expect((await getRunPlanRows({ db: env.db, runId: smokeId })).map((x) => `${x.id} ${x.state}`)).toEqual(['EB4.A [P]', 'EB4.B [P]']);
      expect(fs.readdirSync(path.dirname(plan)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      // Again: nothing left to change.
      expect((await applyPlanPatches({ db: env.db, runId: smokeId, permalink })).refused[0].reason).toBe('nothing to change');
    } finally {
      delete process.env.RUNPROOF_PLANS_WRITABLE;
      delete process.env.RUNPROOF_PLANS_DIR;
    }
  });

  it('resolves launch rows by ID, refuses unknown and ambiguous ones', async () => {
    env = await makeTestEnv({}, backend);
    await importBundles({ db: env.db, roots: [PTYCHO] });
    expect((await resolveRowRefs({ db: env.db, refs: ['EB4.A'] })).links.map((l) => l.rowId)).toEqual(['EB4.A']);
    expect((await resolveRowRefs({ db: env.db, refs: ['EB9.Z'] })).errors).toEqual(['no indexed plan has a row EB9.Z']);
    await indexPlansDir(env.db, path.join(REPO_ROOT, 'fixtures/plans'));
    fs.mkdirSync(path.join(env.dir, 'p2'));
    fs.writeFileSync(path.join(env.dir, 'p2/plan.md'), '| ID | State |\n| --- | --- |\n| EB4.A | [ ] |\n');
    await indexPlansDir(env.db, path.join(env.dir, 'p2'));
    expect((await resolveRowRefs({ db: env.db, refs: ['EB4.A'] })).errors[0]).toMatch(/EB4\.A is a row of 2 plans/);
    expect((await resolveRowRefs({ db: env.db, refs: [`${KNOBS}/plan.md#EB4.A`] })).links).toHaveLength(1);
  });
});

describe.each(backends())('the PtychoPINN tree in ../shared (%s)', (backend) => {
  it.runIf(fs.existsSync(SHARED))('import links the runtime-smoke bundle to EB4.A and EB4.B; its patch git-applies and flips exactly those rows', async () => {
    env = await makeTestEnv({}, backend);
    const r = await importBundles({ db: env.db, roots: [SHARED] });
    const smoke = r.runs.find((x) => x.dir.endsWith('runtime_smoke/2025-10-24T061500Z'))!;
    const refs = await getRunPlanRows({ db: env.db, runId: smoke.id });
    expect(refs).toEqual([
      { plan: `${KNOBS}/plan.md`, id: 'EB4.A', state: '[ ]', line: 63, source: 'summary' },
      { plan: `${KNOBS}/plan.md`, id: 'EB4.B', state: '[ ]', line: 64, source: 'summary' },
    ]);
    const evidence = (await getRunEvidence({ db: env.db, id: smoke.id }))!.evidence;
    expect(evidence.checks.find((c) => c.id === 'checkpoints')!.status).toBe('fail');

    const patch = combinedPatch(await planPatchesForRun({ db: env.db, runId: smoke.id, permalink: `http://localhost:3000/runs/${smoke.id}` }));
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-apply-'));
    tmps.push(work);
    fs.mkdirSync(path.join(work, KNOBS), { recursive: true });
    const original = fs.readFileSync(path.join(SHARED, KNOBS, 'plan.md'), 'utf8');
    fs.writeFileSync(path.join(work, KNOBS, 'plan.md'), original);
    fs.writeFileSync(path.join(work, 'run.patch'), patch);
    execFileSync('git', ['apply', 'run.patch'], { cwd: work, stdio: 'pipe' });
    const before = Object.fromEntries(parsePlan(original, 'p').rows.map((x) => [x.id, x.state]));
    const after = parsePlan(fs.readFileSync(path.join(work, KNOBS, 'plan.md'), 'utf8'), 'p').rows;
    // It fails checkpoints and (against the brief's --gridsize 3) knobs: [P], the failing checks in the note, never [x].
    expect(after.filter((x) => x.state !== before[x.id]).map((x) => `${x.id} ${x.state}`)).toEqual(['EB4.A [P]', 'EB4.B [P]']);
    expect(after.find((x) => x.id === 'EB4.A')!.guidance).toContain(
      `Evidence: [Runproof fail · python -m ptycho_torch.train · run ${smoke.id}](http://localhost:3000/runs/${smoke.id}) — failing: checkpoints, knobs`,
    );
  });
});

/** A plan with one row, for the symlink tests. */
const PLAN = '| ID | State | Notes |\n| --- | --- | --- |\n| S1 | [ ] | SECRET-ROW |\n';

/** plans/ (configured), other/ (a second configured folder), outside/ (neither). */
function layout() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-planlinks-'));
  tmps.push(base);
  for (const d of ['plans/active/A', 'plans/archive', 'other', 'outside']) fs.mkdirSync(path.join(base, d), { recursive: true });
  fs.writeFileSync(path.join(base, 'outside', 'secret.md'), PLAN);
  fs.writeFileSync(path.join(base, 'plans', 'archive', 'old.md'), PLAN.replace('S1', 'S2'));
  fs.writeFileSync(path.join(base, 'other', 'shared.md'), PLAN.replace('S1', 'S3'));
  return base;
}

describe.each(backends())('symlinked plan files (%s)', (backend) => {
  it('indexes a link that stays in the plans folders and reports one that leaves them', async () => {
    env = await makeTestEnv({}, backend);
    const base = layout();
    const root = path.join(base, 'plans');
    fs.symlinkSync(path.join(base, 'outside', 'secret.md'), path.join(root, 'active/A/leak.md'));
    fs.symlinkSync('../../archive/old.md', path.join(root, 'active/A/inside.md'));
    fs.symlinkSync(path.join(base, 'other', 'shared.md'), path.join(root, 'active/A/shared.md'));
    const alone = await indexPlansDir(env.db, root);
    expect(alone.problems).toContainEqual({ file: path.join(root, 'active/A/leak.md'), line: null, message: 'symbolic link to a file outside the plans folders, not read' });
    expect(alone.problems).toContainEqual({ file: path.join(root, 'active/A/shared.md'), line: null, message: 'symbolic link to a file outside the plans folders, not read' });
    const indexed = async () => (await getPlanTree({ db: env!.db })).plans.flatMap((p) => p.rows.map((r) => r.rowId)).sort();
    expect(await indexed()).toEqual(['S2']);
    // With other/ configured too, the link into it is read; the one to outside/ still is not.
    const both = await indexPlansDir(env.db, root, [root, path.join(base, 'other')]);
    expect(both.problems.map((p) => path.basename(p.file))).toEqual(['leak.md']);
    expect(await indexed()).toEqual(['S2', 'S3']);
    expect(JSON.stringify(await getPlanTree({ db: env.db }))).not.toContain(path.join(base, 'outside'));
  });

  it('import does not read a symlinked plan above a bundle that leads out of its folder, and says so', async () => {
    env = await makeTestEnv({}, backend);
    const base = layout();
    const proj = path.join(base, 'proj');
    const bundle = path.join(proj, 'reports', 'S1-smoke');
    fs.mkdirSync(bundle, { recursive: true });
    fs.writeFileSync(path.join(bundle, 'summary.md'), '# Smoke\nProves S1.\n');
    fs.symlinkSync(path.join(base, 'outside', 'secret.md'), path.join(proj, 'plan.md'));
    expect(nearestPlans(bundle).plans).toEqual([]);
    const r = await importBundles({ db: env.db, roots: [proj] });
    expect(r.problems).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/proj\/plan\.md$/), message: 'symbolic link to a file outside the plans folders, not read' }));
    expect((await getPlanTree({ db: env.db })).plans).toEqual([]);
    // A link to a plan in the same folder is fine.
    fs.rmSync(path.join(proj, 'plan.md'));
    fs.mkdirSync(path.join(proj, 'docs'));
    fs.writeFileSync(path.join(proj, 'docs', 'real.md'), PLAN);
    fs.symlinkSync('docs/real.md', path.join(proj, 'plan.md'));
    expect(nearestPlans(bundle).plans.map((p) => p.path)).toEqual([fs.realpathSync(path.join(proj, 'docs', 'real.md'))]);
  });

  it('the source page text is refused once the indexed file is swapped for a link, and a refresh drops the plan', async () => {
    env = await makeTestEnv({}, backend);
    const base = layout();
    const root = path.join(base, 'plans');
    await indexPlansDir(env.db, root);
    const plan = (await getPlanTree({ db: env.db })).plans[0];
    expect(readIndexedPlanText(plan.path)).toContain('| S2 |');
    fs.rmSync(plan.path);
    fs.symlinkSync(path.join(base, 'outside', 'secret.md'), plan.path);
    expect(readIndexedPlanText(plan.path)).toBeNull();
    await refreshKnownPlans(env.db);
    expect((await getPlanTree({ db: env.db })).plans).toEqual([]);
    // A folder on the way swapped for a link is caught the same way.
    fs.rmSync(plan.path);
    fs.renameSync(path.join(root, 'archive'), path.join(root, 'archive-real'));
    fs.writeFileSync(path.join(base, 'outside', 'old.md'), PLAN);
    fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'archive'));
    expect(readIndexedPlanText(plan.path)).toBeNull();
  });
});

describe('symlinked plan files on disk', () => {
  it('`runproof plans` (scanPlans) refuses a link out of the scanned folder', () => {
    const base = layout();
    fs.symlinkSync(path.join(base, 'outside', 'secret.md'), path.join(base, 'plans', 'leak.md'));
    const problems: Array<{ file: string; message: string }> = [];
    const found = scanPlans(path.join(base, 'plans'), (p) => problems.push(p));
    expect(found.map((p) => p.display)).toEqual(['plans/archive/old.md']);
    expect(problems).toEqual([expect.objectContaining({ file: path.join(base, 'plans', 'leak.md'), message: 'symbolic link to a file outside the plans folders, not read' })]);
  });
});

describe('what proves a row', () => {
  const RULES = '{\n  "proves": [\n    { "rows": ["EB2.A"], "profile": "ptycho-torch", "knobs": { "gridsize": 3 } },\n    { "rows": ["EB2.B"] }\n  ]\n}\n';

  it('reads the rule beside the plans, the guidance and the brief; a bad rule is a problem with its line; nothing above the plans folder is read', () => {
    const root = copyTree(PTYCHO);
    fs.writeFileSync(path.join(root, 'plans', 'runproof-proves.json'), RULES);
    // Above the folder that holds plans/: never read, even when it would match.
    fs.writeFileSync(path.join(path.dirname(root), 'runproof-proves.json'), '{"proves": [{"rows": ["EB3.A"], "profile": "x"}]}');
    tmps.push(path.join(path.dirname(root), 'runproof-proves.json'));
    const r = planRequirements(fs.realpathSync(path.join(root, KNOBS, 'plan.md')));
    expect(r.problems).toEqual([{ file: 'plans/runproof-proves.json', line: 4, message: 'proves.1: a rule needs a profile, a command, or both; this rule is ignored' }]);
    expect(r.rows.get('EB2.A')).toMatchObject({ source: 'rule', profiles: ['ptycho-torch'], knobs: { gridsize: '3' }, from: { file: 'plans/runproof-proves.json', line: 3 } });
    // EB4.A: its guidance's flags, with the program of the brief that names it.
    expect(r.rows.get('EB4.A')).toMatchObject({
      source: 'brief',
      from: { file: 'input.md', line: 7 },
      program: { display: 'python -m ptycho_torch.train' },
      knobs: { gridsize: '3', accelerator: 'auto' },
    });
    expect(r.rows.get('EB3.A')).toBeNull();
    expect(r.rows.get('EB2.B')).toBeNull();
    // The reference demo does not qualify for EB4.A; the bundle that ran the trainer does.
    const refs = judgePlanRowRefs([{ plan: `${KNOBS}/plan.md`, id: 'EB4.A', state: '[ ]', line: 46, source: 'launch' }], [fs.realpathSync(path.join(root, KNOBS, 'plan.md'))], {
      profile: 'reference',
      argv: ['node', '/x/workers/reference-trainer/train.mjs'],
    });
    expect(refs[0]).toMatchObject({ qualifies: false, why: 'ran node …/reference-trainer/train.mjs, profile reference; the row asks for python -m ptycho_torch.train (input.md:7)' });
  });

  it('a changed rules file or brief is read again', () => {
    const root = copyTree(PTYCHO);
    const plan = fs.realpathSync(path.join(root, KNOBS, 'plan.md'));
    expect(planRequirements(plan).rows.get('EB2.A')).toBeNull();
    fs.writeFileSync(path.join(root, 'plans', 'runproof-proves.json'), RULES);
    // The walk up is trusted for 2 s; a later look finds the new file.
    expect(planRequirements(plan, Date.now() + 5000).rows.get('EB2.A')).toMatchObject({ source: 'rule' });
    fs.writeFileSync(path.join(root, 'plans', 'runproof-proves.json'), '{"proves": [}');
    expect(planRequirements(plan, Date.now() + 10_000).problems).toEqual([{ file: 'plans/runproof-proves.json', line: 1, message: expect.stringMatching(/^not valid JSON: /) }]);
    fs.writeFileSync(path.join(root, 'input.md'), 'Do Now: EB2.B @ plans/elsewhere/plan.md\n- `python -m other.train --x 1`\n');
    expect(planRequirements(plan, Date.now() + 15_000).rows.get('EB4.A')?.source).toBe('guidance');
  });
});
