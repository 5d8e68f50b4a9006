/**
 * One verdict, everywhere: the status says how the process ended, the
 * verdict what the evidence shows, and every place leads with the verdict.
 * The imported EB4 runtime smoke succeeded as a process and fails two checks
 * (checkpoints; knobs against its brief's --gridsize 3): no page, badge or
 * Markdown leads with "succeeded". Queued and running runs show no failed
 * check; a run cancelled while queued never started and skips every check;
 * a deliberate cancel is neutral.
 */
import { expect, test, type Page } from '@playwright/test';
import { LaunchPage, LiveRunPage } from './pages';

const AUTH = process.env.E2E_AUTH_URL!;

/** The id of the one imported run whose bundle folder holds `part`. */
async function runIdOf(page: Page, part: string): Promise<string> {
  const res = await page.request.get('/api/runs?pageSize=500');
  const body = (await res.json()) as { runs: Array<{ id: string; bundleDir: string }> };
  const found = body.runs.filter((r) => r.bundleDir.includes(part));
  expect(found.length, part).toBe(1);
  return found[0].id;
}

test('a run that succeeded as a process but fails checks leads with Fail on its page, badge, Markdown, summary.md, the runs list and the plans page', async ({ page, request }) => {
  const id = await runIdOf(page, 'runtime_smoke');
  await page.goto(`/runs/${id}`);
  await expect(page).toHaveTitle(/^fail · /);
  const header = page.getByTestId('run-header');
  const lead = header.getByTestId('verdict-lead');
  await expect(lead).toHaveAttribute('data-verdict', 'fail');
  await expect(lead.getByTestId('verdict')).toHaveText(/Fail/);
  await expect(lead.getByTestId('verdict-sentence')).toHaveText('checkpoints and knobs failed.');
  // How the process ended comes after the verdict, in smaller type, not as the lead.
  await expect(lead.getByTestId('status-badge')).toHaveText('process succeeded');
  const text = (await header.innerText()).toLowerCase();
  expect(text.indexOf('fail')).toBeLessThan(text.indexOf('succeeded'));
  // Who produced the evidence.
  await expect(lead.getByTestId('provenance')).toContainText('python -m ptycho_torch.train');

  // The copied Markdown: its first line is the verdict and the failing checks in one sentence.
  const md = await page.getByTestId('pr-markdown').innerText();
  const first = md.split('\n')[0];
  expect(first).toMatch(/^\*\*✗ Fail:\*\* checkpoints and knobs failed — /);
  expect(first).not.toMatch(/succeeded/i);
  expect(md).toContain('**Produced by:** `python -m ptycho_torch.train`');
  // The badge: its image and its alt text.
  await expect(page.getByTestId('badge-preview')).toHaveAttribute('alt', /^runproof: fail: checkpoints and knobs failed — python -m ptycho_torch\.train/);
  await expect(page.getByTestId('badge-markdown')).toContainText('[![runproof: fail: checkpoints and knobs failed');
  const svg = await (await request.get(`/api/runs/${id}/badge.svg`)).text();
  expect(svg).toContain('✗ checkpoints, knobs');
  expect(svg).not.toContain('succeeded');
  expect(svg).toMatch(/<title>runproof: fail: checkpoints and knobs failed — python -m ptycho_torch\.train/);
  // summary.md leads with the verdict too.
  const summary = await (await request.get(`/api/runs/${id}/summary.md`)).text();
  const lines = summary.split('\n').filter(Boolean);
  expect(lines[0]).toMatch(/^# Run evidence — /);
  expect(lines[1]).toMatch(/^\*\*✗ Fail:\*\* checkpoints and knobs failed/);

  // The runs list: its row leads with the verdict.
  await page.goto(`/?q=${encodeURIComponent('runtime_smoke')}`);
  const row = page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
  await expect(row).toHaveAttribute('data-verdict', 'fail');
  await expect(row.getByTestId('run-verdict')).toHaveText(/Fail/);
  const rowText = (await row.innerText()).toLowerCase();
  expect(rowText.indexOf('fail')).toBeLessThan(rowText.indexOf('succeeded'));
});

test('a queued run shows no failed check; cancelled while queued it never started: every check skips, nothing disagrees', async ({ page, request }) => {
  // The password server has no worker: its runs stay queued.
  await page.goto(`${AUTH}/runs/new`);
  await page.getByTestId('auth-status').getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('login-form').getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/runs\/new$/);
  await expect(page.getByTestId('launch-permission')).toHaveCount(0);
  await page.getByTestId('knob-max_epochs').fill('2');
  await page.getByTestId('launch-submit').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const id = page.url().split('/').pop()!;
  await expect(page.getByTestId('live-run')).toHaveAttribute('data-status', 'queued');
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'pending');
  await expect(page.locator('[data-status="fail"]')).toHaveCount(0);
  const queuedBadge = await (await request.get(`${AUTH}/api/runs/${id}/badge.svg`)).text();
  expect(queuedBadge).toContain('… queued');
  expect(queuedBadge).not.toContain('✗');
  const queuedSummary = await (await request.get(`${AUTH}/api/runs/${id}/summary.md`)).text();
  expect(queuedSummary).toContain('**… Pending:**');
  expect(queuedSummary).not.toContain('❌ fail');
  expect(queuedSummary).not.toMatch(/knobs? disagree/);

  await page.getByTestId('cancel-run').click();
  await page.getByTestId('confirm-cancel').click();
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'incomplete', { timeout: 15_000 });
  await expect(page.getByTestId('verdict-sentence')).toHaveText('cancelled while queued, never started; nothing was judged.');
  await expect(page.getByTestId('status-badge').first()).toHaveText('process cancelled');
  const pills = page.getByTestId('check-pills').locator('[data-status]');
  await expect(pills).toHaveCount(9);
  for (const status of await pills.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))) expect(status).toBe('skip');
  await expect(page.getByTestId('check-row-knobs')).toContainText('never started');
  await expect(page.locator('body')).not.toContainText(/knobs? disagree/);
  await expect(page.locator('[data-status="fail"]')).toHaveCount(0);
  await expect(page.getByTestId('pr-markdown')).toContainText('**– Incomplete:** cancelled while queued, never started');
  const badge = await (await request.get(`${AUTH}/api/runs/${id}/badge.svg`)).text();
  expect(badge).toContain('– never started');
});

