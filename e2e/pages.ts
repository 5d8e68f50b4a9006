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
}

export class LiveRunPage {
  constructor(readonly page: Page) {}
  root() {
    return this.page.getByTestId('live-run');
  }
  async epochs(): Promise<number> {
    return Number(await this.page.getByTestId('live-progress').getAttribute('data-epochs'));
  }
  async points(): Promise<number> {
    return Number(await this.page.getByTestId('live-points').getAttribute('data-points'));
  }
}
