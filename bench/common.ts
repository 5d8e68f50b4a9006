/**
 * What the benches share: the figures' arithmetic and row format, the runs
 * page's cases (bench/bench.ts on SQLite, bench/postgres.ts on PostgreSQL, so
 * both backends answer the same questions), and the evidence read.
 */
import type { Db } from '../db/client';
import { getRunSeriesForChart, listRuns } from '../db/queries/runs';
import { getJudgedRunEvidence } from '../server/plans';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
export const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
export const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Figure │ measured │ baseline │ ratio │ goal, columns padded to line up. */
export function printRows(rows: string[][]): void {
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  │  '));
}

type ListRunsArgs = Parameters<typeof listRuns>[0];

/** Each page kind of the runs page, as the page asks for it; the data the benches fill makes each one hit. */
export function runsPageCases(db: Db): Array<[string, ListRunsArgs]> {
  return [
    ['page 1', { db }],
    ['page 1,000', { db, page: 1000 }],
    ['by duration ↑', { db, sort: 'duration', dir: 'asc' }],
    ['by duration ↓, page 500', { db, sort: 'duration', dir: 'desc', page: 500 }],
    ['by epochs ↓', { db, sort: 'epochs' }],
    ['by best ↑', { db, sort: 'best', dir: 'asc' }],
    ['by verdict (worst first)', { db, sort: 'verdict' }],
    ['by verdict ↓', { db, sort: 'verdict', dir: 'desc' }],
    ['status failed, page 3', { db, status: 'failed', page: 3 }],
    ['verdict fail + initiative', { db, verdict: 'fail', initiative: 'INIT-3' }],
    ['launched only', { db, origin: 'launched' }],
    ['archived only', { db, archived: true }],
    ['search a knob value (¼ of runs)', { db, q: 'gridsize=3' }],
    // A row ID the fill gives (every 10th run links P<i % 400>.<A + i % 8>: P170.C is 1 run in 4,000).
    ['search a plan row ID', { db, q: 'P170.C' }],
    ['search a run id', { db, q: 'run4242' }],
    ['search two words (⅙), sorted', { db, q: 'reference cuda', sort: 'duration' }],
    ['search a word every run has', { db, q: 'runtime_smoke' }],
  ];
}

/**
 * The runs page's cases, median of 7 interleaved rounds, beside `bare` (a
 * bare `SELECT … ORDER BY started_at DESC LIMIT 50`) in the same rounds.
 * Returns the figure's row; prints the per-case detail line.
 */
export async function measureRunsPage(db: Db, runs: number, label: string, bare: () => Promise<unknown>): Promise<string[]> {
  const cases = runsPageCases(db);
  const times = new Map<string, number[]>(cases.map(([k]) => [k, []]));
  const bareMs: number[] = [];
  for (let r = 0; r < 7; r++) {
    for (const [k, args] of cases) {
      const t = performance.now();
      const res = await listRuns(args);
      times.get(k)!.push(performance.now() - t);
      if (r === 0 && k === 'page 1' && (res.rows.length !== 50 || res.total < runs * 0.98)) throw new Error(`runs page bench: ${res.rows.length} rows of ${res.total}`);
      if (r === 0 && res.total === 0) throw new Error(`runs page bench: "${k}" matched no run`);
    }
    const t = performance.now();
    await bare();
    bareMs.push(performance.now() - t);
  }
  const med = cases.map(([k]) => [k, median(times.get(k)!)] as const);
  // The goal is for a page; a search for a word that every run has is reported beside it (its count reads every match).
  const goalCases = med.filter(([k]) => !k.includes('every run has'));
  const worst = goalCases.reduce((a, b) => (b[1] > a[1] ? b : a));
  const everyRun = med.find(([k]) => k.includes('every run has'))!;
  const all = med.map(([, v]) => v);
  const bareMed = median(bareMs);
  console.log(`${label}: ms per page (rows + total), median of 7: ${med.map(([k, v]) => `${k} ${fmt(v, 1)}`).join('; ')}\n`);
  return [
    `${label}`,
    `${fmt(median(all), 1)} ms median of ${cases.length} page kinds, slowest ${fmt(worst[1], 1)} ms (${worst[0]}); a word every run has ${fmt(everyRun[1], 1)} ms`,
    `bare SELECT … LIMIT 50: ${fmt(bareMed, 2)} ms`,
    `${fmt(median(all) / bareMed, 1)}× bare`,
    `< 100 ms — ${verdict(worst[1] < 100)}`,
  ];
}

/** What the evidence page and GET /api/runs/<id> read for a run: its judged evidence document and its chart series. */
export async function readEvidence(db: Db, runId: string): Promise<number> {
  const found = await getJudgedRunEvidence({ db, id: runId });
  if (!found) throw new Error(`evidence bench: no run ${runId}`);
  const series = await getRunSeriesForChart({ db, runId });
  return series.reduce((a, s) => a + s.points, 0);
}

/**
 * The evidence read of a run with `points` points, p95 and median of
 * `rounds`, beside `bare` (the database reading that run's points by index,
 * nothing moved to JS) in the same rounds.
 */
export async function measureEvidence(db: Db, runId: string, points: number, label: string, bare: () => Promise<unknown>, rounds = 30): Promise<string[]> {
  const got = await readEvidence(db, runId); // warm
  if (got < points * 0.99) throw new Error(`evidence bench: the run has ${got} points, not ${points}`);
  await bare();
  const readMs: number[] = [];
  const bareMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await readEvidence(db, runId);
    readMs.push(performance.now() - t);
    t = performance.now();
    await bare();
    bareMs.push(performance.now() - t);
  }
  const p95 = pct(readMs, 95);
  return [
    label,
    `p95 ${fmt(p95, 1)} ms, median ${fmt(median(readMs), 1)} ms (${rounds} reads: evidence + chart series)`,
    `bare count of its points by index: p95 ${fmt(pct(bareMs, 95), 1)} ms`,
    `${fmt(p95 / pct(bareMs, 95), 2)}× bare`,
    `p95 < 150 ms — ${verdict(p95 < 150)}`,
  ];
}
