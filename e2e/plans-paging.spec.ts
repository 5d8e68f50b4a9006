/**
 * A 20,000-row plan on the plans page: a page at a time, phases kept across
 * pages, the flagged filter kept while paging, a page reached by keyboard,
 * and each page small. The plan is indexed into the server's database by the
 * real indexer, and removed again at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { closeDb, openDb } from '../db/client';
import { listPlanFiles, PLAN_PAGE_SIZE, removePlans } from '../db/queries/plans';
import { indexPlansDir } from '../server/plan-index';

const ROWS = 20_000;
let dir: string;
let planIds: string[] = [];

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-e2e-bigplan-'));
  // Sorts after the fixture plans' initiatives, so their rows stay on page 1.
  const out = ['# Paging plan', '', 'Initiative: ZZZ-PAGING', ''];
  for (let i = 0; i < ROWS; i++) {
    if (i % 150 === 0) out.push('', `## Phase ${i / 150 + 1}`, '', '| ID | Task Description | State | How/Why & Guidance |', '| --- | --- | --- | --- |');
    out.push(`| Z${i} | Task ${i}: run the \`smoke\` and check the checkpoints | ${i % 7 === 0 ? '[x]' : '[ ]'} | guide ${i} |`);
  }
  fs.writeFileSync(path.join(dir, 'paging.md'), `${out.join('\n')}\n`);
  const db = await openDb(process.env.E2E_DB!);
  const before = new Set((await listPlanFiles({ db })).map((p) => p.id));
  expect((await indexPlansDir(db, dir)).rows).toBe(ROWS);
  planIds = (await listPlanFiles({ db })).map((p) => p.id).filter((id) => !before.has(id));
});

test.afterAll(async () => {
  const db = await openDb(process.env.E2E_DB!);
  await removePlans({ db, ids: planIds });
  await closeDb(process.env.E2E_DB!);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a 20,000-row plan is paged: phases kept, filter kept, keyboard and links work, each page small', async ({ page, request }) => {
  await page.goto('/plans');
  const rows = page.locator('[data-testid="plan-row"]');
  await expect(rows).toHaveCount(PLAN_PAGE_SIZE);
  const range = page.getByTestId('plans-pager-top').getByTestId('plans-range');
  await expect(range).toContainText(`Rows 1–${PLAN_PAGE_SIZE} of`);
  // The fixture plans come first; the paging plan starts on this page and continues.
  await expect(page.locator('[data-testid="plan-row"][data-row="EB4.A"]')).toHaveCount(1);

  // Next (a rel=next link): page 2, the plan continued, its rows in order under a phase heading.
  await page.getByTestId('plans-pager-top').getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/\/plans\?page=2$/);
  await expect(rows).toHaveCount(PLAN_PAGE_SIZE);
  await expect(page.getByTestId('plan-file').first().locator('h2')).toHaveText('Paging plan (continued)');
  const firstId = Number((await rows.first().getAttribute('data-row'))!.slice(1));
  await expect(page.locator('tr.phase-row').first()).toHaveText(`Phase ${Math.floor(firstId / 150) + 1}`);

  // The page box, by keyboard: type the last page and press Enter.
  const box = page.getByTestId('plans-pager-top').getByRole('spinbutton', { name: 'Go to page' });
  const last = Number(await box.getAttribute('max'));
  await box.focus();
  await box.fill(String(last));
  await box.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/plans\\?page=${last}$`));
  await expect(rows.last()).toHaveAttribute('data-row', `Z${ROWS - 1}`);

  // Flagged only, then the next page: the filter stays in the links.
  await page.getByTestId('flagged-filter').click();
  await expect(page).toHaveURL(/\/plans\?flagged=1$/);
  await page.getByTestId('plans-pager').getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/\/plans\?flagged=1&page=2$/);
  for (const id of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-row')))) expect(Number(id!.slice(1)) % 7, id!).toBe(0);

  // A row's page links back to its place on the plans page.
  await rows.first().getByRole('link').first().click();
  await page.getByRole('link', { name: 'ZZZ-PAGING' }).click();
  await expect(page).toHaveURL(/\/plans\?plan=[0-9a-f]{12}&row=Z\d+#row-/);
  await expect(page.locator(`tr[id="${decodeURIComponent(page.url().split('#')[1])}"]`)).toBeVisible();

  // Every page stays small, whatever the plan's size.
  for (const q of ['', '?page=2', `?page=${last}`, '?flagged=1&page=3']) {
    const body = await (await request.get(`/plans${q}`)).body();
    expect(body.length, q).toBeLessThan(300 * 1024);
  }
});

test('the 20,000-row plan’s source opens at a row’s line, a window at a time, with earlier and later lines', async ({ page, request }) => {
  // A row deep in the file: its page's source link opens the window around its line.
  const rowPage = `/plans/${planIds[0]}/Z15000`;
  await page.goto(rowPage);
  const href = (await page.getByTestId('row-source').getAttribute('href'))!;
  const line = Number(/line=(\d+)/.exec(href)![1]);
  await page.getByTestId('row-source').click();
  await expect(page.locator(`tr[id="L${line}"]`)).toBeVisible();
  await expect(page.locator(`tr[id="L${line}"]`)).toContainText('Z15000');
  const lines = page.getByTestId('file-viewer').locator('tr');
  await expect(lines).toHaveCount(2000);
  await expect(page.getByTestId('source-window')).toContainText('of 20,');
  // Later lines: the next window starts where this one ended.
  const lastShown = Number((await lines.last().getAttribute('id'))!.slice(1));
  await page.getByRole('link', { name: 'Later lines →' }).click();
  await expect(lines.first()).toHaveAttribute('id', `L${lastShown + 1}`);
  await page.getByRole('link', { name: '← Earlier lines' }).click();
  await expect(lines.last()).toHaveAttribute('id', `L${lastShown}`);
  // Small whatever the file: the whole plan is ~2 MB of text.
  const body = await (await request.get(`/plans/${planIds[0]}/source?line=${line}`)).body();
  expect(body.length).toBeLessThan(800 * 1024);
});
