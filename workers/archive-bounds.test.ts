/**
 * Archiving stays bounded and always ends: real worker, real child processes,
 * real databases (SQLite, and PostgreSQL when RUNPROOF_TEST_DATABASE_URL is
 * set) and bundles on disk. A run that leaves 10,000 checkpoint
 * files and 10,000 distinct warnings is archived (and imported) with its caps
 * named; a run whose archive throws still settles, with the error on its
 * page; the sweep gives up archiving after a bounded number of attempts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import type { Dialect } from '../db/client';
import { openTempDb } from '../db/queries/testing';
import { backends } from '../db/testing/backends';
import { claimNextRun, getLaunch, requestCancel, sweepExpiredLeases } from '../db/queries/launches';
import { getRun, getRunEvidence } from '../db/queries/runs';
import { importBundles } from '../server/bundles';
import { launchRun } from '../server/launch';
import { MAX_ARCHIVE_ATTEMPTS } from './job';
import { sweepLostRuns } from './sweep';
import { Worker } from './worker';
import { makeTestEnv, waitFor, waitForEnd, type TestEnv } from './testing';

let env: TestEnv | null = null;
let worker: Worker | null = null;
let profilesDir: string | null = null;
afterEach(async () => {
  await worker?.stop();
  worker = null;
  await env?.cleanup();
  env = null;
  if (profilesDir) fs.rmSync(profilesDir, { recursive: true, force: true });
  profilesDir = null;
});

async function startWorker(e: TestEnv): Promise<Worker> {
  const w = new Worker({ db: e.db, concurrency: 1, leaseMs: 3000, graceMs: 2000, pollMs: 100, claimPollMs: 50 });
  await w.start();
  return w;
}

/** A test environment whose profiles include `oversized` (workers/oversized-trainer.mjs). */
function envWithOversizedProfile(backend: Dialect): Promise<TestEnv> {
  profilesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-profiles-'));
  const file = path.join(profilesDir, 'profiles.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      profiles: [
        {
          name: 'oversized',
          title: 'Oversized bundle',
          argv: ['{node}', '{runproof_root}/workers/oversized-trainer.mjs', '{params}', '--output_dir', '{output_dir}'],
          params: [
            { name: 'max_epochs', type: 'int', default: 3 },
            { name: 'checkpoints', type: 'int', default: 10000 },
            { name: 'warnings', type: 'int', default: 10000 },
          ],
          timeoutSec: 60,
        },
      ],
    }),
  );
  return makeTestEnv({ RUNPROOF_PROFILES: file }, backend);
}

async function launch(e: TestEnv, profile: string, params: Record<string, string>): Promise<string> {
  const r = await launchRun({ db: e.db, request: { profile, params, planRows: [] } });
  if (!r.ok) throw new Error(r.error);
  return r.runId;
}

