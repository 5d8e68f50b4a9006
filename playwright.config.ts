import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 3311);
process.env.E2E_AUTH_URL = `http://127.0.0.1:${PORT + 1}`;
// A throw-away database per run, filled from the repo's real fixture bundles before the server starts.
const DB = process.env.E2E_DB ?? path.join(os.tmpdir(), `runproof-e2e-${process.pid}.db`);
process.env.E2E_DB = DB;
// Launched runs' bundles and temporary outputs go beside the throw-away database.
const WORK = `${DB}.d`;

export default defineConfig({
  testDir: './e2e',
  testMatch: /.*\.spec\.ts/,
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  outputDir: 'test-results/e2e-artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: [
    {
      // `runproof serve` is what `npm start` runs: the web server and a worker beside it.
      command: `rm -rf "${DB}" "${DB}-wal" "${DB}-shm" "${WORK}" && node bin/runproof.mjs import fixtures/ptychopinn --json > /dev/null && exec node bin/runproof.mjs serve --host 127.0.0.1 --port ${PORT}`,
      url: `http://127.0.0.1:${PORT}/api/runs`,
      reuseExistingServer: false,
      timeout: 120_000,
      // RUNPROOF_PROFILES: a hand-written profile looser than its trainer (e2e/cause.spec.ts: the trainer's own refusal headlines the run).
      env: { RUNPROOF_DB: DB, RUNPROOF_BUNDLES_DIR: `${WORK}/bundles`, RUNPROOF_WORK_DIR: `${WORK}/work`, RUNPROOF_PROFILES: 'e2e/fixtures/profiles.json', NEXT_TELEMETRY_DISABLED: '1' },
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // A second server with a password: launching and cancelling need a login there. No worker, so its runs stay queued.
      command: `rm -rf "${DB}.auth" "${DB}.auth-wal" "${DB}.auth-shm" && exec node bin/runproof.mjs serve --no-worker --host 127.0.0.1 --port ${PORT + 1}`,
      url: `http://127.0.0.1:${PORT + 1}/api/runs`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: {
        RUNPROOF_DB: `${DB}.auth`,
        RUNPROOF_PASSWORD: 'correct horse battery',
        RUNPROOF_BUNDLES_DIR: `${WORK}/auth-bundles`,
        RUNPROOF_WORK_DIR: `${WORK}/auth-work`,
        NEXT_TELEMETRY_DISABLED: '1',
      },
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
