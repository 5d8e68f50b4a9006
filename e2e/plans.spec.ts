/**
 * Plans in the browser: the plans page, a row page with its evidence and
 * flags, the proposed plan update, and launching a smoke run for a row. The
 * server imported the repo's fixtures, whose runtime-smoke bundle proves
 * EB4.A and EB4.B (named in the brief beside it) and fails its checkpoint check.
 */
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { EvidencePage, LaunchPage, PlanRowPage, PlansPage } from './pages';

test('open /plans, open EB4.A, follow its evidence, propose the plan update, launch a run for the row and see it on the row page', async ({ page }) => {
  test.setTimeout(120_000);
  const plans = new PlansPage(page);
  await plans.open();
  const eb4a = plans.row('EB4.A');
  await expect(eb4a.getByTestId('row-state')).toHaveAttribute('data-state', '[ ]');
  await expect(eb4a.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(eb4a.getByTestId('row-flags')).toContainText('latest run fails');
  // A row marked done with no run behind it is flagged too.
  await expect(plans.row('EB1.A').getByTestId('row-flags')).toContainText('marked done, no passing run');

  await eb4a.getByRole('link', { name: 'EB4.A' }).click();
  await expect(page).toHaveURL(/\/plans\/[0-9a-f]{12}\/EB4\.A$/);
  const rowUrl = page.url();
  const row = new PlanRowPage(page);
  await expect(page.getByTestId('row-guidance')).toContainText('--checkpoint-save-top-k 2');
  await expect(page.getByTestId('row-source')).toHaveAttribute('href', /\/source#L46$/);
  await expect(row.flags()).toContainText('its latest run fails 1 check');
  await expect(row.runs()).toHaveCount(1);

  // Its evidence: the failing checkpoint check, and the rows it proves.
  await row.runs().first().getByRole('link').first().click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  await expect(new EvidencePage(page).check('checkpoints')).toHaveAttribute('data-status', 'fail');
  await expect(page.getByTestId('plan-link')).toHaveCount(2);

  await page.getByTestId('propose-plan-update').click();
  await expect(page).toHaveURL(/\/plan-update$/);
  await expect(page.getByTestId('verdict-warning')).toBeVisible();
  await expect(page.getByTestId('patch-text')).toContainText('+| EB4.A | CLI smoke scripts | [x] |');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('patch-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^runproof-[0-9a-f]{12}-plan\.patch$/);
  const patch = fs.readFileSync((await download.path())!, 'utf8');
  expect(patch.split('\n').filter((l) => /^\+\| EB4\.[AB] /.test(l))).toHaveLength(2);

  // The source line the row links to.
  await page.goto(rowUrl);
  await page.getByTestId('row-source').click();
  await expect(page.locator('#L46')).toContainText('| EB4.A |');

  // Launch a smoke run for the row: the form arrives with the row picked.
  await page.goto(rowUrl);
  await page.getByTestId('launch-for-row').click();
  await expect(page).toHaveURL(/\/runs\/new\?rows=/);
  const launch = new LaunchPage(page);
  await expect(launch.row('EB4.A')).toBeChecked();
  await expect(launch.row('EB4.B')).not.toBeChecked();
  await launch.knob('max_epochs').fill('3');
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const runId = page.url().split('/').pop()!;

  // The row page lists it first; once it passes, "latest run fails" is gone.
  await page.goto(rowUrl);
  await expect(row.runs().first()).toHaveAttribute('data-run', runId);
  await expect(row.runs()).toHaveCount(2);
  await expect
    .poll(
      async () => {
        await page.reload();
        return row.runs().first().getByTestId('verdict').getAttribute('data-verdict');
      },
      { timeout: 60_000 },
    )
    .toBe('pass');
  await expect(row.flags()).toHaveCount(0);
  await expect(page.getByTestId('launch-for-row')).toContainText('Launch smoke run for this row');
});
