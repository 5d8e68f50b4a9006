/**
 * The plans page, a page at a time: a real database (a SQLite file, and a
 * PostgreSQL database when RUNPROOF_TEST_DATABASE_URL names a server)
 * holding a generated 20,000-row plan (indexed by the real indexer) and the
 * repo's fixture bundles with the plans above them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../client';
import { backends } from '../testing/backends';
import { importBundles } from '../../server/bundles';
import { indexPlansDir } from '../../server/plan-index';
import { PTYCHO } from '../../fixtures/test-helpers';
import { getPlan, getPlanPage, getPlanTree, listPlanFiles, PLAN_PAGE_SIZE, type PlanInput, removePlans, upsertPlans } from './plans';
import { openTempDb, type TempDb } from './testing';

/** A plan of `n` rows in phases of 150; every 7th row is marked done with no run behind it (flagged). */
function bigPlan(folder: string, n: number, name = 'big.md'): void {
  const out = ['# Big plan', '', 'Initiative: BIG', ''];
  for (let i = 0; i < n; i++) {
    if (i % 150 === 0) out.push('', `## Phase ${i / 150 + 1}`, '', '| ID | Task Description | State | How/Why & Guidance |', '| --- | --- | --- | --- |');
    out.push(`| R${i} | task ${i} | ${i % 7 === 0 ? '[x]' : '[ ]'} | guide ${i} |`);
  }
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, name), `${out.join('\n')}\n`);
}

describe.each(backends())('getPlanPage (%s)', (backend) => {
  let temp: TempDb;
  let dir: string;
  let db: Db;
  beforeEach(async () => {
    temp = await openTempDb('rp-planpage-', backend);
    ({ db, dir } = temp);
  });
  afterEach(async () => {
    await temp.close();
  });

  it('pages a 20,000-row plan a page at a time, in order, with its phases and flags', async () => {
    bigPlan(path.join(dir, 'plans'), 20_000);
    expect((await indexPlansDir(db, path.join(dir, 'plans'))).rows).toBe(20_000);
    expect(await getPlanPage({ db })).toMatchObject({ pageSize: PLAN_PAGE_SIZE, pageCount: 20_000 / PLAN_PAGE_SIZE });
    const p1 = await getPlanPage({ db, pageSize: 200 });
    expect(p1).toMatchObject({ page: 1, pageCount: 100, pageSize: 200, totalRows: 20_000, matchingRows: 20_000, flaggedRows: Math.ceil(20_000 / 7), firstIndex: 0 });
    expect(p1.plans).toHaveLength(1);
    expect(p1.plans[0]).toMatchObject({ initiative: 'BIG', rowCount: 20_000, starts: true, continues: true });
    expect(p1.plans[0].rows.map((r) => r.rowId)).toEqual(Array.from({ length: 200 }, (_, i) => `R${i}`));
    expect(p1.plans[0].rows[0].flags.map((f) => f.kind)).toEqual(['done-without-evidence']);
    expect(p1.plans[0].rows[1].flags).toEqual([]);

    const p2 = await getPlanPage({ db, page: 2, pageSize: 200 });
    expect(p2.plans[0]).toMatchObject({ starts: false, continues: true });
    expect(p2.plans[0].rows[0]).toMatchObject({ rowId: 'R200', phase: 'Phase 2', description: 'task 200' });
    const last = await getPlanPage({ db, page: 100, pageSize: 200 });
    expect(last.plans[0]).toMatchObject({ starts: false, continues: false });
    expect(last.plans[0].rows.at(-1)!.rowId).toBe('R19999');
    // Out of range pages are clamped, not empty.
    expect((await getPlanPage({ db, page: 10_000, pageSize: 200 })).page).toBe(100);
    expect((await getPlanPage({ db, page: -3 })).page).toBe(1);
  });

  it('keeps only flagged rows with the filter, paged the same way', async () => {
    bigPlan(path.join(dir, 'plans'), 20_000);
    await indexPlansDir(db, path.join(dir, 'plans'));
    const f1 = await getPlanPage({ db, flaggedOnly: true, pageSize: 200 });
    expect(f1).toMatchObject({ matchingRows: 2858, pageCount: 15, totalRows: 20_000 });
    expect(f1.plans[0].rows.slice(0, 3).map((r) => r.rowId)).toEqual(['R0', 'R7', 'R14']);
    expect(f1.plans[0].rows.every((r) => r.flags.length)).toBe(true);
    expect((await getPlanPage({ db, flaggedOnly: true, page: 15, pageSize: 200 })).plans[0].rows.at(-1)!.rowId).toBe('R19999');
  });

  it('lands on the page where a plan or a row is', async () => {
    bigPlan(path.join(dir, 'plans', 'a'), 450, 'a.md');
    bigPlan(path.join(dir, 'plans', 'b'), 450, 'b.md');
    await indexPlansDir(db, path.join(dir, 'plans'));
    const ids = (await getPlanPage({ db, pageSize: 10_000 })).plans.map((p) => p.id);
    const second = await getPlanPage({ db, planId: ids[1], pageSize: 200 });
    expect(second.page).toBe(3); // rows 450–899: it starts on page 3
    expect(second.plans.map((p) => [p.id, p.starts])).toEqual([
      [ids[0], false],
      [ids[1], true],
    ]);
    expect((await getPlanPage({ db, planId: ids[1], rowId: 'R420', pageSize: 200 })).page).toBe(5);
    // An explicit page wins; an unknown plan or row leaves page 1.
    expect((await getPlanPage({ db, planId: ids[1], page: 1, pageSize: 200 })).page).toBe(1);
    expect((await getPlanPage({ db, planId: 'ffffffffffff' })).page).toBe(1);
  });

  it('agrees with the whole tree on the fixture plans: runs newest first, flags, orphans on the first page', async () => {
    await importBundles({ db, roots: [PTYCHO] });
    const tree = await getPlanTree({ db });
    const page = await getPlanPage({ db, pageSize: 10_000 });
    expect(page.plans.map((p) => p.id)).toEqual(tree.plans.map((p) => p.id));
    expect(page.plans.flatMap((p) => p.rows.map((r) => [r.rowId, r.runs.map((x) => x.runId)]))).toEqual(tree.plans.flatMap((p) => p.rows.map((r) => [r.rowId, r.runs.map((x) => x.runId)])));
    const eb4a = page.plans.flatMap((p) => p.rows).find((r) => r.rowId === 'EB4.A')!;
    expect(eb4a.flags.map((f) => f.kind)).toEqual(['latest-fails']);
    expect(page.orphans).toEqual(tree.orphans);
  });
});

