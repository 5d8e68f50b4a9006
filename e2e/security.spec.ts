/**
 * The headers hold in a real browser: with the CSP (script nonces, no
 * framing) every page still hydrates — the charts draw, the launch form
 * validates as you type, a launched run follows live over server-sent events
 * and settles — and Chromium reports no CSP violation. A cross-site page
 * cannot frame the launch form.
 */
import { expect, test, type Page } from '@playwright/test';
import { ComparePage, EvidencePage, LaunchPage, LiveRunPage, RunsPage } from './pages';

/** Collects every CSP violation the page reports, and console errors that mention the policy. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to (execute|load|apply|connect|frame)/i.test(m.text())) console.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  return async () => [...console, ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))];
}

test('pages work under the CSP with no violation: charts, compare, the launch form, a live run over SSE', async ({ page }) => {
  const violations = await watchCsp(page);
  const runs = new RunsPage(page);
  await runs.open();
  await runs.openRun('runtime_smoke');
  await expect(new EvidencePage(page).chart().locator('.recharts-line').first()).toBeVisible();
  expect(await violations()).toEqual([]);

  await runs.open();
  await runs.tick('runtime_smoke');
  await runs.tick('2025-10-24T050500Z');
  await runs.compareSelected();
  await expect(new ComparePage(page).lines()).toHaveCount(2);
  expect(await violations()).toEqual([]);

  const launch = new LaunchPage(page);
  await launch.openFromRuns();
  // Client-side validation only works if the page's scripts ran.
  await launch.knob('max_epochs').fill('0');
  await expect(page.getByTestId('launch-submit')).toBeDisabled();
  await launch.knob('max_epochs').fill('2');
  await launch.submit();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/);
  const live = new LiveRunPage(page);
  await expect.poll(() => live.epochs().catch(() => 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('status-badge').first()).toHaveText(/succeeded/, { timeout: 60_000 });
  expect(await violations()).toEqual([]);

  const res = await page.request.get('/runs/new');
  expect(res.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic';/);
});

test('a cross-site page cannot frame the launch form', async ({ page, baseURL }) => {
  await page.goto('about:blank');
  await page.setContent(`<iframe id="f" src="${baseURL}/runs/new" width="800" height="600"></iframe>`);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(frame).toBeTruthy();
  // Chromium replaces a refused frame with its error page.
  await expect.poll(() => frame!.url(), { timeout: 10_000 }).toMatch(/^chrome-error:/);
  await expect(frame!.locator('[data-testid="launch-form"]')).toHaveCount(0);
});
