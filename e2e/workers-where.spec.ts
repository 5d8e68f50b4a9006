/**
 * A profile this server cannot run but a registered worker's host can: the
 * launch form offers it and says where it runs; when no worker can, it stays
 * disabled with every host's reason. On the password server (no worker of its
 * own, PTYCHOPINN_DIR unset, so ptycho-torch is unavailable there), with a
 * worker row written through the real register function. The row's heartbeat
 * is a minute old (seen recently, not online), so the other specs on this
 * server still see no live worker.
 */
import { expect, test } from '@playwright/test';
import { closeDb, openDb } from '../db/client';
import { markWorkerOffline, registerWorker } from '../db/queries/workers';

const AUTH = process.env.E2E_AUTH_URL!;
const DB = `${process.env.E2E_DB!}.auth`;
const TORCH_FAIL = '`python -c import torch, lightning` failed (ModuleNotFoundError: torch)';

async function register(available: boolean) {
  await registerWorker({
    db: await openDb(DB),
    id: 'gpu-box-1:4242:e2e001',
    host: 'gpu-box-1',
    pid: 4242,
    concurrency: 1,
    labels: ['gpu', 'gpu-box-1'],
    gpus: [],
    profiles: [{ name: 'ptycho-torch', available, reason: available ? null : TORCH_FAIL }],
    now: Date.now() - 60_000,
  });
}

test.afterAll(async () => {
  // Long gone: it vouches for nothing in later specs.
  await markWorkerOffline({ db: await openDb(DB), id: 'gpu-box-1:4242:e2e001', now: Date.now() - 3_600_000 });
  await closeDb(DB);
});

test('the launch form offers a profile a worker host can run, saying where, and disables it with every reason when none can', async ({ page }) => {
  await register(true);
  await page.goto(`${AUTH}/runs/new`);
  const option = page.getByTestId('profile-ptycho-torch');
  await expect(option.getByRole('radio')).toBeEnabled();
  await expect(page.getByTestId('profile-ptycho-torch-where')).toHaveText(/^Runs on gpu-box-1; not on this server: PTYCHOPINN_DIR not set/);
  await option.getByRole('radio').check();
  await expect(page.getByTestId('knob-train_data_file')).toBeVisible();
  // A label the worker lacks: nothing can take it now.
  await page.getByTestId('launch-labels').fill('a100');
  await expect(page.getByTestId('profile-ptycho-torch-why')).toContainText('gpu-box-1: lacks label a100');
  await page.getByTestId('launch-labels').fill('');

  await register(false);
  await page.reload();
  await expect(option.getByRole('radio')).toBeDisabled();
  const why = page.getByTestId('profile-ptycho-torch-why');
  await expect(why).toContainText(`gpu-box-1: ${TORCH_FAIL}`);
  await expect(why).toContainText('this server: PTYCHOPINN_DIR not set');
  await expect(page.getByTestId('profile-ptycho-torch-where')).toHaveCount(0);
});
