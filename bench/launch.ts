/**
 * `npm run bench`, part 2: the launch path, each figure beside a baseline
 * measured in the same run (README.md, Benchmarks):
 *
 *  1. metric row written → point drawn in Chromium (goal p95 ≤ 1 s), beside
 *     how fast fs.watch notices the same append here;
 *  2. worker overhead: wall time of the reference trainer run through
 *     Runproof (queued → evidence stored) ÷ the same argv run directly,
 *     interleaved (goal ≤ 1.05);
 *  3. click "Launch smoke run" → child process started (goal ≤ 1 s), beside
 *     a plain link navigation in the same browser.
 *
 * Runs against the production build (`npm run build` first) through
 * `runproof serve`, i.e. the web server and a worker, as `npm start` does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from '@playwright/test';
import { openDb } from '../db/client';
import { getLaunch, isTerminal } from '../db/queries/launches';
import { getRun } from '../db/queries/runs';
import { launchRun } from '../server/launch';
import { pacedBenchEnv, startBenchServer, stopBenchServer } from './paced-env';

const ROOT = path.resolve(__dirname, '..');
const PORT = Number(process.env.BENCH_PORT ?? 3323);
const ROUNDS = Number(process.env.BENCH_LAUNCH_ROUNDS ?? 5);
const { tmp, dbPath } = pacedBenchEnv(ROOT, 'runproof-bench-launch-');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 60_000, everyMs = 5): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** fs.watch latency for an append on this machine: the floor under "row written → point drawn". */
async function watchLatency(n = 30): Promise<number[]> {
  const file = path.join(tmp, 'watch.csv');
  fs.writeFileSync(file, 'epoch,step,val_loss\r\n');
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const seen = new Promise<number>((resolve) => {
      const w = fs.watch(file, () => {
        w.close();
        resolve(performance.now());
      });
    });
    const t0 = performance.now();
    fs.appendFileSync(file, `${i},${i},1.0\r\n`);
    out.push((await seen) - t0);
    await sleep(20);
  }
  return out;
}

const BRIEF = {
  n_images: '1024',
  gridsize: '2',
  max_epochs: '5',
  batch_size: '8',
  accelerator: 'auto',
  deterministic: 'true',
  'num-workers': '0',
  logger: 'csv',
  'checkpoint-save-top-k': '2',
  'early-stop-patience': '5',
};

async function direct(argv: string[], outDir: string): Promise<number> {
  fs.rmSync(outDir, { recursive: true, force: true });
  const log = fs.openSync(path.join(tmp, 'direct.log'), 'w');
  const t0 = performance.now();
  const p = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', log, log] });
  await new Promise((r) => p.once('exit', r));
  const ms = performance.now() - t0;
  fs.closeSync(log);
  return ms;
}

