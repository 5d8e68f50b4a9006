/**
 * The cause, first: the line that says why a run failed, on real bundles — the
 * PtychoPINN parity run whose wrapper exception hides its cause, a bundle that
 * stopped on an ERROR line, the reference trainer refusing an argument (a real
 * child process), a real Lightning crash mid-fit — and the knock-on checks that
 * only repeat it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseBundle, type InputFile } from './analyse';
import { failureHeadline } from './headline';
import type { Evidence } from './types';
import { CLI_SMOKE_TRAINING, DEBUG_BUNDLE, FIXTURES, RUNTIME_SMOKE, readBundleFiles } from '../../fixtures/test-helpers';

const byId = (ev: Evidence, id: string) => ev.checks.find((c) => c.id === id)!;
const KNOCK_ONS = ['metrics', 'epochs', 'early-stop', 'checkpoints'];

describe('the failing PtychoPINN parity run (train.log ends in "Lightning training failed. See logs for details.")', () => {
  const ev = analyseBundle(
    readBundleFiles(CLI_SMOKE_TRAINING, (n) => n === 'train.log'),
    { root: CLI_SMOKE_TRAINING, logFile: 'train.log' },
  );

  it('names the MisconfigurationException as the cause, on the line the exit check cites', () => {
    expect(ev.cause).toMatchObject({ kind: 'exception', file: 'train.log', line: 108 });
    expect(ev.cause!.message).toMatch(/^lightning\.fabric\.utilities\.exceptions\.MisconfigurationException: Automatic gradient accumulation is not supported/);
    expect(ev.cause!.raisedAs).toEqual({ line: 129, message: 'RuntimeError: Lightning training failed. See logs for details.' });
    expect(byId(ev, 'exit')).toMatchObject({ status: 'fail', detail: `${ev.cause!.message} (train.log:108)` });
  });

  it('headlines the cause, not the wrapper', () => {
    const h = failureHeadline(ev)!;
    expect(h.quote).toContain('MisconfigurationException');
    expect(h.quote).not.toContain('See logs for details');
    expect(h.line).toBe(108);
    expect(h.raisedAs?.line).toBe(129);
  });

  it('skips the checks that only repeat the failure: the process never trained', () => {
    for (const id of KNOCK_ONS) expect(byId(ev, id)).toEqual({ id, status: 'skip', detail: 'the process exited before training' });
    expect(byId(ev, 'accelerator').status).toBe('pass'); // the device lines came before the crash
  });

  it('links each warning to its first line in the log', () => {
    expect(ev.warnings.map((w) => w.logLine)).toEqual([72, 74, 87, 89]);
    const lines = fs.readFileSync(path.join(CLI_SMOKE_TRAINING, 'train.log'), 'utf8').split('\n');
    for (const w of ev.warnings) expect(lines[w.logLine! - 1]).toContain(w.message.slice(0, 30));
  });
});

describe('other causes', () => {
  it('a bundle that stopped on an ERROR line before training', () => {
    const ev = analyseBundle(readBundleFiles(DEBUG_BUNDLE), { root: DEBUG_BUNDLE });
    expect(ev.cause).toEqual({ kind: 'error-line', file: 'manual_train.log', line: 3, message: 'ERROR: Training data file not found: tests/fixtures/pytorch_integration/minimal_dataset_v1.npz' });
    expect(byId(ev, 'exit').detail).toContain('(manual_train.log:3)');
    for (const id of KNOCK_ONS) expect(byId(ev, id).detail).toBe('the process exited before training');
  });

  it('the reference trainer refusing --batch_size 5000 (a real child process): its error line, not "exit code 2", and no knock-on fails', () => {
    const trainer = path.resolve(FIXTURES, '../workers/reference-trainer/train.mjs');
    const r = spawnSync(process.execPath, [trainer, '--n_images', '64', '--batch_size', '5000', '--logger', 'csv', '--output_dir', '/nonexistent-never-written'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const log = r.stdout + r.stderr;
    const files: InputFile[] = [
      { path: 'train.log', sizeBytes: log.length, text: log },
      { path: 'command.txt', sizeBytes: 0, text: `node train.mjs --n_images 64 --batch_size 5000 --logger csv --output_dir out` },
    ];
    const ev = analyseBundle(files, { root: '/tmp/refused', logFile: 'train.log', launch: { exitCode: 2, signal: null, cleanedUp: true, status: 'failed' } });
    const errorLine = log.trimEnd().split('\n').length;
    expect(ev.cause).toEqual({ kind: 'usage', file: 'train.log', line: errorLine, message: 'train.mjs: error: argument --batch_size: 5000 is not in range 1..4096' });
    expect(byId(ev, 'exit')).toEqual({ id: 'exit', status: 'fail', detail: `train.mjs: error: argument --batch_size: 5000 is not in range 1..4096 (train.log:${errorLine}); exit code 2` });
    // --logger csv and no metrics.csv: a knock-on of the refusal, not a second failure.
    for (const id of KNOCK_ONS) expect(byId(ev, id)).toMatchObject({ status: 'skip', detail: 'the process exited before training' });
    const h = failureHeadline(ev)!;
    expect(h).toMatchObject({ kind: 'usage', lead: 'The trainer refused its arguments', line: errorLine, exitCode: null });
  });

  it('a real Lightning crash mid-fit: the cause, and the checks of what it trained stand', () => {
    const dir = path.join(FIXTURES, 'lightning-logs', 'crash_chained');
    const read = (rel: string): InputFile => {
      const text = fs.readFileSync(path.join(dir, rel), 'utf8');
      return { path: rel, sizeBytes: text.length, text };
    };
    const ev = analyseBundle([read('train.log'), read('lightning_logs/version_0/metrics.csv')], { root: dir });
    expect(ev.cause).toMatchObject({ kind: 'exception', line: 11, message: 'ZeroDivisionError: division by zero' });
    expect(ev.cause!.raisedAs?.message).toBe('KeyboardInterrupt');
    expect(ev.epochs.length).toBeGreaterThan(0);
    for (const id of KNOCK_ONS) expect(byId(ev, id).detail).not.toContain('before training');
  });

  it('a healthy run has no cause and no headline', () => {
    const ev = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE });
    expect(ev.cause).toBeNull();
    expect(failureHeadline(ev)).toBeNull();
    expect(byId(ev, 'metrics').status).toBe('pass');
  });
});
