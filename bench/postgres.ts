/**
 * `npm run bench`, PostgreSQL (issue 12, Benchmarks): each figure beside a
 * baseline from the same run, on the server RUNPROOF_BENCH_DATABASE_URL (or
 * RUNPROOF_TEST_DATABASE_URL) names, in databases of its own (the role must
 * be allowed CREATE DATABASE):
 *
 *  1. claim latency, enqueue committed → claimed, p95 with 8 claimers woken
 *     by LISTEN/NOTIFY (no polling) — goal ≤ 50 ms; beside the same claimers
 *     polling every 250 ms, as on SQLite;
 *  2. throughput of 1,000 queued runs claimed and settled by 8 claimers
 *     through the real queries, beside a bare `UPDATE … WHERE id = (SELECT …
 *     FOR UPDATE SKIP LOCKED LIMIT 1)` loop over the same 1,000 rows;
 *  3. the evidence read of a 1,000,000-point run in a 10,000,000-point
 *     database — goal p95 < 150 ms; beside a bare count of its points;
 *  4. the runs page's cases of bench/bench.ts at 100,000 runs — goal
 *     < 100 ms; beside a bare `SELECT … ORDER BY started_at DESC LIMIT 50`.
 *
 * The claimers are 8 pools (one Db each) in this process, not 8 hosts: the
 * latency is the database's and the wake-up's, not a network's. The data of
 * 3 and 4 is filled by the server (INSERT … SELECT generate_series), not row
 * by row from Node; BENCH_PG_KEEP=1 keeps that database (runproof_bench)
 * filled between runs.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { closeDb, type Db, getEnvRoot, openDb } from '../db/client';
import { claimNextRun, finishLaunchedRun, QUEUE_CHANNEL } from '../db/queries/launches';
import { saveRun } from '../db/queries/runs';
import { enqueueTestRun } from '../db/queries/testing';
import { admin, createTestDatabase, dropTestDatabase } from '../db/testing/postgres';
import { analyseBundle } from '../lib/evidence/analyse';
import type { Evidence } from '../lib/evidence/types';
import { toJsonText } from '../lib/json-text';
import type { ChartPairs } from '../lib/series/chart-data';
import { downsampleMinMax } from '../lib/series/downsample';
import { showBundle } from '../server/bundles';
import { fmt, measureEvidence, measureRunsPage, median, pct, printRows, sleep, verdict } from './common';

const SERVER = process.env.RUNPROOF_BENCH_DATABASE_URL || process.env.RUNPROOF_TEST_DATABASE_URL;
const KEEP = process.env.BENCH_PG_KEEP === '1';
const CLAIMERS = 8;
const LATENCY_RUNS = Number(process.env.BENCH_PG_LATENCY_RUNS ?? 200);
const THROUGHPUT_RUNS = Number(process.env.BENCH_PG_THROUGHPUT_RUNS ?? 1000);
const RUN_POINTS = Number(process.env.BENCH_PG_RUN_POINTS ?? 1_000_000);
const DB_POINTS = Number(process.env.BENCH_PG_DB_POINTS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const POLL_MS = 250;
const LEASE_MS = 10 * 60_000;
const FIXTURE = path.resolve('fixtures/ptychopinn/plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/runtime_smoke/2025-10-24T061500Z');

function withDatabase(url: string, name: string, appName?: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  if (appName) u.searchParams.set('application_name', appName);
  return u.toString();
}

/** `n` Dbs on one database, each its own pool and listening connection (openDb caches per URL: the application_name tells them apart). */
async function openClaimers(url: string, n: number, name: string): Promise<{ dbs: Db[]; close: () => Promise<void> }> {
  const db0 = new URL(url).pathname.slice(1);
  const urls = Array.from({ length: n }, (_, i) => withDatabase(url, db0, `${name}${i}`));
  const dbs = await Promise.all(urls.map((u) => openDb(u)));
  return { dbs, close: async () => void (await Promise.all(urls.map((u) => closeDb(u)))) };
}

// ---------------------------------------------------------------- 1. claim latency

