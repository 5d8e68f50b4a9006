/**
 * Plans in the browser: the plans page, a row page with its evidence, its
 * flags and what proves it, the proposed plan update, and launching a smoke
 * run for a row. The server imported the repo's fixtures, whose runtime-smoke
 * bundle proves EB4.A and EB4.B (named in the brief beside it); the brief's
 * command is `python -m ptycho_torch.train … --gridsize 3`, so that bundle
 * (which ran --gridsize 2) fails its knobs check as well as its checkpoints,
 * and a `reference` demo run launched for EB4.A does not qualify: it clears
 * no flag and flips nothing, and its evidence says why.
 */
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { EvidencePage, LaunchPage, PlanRowPage, PlansPage } from './pages';

test('open /plans, open EB4.A, follow its evidence, propose the plan update, launch a run for the row and see it on the row page', async ({ page, request }) => {
  test.setTimeout(120_000);
  const plans = new PlansPage(page);
  await plans.open();
  const eb4a = plans.row('EB4.A');
  await expect(eb4a.getByTestId('row-state')).toHaveAttribute('data-state', '[ ]');
  await expect(eb4a.getByTestId('verdict')).toHaveAttribute('data-verdict', 'fail');
  await expect(eb4a.getByTestId('row-flags')).toContainText('latest run fails');
  // Provenance: the evidence names the trainer that produced it.
  await expect(eb4a.getByTestId('run-provenance')).toContainText('python -m ptycho_torch.train');
  // A row marked done with no run behind it is flagged too.
  await expect(plans.row('EB1.A').getByTestId('row-flags')).toContainText('marked done, no passing run');

  await eb4a.getByRole('link', { name: 'EB4.A' }).click();
  await expect(page).toHaveURL(/\/plans\/[0-9a-f]{12}\/EB4\.A$/);
  const rowUrl = page.url();
  const row = new PlanRowPage(page);
  await expect(page.getByTestId('row-guidance')).toContainText('--checkpoint-save-top-k 2');
  // What proves it: the brief's command (input.md, the "Do Now" brief that names EB4.A).
  await expect(page.getByTestId('row-requirement')).toHaveAttribute('data-source', 'brief');
  await expect(page.getByTestId('row-requirement')).toContainText('python -m ptycho_torch.train');
  await expect(page.getByTestId('row-requirement')).toContainText('input.md:7');
  await expect(page.getByTestId('row-source')).toHaveAttribute('href', /\/source\?line=46#L46$/);
  await expect(row.flags()).toContainText('its latest qualifying run fails 2 checks');
  await expect(row.runs()).toHaveCount(1);
  await expect(row.runs().first().getByTestId('row-run-qualifies')).toHaveAttribute('data-qualifies', 'yes');

  // Its evidence: the failing checkpoint check, the knobs against the brief (--gridsize 3, ran 2), and the rows it proves.
  await row.runs().first().getByRole('link').first().click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const runId = page.url().split('/').pop()!;
  const evidence = new EvidencePage(page);
  await expect(evidence.check('checkpoints')).toHaveAttribute('data-status', 'fail');
  await expect(evidence.check('knobs')).toHaveAttribute('data-status', 'fail');
  await expect(page.getByTestId('check-row-knobs')).toContainText('gridsize: requested 3, ran 2');
  await expect(page.getByTestId('plan-link')).toHaveCount(2);
  await expect(page.getByTestId('plan-link').first().getByTestId('plan-link-qualifies')).toHaveAttribute('data-qualifies', 'yes');

  // Honest flips: the run qualifies but fails, so the update proposes [P] with the failing checks, never [x].
  await page.getByTestId('propose-plan-update').click();
  await expect(page).toHaveURL(/\/plan-update$/);
  await expect(page.getByTestId('update-verdict').getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'fail');
  await expect(page.locator('[data-testid="row-decision"][data-row="EB4.A"]')).toHaveAttribute('data-action', '[P]');
  await expect(page.getByTestId('patch-text')).toContainText('+| EB4.A | CLI smoke scripts | [P] |');
  await expect(page.getByTestId('patch-text')).not.toContainText('| [x] |');
  // The patch line carries the verdict, the trainer and the permalink.
  await expect(page.getByTestId('patch-text')).toContainText(`Evidence: [Runproof fail · python -m ptycho_torch.train · run ${runId}](http://127.0.0.1:`);
  await expect(page.getByTestId('patch-text')).toContainText('— failing: checkpoints, knobs');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('patch-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^runproof-[0-9a-f]{12}-plan\.patch$/);
  const patch = fs.readFileSync((await download.path())!, 'utf8');
  expect(patch.split('\n').filter((l) => /^\+\| EB4\.[AB] .*\| \[P\] \|/.test(l))).toHaveLength(2);

  // The source line the row links to.
  await page.goto(rowUrl);
  await page.getByTestId('row-source').click();
  await expect(page.locator('#L46')).toContainText('| EB4.A |');

  // Launch a smoke run for the row: the form arrives with the row picked. It runs the bundled reference trainer.
  await page.goto(rowUrl);
  await page.getByTestId('launch-for-row').click();
  await expect(page).toHaveURL(/\/runs\/new\?rows=/);
  const launch = new LaunchPage(page);
  await expect(launch.row('EB4.A')).toBeChecked();
  await expect(launch.row('EB4.B')).not.toBeChecked();
  await launch.knob('max_epochs').fill('3');
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const demoUrl = page.url();
  const demoId = demoUrl.split('/').pop()!;

  // It passes its own checks…
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'pass', { timeout: 60_000 });
  // …but it does not prove EB4.A, and its evidence says why.
  const link = page.locator('[data-testid="plan-link"][data-row="EB4.A"]');
  await expect(link.getByTestId('plan-link-qualifies')).toHaveAttribute('data-qualifies', 'no');
  await expect(link.getByTestId('not-qualifying')).toContainText('linked, does not qualify: ran node');
  await expect(link.getByTestId('not-qualifying')).toContainText('profile reference; the row asks for python -m ptycho_torch.train (input.md:7)');
  await expect(page.getByTestId('provenance')).toContainText('reference');
  await expect(page.getByTestId('pr-markdown')).toContainText('linked, does not qualify');

  // The row page lists it first, as linked but not qualifying; the flag stays.
  await page.goto(rowUrl);
  await expect(row.runs().first()).toHaveAttribute('data-run', demoId);
  await expect(row.runs()).toHaveCount(2);
  await expect(row.runs().first().getByTestId('verdict')).toHaveAttribute('data-verdict', 'pass');
  await expect(row.runs().first().getByTestId('row-run-qualifies')).toHaveAttribute('data-qualifies', 'no');
  await expect(row.flags()).toContainText('its latest qualifying run fails 2 checks');

  // On /plans: still flagged, still [ ]; the newer demo run is shown as not qualifying.
  await plans.open();
  await expect(eb4a.getByTestId('row-flags')).toContainText('latest run fails');
  await expect(eb4a.getByTestId('row-state')).toHaveAttribute('data-state', '[ ]');
  await expect(eb4a.getByTestId('newer-not-qualifying')).toContainText(demoId);

  // Its proposed update changes nothing, and says why; the patch endpoint agrees.
  await page.goto(`${demoUrl}/plan-update`);
  await expect(page.locator('[data-testid="row-decision"][data-row="EB4.A"]')).toHaveAttribute('data-action', 'none');
  await expect(page.locator('[data-testid="row-decision"][data-row="EB4.A"]')).toContainText('linked, does not qualify');
  await expect(page.getByTestId('nothing-to-change')).toBeVisible();
  await expect(page.getByTestId('patch-text')).toHaveCount(0);
  const res = await request.get(`/api/runs/${demoId}/plan.patch`);
  expect(res.status()).toBe(409);
  expect(JSON.stringify(await res.json())).toContain('linked, does not qualify');
});
