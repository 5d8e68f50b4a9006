/**
 * Runs whose files are stored in the database (issue 12: bundles in the
 * database) in the browser: an imported bundle archived with --archive, and
 * a launched run, keep their log tail, file pages and raw files after their
 * folder is moved or deleted, and their page never says the folder is
 * missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { closeDb, openDb } from '../db/client';
import { importBundles } from '../server/bundles';
import { deleteRun, getRun } from '../db/queries/runs';
import { launchReference, waitForEnd } from './helpers';

const FIXTURE = 'fixtures/ptychopinn/plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/runtime_smoke/2025-10-24T061500Z';
const LOG = 'train_cli_runtime_smoke.log';

async function expectFilesServed(page: Page, id: string, log: string, lastLine: string) {
  await page.goto(`/runs/${id}`);
  await expect(page.locator('#log')).toContainText(lastLine);
  await expect(page.getByTestId('bundle-missing')).toHaveCount(0);
  await expect(page.getByTestId('log-missing')).toHaveCount(0);
  await expect(page.getByTestId('files-table')).not.toContainText('bundle folder missing');
  await page.goto(`/runs/${id}/files/${log}`);
  await expect(page.getByTestId('file-viewer')).toContainText(lastLine);
}

test('an import with --archive keeps its log and files after its folder moved: no "bundle folder missing"', async ({ page, request }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-e2e-archived-'));
  const copy = path.join(dir, 'runtime_smoke_copy');
  fs.cpSync(FIXTURE, copy, { recursive: true });
  const db = await openDb(process.env.E2E_DB!);
  const id = (await importBundles({ db, roots: [copy], archive: true })).runs[0].id;
  await closeDb(process.env.E2E_DB!);
  const original = fs.readFileSync(path.join(copy, LOG), 'utf8');
  fs.renameSync(copy, `${copy}-moved`);
  try {
    await expectFilesServed(page, id, LOG, 'real 14.75');
    const api = await request.get(`/api/runs/${id}/files/${LOG}`);
    expect(api.status()).toBe(200);
    expect(await api.text()).toBe(original);
  } finally {
    await deleteRun({ db: await openDb(process.env.E2E_DB!), id });
    await closeDb(process.env.E2E_DB!);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a launched run keeps its log and files after its bundle folder is deleted', async ({ page, request }) => {
  const id = launchReference({ max_epochs: 2, n_images: 32, gridsize: 1, batch_size: 8 });
  expect(await waitForEnd(request, id, 120_000)).toBe('succeeded');
  const db = await openDb(process.env.E2E_DB!);
  const bundleDir = (await getRun({ db, id }))!.bundleDir;
  await closeDb(process.env.E2E_DB!);
  const log = fs.readFileSync(path.join(bundleDir, 'train.log'), 'utf8');
  const metrics = fs.readFileSync(path.join(bundleDir, 'metrics.csv'), 'utf8');
  const lastLine = log.trimEnd().split('\n').pop()!.trim();
  fs.rmSync(bundleDir, { recursive: true, force: true });
  await expectFilesServed(page, id, 'train.log', lastLine);
  const api = await request.get(`/api/runs/${id}/files/metrics.csv`);
  expect(api.status()).toBe(200);
  expect(await api.text()).toBe(metrics);
});