/**
 * `runs` runs enqueued one at a time, every 10–20 ms, while CLAIMERS loops
 * claim: woken by NOTIFY (`pollMs` null) or polling every pollMs. Returns
 * each run's claim time minus its enqueue's commit (the enqueue's await
 * returning), in ms.
 */
async function claimLatency(url: string, runs: number, pollMs: number | null, tag: string): Promise<number[]> {
  const { dbs, close } = await openClaimers(url, CLAIMERS, `bench-${tag}-`);
  const producer = await openDb(withDatabase(url, new URL(url).pathname.slice(1), `bench-${tag}-producer`));
  const committed = new Map<string, number>();
  const claimed = new Map<string, number>();
  let done = false;
  const wakes: Array<() => void> = [];
  const loops = dbs.map(async (db, w) => {
    let pending = true;
    let wake: (() => void) | null = null;
    wakes[w] = () => {
      pending = true;
      wake?.();
    };
    const unlisten = pollMs === null ? await db.listen(QUEUE_CHANNEL, () => wakes[w]()) : null;
    if (pollMs !== null) await sleep(Math.random() * pollMs); // claimers started at different moments
    while (!done) {
      if (pollMs === null && !pending) await new Promise<void>((r) => (wake = r));
      wake = null;
      pending = false;
      for (;;) {
        const id = await claimNextRun({ db, workerId: `${tag}-w${w}`, token: crypto.randomUUID(), leaseMs: LEASE_MS });
        if (!id) break;
        if (claimed.has(id)) throw new Error(`claim bench: ${id} claimed twice`);
        claimed.set(id, performance.now());
      }
      if (pollMs !== null && !done) await sleep(pollMs);
    }
    await unlisten?.();
  });
  const listening = sleep(200); // every claimer LISTENs before the first enqueue
  await listening;
  for (let i = 0; i < runs; i++) {
    const id = `${tag}-${String(i).padStart(4, '0')}`;
    await enqueueTestRun(producer, id, Date.now());
    committed.set(id, performance.now());
    await sleep(10 + Math.random() * 10);
  }
  const end = Date.now() + 10_000 + (pollMs ?? 0);
  while (claimed.size < runs && Date.now() < end) await sleep(20);
  done = true;
  for (const w of wakes) w();
  await Promise.all(loops);
  await close();
  await closeDb(withDatabase(url, new URL(url).pathname.slice(1), `bench-${tag}-producer`));
  if (claimed.size !== runs) throw new Error(`claim bench (${tag}): ${claimed.size} of ${runs} runs claimed`);
  return [...committed].map(([id, at]) => claimed.get(id)! - at);
}

// ---------------------------------------------------------------- 2. throughput