test('a running run shows its checks pending, never red; a deliberate cancel is neutral, not a failure', async ({ page, request }) => {
  test.setTimeout(90_000);
  const launch = new LaunchPage(page);
  await launch.openFromRuns();
  await launch.knob('max_epochs').fill('200');
  await launch.knob('early-stop-patience').fill('1000');
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const id = page.url().split('/').pop()!;
  const live = new LiveRunPage(page);
  await expect.poll(() => live.epochs(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'pending');
  await expect(page.locator('[data-status="fail"]')).toHaveCount(0);
  // Everything that reads the run while it runs says pending.
  const svg = await (await request.get(`/api/runs/${id}/badge.svg`)).text();
  expect(svg).toContain('… running');
  const summary = await (await request.get(`/api/runs/${id}/summary.md`)).text();
  expect(summary).toContain('⏳ pending');
  expect(summary).not.toContain('❌ fail');
  await page.goto('/');
  const listed = page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
  await expect(listed).toHaveAttribute('data-verdict', 'pending');
  await expect(listed.getByTestId('checks-pending')).toBeVisible();
  await expect(listed.locator('.tone-fail')).toHaveCount(0);
  await page.goto(`/runs/${id}`);

  await page.getByTestId('cancel-run').click();
  await page.getByTestId('confirm-cancel').click();
  await expect(page.getByTestId('verdict-lead')).toHaveAttribute('data-verdict', 'incomplete', { timeout: 30_000 });
  await expect(page.getByTestId('verdict-sentence')).toHaveText(/^cancelled on request after \d+ epochs? of 200; the evidence stops there\.$/);
  // The exit check says it was cancelled, neutral; no check of this run is red.
  await expect(page.getByTestId('check-exit')).toHaveAttribute('data-status', 'skip');
  await expect(page.getByTestId('check-row-exit')).toContainText('cancelled on request');
  await expect(page.getByTestId('run-header').locator('.tone-fail')).toHaveCount(0);
  const badge = await (await request.get(`/api/runs/${id}/badge.svg`)).text();
  expect(badge).toContain('– cancelled');
  expect(badge).not.toContain('#cf222e');
});
