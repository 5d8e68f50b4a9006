/**
 * The analysis over real Lightning 2.6.6 runs (fixtures/lightning-logs, written by its make.py):
 * how each ending, metrics.csv shape and log-only bundle is judged. Files are read the way the
 * importer hands them over (path, size, text).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseBundle, type InputFile } from './analyse';
import type { Evidence } from './types';
import { FIXTURES } from '../../fixtures/test-helpers';

const REAL = path.join(FIXTURES, 'lightning-logs');

function bundle(name: string, opts: { csv?: boolean; checkpoints?: boolean; command?: string } = {}): Evidence {
  const dir = path.join(REAL, name);
  const files: InputFile[] = [];
  const add = (rel: string) => {
    const text = fs.readFileSync(path.join(dir, rel), 'utf8');
    files.push({ path: rel, sizeBytes: Buffer.byteLength(text), text });
  };
  add('train.log');
  if (opts.csv ?? true) add('lightning_logs/version_0/metrics.csv');
  if (opts.checkpoints) {
    const ck = path.join(dir, 'lightning_logs/version_0/checkpoints');
    for (const f of fs.readdirSync(ck).sort()) files.push({ path: `lightning_logs/version_0/checkpoints/${f}`, sizeBytes: 0, text: null });
  }
  if (opts.command) files.push({ path: 'command.txt', sizeBytes: opts.command.length, text: opts.command });
  return analyseBundle(files, { root: dir });
}
const byId = (ev: Evidence, id: string) => ev.checks.find((c) => c.id === id)!;

describe('analysis of real Lightning 2.6.6 runs', () => {
  it('passes exit on a run EarlyStopping ended (verbose), and on a quiet one the replay shows stopping at the last epoch', () => {
    const verbose = bundle('es_patience_verbose');
    expect(verbose.stop.reason).toBe('early_stopping');
    expect(byId(verbose, 'exit')).toMatchObject({ status: 'pass' });
    expect(byId(verbose, 'exit').detail).toMatch(/^Monitored metric val_loss did not improve in the last 3 records/);
    expect(verbose.status).toBe('succeeded');

    const quiet = bundle('es_patience_quiet', { command: 'python train.py --max_epochs 20 --monitor val_loss --patience 3' });
    expect(quiet.stop.reason).toBe('early_stopping');
    expect(byId(quiet, 'exit').status).toBe('pass');
    expect(byId(quiet, 'exit').detail).toMatch(/prints no end line/);
    expect(byId(quiet, 'epochs')).toMatchObject({ status: 'pass' });
    // without the patience the bundle cannot show EarlyStopping, nor that the log was cut: it warns, saying what would settle it
    expect(byId(bundle('es_patience_quiet'), 'exit')).toMatchObject({ status: 'warn', detail: expect.stringContaining('runproof.json or the EarlyStopping settings would settle it') });
  });

  it('counts an early stop in the last epoch as early stopping, with max_epochs from the limit line', () => {
    const ev = bundle('es_last_epoch');
    expect(ev.stop.reason).toBe('early_stopping');
    expect(byId(ev, 'epochs')).toMatchObject({ status: 'pass', detail: '5 of max_epochs=5' });
  });

  it('passes exit on a threshold stop EarlyStopping reported', () => {
    const ev = bundle('es_stopping_threshold', { command: 'python train.py --max_epochs 20 --monitor val_loss --patience 3' });
    expect(ev.stop).toEqual({ reason: 'early_stopping', message: 'Stopping threshold reached: val_loss = 0.44999998807907104 < 0.5. Signaling Trainer to stop.' });
    expect(byId(ev, 'exit').status).toBe('pass');
    expect(byId(ev, 'epochs').status).toBe('pass');
  });

  it('fails exit on the first exception of the chain, not the KeyboardInterrupt', () => {
    const ev = bundle('crash_chained');
    expect(ev.status).toBe('failed');
    expect(byId(ev, 'exit')).toMatchObject({ status: 'fail', detail: 'ZeroDivisionError: division by zero (train.log:11)' });
  });

  it('fails exit on a SIGTERM that exited 0, and judges the epochs before it as interrupted', () => {
    const ev = bundle('sigterm');
    expect(ev.stop).toEqual({ reason: 'killed', message: 'Received SIGTERM: 15' });
    expect(byId(ev, 'exit')).toMatchObject({ status: 'fail', detail: 'killed: Received SIGTERM: 15 (train.log:7)' });
    expect(byId(ev, 'metrics').status).toBe('pass');
    expect(byId(ev, 'epochs')).toMatchObject({ status: 'skip' });
    expect(byId(ev, 'epochs').detail).toContain('killed before it could finish');
  });

  it('analyses the last of two fits appended to one metrics.csv and says so', () => {
    const ev = bundle('two_fits');
    expect(ev.problems.some((p) => p.line === 11 && /2 fits appended to one file/.test(p.message))).toBe(true);
    expect(byId(ev, 'epochs')).toMatchObject({ status: 'pass', detail: '2 of max_epochs=2' });
  });

  it('does not count trainer.test() rows as an epoch', () => {
    expect(byId(bundle('fit_test'), 'epochs')).toMatchObject({ status: 'pass', detail: '3 of max_epochs=3' });
  });

  it('fails metrics on a run whose losses were all NaN', () => {
    const ev = bundle('all_nan');
    expect(byId(ev, 'exit').status).toBe('pass');
    expect(byId(ev, 'metrics')).toMatchObject({ status: 'fail' });
    expect(byId(ev, 'metrics').detail).toContain('train_loss is NaN or infinite in all 6 values');
  });

  it('reads the epochs of a log-only bundle from its progress bar, and replays the checkpoints from ModelCheckpoint’s lines', () => {
    const bar = bundle('progress_bar', { csv: false });
    expect(byId(bar, 'metrics').status).toBe('skip'); // no metrics.csv: nothing to say about its rows
    expect(byId(bar, 'epochs')).toMatchObject({ status: 'pass', detail: '3 of max_epochs=3' });

    const ck = bundle('progress_bar', { csv: false, checkpoints: true, command: 'python train.py --max_epochs 3 --monitor val_loss --save_top_k 2 --patience 1' });
    expect(byId(ck, 'checkpoints')).toMatchObject({ status: 'pass' });
    expect(byId(ck, 'checkpoints').detail).toMatch(/^2 files exactly as the replay of save_top_k=2 expects/);
    expect(byId(ck, 'early-stop').status).toBe('pass');
    const verbose = bundle('checkpoint_verbose', { csv: false, checkpoints: true, command: 'python train.py --max_epochs 5 --monitor val_acc --mode max --save_top_k 2' });
    expect(byId(verbose, 'epochs')).toMatchObject({ status: 'pass', detail: '5 of max_epochs=5' });
  });
});
