/**
 * Runs a team can work in: launched runs told apart by name and short id,
 * in the list and in the compare legend; names and notes edited on the
 * evidence page and found by search; search over plan row IDs, profiles,
 * accelerators and knob values; sorting by a column; the launched/imported
 * filter; ticks kept across pages; the list following live runs in place;
 * archive, restore and delete (a launched run's bundle folder removed, an
 * imported bundle's folder kept).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { closeDb, openDb } from '../db/client';
import { importBundles } from '../server/bundles';
import { bundlesDir, launchReference, waitForEnd } from './helpers';

const FIXTURE = 'fixtures/ptychopinn/plans/active/ADR-003-BACKEND-API/reports/2025-10-20T125500Z/phase_d_cli_wrappers_smoke';

const row = (page: Page, id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);

test('launched runs are told apart: names from their knobs, short ids, distinct compare legends, ticks kept across pages', async ({ page, request }) => {
  const a = launchReference({ max_epochs: 2, gridsize: 3, n_images: 64, batch_size: 8 });
  const b = launchReference({ max_epochs: 2, gridsize: 1, n_images: 64, batch_size: 8 });
  await waitForEnd(request, a);
  await waitForEnd(request, b);

  await page.goto('/?origin=launched&q=n_images=64');
  await expect(row(page, a)).toBeVisible();
  // Each row is named by its profile and the knobs it changed, with a short id; the two differ.
  const nameA = (await row(page, a).getByTestId('run-name').innerText()).replace(/\s+/g, ' ');
  const nameB = (await row(page, b).getByTestId('run-name').innerText()).replace(/\s+/g, ' ');
  expect(nameA).toContain('gridsize 3');
  expect(nameB).toContain('gridsize 1');
  await expect(row(page, a).getByTestId('run-short-id')).toHaveText(a.slice(0, 7));
  // The launched filter shows launched runs only.
  for (const origin of await page.getByTestId('run-row').evaluateAll((rs) => rs.map((r) => r.textContent ?? ''))) expect(origin).toContain('launched');

  // Ticks survive paging: one run ticked on page 1, the other on page 2 (one run a page).
  await page.goto('/?origin=launched&q=n_images=64&pageSize=1');
  const first = (await page.getByTestId('run-row').first().getAttribute('data-run-id'))!;
  await page.getByTestId('run-row').first().getByTestId('compare-pick').check();
  await expect(page.getByTestId('picked-count')).toContainText('1 ticked');
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId('picked-elsewhere')).toHaveCount(1);
  await page.getByTestId('run-row').first().getByTestId('compare-pick').check();
  await expect(page.getByTestId('picked-count')).toContainText('2 ticked (1 on other pages)');
  // Back on page 1 the first tick is still there.
  await page.getByRole('link', { name: '← Previous' }).click();
  await expect(row(page, first).getByTestId('compare-pick')).toBeChecked();
  await page.getByTestId('compare-submit').click();
  await expect(page).toHaveURL(/\/compare\?/);
  await expect(page.getByTestId('compare-run')).toHaveCount(2);
  // The legend names the runs apart.
  const legend = page.getByTestId('compare-chart').locator('.recharts-legend-item-text');
  await expect(legend).toHaveCount(2);
  const names = await legend.allInnerTexts();
  expect(names[0]).not.toBe(names[1]);
  expect(names.join(' ')).toContain('gridsize 3');
  expect(names.join(' ')).toContain('gridsize 1');
});

test('search finds plan row IDs, profiles, accelerators and knob values; columns sort in the URL', async ({ page, request }) => {
  // A plan row ID: the runtime smoke proves EB4.A.
  await page.goto('/?q=EB4.A');
  await expect(page.getByTestId('run-row').filter({ hasText: 'runtime_smoke' })).toHaveCount(1);
  // A knob value (its command sets --gridsize 2) and an accelerator.
  await page.goto('/?q=gridsize=2+cpu');
  await expect(page.getByTestId('run-row').filter({ hasText: 'runtime_smoke' })).toHaveCount(1);
  // A profile.
  const launched = (await (await request.get('/api/runs?origin=launched&pageSize=500')).json()) as { total: number };
  const byProfile = (await (await request.get('/api/runs?q=reference&pageSize=500')).json()) as { total: number };
  expect(byProfile.total).toBeGreaterThanOrEqual(launched.total);
  expect(launched.total).toBeGreaterThan(0);
  const imported = (await (await request.get('/api/runs?origin=imported&pageSize=500')).json()) as { runs: Array<{ origin: string }> };
  expect(imported.runs.every((r) => r.origin === 'imported')).toBe(true);

  // Sorting: the Duration header sorts longest first, again shortest first; the order is the server's, in the URL.
  await page.goto('/');
  await page.getByTestId('sort-duration').click();
  await expect(page).toHaveURL(/sort=duration/);
  await expect(page.locator('th[data-sort="duration"]')).toHaveAttribute('aria-sort', 'descending');
  const api = (await (await request.get('/api/runs?sort=duration&pageSize=5')).json()) as { runs: Array<{ id: string; durationMs: number | null }> };
  const shown = await page.getByTestId('run-row').evaluateAll((rs) => rs.slice(0, 5).map((r) => r.getAttribute('data-run-id')));
  expect(shown).toEqual(api.runs.map((r) => r.id));
  const d = api.runs.map((r) => r.durationMs ?? -1);
  expect([...d].sort((x, y) => y - x)).toEqual(d);
  await page.getByTestId('sort-duration').click();
  await expect(page).toHaveURL(/dir=asc/);
  await expect(page.locator('th[data-sort="duration"]')).toHaveAttribute('aria-sort', 'ascending');
  // Verdict sorts worst first.
  await page.getByTestId('sort-verdict').click();
  await expect(page.getByTestId('run-row').first()).toHaveAttribute('data-verdict', 'fail');
});

test('names and notes: edited on the evidence page, shown and searchable in the list', async ({ page, request }) => {
  const id = launchReference({ max_epochs: 1, n_images: 32 });
  await waitForEnd(request, id);
  await page.goto(`/runs/${id}`);
  await page.getByTestId('edit-notes').click();
  await page.getByTestId('run-name-input').fill('Baseline for the lr sweep');
  await page.getByTestId('run-notes-input').fill('Compare against the gridsize 3 runs.\nSecond line.');
  await page.getByTestId('save-notes').click();
  await expect(page.getByTestId('run-title')).toHaveText('Baseline for the lr sweep');
  await expect(page.getByTestId('notes-text')).toContainText('Second line.');

  await page.goto('/?q=lr+sweep');
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await expect(row(page, id).getByTestId('run-name')).toHaveText('Baseline for the lr sweep');
  await expect(row(page, id).getByTestId('run-notes')).toContainText('Compare against the gridsize 3 runs.');
  await page.goto('/?q=against+the+gridsize');
  await expect(row(page, id)).toBeVisible();
});

test('the list follows live runs in place: no reload, and it stops when nothing is live', async ({ page, request }) => {
  // Several seconds of training: queued, then running, then succeeded.
  const id = launchReference({ max_epochs: 6, n_images: 4096, batch_size: 8 });
  await page.goto('/?origin=launched');
  await expect(page.getByTestId('runs-live')).toBeVisible();
  await expect(row(page, id)).toHaveAttribute('data-verdict', 'pending');
  // A mark on the window: a full reload would lose it.
  await page.evaluate(() => ((window as unknown as { __stay: number }).__stay = 42));
  await expect(row(page, id)).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await expect(row(page, id)).toHaveAttribute('data-verdict', 'pass');
  expect(await page.evaluate(() => (window as unknown as { __stay?: number }).__stay)).toBe(42);
  await expect(page.getByTestId('runs-live')).toHaveCount(0, { timeout: 10_000 });
  await waitForEnd(request, id);
});

test('archive hides a run and restore brings it back; delete removes a launched run’s bundle folder and never an imported one', async ({ page, request }) => {
  const id = launchReference({ max_epochs: 1, n_images: 32 });
  await waitForEnd(request, id);
  await page.goto(`/runs/${id}`);
  await page.getByTestId('archive-run').click();
  await expect(page.getByTestId('archived-notice')).toBeVisible();
  await page.goto('/?origin=launched');
  await expect(row(page, id)).toHaveCount(0);
  await page.getByTestId('show-archived').click();
  await expect(row(page, id)).toBeVisible();
  await expect(row(page, id).getByTestId('run-archived')).toBeVisible();

  // Restore from the archived list, ticked.
  await row(page, id).getByTestId('compare-pick').check();
  await page.getByTestId('restore-selected').click();
  await expect(page.getByTestId('bulk-message')).toContainText('Restored 1 run');
  await page.goto('/?origin=launched');
  await expect(row(page, id)).toBeVisible();

  // Delete: the run and the folder Runproof wrote for it.
  const folder = path.join(bundlesDir(), id);
  expect(fs.existsSync(folder)).toBe(true);
  await page.goto(`/runs/${id}`);
  await page.getByTestId('delete-run').click();
  // Escape keeps it.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('confirm-delete')).toHaveCount(0);
  await page.getByTestId('delete-run').click();
  await page.getByTestId('confirm-delete').click();
  await expect(page).toHaveURL(new RegExp(`/\\?deleted=${id}`));
  await expect(page.getByTestId('deleted-notice')).toContainText('bundle folder Runproof wrote');
  expect(fs.existsSync(folder)).toBe(false);
  expect((await request.get(`/api/runs/${id}`)).status()).toBe(404);

  // An imported bundle: deleted from Runproof, its folder untouched.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-e2e-del-'));
  const copy = path.join(dir, 'bundle');
  fs.cpSync(FIXTURE, copy, { recursive: true });
  const db = await openDb(process.env.E2E_DB!);
  const res = await importBundles({ db, roots: [copy] });
  await closeDb(process.env.E2E_DB!);
  const imported = res.runs[0].id;
  const files = fs.readdirSync(copy).sort();
  await page.goto(`/runs/${imported}`);
  await expect(page.getByTestId('run-manage')).toContainText('the bundle folder stays where it is');
  await page.getByTestId('delete-run').click();
  await page.getByTestId('confirm-delete').click();
  await expect(page.getByTestId('deleted-notice')).toContainText(imported);
  expect(fs.readdirSync(copy).sort()).toEqual(files);
  fs.rmSync(dir, { recursive: true, force: true });
});
