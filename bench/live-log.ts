/**
 * The live log's latency: a log line written by the trainer → shown on the
 * run's live page in Chromium, beside a metric row written → its point drawn
 * on the same page (bench/launch.ts measures that one against its goal).
 * `bench/paced-trainer.mjs` prints `ROW <i> <ms since the epoch>` each time it
 * writes a row, so each line carries the time it was written.
 *
 * Runs against the production build (`npm run build` first) through
 * `runproof serve` (the web server and a worker), like bench/launch.ts:
 * `npx tsx bench/live-log.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { openDb } from '../db/client';
import { isTerminal } from '../db/queries/launches';
import { getRun } from '../db/queries/runs';
import { launchRun } from '../server/launch';
import { pacedBenchEnv, startBenchServer, stopBenchServer } from './paced-env';

const ROOT = path.resolve(__dirname, '..');
const PORT = Number(process.env.BENCH_PORT ?? 3324);
const ROWS = Number(process.env.BENCH_LOG_ROWS ?? 60);
const { tmp, dbPath } = pacedBenchEnv(ROOT, 'runproof-bench-log-');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 60_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function main() {
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
        if ((await page.goto(`http://127.0.0.1:${PORT}/`))?.ok()) break;
      } catch {
        if (i > 200) throw new Error(`server did not answer: ${serverErr}`);
      }
      await sleep(250);
    }
    const run = await launchRun({ db, request: { profile: 'paced', params: { rows: String(ROWS), interval_ms: '150' } } });
    if (!run.ok) throw new Error(run.error);
    // In the page: when each ROW line first shows in the live log, and when the point count changes, after the paint.
    // (A string, not a function: tsx would wrap named functions in a helper the page does not have.)
    await page.addInitScript(`
      window.__lines = {};
      window.__drawn = [];
      const painted = (set) => requestAnimationFrame(() => setTimeout(() => set(performance.timeOrigin + performance.now()), 0));
      new MutationObserver(() => {
        const log = document.querySelector('[data-testid="live-log"]');
        for (const m of (log?.textContent ?? '').matchAll(/^ROW (\\d+) /gm))
          if (!(m[1] in window.__lines)) {
            window.__lines[m[1]] = -1;
            painted((at) => (window.__lines[m[1]] = at));
          }
        const el = document.querySelector('[data-testid="live-points"]');
        const n = Number(el?.getAttribute('data-points') ?? -1);
        const d = window.__drawn;
        if (el && !(d.length && d[d.length - 1][0] === n)) {
          const entry = [n, -1];
          d.push(entry);
          painted((at) => (entry[1] = at));
        }
      }).observe(document, { subtree: true, attributes: true, childList: true, characterData: true });
    `);
    await page.goto(`http://127.0.0.1:${PORT}/runs/${run.runId}`);
    await waitFor('the paced run to end', async () => isTerminal((await getRun({ db, id: run.runId }))?.status ?? 'queued'), 60_000, 50);
    await sleep(300);
    const seen = (await page.evaluate(() => (window as unknown as { __lines: Record<string, number> }).__lines)) as Record<string, number>;
    const drawn = (await page.evaluate(() => (window as unknown as { __drawn: Array<[number, number]> }).__drawn)) as Array<[number, number]>;
    const bundleLog = fs.readFileSync(path.join((await getRun({ db, id: run.runId }))!.bundleDir, 'train.log'), 'utf8');
    const written = [...bundleLog.matchAll(/^ROW (\d+) (\d+)$/gm)].map((m) => ({ i: Number(m[1]), at: Number(m[2]) }));
    if (process.env.BENCH_DEBUG) console.log(JSON.stringify({ seen, drawn: drawn.length, written: written.length, log: bundleLog.slice(0, 300) }));
    // Only what was written after the page first showed something (earlier lines arrive in its first batch).
    const firstShown = Math.min(...Object.values(seen).filter((t) => t > 0));
    const logLat = written.filter((w) => w.at > firstShown && seen[w.i] > 0).map((w) => seen[w.i] - w.at);
    const firstDrawn = drawn.find(([, at]) => at > 0)?.[1] ?? 0;
    const ptLat = written
      .filter((w) => w.at > firstDrawn)
      .map((w) => drawn.find(([n, at]) => n >= w.i + 1 && at > 0))
      .filter((d) => d !== undefined)
      .map((d, k) => d[1] - written.filter((w) => w.at > firstDrawn)[k].at);
    console.log(
      `log line written → shown: median ${fmt(pct(logLat, 50))} ms, p95 ${fmt(pct(logLat, 95))} ms, max ${fmt(Math.max(...logLat))} ms (${logLat.length} of ${written.length} lines, Chromium)`,
    );
    console.log(`metric row written → point drawn (same run): median ${fmt(pct(ptLat, 50))} ms, p95 ${fmt(pct(ptLat, 95))} ms (${ptLat.length} rows)`);
  } finally {
    await browser.close();
    await stopBenchServer(server, tmp);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
