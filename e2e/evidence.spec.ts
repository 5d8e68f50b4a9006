import { expect, test } from '@playwright/test';
import { EvidencePage, RunsPage } from './pages';

test('a reviewer finds the runtime smoke, sees six epochs, the failing checkpoint check and the chart', async ({ page }) => {
  const runs = new RunsPage(page);
  await runs.open();
  expect(await runs.rows().count()).toBeGreaterThanOrEqual(10);

  await runs.openRun('runtime_smoke');
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  const ev = new EvidencePage(page);

  await expect(ev.epochRows()).toHaveCount(6);
  await expect(ev.check('checkpoints')).toHaveAttribute('data-status', 'fail');
  await expect(page.getByTestId('checkpoint-table')).toContainText('epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt');
  await expect(ev.check('exit')).toHaveAttribute('data-status', 'pass');
  // Which Lightning the bundle shows, and the line that dates it.
  await expect(page.getByTestId('lightning-version')).toHaveText(/^Lightning ≥2\.0 \(train_cli_runtime_smoke\.log:\d+: model summary with a `Mode` column/);

  // The chart draws real lines, not just an empty frame.
  const chart = ev.chart();
  await expect(chart.locator('svg').first()).toBeVisible();
  const paths = chart.locator('path.recharts-curve');
  expect(await paths.count()).toBeGreaterThanOrEqual(2);

  // The permalink is stable: a reload shows the same evidence.
  const url = page.url();
  await page.reload();
  expect(page.url()).toBe(url);
  await expect(ev.epochRows()).toHaveCount(6);
});

test('filters live in the URL and the failed debug run shows its ERROR line', async ({ page }) => {
  const runs = new RunsPage(page);
  await runs.open('?status=failed');
  const statuses = await runs.rows().getByTestId('status-badge').allTextContents();
  expect(statuses.length).toBeGreaterThan(0);
  for (const s of statuses) expect(s.toLowerCase()).toContain('failed');

  await runs.openRun('debug');
  await expect(new EvidencePage(page).check('exit')).toHaveAttribute('data-status', 'fail');
  await expect(page.getByTestId('log-viewer')).toContainText('ERROR: Training data file not found');
});

test('the API serves the evidence document, the badge and summary.md, and no file outside a bundle', async ({ request }) => {
  const list = await (await request.get('/api/runs?q=runtime_smoke')).json();
  expect(list.total).toBe(1);
  const id = list.runs[0].id;
  const ev = await (await request.get(`/api/runs/${id}`)).json();
  expect(ev.epochs).toHaveLength(6);
  expect(ev.checkpoints.missing).toEqual(['epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt']);

  const badge = await request.get(`/api/runs/${id}/badge.svg`);
  expect(badge.headers()['content-type']).toContain('image/svg+xml');
  expect(await badge.text()).toContain('<svg');

  const md = await request.get(`/api/runs/${id}/summary.md`);
  expect(md.status()).toBe(200);
  expect(await md.text()).toContain('| checkpoints | ❌ fail |');

  const ok = await request.get(`/api/runs/${id}/files/metrics.csv`);
  expect(ok.status()).toBe(200);
  for (const p of ['..%2f..%2f..%2fpackage.json', '%252e%252e%252fpackage.json', '..%5cpackage.json', 'metrics.csv%00', '%2fetc%2fpasswd']) {
    const r = await request.get(`/api/runs/${id}/files/${p}`);
    expect([400, 404], p).toContain(r.status());
  }
  // Malformed percent-encoding is a bad request with a plain message on both file routes, never a 500.
  for (const p of ['%', '%zz', '%E0%A4', '%c0%ae%c0%ae/package.json', 'metrics.csv%ED%A0%80']) {
    for (const url of [`/api/runs/${id}/files/${p}`, `/runs/${id}/files/${p}`]) {
      const r = await request.get(url);
      expect(r.status(), url).toBe(400);
      expect(await r.text(), url).toMatch(/malformed percent-encoding|bad encoding/);
    }
  }
  const twice = await request.get(`/api/runs/${id}/files/%25zz`);
  expect([twice.status(), await twice.json()]).toEqual([400, { error: 'bad encoding: the path is not valid percent-encoded UTF-8' }]);
  expect((await request.get('/api/runs/does-not-exist')).status()).toBe(404);
  expect((await request.get('/api/runs?status=bogus')).status()).toBe(400);
});

test('a reviewer copies the PR markdown and links to a line of a bundle file', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const runs = new RunsPage(page);
  await runs.open('?q=runtime_smoke');
  await runs.openRun('runtime_smoke');
  const permalink = page.url();

  await page.getByTestId('copy-markdown').click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain(permalink);
  expect(copied).toMatch(/checkpoints.*fail/);

  await page.goto(`${permalink}/files/metrics.csv#L34`);
  const line = page.locator('#L34');
  await expect(line).toBeVisible();
  await expect(line).toContainText('19644.615234375');
  expect((await page.goto(`${permalink}/files/..%2f..%2fpackage.json`))?.status()).toBe(404);
});
