/**
 * Workers on the pages: the launch form shows the worker `runproof serve`
 * runs (online, busy, able to take the picked profile) and warns when no
 * worker can take the run as asked ("queued: waits for a worker with label
 * gpu"); a queued run's page says which workers could take it; a finished
 * run's page names the host and worker it ran on.
 */
import os from 'node:os';
import { expect, test } from '@playwright/test';

test('the launch form shows the online worker; a run needing a label no worker has waits and says so; a finished run names its host', async ({ page }) => {
  const workers = page.getByTestId('launch-workers');
  const mine = workers.getByTestId('launch-workers-worker');
  // The worker checks its profiles just after it starts: reload until it has.
  await expect(async () => {
    await page.goto('/runs/new?profile=reference');
    await expect(mine.first()).toContainText('can take it', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(mine).toHaveCount(1);
  await expect(mine.first()).toContainText(os.hostname());
  await expect(mine.first()).toContainText(/online · [01]\/1 busy/);
  await expect(workers.getByTestId('launch-workers-placement')).toContainText(/runs next on|waits for a free slot/);

  // Asking for a label the worker lacks: the form says the run would wait, and why this worker cannot take it.
  await page.getByTestId('launch-labels').fill('gpu');
  await expect(workers.getByTestId('launch-workers-placement')).toHaveText('queued: waits for a worker with label gpu');
  await expect(mine.first()).toContainText('cannot: lacks label gpu');
  await page.getByTestId('knob-max_epochs').fill('1');
  await page.getByTestId('launch-submit').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  await expect(page.getByTestId('live-run')).toHaveAttribute('data-status', 'queued');
  await expect(page.getByTestId('run-labels')).toContainText('gpu');
  await expect(page.getByTestId('run-workers-placement')).toHaveText('queued: waits for a worker with label gpu');
  await expect(page.getByTestId('run-workers-worker').first()).toContainText('cannot: lacks label gpu');
  // Still queued a moment later: the worker never claims it.
  await page.waitForTimeout(1500);
  await page.reload();
  await expect(page.getByTestId('live-run')).toHaveAttribute('data-status', 'queued');
  await page.getByTestId('cancel-run').click();
  await page.getByTestId('confirm-cancel').click();
  await expect(page.getByTestId('status-badge').first()).toHaveText(/cancelled/, { timeout: 15_000 });

  // A run it can take runs on it, and its page says where.
  await page.goto('/runs/new?profile=reference');
  await page.getByTestId('knob-max_epochs').fill('1');
  await page.getByTestId('knob-n_images').fill('64');
  await page.getByTestId('launch-submit').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  await expect(page.getByTestId('check-exit').first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('ran-on')).toContainText(`Ran on ${os.hostname()}`);
  await expect(page.getByTestId('ran-on')).toContainText(`worker ${os.hostname()}:`);
});
