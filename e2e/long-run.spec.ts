/**
 * Pages that scale and read well: a 1,000-epoch run's evidence page is small
 * (the epochs table shows the first, best, stop and last rows, "show all"
 * the rest), its section nav stays in view, its chart is a named image with
 * dots only where they help, a tooltip that gives every curve's nearest value
 * and an epoch/step axis; Escape dismisses the cancel confirmation; a 390 px
 * phone gets one-column forms and the runs table as cards; an imported
 * bundle whose folder moved says "bundle folder missing".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { closeDb, openDb } from '../db/client';
import { importBundles } from '../server/bundles';
import { deleteRun } from '../db/queries/runs';
import { launchReference, waitForEnd } from './helpers';

const FIXTURE = 'fixtures/ptychopinn/plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/runtime_smoke/2025-10-24T061500Z';

let longRun = '';

test.beforeAll(async ({ request }) => {
  // A real 1,000-epoch Lightning-shaped run of the reference trainer (a few seconds: 40 images, 5 steps an epoch).
  longRun = launchReference({ max_epochs: 1000, n_images: 40, gridsize: 1, batch_size: 8, 'early-stop-patience': 1000 });
  expect(await waitForEnd(request, longRun, 120_000)).toBe('succeeded');
});

test('a 1,000-epoch run: a small page, the epochs that matter, a sticky nav, a chart that reads', async ({ page, request }) => {
  // The whole page as the server sends it: under 300 KB.
  const html = await (await request.get(`/runs/${longRun}`)).text();
  expect(html.length).toBeLessThan(300_000);

  await page.goto(`/runs/${longRun}`);
  const rows = page.getByTestId('epoch-row');
  const count = await rows.count();
  expect(count).toBeGreaterThanOrEqual(8);
  expect(count).toBeLessThanOrEqual(20);
  await expect(rows.first()).toHaveAttribute('data-epoch', '0');
  await expect(rows.last()).toHaveAttribute('data-epoch', '999');
  await expect(page.locator('[data-testid="epoch-row"]:has(.verdict)')).toHaveCount(1);
  await expect(page.getByTestId('epoch-gap').first()).toContainText('epochs not shown');
  await expect(page.getByTestId('epochs-window')).toContainText('Showing');

  // The section nav stays in view at the bottom of the page, and its links land below it.
  const toc = page.getByRole('navigation', { name: 'Sections' });
  await page.getByRole('link', { name: 'Files', exact: true }).click();
  await expect(page).toHaveURL(/#files$/);
  const tocBox = (await toc.boundingBox())!;
  expect(tocBox.y).toBeLessThanOrEqual(1);
  const files = (await page.locator('#files').boundingBox())!;
  expect(files.y).toBeGreaterThanOrEqual(tocBox.y + tocBox.height - 1);

  // The chart: one image with a one-line name; no dots on a 1,000-point curve.
  const img = page.getByTestId('loss-chart-img');
  await expect(img).toHaveAttribute('role', 'img');
  await expect(img).toHaveAttribute('aria-label', /over 1000 epochs.*best epoch \d+/);
  await expect(img.locator('.recharts-line').first()).toBeVisible();
  await expect(img.locator('.recharts-line-dots circle')).toHaveCount(0);
  // The tooltip names every curve with its nearest value, wherever the pointer is.
  await img.scrollIntoViewIfNeeded();
  const box = (await img.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.move(box.x + box.width * 0.41, box.y + box.height / 2);
  const tip = page.getByTestId('chart-tooltip');
  await expect(tip).toBeVisible();
  const curves = await img.locator('.recharts-line').count();
  await expect(tip.getByTestId('chart-tip-row')).toHaveCount(curves);
  await expect(tip).toContainText('step ');
  // The x axis in epochs.
  await page.getByTestId('axis-epoch').check({ force: true });
  await expect(page.locator('[data-testid="loss-chart"] .chart')).toHaveAttribute('data-axis', 'epoch');
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await expect(tip).toContainText('epoch ');

  // Show all: every epoch.
  await page.getByTestId('epochs-show-all').click();
  await expect(page).toHaveURL(/epochs=all/);
  await expect(rows).toHaveCount(1000);
});

test('a short run keeps its dots and its whole epochs table', async ({ page, request }) => {
  const list = (await (await request.get('/api/runs?q=runtime_smoke')).json()) as { runs: Array<{ id: string }> };
  await page.goto(`/runs/${list.runs[0].id}`);
  await expect(page.getByTestId('epoch-row')).toHaveCount(6);
  await expect(page.getByTestId('epochs-window')).toHaveCount(0);
  await expect(page.getByTestId('loss-chart-img').locator('.recharts-line-dots circle').first()).toBeVisible();
});

test('Escape dismisses the cancel confirmation and gives the focus back', async ({ page, request }) => {
  const id = launchReference({ max_epochs: 300, n_images: 256, 'early-stop-patience': 1000 });
  await page.goto(`/runs/${id}`);
  await expect(page.getByTestId('cancel-run')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('cancel-run').click();
  await expect(page.getByTestId('confirm-cancel')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('confirm-cancel')).toHaveCount(0);
  await expect(page.getByTestId('cancel-run')).toBeFocused();
  // Still running; now cancel it for real.
  await page.getByTestId('cancel-run').click();
  await page.getByTestId('confirm-cancel').click();
  expect(await waitForEnd(request, id)).toBe('cancelled');
});

test.describe('a 390 px phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the runs table as cards, the launch form in one column, the evidence page without sideways scrolling', async ({ page }, info) => {
    const noSideways = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.goto('/');
    await expect(page.getByTestId('runs-table')).toBeVisible();
    await noSideways();
    // Cards: the column headers give way to a sort bar; each run is one block as wide as the table, stacked.
    await expect(page.locator('table.runs thead th', { hasText: 'Initiative / phase' })).toBeHidden();
    await expect(page.getByTestId('sort-duration')).toBeVisible();
    const cards = await page.getByTestId('run-row').evaluateAll((rs) => rs.slice(0, 4).map((r) => r.getBoundingClientRect().toJSON() as DOMRect));
    for (const c of cards) expect(c.width).toBeGreaterThan(300);
    for (let i = 1; i < cards.length; i++) expect(cards[i].top).toBeGreaterThanOrEqual(cards[i - 1].bottom - 1);
    // Each value is labelled in the card.
    const label = await page
      .getByTestId('run-row')
      .first()
      .locator('td[data-label="Started"]')
      .evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toBe('"Started"');
    await info.attach('runs-390.png', { body: await page.screenshot({ fullPage: false }), contentType: 'image/png' });

    await page.goto('/runs/new');
    await expect(page.getByTestId('launch-form')).toBeVisible();
    await noSideways();
    const xs = await page
      .locator('input[type="text"][data-testid^="knob-"], select[data-testid^="knob-"]')
      .evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent).map((e) => Math.round(e.getBoundingClientRect().left)));
    expect(xs.length).toBeGreaterThan(3);
    expect(new Set(xs).size).toBe(1);
    await info.attach('launch-390.png', { body: await page.screenshot({ fullPage: false }), contentType: 'image/png' });

    await page.goto(`/runs/${longRun}`);
    await expect(page.getByTestId('loss-chart-img')).toBeVisible();
    await noSideways();
    await info.attach('evidence-390.png', { body: await page.screenshot({ fullPage: false }), contentType: 'image/png' });
  });
});

test('an imported bundle whose folder moved says "bundle folder missing", on the page, its files and the API', async ({ page, request }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-e2e-moved-'));
  const copy = path.join(dir, 'runtime_smoke_copy');
  fs.cpSync(FIXTURE, copy, { recursive: true });
  const db = await openDb(process.env.E2E_DB!);
  const id = (await importBundles({ db, roots: [copy] })).runs[0].id;
  await closeDb(process.env.E2E_DB!);
  fs.renameSync(copy, `${copy}-moved`);
  try {
    await page.goto(`/runs/${id}`);
    await expect(page.getByTestId('bundle-missing')).toContainText('Bundle folder missing');
    await expect(page.getByTestId('log-missing')).toBeVisible();
    await expect(page.getByTestId('files-table')).toContainText('bundle folder missing');
    const res = await page.goto(`/runs/${id}/files/train_cli_runtime_smoke.log`);
    expect(res!.status()).toBe(200);
    await expect(page.getByRole('heading', { name: 'Bundle folder missing' })).toBeVisible();
    const api = await request.get(`/api/runs/${id}/files/train_cli_runtime_smoke.log`);
    expect(api.status()).toBe(404);
    expect(((await api.json()) as { error: string }).error).toContain('bundle folder missing');
  } finally {
    // Leave the e2e database as it was: this copy's run goes, the fixture's stays.
    await deleteRun({ db: await openDb(process.env.E2E_DB!), id });
    await closeDb(process.env.E2E_DB!);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
