/**
 * Launching from the browser: the form, the live page following the run over
 * server-sent events, the final verdicts, and the permalink afterwards. The
 * server is `runproof serve` (web + worker) with the bundled reference trainer.
 */
import { expect, test } from '@playwright/test';
import { EvidencePage, LaunchPage, LiveRunPage } from './pages';

test('launch a smoke run, watch it live, get the verdicts, reload the permalink', async ({ page }) => {
  const launch = new LaunchPage(page);
  await launch.openFromRuns();
  await expect(page.getByTestId('profile-reference')).toHaveClass(/selected/);
  // Long enough to watch (several seconds), short enough for CI.
  await launch.knob('max_epochs').fill('5');
  // EB2 rows: plans.spec.ts expects EB4.A to have only its imported (failing) run.
  await launch.row('EB2.A').check();
  await launch.row('EB2.B').check();
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const url = page.url();

  const live = new LiveRunPage(page);
  await expect(live.root()).toBeVisible();
  // The progress bar and the curve advance while it runs.
  await expect.poll(() => live.epochs(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  const epochsSeen = await live.epochs();
  const pointsSeen = await live.points();
  expect(pointsSeen).toBeGreaterThan(0);
  // The log follows while it runs (the trainer prints this before its first epoch).
  await expect(page.getByTestId('live-log')).toContainText('GPU available: False, used: False');
  await expect(page.getByTestId('loss-chart').locator('.recharts-line').first()).toBeVisible();
  await expect.poll(() => live.epochs(), { timeout: 30_000 }).toBeGreaterThan(epochsSeen);
  // The curve advances too (polled: the epoch counter and the points arrive on their own ticks; once the run is
  // final the live panel is gone and the permanent page takes over, which counts as having moved on).
  await expect.poll(() => live.points().catch(() => Number.POSITIVE_INFINITY), { timeout: 30_000 }).toBeGreaterThan(pointsSeen);

  // It settles into the permanent page by itself.
  const ev = new EvidencePage(page);
  await expect(ev.check('exit')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('status-badge').first()).toHaveText(/succeeded/);
  for (const id of ['exit', 'accelerator', 'metrics', 'epochs', 'early-stop', 'checkpoints', 'knobs', 'warnings', 'cleanup']) {
    await expect(ev.check(id), id).toHaveAttribute('data-status', 'pass');
  }
  await expect(ev.epochRows()).toHaveCount(5);

  await page.goto(url);
  await expect(live.root()).toHaveCount(0);
  await expect(ev.check('checkpoints')).toHaveAttribute('data-status', 'pass');
  await expect(page.getByTestId('launch-facts')).toContainText('profile reference');
  await expect(page.getByTestId('run-again')).toBeVisible();
});

test('inline validation, then cancel a running run with a confirmation', async ({ page }) => {
  const launch = new LaunchPage(page);
  await launch.openFromRuns();
  await launch.knob('gridsize').fill('0');
  await expect(page.getByText('must be between 1 and 4')).toBeVisible();
  await expect(page.getByTestId('launch-submit')).toBeDisabled();
  await launch.knob('gridsize').fill('2');
  // A row the plans do not have (a tampered form) is refused by the server; the form keeps its input.
  await launch.row('EB4.A').check();
  await launch.row('EB4.A').evaluate((el) => ((el as HTMLInputElement).value = '000000000000:EB9.Z'));
  await launch.submit();
  await expect(page.getByTestId('launch-error')).toContainText('no indexed plan has a row 000000000000:EB9.Z');
  await expect(launch.knob('gridsize')).toHaveValue('2');

  await launch.row('EB4.A').uncheck();
  await launch.knob('max_epochs').fill('200');
  // No early stop: the run must still be going when we cancel it.
  await launch.knob('early-stop-patience').fill('1000');
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const live = new LiveRunPage(page);
  await expect.poll(() => live.epochs(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await page.getByTestId('cancel-run').click();
  await page.getByTestId('confirm-cancel').click();
  await expect(page.getByTestId('status-badge').first()).toHaveText(/cancelled/, { timeout: 30_000 });
  await expect(page.getByTestId('launch-facts')).toContainText('profile reference');
});