/** 1,000 queued runs: a bare SKIP LOCKED loop over them (then put back), then the real claim + settle across CLAIMERS pools. */
async function throughput(url: string, runs: number): Promise<{ realMs: number; bareMs: number; claimMs: number[]; settleMs: number[] }> {
  const { dbs, close } = await openClaimers(url, CLAIMERS, 'bench-tp-');
  // Enqueued CLAIMERS at a time, through the real enqueue.
  for (let i = 0; i < runs; i += CLAIMERS) await Promise.all(dbs.map((db, k) => (i + k < runs ? enqueueTestRun(db, `tp-${String(i + k).padStart(5, '0')}`, Date.now() + i + k) : null)));

  // The bare loop: one UPDATE per run, each its own transaction, CLAIMERS connections.
  const clients = await Promise.all(
    Array.from({ length: CLAIMERS }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  let bareClaimed = 0;
  let t0 = performance.now();
  await Promise.all(
    clients.map(async (c, w) => {
      for (;;) {
        const r = await c.query(
          `UPDATE runs SET status = 'running', worker_id = $1 WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id`,
          [`bare-${w}`],
        );
        if (!r.rowCount) break;
        bareClaimed++;
      }
    }),
  );
  const bareMs = performance.now() - t0;
  await clients[0].query(`UPDATE runs SET status = 'queued', worker_id = NULL WHERE id LIKE 'tp-%'`);
  await Promise.all(clients.map((c) => c.end()));
  if (bareClaimed !== runs) throw new Error(`throughput bench: the bare loop took ${bareClaimed} of ${runs}`);

  // The real thing: claim (run + launch row), then settle with final evidence (saveRun, launch row, lease cleared, live log dropped).
  const final = new Map<string, Evidence>();
  for (let i = 0; i < runs; i++) {
    const id = `tp-${String(i).padStart(5, '0')}`;
    final.set(id, analyseBundle([], { root: `/b/${id}`, title: id, launch: { exitCode: 0, signal: null, cleanedUp: true, status: 'succeeded' } }));
  }
  const seen = new Set<string>();
  const claimMs: number[] = [];
  const settleMs: number[] = [];
  t0 = performance.now();
  await Promise.all(
    dbs.map(async (db, w) => {
      for (;;) {
        const token = crypto.randomUUID();
        const tc = performance.now();
        const id = await claimNextRun({ db, workerId: `tp-w${w}`, token, leaseMs: LEASE_MS });
        if (!id) break;
        const ts = performance.now();
        claimMs.push(ts - tc);
        if (seen.has(id)) throw new Error(`throughput bench: ${id} claimed twice`);
        seen.add(id);
        const now = Date.now();
        const ok = await finishLaunchedRun({
          db,
          id,
          token,
          sourceKey: `/b/${id}`,
          profile: 'reference',
          bundleDir: `/b/${id}`,
          contentHash: '',
          evidence: final.get(id)!,
          series: [],
          startedAt: now,
          endedAt: now,
          exitCode: 0,
          signal: null,
          error: null,
        });
        if (!ok) throw new Error(`throughput bench: ${id} lost its lease`);
        settleMs.push(performance.now() - ts);
      }
    }),
  );
  const realMs = performance.now() - t0;
  const settled = await dbs[0].get<{ n: number }>(sql`SELECT count(*) AS n FROM runs WHERE id LIKE 'tp-%' AND status = 'succeeded' AND lease_token IS NULL`);
  await close();
  if (seen.size !== runs || Number(settled?.n) !== runs) throw new Error(`throughput bench: ${seen.size} claimed, ${settled?.n} settled of ${runs}`);
  return { realMs, bareMs, claimMs, settleMs };
}

// ---------------------------------------------------------------- 3, 4. the filled database

const loss = (g: number) => 2 / (1 + g / 5000) + ((g * 7919) % 1000) / 20000;
const lossSql = (g: string) => `2.0 / (1 + ${g} / 5000.0) + ((${g} * 7919) % 1000) / 20000.0`;

/**
 * The evidence run (ev-target: the fixture's evidence, a train_loss_step
 * series of RUN_POINTS − 1,000 points and a val_loss of 1,000, charts as the
 * writer stores them) and the other runs' points up to DB_POINTS. The points
 * are written by the server, the primary key built after them.
 */
async function fillEvidence(db: Db, c: pg.Client): Promise<{ runId: string; seriesId: number; ms: number }> {
  const have = await c.query<{ id: number; points: number }>(`SELECT id, points FROM series WHERE run_id = 'ev-target' AND metric = 'train_loss_step'`);
  if (have.rowCount && Number((await c.query('SELECT count(*) AS n FROM points')).rows[0].n) >= DB_POINTS) return { runId: 'ev-target', seriesId: Number(have.rows[0].id), ms: 0 };
  const t0 = performance.now();
  const stepN = RUN_POINTS - 1000;
  const steps = new Float64Array(stepN);
  const values = new Float64Array(stepN);
  for (let g = 0; g < stepN; g++) {
    steps[g] = g;
    values[g] = loss(g);
  }
  const vSteps = Array.from({ length: 1000 }, (_, k) => (k + 1) * 1000 - 1);
  const chart = (xs: ArrayLike<number>, ys: ArrayLike<number>) => toJsonText<ChartPairs>(Array.from(downsampleMinMax(xs, ys, 2000), (k) => [xs[k], ys[k]]));
  await saveRun({ db, id: 'ev-target', sourceKey: 'ev-target', origin: 'imported', bundleDir: FIXTURE, contentHash: 'x', evidence: showBundle(FIXTURE), series: [], startedAt: 0 });
  const s = db.t.series;
  const [train] = await db.orm
    .insert(s)
    .values({ runId: 'ev-target', metric: 'train_loss_step', points: stepN, chartJson: chart(steps, values) })
    .returning({ id: s.id });
  const [val] = await db.orm
    .insert(s)
    .values({
      runId: 'ev-target',
      metric: 'val_loss',
      points: 1000,
      chartJson: chart(
        vSteps,
        vSteps.map((g) => 1.1 * loss(g)),
      ),
    })
    .returning({ id: s.id });
  await c.query("SET maintenance_work_mem = '512MB'");
  await c.query('SET synchronous_commit = off');
  await c.query('BEGIN');
  try {
    // Other runs' points (series ids past any real one: points has no foreign key), from an earlier fill, go with it.
    await c.query('DELETE FROM points WHERE series_id >= 1000000000');
    const other = Number((await c.query('SELECT count(*) AS n FROM points')).rows[0].n);
    await c.query('ALTER TABLE points DROP CONSTRAINT points_series_id_seq_pk');
    await c.query(`INSERT INTO points (series_id, seq, step, epoch, value) SELECT $1, g, g, g / 1000, ${lossSql('g')} FROM generate_series(0::bigint, $2::bigint - 1) g`, [train.id, stepN]);
    await c.query(`INSERT INTO points (series_id, seq, step, epoch, value) SELECT $1, k, (k + 1) * 1000 - 1, k, 1.1 * (${lossSql('((k + 1) * 1000 - 1)')}) FROM generate_series(0::bigint, 999) k`, [
      val.id,
    ]);
    await c.query(
      'INSERT INTO points (series_id, seq, step, epoch, value) SELECT 1000000000 + g / 1000000, g % 1000000, g % 1000000, (g % 1000000) / 1000, 1.0 / (1 + g % 1000) FROM generate_series(0::bigint, $1::bigint - 1) g',
      [Math.max(0, DB_POINTS - other - RUN_POINTS)],
    );
    await c.query('ALTER TABLE points ADD CONSTRAINT points_series_id_seq_pk PRIMARY KEY (series_id, seq)');
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  }
  await c.query('VACUUM ANALYZE points');
  await c.query('VACUUM ANALYZE series');
  return { runId: 'ev-target', seriesId: Number(train.id), ms: performance.now() - t0 };
}

/** RUNS copies of the fixture run, varied as bench/bench.ts varies them, written by the server in one transaction. */
async function fillRuns(db: Db, c: pg.Client): Promise<number> {
  const have = Number((await c.query(`SELECT count(*) AS n FROM runs WHERE id ~ '^run[0-9]+$'`)).rows[0].n);
  if (have >= RUNS) return 0;
  const t0 = performance.now();
  await saveRun({ db, id: 'seed', sourceKey: 'seed', origin: 'imported', bundleDir: FIXTURE, contentHash: 'x', evidence: showBundle(FIXTURE), series: [], startedAt: 0 });
  await c.query('BEGIN');
  try {
    await c.query(
      `INSERT INTO runs (id, source_key, origin, status, profile, title, bundle_dir, log_file, initiative, phase, started_at, ended_at, duration_ms, epochs_run, max_epochs, monitor, best_value, best_epoch, accelerator_requested, accelerator_resolved, checks_pass, checks_fail, checks_warn, checks_skip, content_hash, evidence_json, created_at, updated_at, verdict, name, archived_at)
     SELECT 'run' || i, 'run' || i,
       CASE WHEN i % 3 = 0 THEN 'launched' ELSE 'imported' END,
       CASE WHEN i % 7 = 0 THEN 'failed' ELSE 'succeeded' END,
       CASE WHEN i % 3 = 0 THEN 'reference' END,
       s.title || ' run' || i, s.bundle_dir || '/run' || i, s.log_file, 'INIT-' || (i % 13), s.phase,
       CASE WHEN i % 97 <> 0 THEN 1700000000000 + i * 60000 END, s.ended_at,
       CASE WHEN i % 11 <> 0 THEN 1000 + (i * 7919) % 900000 END,
       1 + i % 50, s.max_epochs, s.monitor,
       CASE WHEN i % 13 <> 0 THEN ((i * 104729) % 10000) / 1000.0 END, s.best_epoch, s.accelerator_requested,
       CASE WHEN i % 2 = 1 THEN 'cpu' ELSE 'cuda' END,
       s.checks_pass, CASE WHEN i % 5 = 0 THEN 1 ELSE 0 END, s.checks_warn, s.checks_skip, s.content_hash, s.evidence_json, s.created_at, s.updated_at,
       CASE WHEN i % 7 = 0 OR i % 5 = 0 THEN 'fail' WHEN i % 17 = 0 THEN 'incomplete' ELSE 'pass' END,
       CASE WHEN i % 3 = 0 THEN 'reference · gridsize ' || (1 + i % 4) || ' · max_epochs ' || (1 + i % 50) END,
       CASE WHEN i % 100 = 0 THEN 1700000000000 END
     FROM generate_series(0::bigint, $1::bigint - 1) i, runs s WHERE s.id = 'seed'`,
      [RUNS],
    );
    await c.query(`INSERT INTO run_search (run_id) SELECT 'run' || i FROM generate_series(0::bigint, $1::bigint - 1) i ORDER BY i`, [RUNS]);
    // Each copy's search line says what its row says (as bench/bench.ts writes it): its id, name, accelerator, gridsize.
    await c.query(
      `INSERT INTO run_search_text (id, text)
     SELECT rs.id, replace(replace(replace(s.text, ' gridsize=3', ''), 'gridsize=2', 'gridsize=' || (1 + rs.i % 4)), ' cpu ', ' ' || CASE WHEN rs.i % 2 = 1 THEN 'cpu' ELSE 'cuda' END || ' ')
       || ' ' || rs.run_id || CASE WHEN rs.i % 3 = 0 THEN ' launched reference reference · gridsize ' || (1 + rs.i % 4) || ' · max_epochs ' || (1 + rs.i % 50) ELSE '' END
     FROM (SELECT id, run_id, substr(run_id, 4)::bigint AS i FROM run_search WHERE run_id ~ '^run[0-9]+$') rs,
          (SELECT text FROM run_search_text WHERE id = (SELECT id FROM run_search WHERE run_id = 'seed')) s`,
    );
    await c.query(
      `INSERT INTO run_plan_rows (run_id, plan_path, plan_display, row_id, source)
     SELECT 'run' || i, '/plans/p.md', 'p.md', 'P' || (i % 400) || '.' || chr(65 + (i % 8)::int), 'summary' FROM generate_series(0::bigint, $1::bigint - 1) i WHERE i % 10 = 0`,
      [RUNS],
    );
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  }
  for (const t of ['runs', 'run_search', 'run_search_text', 'run_plan_rows']) await c.query(`VACUUM ANALYZE ${t}`);
  return performance.now() - t0;
}

/**
 * The share of `table`'s pages VACUUM marked all-visible: counts by index
 * (the runs page's totals, the bare count) read only the index when it is
 * near 1. A transaction open elsewhere on the server while the fill's VACUUM
 * ran holds it down; said beside the figure when it is.
 */
async function visibility(c: pg.Client, table: string): Promise<string> {
  await c.query(`VACUUM ${table}`);
  const r = (await c.query('SELECT relallvisible AS v, relpages AS p FROM pg_class WHERE relname = $1', [table])).rows[0];
  const share = Number(r.p) ? Number(r.v) / Number(r.p) : 1;
  return share < 0.9 ? `; only ${fmt(share * 100)} % of ${table} all-visible: a transaction elsewhere held VACUUM back` : '';
}

// ----------------------------------------------------------------

async function main() {
  if (!SERVER) {
    console.log('PostgreSQL bench skipped: set RUNPROOF_BENCH_DATABASE_URL (a PostgreSQL server where the role may CREATE DATABASE)');
    return;
  }
  const version = await admin(SERVER, async (c) => (await c.query('SHOW server_version')).rows[0].server_version as string);
  console.log(`Runproof PostgreSQL bench — ${os.cpus().length} cores, Node ${process.version}, PostgreSQL ${version}, ${CLAIMERS} claimers (pools in this process)\n`);
  const root = getEnvRoot();
  const rows: string[][] = [];

  // The queue: a fresh database each run.
  const queueUrl = await createTestDatabase(SERVER, root);
  try {
    const listen = await claimLatency(queueUrl, LATENCY_RUNS, null, 'listen');
    const poll = await claimLatency(queueUrl, LATENCY_RUNS, POLL_MS, 'poll');
    const p95 = pct(listen, 95);
    rows.push([
      `claim latency, ${CLAIMERS} claimers (LISTEN/NOTIFY)`,
      `p95 ${fmt(p95, 1)} ms, median ${fmt(median(listen), 1)} ms, max ${fmt(Math.max(...listen), 1)} ms (${listen.length} runs enqueued every 10–20 ms)`,
      `polling every ${POLL_MS} ms: p95 ${fmt(pct(poll, 95), 1)} ms, median ${fmt(median(poll), 1)} ms`,
      `${fmt(pct(poll, 95) / p95, 1)}× faster`,
      `p95 ≤ 50 ms — ${verdict(p95 <= 50)}`,
    ]);
    const { realMs, bareMs, claimMs, settleMs } = await throughput(queueUrl, THROUGHPUT_RUNS);
    const real = THROUGHPUT_RUNS / (realMs / 1000);
    const bare = THROUGHPUT_RUNS / (bareMs / 1000);
    rows.push([
      `throughput, ${fmt(THROUGHPUT_RUNS)} queued runs, ${CLAIMERS} claimers`,
      `${fmt(real)} runs/s claimed + settled (${fmt(realMs)} ms; per run, ${CLAIMERS} at a time: claimNextRun median ${fmt(median(claimMs), 1)} ms, finishLaunchedRun ${fmt(median(settleMs), 1)} ms)`,
      `bare UPDATE … SKIP LOCKED loop: ${fmt(bare)} runs/s (${fmt(bareMs)} ms)`,
      `${fmt(real / bare, 2)}× bare`,
      'no goal set (beside the bare loop)',
    ]);
  } finally {
    await dropTestDatabase(SERVER, queueUrl);
  }

  // The filled database: kept between runs with BENCH_PG_KEEP=1.
  let dataUrl: string;
  if (KEEP) {
    dataUrl = withDatabase(SERVER, 'runproof_bench');
    await admin(SERVER, async (c) => {
      if (!(await c.query(`SELECT 1 FROM pg_database WHERE datname = 'runproof_bench'`)).rowCount) await c.query('CREATE DATABASE runproof_bench');
    });
  } else dataUrl = await createTestDatabase(SERVER, root);
  const c = new pg.Client({ connectionString: dataUrl });
  try {
    const db = await openDb(dataUrl);
    await c.connect();
    const ev = await fillEvidence(db, c);
    const totalPoints = Number((await c.query('SELECT count(*) AS n FROM points')).rows[0].n);
    const pointsNote = await visibility(c, 'points');
    const bareCount = async () => {
      await c.query('SELECT count(*) FROM points WHERE series_id = $1', [ev.seriesId]);
    };
    rows.push(
      await measureEvidence(
        db,
        ev.runId,
        RUN_POINTS,
        `evidence read, ${fmt(RUN_POINTS)}-point run in a ${fmt(totalPoints)}-point DB (PostgreSQL, ${ev.ms ? `filled in ${fmt(ev.ms / 1000, 1)} s` : 'kept'}${pointsNote})`,
        bareCount,
      ),
    );
    const runsMs = await fillRuns(db, c);
    const runsNote = await visibility(c, 'runs');
    rows.push(
      await measureRunsPage(db, RUNS, `runs page query, ${fmt(RUNS)} runs (PostgreSQL, ${runsMs ? `filled in ${fmt(runsMs / 1000, 1)} s` : 'kept'}${runsNote})`, () =>
        c.query('SELECT id, status, title, started_at FROM runs ORDER BY started_at DESC LIMIT 50'),
      ),
    );
  } finally {
    await c.end().catch(() => {});
    await closeDb(dataUrl);
    if (!KEEP) await dropTestDatabase(SERVER, dataUrl);
  }
  printRows(rows);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