const messages = (ev: { problems: Array<{ file: string; message: string }> }) => ev.problems.map((p) => `${p.file}: ${p.message}`);
const count = async (e: TestEnv, table: string, runId: string) => Number((await e.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)} WHERE run_id = ${runId}`))?.n);

describe.each(backends())('a run that leaves 10,000 checkpoint files and 10,000 distinct warnings (%s)', (backend: Dialect) => {
  test('is archived as succeeded with its caps named, and imports the same way into another database', async () => {
    env = await envWithOversizedProfile(backend);
    const id = await launch(env, 'oversized', {});
    worker = await startWorker(env);
    const { run, evidence } = await waitForEnd(env.db, id, 25_000);
    expect(run.status, messages(evidence).join('\n')).toBe('succeeded');

    expect(messages(evidence)).toEqual(
      expect.arrayContaining([
        'checkpoints_ls.txt: 10,000 checkpoint files: listing the first 500 and last 500; 9,000 not listed; the checkpoints check compared all of them with the replay',
        'train.log: 10,000 distinct warnings: keeping the first 500 and last 500; 9,000 not kept; the warnings check counted all of them',
      ]),
    );
    expect(evidence.checkpoints.found).toHaveLength(1000);
    expect(evidence.warnings).toHaveLength(1000);
    const checks = Object.fromEntries(evidence.checks.map((c) => [c.id, c]));
    expect(checks.warnings).toMatchObject({ status: 'warn', detail: '10,000 distinct warnings (10,000 in all)' });
    // Judged on all 10,000 names. The trainer states no checkpoint knob, so the replay searches the settings the
    // bundle leaves open; none explains the files (steps up to 9,998 in a 30-step run), which is a contradiction
    // whatever the config: fail, naming the closest replay's unexpected files.
    expect(checks.checkpoints).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/found 10,000; unexpected [\d,]+: .*epoch=2-step=9998\.ckpt.*no value the bundle leaves open explains the files/),
    });
    expect(checks.exit.status).toBe('pass');
    expect(await count(env, 'checkpoints', id)).toBe(1000);
    expect(await count(env, 'warnings', id)).toBe(1000);
    expect(
      fs
        .readFileSync(path.join(run.bundleDir, 'checkpoints_ls.txt'), 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('.ckpt')),
    ).toHaveLength(10_000);
    expect(fs.readFileSync(path.join(run.bundleDir, 'summary.md'), 'utf8')).toContain('10,000 checkpoint files: listing the first 500');
    expect((await getLaunch({ db: env.db, runId: id }))!.error).toBeNull();
    // The live page listed a bounded part too, with the true count.
    const live = JSON.parse((await getLaunch({ db: env.db, runId: id }))!.liveJson);
    expect(live.checkpoints.length).toBeLessThanOrEqual(200);

    const other = await openTempDb('runproof-import-', backend);
    const db2 = other.db;
    try {
      const r = await importBundles({ db: db2, roots: [run.bundleDir] });
      expect(r.runs.map((x) => x.action)).toEqual(['added']);
      const imported = (await getRunEvidence({ db: db2, id: r.runs[0].id }))!;
      expect(imported.run.status).toBe('succeeded');
      expect(messages(imported.evidence)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^checkpoints_ls\.txt: 10,000 checkpoint files: listing the first 500 and last 500/),
          expect.stringMatching(/^train\.log: 10,000 distinct warnings: keeping the first 500 and last 500/),
        ]),
      );
      expect(Number((await db2.get<{ n: number }>(sql`SELECT count(*) AS n FROM checkpoints`))?.n)).toBe(1000);
    } finally {
      await other.close();
    }
  }, 30_000);
});

/** A real failure from the database itself, raised on the archive's write of a checkpoint row and nowhere else. */
async function refuseCheckpoints(e: TestEnv): Promise<void> {
  const message = 'injected: the checkpoints table refuses writes';
  if (e.db.sqlite) {
    e.db.sqlite.exec(`CREATE TRIGGER refuse_checkpoints BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, '${message}'); END;`);
    return;
  }
  await e.db.run(sql.raw(`CREATE FUNCTION refuse_checkpoints() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$`));
  await e.db.run(sql`CREATE TRIGGER refuse_checkpoints BEFORE INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_checkpoints()`);
}

describe.each(backends())('a run whose archive throws (%s)', (backend: Dialect) => {
  test('a database that refuses the archive: the run ends failed, the error its first problem and its headline', async () => {
    env = await envWithOversizedProfile(backend);
    await refuseCheckpoints(env);
    const id = await launch(env, 'oversized', { checkpoints: '3', warnings: '2' });
    worker = await startWorker(env);
    const { run, evidence } = await waitForEnd(env.db, id, 20_000);
    expect(run.status).toBe('failed');
    expect(run.leaseToken).toBeNull();
    expect(evidence.problems[0]).toMatchObject({
      file: 'runproof',
      message: expect.stringMatching(/^archiving the run failed: injected: the checkpoints table refuses writes\. The run was settled without its archive/),
    });
    expect(evidence.launch?.note).toMatch(/archiving the run failed: injected/);
    expect(evidence.checks.find((c) => c.id === 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining('injected') });
    expect(evidence.checks.filter((c) => c.id !== 'exit').every((c) => c.status === 'skip')).toBe(true);
    expect(await getLaunch({ db: env.db, runId: id })).toMatchObject({ exitCode: 0, error: expect.stringContaining('injected') });
    // The bundle's own evidence.json says the same as the page.
    expect(JSON.parse(fs.readFileSync(path.join(run.bundleDir, 'evidence.json'), 'utf8')).status).toBe('failed');
    // Nothing is left for a sweep to retry.
    expect(await sweepLostRuns({ db: env.db, sweeperId: 'test', leaseMs: 3000 })).toBe(0);
  });

  test('a bundle that cannot be written, cancelled mid-run: cancel still ends it cancelled, with the archive error shown', async () => {
    env = await makeTestEnv({}, backend);
    const id = await launch(env, 'reference', { n_images: '2048', max_epochs: '40', batch_size: '8' });
    // summary.md as a folder: the archive's first write into the bundle throws (EISDIR).
    fs.mkdirSync(path.join((await getRun({ db: env.db, id }))!.bundleDir, 'summary.md', 'in-the-way'), { recursive: true });
    worker = await startWorker(env);
    const e = env;
    await waitFor('an epoch', async () => (JSON.parse((await getLaunch({ db: e.db, runId: id }))!.liveJson).epochsDone ?? 0) >= 1, 30_000);
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    const { run, evidence } = await waitForEnd(e.db, id, 20_000);
    expect(run.status).toBe('cancelled');
    expect(evidence.problems[0].message).toMatch(/^archiving the run failed: .*summary\.md/);
    expect(evidence.launch?.note).toMatch(/^cancelled from Runproof.*; archiving the run failed/);
    // The live view's epochs are kept.
    expect(evidence.epochs.length).toBeGreaterThanOrEqual(1);
  });
});

describe.each(backends())('the sweep (%s)', (backend: Dialect) => {
  test(`gives up archiving after ${MAX_ARCHIVE_ATTEMPTS} attempts and settles the run failed, with the reason`, async () => {
    env = await makeTestEnv({}, backend);
    const id = await launch(env, 'reference', { max_epochs: '1' });
    // Claimed by a worker that then vanished; every sweeper that took it over died before storing it
    // (simulated: re-leased by the sweep's own query, then nothing).
    expect(await claimNextRun({ db: env.db, workerId: 'gone', token: 't0', leaseMs: 1 })).toBe(id);
    let now = Date.now() + 10;
    for (let i = 1; i <= MAX_ARCHIVE_ATTEMPTS; i++) {
      const taken = await sweepExpiredLeases({ db: env.db, sweeperId: `dying-${i}`, newToken: () => `t${i}`, now, leaseMs: 1 });
      expect(taken.map((r) => [r.runId, r.attempts])).toEqual([[id, i]]);
      now += 10;
    }
    await waitFor('the last lease to expire', () => Date.now() > now, 1000);
    const logged: string[] = [];
    expect(await sweepLostRuns({ db: env.db, sweeperId: 'last', leaseMs: 3000, log: (m) => logged.push(m) })).toBe(1);
    const { run, evidence } = (await getRunEvidence({ db: env.db, id }))!;
    expect(run.status).toBe('failed');
    expect(evidence.problems[0].message).toMatch(new RegExp(`^archiving did not finish in ${MAX_ARCHIVE_ATTEMPTS} attempts by the sweep`));
    expect((await getLaunch({ db: env.db, runId: id }))!.archiveAttempts).toBe(MAX_ARCHIVE_ATTEMPTS + 1);
    expect(logged.join('\n')).toMatch(/failed — archiving did not finish/);
    expect(await sweepLostRuns({ db: env.db, sweeperId: 'after', leaseMs: 3000 })).toBe(0);
  });
});
