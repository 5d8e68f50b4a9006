/**
 * Helpers the runs-list and long-run journeys share: launching through the
 * real CLI into the e2e server's database (its worker runs the launch), and
 * waiting for a run to end through the API.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, type APIRequestContext } from '@playwright/test';

/** The main e2e server's environment (playwright.config.ts): the same database, bundles and work folders. */
export function serverEnv(): NodeJS.ProcessEnv {
  const db = process.env.E2E_DB!;
  return { ...process.env, RUNPROOF_DB: db, RUNPROOF_BUNDLES_DIR: `${db}.d/bundles`, RUNPROOF_WORK_DIR: `${db}.d/work` };
}

/** The bundles folder launched runs of the main e2e server are written to. */
export const bundlesDir = () => path.resolve(`${process.env.E2E_DB!}.d/bundles`);

/** Queue a launch of the reference profile with `runproof launch`; the server's worker runs it. Returns its id. */
export function launchReference(knobs: Record<string, string | number>): string {
  const args = ['bin/runproof.mjs', 'launch', 'reference', '--json', ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  const out = execFileSync(process.execPath, args, { env: serverEnv(), encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { id: string }).id;
}

/** Wait until the run has ended (any status past queued and running). */
export async function waitForEnd(request: APIRequestContext, id: string, timeout = 60_000): Promise<string> {
  let status = '';
  await expect
    .poll(
      async () => {
        const r = await request.get(`/api/runs/${id}`);
        status = r.ok() ? ((await r.json()) as { status: string }).status : '';
        return status;
      },
      { timeout, intervals: [250, 500, 1000] },
    )
    .not.toMatch(/^(queued|running|)$/);
  return status;
}
