/**
 * A launched run's bundle goes into the database in the settle that ends the
 * run: a real reference run, its bundle folder deleted afterwards, still
 * serves its train.log and metrics.csv byte for byte through the real file
 * route, its page's log tail still reads, and deleting the run deletes them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NextRequest } from 'next/server';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { listStoredFiles, storedFileTotals } from '../db/queries/stored-files';
import { launchRun } from '../server/launch';
import { deleteRunAndBundle } from '../server/run-admin';
import { Worker } from './worker';
import { makeTestEnv, waitForEnd, type TestEnv } from './testing';
import { GET as getFile } from '../app/api/runs/[id]/files/[...path]/route';
import { loadFilesStored, openRunFileOf } from '../app/_lib/data';
import { readLogTail } from '../app/_lib/files';

let env: TestEnv | null = null;
let worker: Worker | null = null;
afterEach(async () => {
  await worker?.stop();
  worker = null;
  await env?.cleanup();
  env = null;
});

const file = (id: string, ...p: string[]) => getFile(new NextRequest(`http://127.0.0.1/api/runs/${id}/files/${p.join('/')}`), { params: Promise.resolve({ id, path: p }) });

describe.each(backends())('a launched run\u2019s bundle in the database (%s)', (backend: Dialect) => {
  test('survives its folder being deleted: the route serves train.log and metrics.csv as they were', async () => {
    env = await makeTestEnv({}, backend);
    const r = await launchRun({ db: env.db, request: { profile: 'reference', params: { n_images: '64', gridsize: '3', max_epochs: '4', batch_size: '4', logger: 'csv' }, planRows: [] } });
    if (!r.ok) throw new Error(r.error);
    worker = new Worker({ db: env.db, concurrency: 1, leaseMs: 3000, graceMs: 2000, pollMs: 100, claimPollMs: 50 });
    await worker.start();
    const { run, evidence } = await waitForEnd(env.db, r.runId);
    expect(run.status).toBe('succeeded');

    const stored = await listStoredFiles({ db: env.db, runId: r.runId });
    // Every file the evidence lists, and evidence.json (not in its own list), are in the database; the folder is still written.
    expect(stored.map((f) => f.path).sort()).toEqual([...evidence.files.map((f) => f.path), 'evidence.json'].sort());
    expect(stored.map((f) => f.path)).toEqual(expect.arrayContaining(['train.log', 'metrics.csv', 'command.txt', 'checkpoints_ls.txt', 'summary.md']));
    expect(evidence.problems.filter((p) => /per-file cap|not stored/.test(p.message))).toEqual([]);
    const onDisk = Object.fromEntries(['train.log', 'metrics.csv', 'evidence.json'].map((f) => [f, fs.readFileSync(path.join(run.bundleDir, f))]));
    const totals = await storedFileTotals({ db: env.db, runId: r.runId });
    expect(totals.encodedBytes).toBeLessThan(totals.sizeBytes);

    fs.rmSync(run.bundleDir, { recursive: true });
    expect(fs.existsSync(run.bundleDir)).toBe(false);
    expect(await loadFilesStored(r.runId)).toBe(true);
    for (const name of ['train.log', 'metrics.csv', 'evidence.json']) {
      const res = await file(r.runId, name);
      expect(res.status, name).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(onDisk[name]), name).toBe(true);
    }
    // The run page's log tail reads the stored copy the same way.
    const log = await openRunFileOf(run, 'train.log');
    if (!log.ok) throw new Error(log.reason);
    expect(log.fd).toBeNull();
    const tail = await readLogTail(log.source, 5);
    expect(tail.lines.join('\n')).toBe(onDisk['train.log'].toString('utf8').trimEnd().split('\n').slice(-5).join('\n'));
    // Traversal: nothing but the stored paths.
    for (const p of [['..', 'runproof.db'], ['%2e%2e', 'runproof.db'], ['nope.txt']]) expect([400, 404]).toContain((await file(r.runId, ...p)).status);

    expect((await deleteRunAndBundle({ db: env.db, id: r.runId })).ok).toBe(true);
    expect(await listStoredFiles({ db: env.db, runId: r.runId })).toEqual([]);
    expect(Number((await env.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM stored_file_chunks WHERE run_id = ${r.runId}`))?.n)).toBe(0);
  });
});
