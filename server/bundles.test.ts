import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../db/client';
import { getRunEvidence, getRunSeries, listRuns } from '../db/queries/runs';
import { discoverBundles, importBundles, showBundle } from './bundles';
import { PTYCHO, RUNTIME_SMOKE } from '../fixtures/test-helpers';

let tmp: string;
let dbFile: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-import-'));
  dbFile = path.join(tmp, 'runproof.db');
});
afterEach(() => {
  closeDb(dbFile);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('runproof import', () => {
  it('imports every bundle of the PtychoPINN tree, crashes on none, and a second import adds nothing', () => {
    const db = openDb(dbFile);
    const lines: string[] = [];
    const first = importBundles({ db, roots: [PTYCHO], onProgress: (l) => lines.push(l) });
    const bundles = discoverBundles([PTYCHO]);
    expect(bundles.length).toBeGreaterThanOrEqual(14);
    expect(first.added).toBe(bundles.length);
    expect(first.runs.every((r) => r.action === 'added')).toBe(true);
    expect(lines).toHaveLength(bundles.length);
    expect(lines[0]).toMatch(/^\[1\/\d+\] added/);
    // folders with several logs become one run per log
    expect(first.runs.filter((r) => r.dir.endsWith('pytorch_cli_smoke_training')).map((r) => r.logFile).sort()).toEqual(['train.log', 'train_clean.log', 'train_cuda_default.log']);

    const second = importBundles({ db, roots: [PTYCHO] });
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: bundles.length });
    expect(listRuns({ db }).total).toBe(bundles.length);
  });

  it('stores the evidence document, per-step series and summary columns', () => {
    const db = openDb(dbFile);
    const r = importBundles({ db, roots: [RUNTIME_SMOKE] });
    const id = r.runs[0].id;
    const stored = getRunEvidence({ db, id })!;
    expect(stored.evidence).toEqual(showBundle(RUNTIME_SMOKE));
    expect(stored.run).toMatchObject({ status: 'succeeded', epochsRun: 6, maxEpochs: 6, monitor: 'poisson_val_loss', bestEpoch: 5, checksFail: 1, acceleratorResolved: 'cpu', initiative: 'ADR-003-BACKEND-API', durationMs: 14750 });
    expect(stored.run.startedAt).toBe(Date.UTC(2025, 9, 24, 6, 15, 0));
    const series = getRunSeries({ db, runId: id });
    const step = series.find((s) => s.metric === 'poisson_train_loss_step')!;
    expect(step.steps.length).toBe(96);
    expect(step.values[0]).toBeCloseTo(60269.254, 3);
  });

  it('updates a changed bundle, and reports a bad file with path and line while keeping the rest', () => {
    const bundle = path.join(tmp, 'plans', 'active', 'DEMO', 'reports', '2026-01-01T000000Z', 'smoke');
    fs.mkdirSync(bundle, { recursive: true });
    for (const f of ['metrics.csv', 'train_cli_runtime_smoke.log', 'checkpoints_ls.txt', 'summary.md']) fs.copyFileSync(path.join(RUNTIME_SMOKE, f), path.join(bundle, f));
    const db = openDb(dbFile);
    expect(importBundles({ db, roots: [tmp] }).added).toBe(1);

    // Damage metrics.csv: a junk record in the middle and a truncated last line.
    const csv = fs.readFileSync(path.join(bundle, 'metrics.csv'), 'utf8').split('\r\n');
    csv.splice(10, 0, 'garbage,,,');
    fs.writeFileSync(path.join(bundle, 'metrics.csv'), csv.join('\r\n').replace(/\r\n$/, '') + '\r\n5,0.001,0.');
    const again = importBundles({ db, roots: [tmp] });
    expect(again).toMatchObject({ added: 0, updated: 1, unchanged: 0 });
    const p = again.problems.find((x) => x.file.endsWith('metrics.csv') && x.line === 11);
    expect(p, JSON.stringify(again.problems)).toBeTruthy();
    const ev = getRunEvidence({ db, id: again.runs[0].id })!.evidence;
    expect(ev.epochs).toHaveLength(6); // nothing else lost
    expect(ev.checks.find((c) => c.id === 'checkpoints')!.status).toBe('fail');
  });

  it('reports an unreadable log as a problem with its path, and goes on', () => {
    const good = path.join(tmp, 'a');
    const bad = path.join(tmp, 'b');
    fs.mkdirSync(good);
    fs.mkdirSync(bad);
    fs.copyFileSync(path.join(RUNTIME_SMOKE, 'train_cli_runtime_smoke.log'), path.join(good, 'train.log'));
    fs.writeFileSync(path.join(bad, 'train.log'), Buffer.from([0x47, 0x50, 0x55, 0x0a, 0xff, 0xfe, 0x00, 0x0a]));
    const db = openDb(dbFile);
    const r = importBundles({ db, roots: [tmp] });
    expect(r.added).toBe(2);
    expect(r.problems).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/b\/train\.log$/), line: 2, message: expect.stringContaining('invalid UTF-8') }));
  });
});

describe('listing runs', () => {
  it('filters, searches and pages in SQL', () => {
    const db = openDb(dbFile);
    importBundles({ db, roots: [PTYCHO] });
    const all = listRuns({ db, pageSize: 5 });
    expect(all.rows).toHaveLength(5);
    const page2 = listRuns({ db, pageSize: 5, page: 2 });
    expect(page2.rows[0].id).not.toBe(all.rows[0].id);
    expect(listRuns({ db, status: 'failed' }).rows.every((r) => r.status === 'failed')).toBe(true);
    expect(listRuns({ db, verdict: 'failing' }).rows.every((r) => r.checksFail > 0)).toBe(true);
    const hit = listRuns({ db, q: 'runtime_smoke' });
    expect(hit.total).toBe(1);
    expect(listRuns({ db, q: '100%_' }).total).toBe(0);
    expect(listRuns({ db, initiative: 'ADR-003-BACKEND-API' }).rows.every((r) => r.initiative === 'ADR-003-BACKEND-API')).toBe(true);
  });
});
