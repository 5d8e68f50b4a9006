import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempDb, type TempDb } from '../db/queries/testing';
import { backends } from '../db/testing/backends';
import { getRunEvidence, getRunSeries } from '../db/queries/runs';
import { parseMetricsCsv } from '../lib/lightning/metrics-csv';
import { discoverBundles, importBundles, showBundle } from './bundles';
import { FIXTURES } from '../fixtures/test-helpers';

const TB = path.join(FIXTURES, 'tensorboard');
const check = (ev: ReturnType<typeof showBundle>, id: string) => ev.checks.find((c) => c.id === id)!;

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rp-tfevents-')));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A run folder laid out as Lightning leaves it: `<dir>/lightning_logs/version_N/events…` */
function copyRun(from: string, to: string, version = 0): void {
  fs.cpSync(path.join(TB, from, 'lightning_logs', 'version_0'), path.join(to, 'lightning_logs', `version_${version}`), { recursive: true });
}

describe('bundles holding only TensorBoard events files', () => {
  it('`runproof show` on a run folder holding lightning_logs/version_0/events… analyses it with its events', () => {
    const dir = path.join(TB, 'basic');
    // nothing but the logger folder marks a bundle here: import finds the logger folder
    expect(discoverBundles([dir]).map((b) => b.dir)).toEqual([path.join(dir, 'lightning_logs', 'version_0')]);
    const ev = showBundle(dir);
    expect(ev.problems).toEqual([]);
    const csv = parseMetricsCsv(fs.readFileSync(path.join(TB, 'basic-csv/lightning_logs/version_0/metrics.csv'), 'utf8'));
    expect(ev.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    expect(ev.epochs.map((e) => e.metrics.val_loss)).toEqual(csv.epochs.map((e) => e.metrics.val_loss));
    expect(ev.monitor).toEqual({ name: 'val_loss', mode: 'min', source: 'validation loss column', assumed: true });
    expect(check(ev, 'metrics')).toEqual({ id: 'metrics', status: 'pass', detail: 'val_loss logged for all 4 epochs' });
    expect(check(ev, 'epochs').status).toBe('skip'); // max_epochs is not in the bundle
    expect(ev.metricColumns).toEqual(['train_loss', 'train_mae_epoch', 'train_mae_step', 'val_loss']);
    const events = ev.files.filter((f) => f.role === 'tfevents');
    expect(events).toHaveLength(1);
    expect(events[0].path).toMatch(/^lightning_logs\/version_0\/events\.out\.tfevents\./);
  });

  it('the logger folder itself is a bundle when imported on its own', () => {
    const dir = path.join(TB, 'slash', 'lightning_logs', 'version_0');
    expect(discoverBundles([dir]).map((b) => b.dir)).toEqual([dir]);
    const ev = showBundle(dir);
    expect(ev.monitor?.name).toBe('val/loss');
    expect(check(ev, 'metrics').status).toBe('pass');
  });

  it('a NaN val loss stays a value the checks see (null in the document)', () => {
    const ev = showBundle(path.join(TB, 'nan'));
    expect(ev.epochs[2].metrics.val_loss).toBeNull();
    expect(ev.epochs[3].metrics.val_loss).toEqual(expect.any(Number));
  });

  it('a record with a bad CRC: reported with its byte offset, and the epoch it held fails the metrics check', () => {
    const dir = path.join(tmp, 'run');
    copyRun('basic', dir);
    const v0 = path.join(dir, 'lightning_logs', 'version_0');
    const good = fs.readdirSync(v0).find((f) => f.startsWith('events.out.tfevents.'))!;
    fs.rmSync(path.join(v0, good));
    fs.copyFileSync(path.join(TB, 'badcrc', 'events.out.tfevents.1700000000.runproof.2.0'), path.join(v0, 'events.out.tfevents.1700000000.runproof.2.0'));
    const ev = showBundle(dir);
    expect(ev.problems).toEqual([
      { file: 'lightning_logs/version_0/events.out.tfevents.1700000000.runproof.2.0', line: null, message: 'record at byte 1755 (30 bytes): data CRC mismatch; record skipped' },
    ]);
    expect(check(ev, 'metrics')).toMatchObject({ status: 'fail', detail: 'val_loss missing for epoch 1' });
  });

  it('a torn events file keeps its whole records and names the cut', () => {
    const dir = path.join(tmp, 'torn');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(TB, 'torn', 'events.out.tfevents.1700000000.runproof.1.0'), path.join(dir, 'events.out.tfevents.1700000000.runproof.1.0'));
    const ev = showBundle(dir);
    expect(ev.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^torn last record at byte 3411: /)]);
    expect(ev.epochs).toHaveLength(4);
    expect(check(ev, 'metrics').status).toBe('pass');
  });

  it('several versions below a run folder: the newest is read and the others named; a metrics.csv of its own wins', () => {
    const dir = path.join(tmp, 'run');
    copyRun('basic', dir, 0);
    copyRun('nan', dir, 1);
    fs.writeFileSync(path.join(dir, 'train.log'), '`Trainer.fit` stopped: `max_epochs=4` reached.\n');
    const bundles = discoverBundles([dir]).map((b) => path.relative(dir, b.dir));
    // version_1 is read by the run folder; version_0 is a run of its own
    expect(bundles).toEqual(['', 'lightning_logs/version_0']);
    const ev = showBundle(dir);
    expect(ev.problems).toEqual([
      { file: 'lightning_logs/version_1', line: null, message: 'TensorBoard events in 2 folders: read lightning_logs/version_1 (the newest version), not lightning_logs/version_0' },
    ]);
    expect(ev.epochs[2].metrics.val_loss).toBeNull(); // the nan run's
    expect(check(ev, 'exit').status).toBe('pass');

    fs.copyFileSync(path.join(TB, 'basic-csv/lightning_logs/version_0/metrics.csv'), path.join(dir, 'metrics.csv'));
    const withCsv = showBundle(dir);
    expect(withCsv.files.some((f) => f.role === 'tfevents')).toBe(false);
    expect(withCsv.epochs[2].metrics.val_loss).toEqual(expect.any(Number));
  });

  it('an events file that links outside the bundle is reported and not read', () => {
    const dir = path.join(tmp, 'run');
    const v0 = path.join(dir, 'lightning_logs', 'version_0');
    fs.mkdirSync(v0, { recursive: true });
    fs.writeFileSync(path.join(dir, 'train.log'), 'GPU available: False, used: False\n');
    const outside = path.join(tmp, 'elsewhere.tfevents');
    fs.copyFileSync(path.join(TB, 'torn', 'events.out.tfevents.1700000000.runproof.1.0'), outside);
    fs.symlinkSync(outside, path.join(v0, 'events.out.tfevents.1.link'));
    const ev = showBundle(dir);
    expect(ev.problems).toEqual([{ file: 'lightning_logs/version_0/events.out.tfevents.1.link', line: null, message: 'symbolic link to a file outside the bundle, not read' }]);
    expect(ev.epochs).toEqual([]);
    expect(check(ev, 'metrics').status).toBe('skip');
  });
});