describe.each(backends())('upsertPlans (%s)', (backend) => {
  let temp: TempDb;
  let db: Db;
  beforeEach(async () => {
    temp = await openTempDb('rp-planupsert-', backend);
    ({ db } = temp);
  });
  afterEach(async () => {
    await temp.close();
  });

  const rowsOf = (ids: string[]) => ids.map((id, k) => ({ id, phase: null, phaseId: null, description: `task ${id}`, state: '[ ]', guidance: '', line: k + 3, endLine: k + 3, tableLine: 1 }));
  const plan = (ids: string[], mtimeMs: number): PlanInput => ({
    id: 'aaaaaaaaaaaa',
    path: '/p/plans/plan.md',
    display: 'plans/plan.md',
    initiative: 'P',
    title: null,
    mtimeMs,
    size: ids.length,
    rows: rowsOf(ids),
    problems: [],
  });
  const rowIds = async () => (await getPlan({ db, id: 'aaaaaaaaaaaa' }))?.rows.map((r) => r.rowId) ?? null;

  it("replaces a plan's rows whole, leaves an unchanged plan alone, and forgets removed plans", async () => {
    const many = Array.from({ length: 150 }, (_, i) => `M${i}`);
    expect(await upsertPlans({ db, plans: [plan(many, 1)] })).toBe(1);
    expect(await rowIds()).toEqual(many);
    expect(await upsertPlans({ db, plans: [plan(many, 1)] })).toBe(0);
    expect(await upsertPlans({ db, plans: [plan(['N1', 'M3'], 2)] })).toBe(1);
    expect(await rowIds()).toEqual(['N1', 'M3']);
    expect(await listPlanFiles({ db })).toEqual([{ id: 'aaaaaaaaaaaa', path: '/p/plans/plan.md', mtimeMs: 2, size: 2 }]);
    expect(await removePlans({ db, ids: ['aaaaaaaaaaaa', 'bbbbbbbbbbbb'] })).toBe(1);
    expect(await rowIds()).toBeNull();
  });

  it('keeps the old rows when writing the new ones fails part way (one transaction)', async () => {
    const before = Array.from({ length: 100 }, (_, i) => `B${i}`);
    await upsertPlans({ db, plans: [plan(before, 1)] });
    // A row ID twice, in the second batch of 64: the plan row and the first batch are written before it fails.
    const broken = Array.from({ length: 100 }, (_, i) => (i === 90 ? 'C5' : `C${i}`));
    await expect(upsertPlans({ db, plans: [plan(broken, 2)] })).rejects.toThrow();
    expect(await rowIds()).toEqual(before);
    expect((await listPlanFiles({ db }))[0].mtimeMs).toBe(1);
  });
});