async function main() {
  console.log(`Runproof launch bench — ${os.cpus().length} cores, Node ${process.version}, ${ROUNDS} interleaved rounds, server and worker via \`runproof serve\`\n`);
  const server = startBenchServer(ROOT, PORT);
  let serverErr = '';
  server.stderr!.on('data', (d) => (serverErr += d));
  const db = await openDb(dbPath);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await waitFor('the server', () => serverErr.includes('concurrency'), 60_000, 50);
    const page = await browser.newPage();
    for (let i = 0; ; i++) {
      try {
        const r = await page.goto(`http://127.0.0.1:${PORT}/`);
        if (r?.ok()) break;
      } catch {
        if (i > 200) throw new Error(`server did not answer: ${serverErr}`);
      }
      await sleep(250);
    }

    // --- 1. row written → point drawn ------------------------------------------------------
    const paced = await launchRun({ db, request: { profile: 'paced', params: { rows: '40', interval_ms: '150' } } });
    if (!paced.ok) throw new Error(paced.error);
    // Record, in the page, when the number of points shown changes, after the frame that shows it is painted.
    await page.addInitScript(() => {
      const w = window as unknown as { __drawn: Array<[number, number]> };
      w.__drawn = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="live-points"]');
        if (!el) return;
        const n = Number(el.getAttribute('data-points'));
        if (w.__drawn.length && w.__drawn[w.__drawn.length - 1][0] === n) return;
        w.__drawn.push([n, -1]);
        const entry = w.__drawn[w.__drawn.length - 1];
        requestAnimationFrame(() => setTimeout(() => (entry[1] = performance.timeOrigin + performance.now()), 0));
      }).observe(document, { subtree: true, attributes: true, childList: true, attributeFilter: ['data-points'] });
    });
    await page.goto(`http://127.0.0.1:${PORT}/runs/${paced.runId}`);
    await waitFor('the paced run to end', async () => isTerminal((await getRun({ db, id: paced.runId }))?.status ?? 'queued'), 60_000, 50);
    await sleep(300);
    const drawn = (await page.evaluate(() => (window as unknown as { __drawn: Array<[number, number]> }).__drawn)) as Array<[number, number]>;
    const bundleLog = fs.readFileSync(path.join((await getRun({ db, id: paced.runId }))!.bundleDir, 'train.log'), 'utf8');
    const written = [...bundleLog.matchAll(/^ROW (\d+) (\d+)$/gm)].map((m) => ({ i: Number(m[1]), at: Number(m[2]) }));
    const lat: number[] = [];
    for (const w of written) {
      const d = drawn.find(([n, at]) => n >= w.i + 1 && at > 0);
      if (d) lat.push(d[1] - w.at);
    }
    // Rows written before the page connected arrive in its first batch; count only those written after.
    const firstDrawn = drawn.find(([, at]) => at > 0)?.[1] ?? 0;
    const liveLat = written
      .map((w, k) => ({ w, l: lat[k] }))
      .filter(({ w }) => w.at > firstDrawn)
      .map(({ l }) => l)
      .filter((l) => l !== undefined);
    const watch = await watchLatency();

    // --- 2. worker overhead ----------------------------------------------------------------
    const probe = await launchRun({ db, request: { profile: 'reference', params: BRIEF } });
    if (!probe.ok) throw new Error(probe.error);
    await waitFor('warm-up run', async () => isTerminal((await getRun({ db, id: probe.runId }))?.status ?? 'queued'));
    const argv = [...probe.argv];
    const outIdx = argv.indexOf('--output_dir') + 1;
    argv[outIdx] = path.join(tmp, 'direct-out');
    const directMs: number[] = [];
    const viaMs: number[] = [];
    const parts: Array<{ start: number; child: number; archive: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      directMs.push(await direct(argv, argv[outIdx]));
      const t0 = performance.now();
      const l = await launchRun({ db, request: { profile: 'reference', params: BRIEF } });
      if (!l.ok) throw new Error(l.error);
      await waitFor('a run', async () => isTerminal((await getRun({ db, id: l.runId }))?.status ?? 'queued'));
      viaMs.push(performance.now() - t0);
      const run = (await getRun({ db, id: l.runId }))!;
      if (run.status !== 'succeeded') throw new Error(`bench run ${l.runId} did not succeed`);
      const ln = (await getLaunch({ db, runId: l.runId }))!;
      parts.push({ start: ln.processStartedAt! - ln.queuedAt, child: run.endedAt! - ln.processStartedAt!, archive: run.updatedAt - run.endedAt! });
    }

    // --- 3. click → process started ------------------------------------------------------------
    const clickMs: number[] = [];
    const navMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await page.goto(`http://127.0.0.1:${PORT}/`);
      let t0 = Date.now();
      await page.getByTestId('launch-button').click();
      await page.getByTestId('launch-form').waitFor();
      navMs.push(Date.now() - t0);
      await page.getByTestId('knob-max_epochs').fill('1');
      await page.getByTestId('knob-n_images').fill('64');
      t0 = Date.now();
      await page.getByTestId('launch-submit').click();
      await page.waitForURL(/\/runs\/[0-9a-f]{12}$/);
      const id = page.url().split('/').pop()!;
      const started = await waitFor('process start', async () => (await getLaunch({ db, runId: id }))?.processStartedAt, 30_000, 5);
      clickMs.push(started - t0);
      await waitFor('the run to end', async () => isTerminal((await getRun({ db, id }))?.status ?? 'queued'));
    }

    const p95 = pct(liveLat, 95);
    const ratio = median(viaMs) / median(directMs);
    const rows = [
      [
        'metric row written → point drawn',
        `p95 ${fmt(p95)} ms, median ${fmt(median(liveLat))} ms (${liveLat.length} rows, Chromium)`,
        `fs.watch sees an append: median ${fmt(median(watch), 2)} ms, p95 ${fmt(pct(watch, 95), 2)} ms`,
        `${fmt(p95 / pct(watch, 95), 0)}× fs.watch`,
        `p95 ≤ 1,000 ms — ${verdict(p95 <= 1000)}`,
      ],
      [
        'worker overhead (reference, 5 epochs)',
        `through Runproof ${fmt(median(viaMs))} ms (queued → evidence stored: ${fmt(median(parts.map((p) => p.start)))} to spawn, ${fmt(median(parts.map((p) => p.child)))} child, ${fmt(median(parts.map((p) => p.archive)))} to archive)`,
        `same argv run directly ${fmt(median(directMs))} ms`,
        `${fmt(ratio, 3)}×`,
        `≤ 1.05× — ${verdict(ratio <= 1.05)}`,
      ],
      [
        'click → process started',
        `median ${fmt(median(clickMs))} ms, worst ${fmt(Math.max(...clickMs))} ms`,
        `link click → page shown: ${fmt(median(navMs))} ms`,
        `${fmt(median(clickMs) / median(navMs), 1)}× a navigation`,
        `≤ 1,000 ms — ${verdict(Math.max(...clickMs) <= 1000)}`,
      ],
    ];
    const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  │  '));
  } finally {
    await browser.close();
    await stopBenchServer(server, tmp);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
