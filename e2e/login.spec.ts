/**
 * With a password configured, launching and cancelling need a login, and the
 * evidence stays readable without one. The server here has no worker, so a
 * launched run stays queued and can be cancelled before it starts.
 */
import { expect, test } from '@playwright/test';

const AUTH = process.env.E2E_AUTH_URL!;

test('launching needs a login when a password is set; a queued run can be cancelled', async ({ page }) => {
  await page.goto(`${AUTH}/runs/new`);
  await expect(page.getByTestId('launch-permission')).toContainText('Log in to launch');
  await expect(page.getByTestId('launch-submit')).toBeDisabled();
  await expect(page.getByTestId('runs-table')).toHaveCount(0);

  await page.getByTestId('auth-status').getByRole('link', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByTestId('login-form').getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('login-form').getByRole('alert')).toHaveText('Wrong password.');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('login-form').getByRole('button', { name: 'Log in' }).click();
  // Back where the login was asked for.
  await expect(page).toHaveURL(/\/runs\/new$/);
  await expect(page.getByTestId('launch-permission')).toHaveCount(0);
  await page.getByTestId('knob-max_epochs').fill('2');
  await page.getByTestId('launch-submit').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  await expect(page.getByTestId('live-run')).toHaveAttribute('data-status', 'queued');
  await expect(page.getByTestId('no-worker')).toBeVisible();
  await page.getByTestId('cancel-run').click();
  await page.getByTestId('confirm-cancel').click();
  await expect(page.getByTestId('status-badge').first()).toHaveText(/cancelled/, { timeout: 15_000 });

  // Reviewers need no login to read it.
  const url = page.url();
  const anon = await page.context().browser()!.newContext();
  const p2 = await anon.newPage();
  await p2.goto(url);
  await expect(p2.getByTestId('run-title')).toBeVisible();
  await anon.close();
});
