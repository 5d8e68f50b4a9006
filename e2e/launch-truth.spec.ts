/**
 * The launch form is the trainer's truth (issue 11, point 5): the form offers
 * the bundled trainer's own limits and refuses letters in a number knob
 * inline, and a launch the trainer refuses anyway (a hand-written profile
 * looser than its trainer: e2e/fixtures/profiles.json) headlines the
 * trainer's `error:` line, not "exit code 2".
 */
import { expect, test } from '@playwright/test';
import { EvidencePage, LaunchPage } from './pages';

test("the form offers the reference trainer's own limits and refuses letters in a number knob inline", async ({ page }) => {
  const launch = new LaunchPage(page);
  // The form's first render asks whether torch imports (the lightning-example profile): seconds, once per server.
  await page.goto('/runs/new', { timeout: 60_000 });
  await expect(page.getByTestId('launch-form')).toBeVisible();
  await expect(page.getByTestId('profile-reference')).toHaveClass(/selected/);
  // The trainer takes --batch_size 1..4096 (train.mjs); the form once allowed 65536.
  await expect(page.getByTestId('knob-batch_size-range')).toContainText('1 – 4096');
  await launch.knob('batch_size').fill('5000');
  await expect(page.getByText('must be between 1 and 4096')).toBeVisible();
  await expect(page.getByTestId('launch-submit')).toBeDisabled();
  await launch.knob('batch_size').fill('8');

  // Letters: an error where they were typed, never a launch with the default.
  await launch.knob('n_images').fill('12abc');
  await expect(launch.knob('n_images')).toHaveValue('12abc');
  await expect(launch.knob('n_images')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('must be a whole number, not “12abc”')).toBeVisible();
  await expect(page.getByTestId('launch-submit')).toBeDisabled();
  await launch.knob('learning-rate').fill('fast');
  await expect(page.getByText('must be a number, not “fast”')).toBeVisible();

  // Submitted anyway (the button forced on, as a script would post it): the server refuses it the same way, nothing is queued.
  await page.getByTestId('launch-submit').evaluate((b) => ((b as HTMLButtonElement).disabled = false));
  await launch.submit();
  await expect(page.getByTestId('launch-error')).toContainText('n_images must be a whole number, not “12abc”');
  await expect(page).toHaveURL(/\/runs\/new/);
  await expect(launch.knob('n_images')).toHaveValue('12abc');
});

test('a launch the trainer refuses anyway headlines the trainer\'s error line, not "exit code 2"', async ({ page }) => {
  const launch = new LaunchPage(page);
  await page.goto('/runs/new', { timeout: 60_000 });
  await page.getByTestId('profile-team-reference').click();
  // The hand-written profile allows up to 65536; the trainer stops at 4096.
  await launch.knob('batch_size').fill('5000');
  await expect(page.getByTestId('launch-submit')).toBeEnabled();
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);

  const cause = page.getByTestId('failure-cause');
  await expect(cause).toBeVisible({ timeout: 60_000 });
  await expect(cause).toHaveAttribute('data-kind', 'usage');
  await expect(cause).toContainText('The trainer refused its arguments');
  await expect(cause).toContainText('train.mjs: error: argument --batch_size: 5000 is not in range 1..4096');
  await expect(cause).toContainText('exit code 2');
  await expect(cause).not.toHaveText(/^\s*exit code 2/);
  const line = await cause.getAttribute('data-line');
  await expect(page.getByTestId('failure-cause-link')).toHaveText(`train.log:${line}`);
  await expect(page.getByTestId('check-row-exit')).toContainText(`train.mjs: error: argument --batch_size: 5000 is not in range 1..4096 (train.log:${line}); exit code 2`);
  // It never trained: no metrics.csv is a knock-on, not a second failure.
  const ev = new EvidencePage(page);
  await expect(ev.check('metrics')).toHaveAttribute('data-status', 'skip');
  await expect(page.getByTestId('check-row-metrics')).toContainText('the process exited before training');
  await expect(page.getByTestId('log-viewer')).toContainText('train.mjs: error: argument --batch_size');
});
