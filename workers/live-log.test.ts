/**
 * The live log goes through the database: a launched run's worker stores its
 * log's complete lines while it runs (the real reference trainer, a real
 * SQLite file or PostgreSQL database), the events route sends them from there — never from the
 * worker's disk, so any web server on the database can serve the live view —
 * and they are gone once the run settles (the archived train.log is in
 * stored_files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { analyseBundle } from '../lib/evidence/analyse';
import type { LiveLogChunk } from '../lib/live/events';
import { claimNextRun, getLaunch, requestCancel } from '../db/queries/launches';
import { enqueueTestRun } from '../db/queries/testing';
import { appendLiveLog, listLiveLog } from '../db/queries/live-log';
import { getRun } from '../db/queries/runs';
import { launchRun } from '../server/launch';
import { GET } from '../app/api/runs/[id]/events/route';
import { Worker } from './worker';
import { makeTestEnv, REPO_ROOT, waitFor, waitForEnd, type TestEnv } from './testing';

/** Long enough to watch while it runs (~40 epochs); cancelled once a test has seen what it needs. */
const LONG = { n_images: '2048', gridsize: '3', max_epochs: '40', batch_size: '8', accelerator: 'auto', deterministic: 'true', 'num-workers': '0', logger: 'csv' };

let env: TestEnv | null = null;
let worker: Worker | null = null;
const streams: AbortController[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  await worker?.stop();
  worker = null;
  await env?.cleanup();
  env = null;
});

async function launchLong(e: TestEnv): Promise<string> {
  const r = await launchRun({ db: e.db, request: { profile: 'reference', params: LONG, planRows: [] } });
  if (!r.ok) throw new Error(r.error);
  worker = new Worker({ db: e.db, concurrency: 1, leaseMs: 3000, graceMs: 2000, pollMs: 100, claimPollMs: 50 });
  await worker.start();
  return r.runId;
}

const count = async (e: TestEnv, q: ReturnType<typeof sql>) => Number((await e.db.get<{ n: number }>(q))?.n);

/** The run's events stream, called as Next calls the route; `log` events collected as they come. */
function openLog(id: string) {
  const ctl = new AbortController();
  streams.push(ctl);
  const chunks: LiveLogChunk[] = [];
  const events: string[] = [];
  const done = (async () => {
    const res = await GET(new Request(`http://127.0.0.1/api/runs/${id}/events`, { signal: ctl.signal }), { params: Promise.resolve({ id }) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        events.push(event);
        if (event === 'log') chunks.push(JSON.parse(data));
      }
    }
  })();
  return { chunks, events, done, lines: () => chunks.flatMap((c) => c.text.replace(/\n$/, '').split('\n')) };
}

