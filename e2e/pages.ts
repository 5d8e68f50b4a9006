/** Page objects: what a person looks at, by test id. */
import { expect, type Page } from '@playwright/test';

export class RunsPage {
  constructor(readonly page: Page) {}
  async open(query = '') {
    await this.page.goto(`/${query}`);
    await expect(this.page.getByTestId('runs-table')).toBeVisible();
  }
  rows() {
    return this.page.getByTestId('run-row');
  }
  /** Ticks the compare checkbox of the first row whose text holds `titlePart`. */
  async tick(titlePart: string) {
    await this.rows().filter({ hasText: titlePart }).first().getByTestId('compare-pick').check();
  }
  async compareSelected() {
    await this.page.getByTestId('compare-submit').click();
    await expect(this.page).toHaveURL(/\/compare\?/);
  }
  async openRun(titlePart: string) {
    await this.rows().filter({ hasText: titlePart }).first().getByRole('link').first().click();
    await expect(this.page).toHaveURL(/\/runs\/[0-9a-f]+$/);
  }
}

export class EvidencePage {
  constructor(readonly page: Page) {}
  check(id: string) {
    return this.page.getByTestId(`check-${id}`).first();
  }
  epochRows() {
    return this.page.getByTestId('epoch-row');
  }
  chart() {
    return this.page.getByTestId('loss-chart');
  }
}

export class LaunchPage {
  constructor(readonly page: Page) {}
  async openFromRuns() {
    await this.page.goto('/');
    await this.page.getByTestId('launch-button').click();
    await expect(this.page).toHaveURL(/\/runs\/new/);
    await expect(this.page.getByTestId('launch-form')).toBeVisible();
  }
  knob(name: string) {
    return this.page.getByTestId(`knob-${name}`);
  }
  async submit() {
    await this.page.getByTestId('launch-submit').click();
  }
  /** The picker's checkbox for a plan row. */
  row(id: string) {
    return this.page.locator(`[data-testid="row-option"][data-row="${id}"] input`);
  }
}

export class PlansPage {
  constructor(readonly page: Page) {}
  async open() {
    await this.page.goto('/plans');
    await expect(this.page.getByTestId('plan-file').first()).toBeVisible();
  }
  row(id: string) {
    return this.page.locator(`[data-testid="plan-row"][data-row="${id}"]`);
  }
}

export class PlanRowPage {
  constructor(readonly page: Page) {}
  runs() {
    return this.page.getByTestId('row-run');
  }
  flags() {
    return this.page.getByTestId('row-flag-callout');
  }
}

export class LiveRunPage {
  constructor(readonly page: Page) {}
  root() {
    return this.page.getByTestId('live-run');
  }
  async epochs(): Promise<number> {
    return Number(await this.page.getByTestId('live-progress').getAttribute('data-epochs', { timeout: 5000 }));
  }
  async points(): Promise<number> {
    return Number(await this.page.getByTestId('live-points').getAttribute('data-points', { timeout: 5000 }));
  }
}

export class ComparePage {
  constructor(readonly page: Page) {}
  runs() {
    return this.page.getByTestId('compare-run');
  }
  chart() {
    return this.page.getByTestId('compare-chart');
  }
  /** One `.recharts-line` layer per plotted run. */
  lines() {
    return this.chart().locator('g.recharts-line');
  }
  legendItems() {
    return this.chart().locator('.recharts-legend-item');
  }
  knobRows() {
    return this.page.getByTestId('knob-row');
  }
  checkRows() {
    return this.page.getByTestId('check-row');
  }
  /** Picks another metric through the plain GET form (a new URL). */
  async showMetric(metric: string) {
    await this.page.getByTestId('compare-metric').selectOption(metric);
    await this.page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect(this.page).toHaveURL(new RegExp(`[?&]metric=${metric}(&|$)`));
  }
  emptyMessage() {
    return this.page.getByTestId('compare-empty');
  }
}
