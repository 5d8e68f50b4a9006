import { expect, test } from '@playwright/test';
import { ComparePage, RunsPage } from './pages';

// The two imported fixture runs that have a metrics.csv: six epochs and one epoch of poisson_val_loss.
const RUNTIME = 'runtime_smoke';
const LOGGER = '2025-10-24T050500Z';

test('a reviewer ticks two runs, compares them, and sees both curves, the differing knobs and the checks', async ({ page }) => {
  const runs = new RunsPage(page);
  await runs.open();
  await runs.tick(RUNTIME);
  await runs.tick(LOGGER);
  await runs.compareSelected();
  const cmp = new ComparePage(page);

  await expect(cmp.runs()).toHaveCount(2);
  await expect(cmp.runs().filter({ hasText: RUNTIME })).toHaveCount(1);
  await expect(cmp.runs().filter({ hasText: LOGGER })).toHaveCount(1);
  await expect(cmp.runs().first().getByTestId('status-badge')).toBeVisible();

  // One line per run on one chart, named in the legend; the monitored metric is the default.
  await expect(cmp.chart()).toHaveAttribute('data-metric', 'poisson_val_loss');
  await expect(cmp.chart().locator('svg').first()).toBeVisible();
  await expect(cmp.lines()).toHaveCount(2);
  await expect(cmp.legendItems()).toHaveCount(2);
  await expect(cmp.chart().locator('.recharts-legend-wrapper')).toContainText(RUNTIME);
  // The six-epoch run draws a curve, not just dots.
  expect(await cmp.chart().locator('path.recharts-line-curve').count()).toBeGreaterThanOrEqual(1);

  // The runtime smoke's command sets --gridsize 2; the logger smoke records no command: that knob differs.
  await expect(cmp.knobRows().filter({ hasText: '--gridsize' })).toHaveAttribute('data-differs', 'true');
  await expect(cmp.knobRows().and(page.locator('[data-differs="true"]')).first()).toBeVisible();

  // Checks side by side: the runtime smoke's missing checkpoint fails, the logger smoke has none to check.
  expect(await cmp.checkRows().count()).toBeGreaterThanOrEqual(8);
  const ck = cmp.checkRows().and(page.locator('[data-check-id="checkpoints"]'));
  await expect(ck).toHaveAttribute('data-differs', 'true');
  await expect(ck).toContainText('epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt');

  // The metric picker is a plain GET form: another metric is another link.
  await cmp.showMetric('poisson_train_loss_epoch');
  await expect(cmp.chart()).toHaveAttribute('data-metric', 'poisson_train_loss_epoch');
  await expect(cmp.lines()).toHaveCount(2);
  await expect(cmp.runs()).toHaveCount(2);
});

test('one run is not a comparison: the page says to pick at least two and links back', async ({ page, request }) => {
  const list = await (await request.get('/api/runs?q=runtime_smoke')).json();
  const id = list.runs[0].id as string;
  await page.goto(`/compare?ids=${id}`);
  const cmp = new ComparePage(page);
  await expect(cmp.emptyMessage()).toContainText('Pick at least two runs');
  await expect(cmp.emptyMessage().getByRole('link', { name: /runtime_smoke/ })).toHaveAttribute('href', `/runs/${id}`);

  // An unknown id is named; the way back goes to the runs table.
  await page.goto(`/compare?ids=${id}&ids=0000deadbeef`);
  await expect(page.getByTestId('compare-unknown')).toContainText('0000deadbeef');
  await cmp.emptyMessage().getByRole('link', { name: 'Back to runs' }).click();
  await expect(page.getByTestId('runs-table')).toBeVisible();
});