describe.each(backends())('the live log through the database (%s)', (backend: Dialect) => {
  test("a launched run's log lines are in the database while it runs, numbered as in train.log, and gone once it settles", async () => {
    env = await makeTestEnv({}, backend);
    const e = env;
    const id = await launchLong(e);
    const rows = await waitFor(
      "the log's GPU line in the database while the run runs",
      async () => {
        const got = await listLiveLog({ db: e.db, runId: id, after: null, tail: 400 });
        return (await getRun({ db: e.db, id }))!.status === 'running' && got.some((l) => l.text === 'GPU available: False, used: False') && got.some((l) => /^Epoch 1: 100%/.test(l.text)) && got;
      },
      30_000,
      20,
    );
    // Line n of the table is line n of the file the child writes (numbered from 0), whole and in order.
    const file = fs.readFileSync(path.join((await getRun({ db: e.db, id }))!.bundleDir, 'train.log'), 'utf8').split('\n');
    expect(rows[0].seq).toBe(0);
    for (const [k, r] of rows.entries()) expect(r).toEqual({ seq: k, text: file[k], cut: false });
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    const { run } = await waitForEnd(e.db, id, 20_000);
    expect(run.status).toBe('cancelled');
    expect(await count(e, sql`SELECT COUNT(*) AS n FROM live_log WHERE run_id = ${id}`)).toBe(0);
    // The final page reads the archived log instead: it is in the database whole.
    const stored = await count(e, sql`SELECT size_bytes AS n FROM stored_files WHERE run_id = ${id} AND path = 'train.log'`);
    expect(stored).toBe(fs.statSync(path.join(run.bundleDir, 'train.log')).size);
  });

  test('the events route keeps sending new log lines after train.log is moved out of the bundle mid-run', async () => {
    env = await makeTestEnv({}, backend);
    const e = env;
    const id = await launchLong(e);
    const logFile = path.join((await getRun({ db: e.db, id }))!.bundleDir, 'train.log');
    await waitFor('the first epochs in the database', async () => (await listLiveLog({ db: e.db, runId: id, after: null, tail: 400 })).some((l) => /^Epoch 1: 100%/.test(l.text)), 30_000, 20);
    const s = openLog(id);
    await waitFor('the tail on connect', () => s.chunks.length > 0, 10_000, 20);
    expect(s.lines()).toContain('GPU available: False, used: False');
    // Away from where the run's folder says it is: the route (which reads no file) must not notice.
    const moved = path.join(e.dir, 'moved.log');
    fs.renameSync(logFile, moved);
    const atMove = s.chunks.at(-1)!.to;
    const seen = await waitFor('lines written after the move, through the stream', () => s.chunks.filter((c) => c.from >= atMove).length >= 2 && s.chunks, 30_000, 20);
    const after = seen.filter((c) => c.from >= atMove);
    // In order, each chunk starting where the last ended, and epochs among them.
    for (let k = 1; k < s.chunks.length; k++) expect(s.chunks[k].from).toBe(s.chunks[k - 1].to);
    expect(after.flatMap((c) => c.text.split('\n')).some((l) => /^Epoch \d+: 100%/.test(l))).toBe(true);
    expect(fs.existsSync(logFile)).toBe(false);
    fs.renameSync(moved, logFile);
    expect(await requestCancel({ db: e.db, runId: id })).toBe('requested');
    await waitForEnd(e.db, id, 20_000);
    await s.done;
    expect(s.events.at(-1)).toBe('end');
  });

  test('a run whose folder never existed on this server: the stream sends its last 400 lines on connect, then the new ones by number', async () => {
    env = await makeTestEnv({}, backend);
    const e = env;
    const queued = analyseBundle([], { root: '/b/x', title: 'x', launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
    const bundleDir = path.join(e.dir, 'on-another-host', 'x1');
    await enqueueTestRun(e.db, 'x1', Date.now(), { title: 'x', bundleDir, outputDir: path.join(e.dir, 'w'), timeoutMs: 60_000, evidence: queued });
    expect(await claimNextRun({ db: e.db, workerId: 'elsewhere', token: 'tok', leaseMs: 60_000 })).toBe('x1');
    const line = (seq: number) => ({ seq, text: `line ${seq}`, bytes: `line ${seq}`.length, cut: false });
    expect(await appendLiveLog({ db: e.db, runId: 'x1', token: 'tok', lines: Array.from({ length: 1000 }, (_, i) => line(i)) })).toBe(true);
    const s = openLog('x1');
    await waitFor('the tail', () => s.chunks.length > 0, 10_000, 10);
    expect(s.chunks[0]).toEqual({ from: 600, to: 1000, text: Array.from({ length: 400 }, (_, i) => `line ${600 + i}\n`).join('') });
    expect(await appendLiveLog({ db: e.db, runId: 'x1', token: 'tok', lines: [line(1000), line(1001)] })).toBe(true);
    await waitFor('the new lines', () => s.chunks.length > 1, 10_000, 10);
    expect(s.chunks[1]).toEqual({ from: 1000, to: 1002, text: 'line 1000\nline 1001\n' });
    expect(fs.existsSync(bundleDir)).toBe(false);
    expect((await getLaunch({ db: e.db, runId: 'x1' }))!.host).toBeNull();
  });

  test('the events route reads no file: it imports neither node:fs nor node:path', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'app/api/runs/[id]/events/route.ts'), 'utf8');
    expect(text).not.toMatch(/from 'node:(fs|path)'|require\('(node:)?fs'\)/);
  });
});
