/**
 * Provenance and honest flips with runs that qualify. A plan says what proves
 * its rows: PR.1 by a rule in runproof-proves.json (profile reference), PR.2
 * by the command in its guidance (`node workers/reference-trainer/train.mjs
 * --max-epochs 2 --gridsize 3`). A reference run with --gridsize 2 qualifies
 * for PR.2 and fails its knobs check on its own, so the update proposes [P];
 * a run with --gridsize 3 passes, clears both rows' flags and flips them to
 * [x], the patch line carrying the verdict, the profile and the permalink.
 * The plan is indexed into the server's database by the real indexer and
 * removed again at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { closeDb, openDb } from '../db/client';
import { listPlanFiles, removePlans } from '../db/queries/plans';
import { indexPlansDir } from '../server/plan-index';
import { EvidencePage, LaunchPage, PlansPage } from './pages';

let dir: string;
let planIds: string[] = [];

const PLAN = `# Proves fixture plan

Initiative: ZZA-PROVES

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| PR.1 | Reference smoke, marked done early | [x] | What proves it is the rule in runproof-proves.json. |
| PR.2 | Reference smoke at grid size 3 | [ ] | Run \`node workers/reference-trainer/train.mjs --max-epochs 2 --gridsize 3\` and keep the bundle. |
`;

const RULES = `{
  "proves": [
    { "rows": ["PR.1"], "profile": "reference" },
    { "rows": ["PR.9"], "profile": "reference", "knobz": { "gridsize": 3 } }
  ]
}
`;

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-e2e-proves-'));
  fs.mkdirSync(path.join(dir, 'plans'));
  fs.writeFileSync(path.join(dir, 'plans', 'proves.md'), PLAN);
  fs.writeFileSync(path.join(dir, 'plans', 'runproof-proves.json'), RULES);
  const db = await openDb(process.env.E2E_DB!);
  const before = new Set((await listPlanFiles({ db })).map((p) => p.id));
  expect((await indexPlansDir(db, path.join(dir, 'plans'))).rows).toBe(2);
  planIds = (await listPlanFiles({ db })).map((p) => p.id).filter((id) => !before.has(id));
});

test.afterAll(async () => {
  const db = await openDb(process.env.E2E_DB!);
  await removePlans({ db, ids: planIds });
  await closeDb(process.env.E2E_DB!);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Launch the reference profile for `rows` with these knobs and wait for its verdict. */
async function launchFor(page: Page, rows: string[], knobs: Record<string, string>): Promise<string> {
  const launch = new LaunchPage(page);
  await launch.openFromRuns();
  for (const r of rows) await launch.row(r).check();
  for (const [k, v] of Object.entries(knobs)) await launch.knob(k).fill(v);
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  await expect(page.getByTestId('verdict-lead')).not.toHaveAttribute('data-verdict', 'pending', { timeout: 60_000 });
  return page.url().split('/').pop()!;
}

test('a row says what proves it; a qualifying run with the wrong knobs proposes [P], one that passes clears the flags and flips the rows with verdict, profile and permalink', async ({ page }) => {
  test.setTimeout(150_000);
  const plans = new PlansPage(page);
  await plans.open();
  await expect(plans.row('PR.1').getByTestId('row-flags')).toContainText('marked done, no passing run');
  // The rule that names a key the file format does not have is reported with its file and line, and ignored.
  await expect(page.getByTestId('rules-problems')).toContainText('plans/runproof-proves.json:4');
  await expect(page.getByTestId('rules-problems')).toContainText('knobz');

  // PR.2's guidance names the command: the row page says so.
  await plans.row('PR.2').getByRole('link', { name: 'PR.2' }).click();
  await expect(page.getByTestId('row-requirement')).toHaveAttribute('data-source', 'guidance');
  await expect(page.getByTestId('row-requirement')).toContainText('node workers/reference-trainer/train.mjs --max-epochs 2 --gridsize 3');
  const rowUrl = page.url();

  // Grid size 2 where the row asks for 3: the run qualifies, and its knobs check fails on its own.
  const wrong = await launchFor(page, ['PR.2'], { max_epochs: '2', gridsize: '2' });
  const ev = new EvidencePage(page);
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'fail');
  await expect(ev.check('knobs')).toHaveAttribute('data-status', 'fail');
  await expect(page.getByTestId('check-row-knobs')).toContainText('gridsize: requested 3, ran 2');
  await expect(page.locator('[data-testid="plan-link"][data-row="PR.2"]').getByTestId('plan-link-qualifies')).toHaveAttribute('data-qualifies', 'yes');
  expect((await page.getByTestId('pr-markdown').innerText()).split('\n')[0]).toBe('**✗ Fail:** knobs failed — knobs: gridsize: requested 3, ran 2.');
  await page.goto(`/runs/${wrong}/plan-update`);
  await expect(page.locator('[data-testid="row-decision"][data-row="PR.2"]')).toHaveAttribute('data-action', '[P]');
  await expect(page.getByTestId('patch-text')).toContainText('+| PR.2 | Reference smoke at grid size 3 | [P] |');
  await expect(page.getByTestId('patch-text')).toContainText(`Evidence: [Runproof fail · profile reference · run ${wrong}](http://127.0.0.1:`);
  await expect(page.getByTestId('patch-text')).toContainText('— failing: knobs');
  await page.goto(rowUrl);
  await expect(page.getByTestId('row-flag-callout')).toContainText('its latest qualifying run fails 1 check');

  // The right knobs: it passes, for both rows.
  const right = await launchFor(page, ['PR.1', 'PR.2'], { max_epochs: '2', gridsize: '3' });
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'pass');
  await expect(ev.check('knobs')).toHaveAttribute('data-status', 'pass');
  for (const r of ['PR.1', 'PR.2']) await expect(page.locator(`[data-testid="plan-link"][data-row="${r}"]`).getByTestId('plan-link-qualifies')).toHaveAttribute('data-qualifies', 'yes');
  await expect(page.locator('[data-testid="plan-link"][data-row="PR.1"]').getByTestId('row-flags')).toHaveCount(0);

  await plans.open();
  for (const r of ['PR.1', 'PR.2']) {
    await expect(plans.row(r).getByTestId('row-flags')).toHaveCount(0);
    await expect(plans.row(r).getByTestId('latest-run')).toHaveText(right);
    await expect(plans.row(r).getByTestId('run-provenance')).toContainText('reference');
  }

  await page.goto(`/runs/${right}/plan-update`);
  await expect(page.locator('[data-testid="row-decision"][data-row="PR.2"]')).toHaveAttribute('data-action', '[x]');
  await expect(page.getByTestId('patch-text')).toContainText('+| PR.2 | Reference smoke at grid size 3 | [x] |');
  await expect(page.getByTestId('patch-text')).toContainText(`Evidence: [Runproof pass · profile reference · run ${right}](http://127.0.0.1:`);
  await expect(page.getByTestId('patch-text')).not.toContainText('| [P] |');
});
