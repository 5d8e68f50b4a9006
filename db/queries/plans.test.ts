/**
 * The plans page, a page at a time: a real SQLite file holding a generated
 * 20,000-row plan (indexed by the real indexer) and the repo's fixture
 * bundles with the plans above them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../client';
import { importBundles } from '../../server/bundles';
import { indexPlansDir } from '../../server/plan-index';
import { PTYCHO } from '../../fixtures/test-helpers';
import { getPlanPage, getPlanTree, PLAN_PAGE_SIZE } from './plans';

let dir: string;
let file: string;
let db: Db;

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

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-planpage-'));
  file = path.join(dir, 'p.db');
  db = openDb(file);
});
afterEach(() => {
  closeDb(file);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('getPlanPage', () => {
  it('pages a 20,000-row plan a page at a time, in order, with its phases and flags', () => {
    bigPlan(path.join(dir, 'plans'), 20_000);
    expect(indexPlansDir(db, path.join(dir, 'plans')).rows).toBe(20_000);
    expect(getPlanPage({ db })).toMatchObject({ pageSize: PLAN_PAGE_SIZE, pageCount: 20_000 / PLAN_PAGE_SIZE });
    const p1 = getPlanPage({ db, pageSize: 200 });
    expect(p1).toMatchObject({ page: 1, pageCount: 100, pageSize: 200, totalRows: 20_000, matchingRows: 20_000, flaggedRows: Math.ceil(20_000 / 7), firstIndex: 0 });
    expect(p1.plans).toHaveLength(1);
    expect(p1.plans[0]).toMatchObject({ initiative: 'BIG', rowCount: 20_000, starts: true, continues: true });
    expect(p1.plans[0].rows.map((r) => r.rowId)).toEqual(Array.from({ length: 200 }, (_, i) => `R${i}`));
    expect(p1.plans[0].rows[0].flags.map((f) => f.kind)).toEqual(['done-without-evidence']);
    expect(p1.plans[0].rows[1].flags).toEqual([]);

    const p2 = getPlanPage({ db, page: 2, pageSize: 200 });
    expect(p2.plans[0]).toMatchObject({ starts: false, continues: true });
    expect(p2.plans[0].rows[0]).toMatchObject({ rowId: 'R200', phase: 'Phase 2', description: 'task 200' });
    const last = getPlanPage({ db, page: 100, pageSize: 200 });
    expect(last.plans[0]).toMatchObject({ starts: false, continues: false });
    expect(last.plans[0].rows.at(-1)!.rowId).toBe('R19999');
    // Out of range pages are clamped, not empty.
    expect(getPlanPage({ db, page: 10_000, pageSize: 200 }).page).toBe(100);
    expect(getPlanPage({ db, page: -3 }).page).toBe(1);
  });

  it('keeps only flagged rows with the filter, paged the same way', () => {
    bigPlan(path.join(dir, 'plans'), 20_000);
    indexPlansDir(db, path.join(dir, 'plans'));
    const f1 = getPlanPage({ db, flaggedOnly: true, pageSize: 200 });
    expect(f1).toMatchObject({ matchingRows: 2858, pageCount: 15, totalRows: 20_000 });
    expect(f1.plans[0].rows.slice(0, 3).map((r) => r.rowId)).toEqual(['R0', 'R7', 'R14']);
    expect(f1.plans[0].rows.every((r) => r.flags.length)).toBe(true);
    expect(getPlanPage({ db, flaggedOnly: true, page: 15, pageSize: 200 }).plans[0].rows.at(-1)!.rowId).toBe('R19999');
  });

  it('lands on the page where a plan or a row is', () => {
    bigPlan(path.join(dir, 'plans', 'a'), 450, 'a.md');
    bigPlan(path.join(dir, 'plans', 'b'), 450, 'b.md');
    indexPlansDir(db, path.join(dir, 'plans'));
    const ids = getPlanPage({ db, pageSize: 10_000 }).plans.map((p) => p.id);
    const second = getPlanPage({ db, planId: ids[1], pageSize: 200 });
    expect(second.page).toBe(3); // rows 450–899: it starts on page 3
    expect(second.plans.map((p) => [p.id, p.starts])).toEqual([
      [ids[0], false],
      [ids[1], true],
    ]);
    expect(getPlanPage({ db, planId: ids[1], rowId: 'R420', pageSize: 200 }).page).toBe(5);
    // An explicit page wins; an unknown plan or row leaves page 1.
    expect(getPlanPage({ db, planId: ids[1], page: 1, pageSize: 200 }).page).toBe(1);
    expect(getPlanPage({ db, planId: 'ffffffffffff' }).page).toBe(1);
  });

  it('agrees with the whole tree on the fixture plans: runs newest first, flags, orphans on the first page', () => {
    importBundles({ db, roots: [PTYCHO] });
    const tree = getPlanTree({ db });
    const page = getPlanPage({ db, pageSize: 10_000 });
    expect(page.plans.map((p) => p.id)).toEqual(tree.plans.map((p) => p.id));
    expect(page.plans.flatMap((p) => p.rows.map((r) => [r.rowId, r.runs.map((x) => x.runId)]))).toEqual(tree.plans.flatMap((p) => p.rows.map((r) => [r.rowId, r.runs.map((x) => x.runId)])));
    const eb4a = page.plans.flatMap((p) => p.rows).find((r) => r.rowId === 'EB4.A')!;
    expect(eb4a.flags.map((f) => f.kind)).toEqual(['latest-fails']);
    expect(page.orphans).toEqual(tree.orphans);
  });
});