describe.each(backends())('importing TensorBoard events (%s)', (backend) => {
  let temp: TempDb | null = null;
  afterEach(async () => {
    await temp?.close();
    temp = null;
  });

  it('import stores the series from the events, and a changed events file updates the run', async () => {
    const dir = path.join(tmp, 'run');
    copyRun('basic', dir);
    temp = await openTempDb('rp-tfevents-db-', backend);
    const { db } = temp;
    const first = await importBundles({ db, roots: [dir] });
    expect(first).toMatchObject({ added: 1, failed: 0 });
    const id = first.runs[0].id;
    expect((await getRunEvidence({ db, id }))!.evidence.epochs).toHaveLength(4);
    const series = await getRunSeries({ db, runId: id });
    expect(series.map((s) => s.metric).sort()).toEqual(['train_loss', 'train_mae_epoch', 'train_mae_step', 'val_loss']);
    expect(series.find((s) => s.metric === 'train_loss')!.steps).toHaveLength(16);
    expect(await importBundles({ db, roots: [dir] })).toMatchObject({ added: 0, unchanged: 1 });

    const v0 = path.join(dir, 'lightning_logs', 'version_0');
    const name = fs.readdirSync(v0).find((f) => f.startsWith('events.out.tfevents.'))!;
    const bytes = fs.readFileSync(path.join(v0, name));
    fs.writeFileSync(path.join(v0, name), bytes.subarray(0, bytes.length - 5));
    expect(await importBundles({ db, roots: [dir] })).toMatchObject({ updated: 1 });
    expect((await getRunEvidence({ db, id }))!.evidence.problems[0].message).toMatch(/^torn last record at byte \d+/);
  });
});
