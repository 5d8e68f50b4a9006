/**
 * The cause, first (issue 11, point 4). The PtychoPINN parity run's log ends
 * with `RuntimeError: Lightning training failed. See logs for details.`, a
 * wrapper raised from the real failure 21 lines above it. A reviewer must read
 * the cause in the headline, on the same line the checks table cites, see the
 * checks that only repeat it skipped, and filter the log to exactly the lines
 * the warnings and errors tables cite.
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { EvidencePage } from './pages';

async function parityRunId(request: APIRequestContext): Promise<string> {
  const list = await (await request.get('/api/runs?q=pytorch_cli_smoke_training')).json();
  for (const r of list.runs as Array<{ id: string }>) {
    const ev = await (await request.get(`/api/runs/${r.id}`)).json();
    if (ev.bundle.log === 'train.log') return r.id;
  }
  throw new Error('the parity run (pytorch_cli_smoke_training/train.log) was not imported');
}

/** Line numbers a set of links point at (`…#L108`). */
async function linkedLines(page: Page, selector: string): Promise<number[]> {
  const hrefs = await page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute('href') ?? ''));
  return hrefs.map((h) => Number(/#L(\d+)$/.exec(h)?.[1])).filter((n) => Number.isFinite(n));
}

test('the failing PtychoPINN parity run headlines its cause, not the wrapper, on the line the checks table cites', async ({ page, request }) => {
  const id = await parityRunId(request);
  await page.goto(`/runs/${id}`);
  const cause = page.getByTestId('failure-cause');
  await expect(cause).toContainText('MisconfigurationException: Automatic gradient accumulation is not supported for manual optimization');
  await expect(cause).not.toContainText('See logs for details');
  await expect(page.getByTestId('failure-cause-link')).toHaveText('train.log:108');
  // The wrapper is named as what followed, not as the cause.
  await expect(page.getByTestId('failure-wrapper')).toContainText('RuntimeError: Lightning training failed. See logs for details.');
  await expect(page.getByTestId('failure-wrapper')).toContainText('train.log:129');

  // The checks table cites the same line.
  await expect(page.getByTestId('check-row-exit')).toContainText('(train.log:108)');
  // The checks that only repeat the failure: skipped, saying why.
  const ev = new EvidencePage(page);
  for (const id of ['metrics', 'epochs', 'early-stop', 'checkpoints']) {
    await expect(ev.check(id), id).toHaveAttribute('data-status', 'skip');
    await expect(page.getByTestId(`check-row-${id}`), id).toContainText('the process exited before training');
  }

  // The headline's link lands on the quoted line.
  await page.getByTestId('failure-cause-link').click();
  await expect(page).toHaveURL(/\/files\/train\.log#L108$/);
  await expect(page.locator('#L108')).toContainText('lightning.fabric.utilities.exceptions.MisconfigurationException: Automatic gradient accumulation');
  await expect(page.locator('#L108')).toHaveClass(/line-error/);
});

test('"errors and warnings only" shows exactly the lines the warnings and errors tables cite, each linking to its line', async ({ page, request }) => {
  const id = await parityRunId(request);
  await page.goto(`/runs/${id}`);
  const errorLines = await linkedLines(page, '[data-testid="errors"] ul.error-list a');
  const warningLines = await linkedLines(page, '[data-testid="warning-log-line"]');
  expect(errorLines).toEqual([90, 91, 108, 129]);
  // The errors table marks the one the headline quotes.
  await expect(page.locator('[data-testid="errors"] li', { has: page.getByTestId('error-cause') })).toContainText('train.log:108');
  expect(warningLines).toEqual([72, 74, 87, 89]);
  const cited = [...errorLines, ...warningLines].sort((a, b) => a - b);

  // The log view on the evidence page.
  const viewer = page.getByTestId('log-viewer');
  await viewer.getByLabel(/errors and warnings only/).check();
  const shown = await linkedLines(page, '[data-testid="log-viewer"] table.code td.ln a');
  expect(shown).toEqual(cited);
  // TensorFlow's `E0000 … Unable to register cuDNN factory` (line 3) is no error any check counts: not shown.
  await expect(viewer).not.toContainText('Unable to register cuDNN factory');

  // A warning row's link opens its line.
  await page.locator('[data-testid="warning-log-line"]', { hasText: 'train.log:87' }).click();
  await expect(page).toHaveURL(/\/files\/train\.log#L87$/);
  await expect(page.locator('#L87')).toContainText('GPU available but not used');
  await expect(page.locator('#L87')).toHaveClass(/line-warn/);

  // The file page's own filter: the same lines, each linking to it in the whole file.
  await page.getByTestId('file-filter-cited').click();
  await expect(page).toHaveURL(/\?only=cited$/);
  const filtered = await linkedLines(page, '[data-testid="cited-lines"] td.ln a');
  expect(filtered).toEqual(cited);
  await page.locator('[data-testid="cited-lines"] td.ln a', { hasText: /^108$/ }).click();
  await expect(page).toHaveURL(/\/files\/train\.log#L108$/);
  await expect(page.locator('#L108')).toBeVisible();
});
