import { describe, expect, it } from 'vitest';
import { parseLog, stripPrefix } from './logs';
import { PTYCHO, RUNTIME_SMOKE, readFixture } from '../../fixtures/test-helpers';

const STUDY = 'plans/active/STUDY-SYNTH-FLY64-DOSE-OVERLAP-001/reports/2025-11-04T133500Z/phase_e_training_e5/real_run';

describe('training logs', () => {
  it('reads the runtime-smoke log although stderr precedes stdout', () => {
    const log = parseLog(readFixture(RUNTIME_SMOKE, 'train_cli_runtime_smoke.log'));
    expect(log.accelerator.resolved).toBe('cpu');
    expect(log.accelerator.gpuAvailable).toBe(false);
    expect(log.stop).toMatchObject({ reason: 'max_epochs', limit: 6 });
    expect(log.normalEnd).toBe(true);
    expect(log.errors).toEqual([]);
    expect(log.time).toEqual({ realS: 14.75, userS: 99.65, sysS: 2.18 });
    expect(log.params).toEqual({ trainable: '2.3 M', total: '2.3 M' });
    expect(log.echo).toMatchObject({ gridsize: '(2, 2)', epochs: '6', accelerator: 'cpu', deterministic: 'True' });
  });

  it('strips the three prefix styles', () => {
    expect(stripPrefix('INFO:pytorch_lightning.utilities.rank_zero:GPU available: False, used: False')).toBe('GPU available: False, used: False');
    expect(stripPrefix('2025-11-12 20:24:45,639 - INFO - GPU available: True (cuda), used: True')).toBe('GPU available: True (cuda), used: True');
    expect(stripPrefix('GPU available: False, used: False')).toBe('GPU available: False, used: False');
  });

  it('parses the accelerator forms', () => {
    expect(parseLog('GPU available: True (cuda), used: True\n').accelerator.resolved).toBe('gpu');
    expect(parseLog('GPU available: True (mps), used: True\n').accelerator.resolved).toBe('mps');
    expect(parseLog('GPU available: True (cuda), used: False\n').accelerator).toMatchObject({ resolved: 'cpu', gpuAvailable: true });
    expect(parseLog('No GPU found, using CPU instead.\n').accelerator.resolved).toBe('cpu');
    expect(parseLog('TPU available: True, using: 8 TPU cores\n').accelerator.resolved).toBe('tpu');
  });

  it('counts repeated warnings once, in both formats, and skips the source line', () => {
    const text = [
      '/a/b.py:3: UserWarning: careful',
      '  warnings.warn(',
      '/a/b.py:3: UserWarning: careful',
      '  warnings.warn(',
      '/env/lib/python3.11/site-packages/lightning/pytorch/trainer/connectors/data_connector.py:433: The \'val_dataloader\' does not have many workers',
      '/home/me/project/train.py:9: this is not a warning (no category, not a lightning file)',
    ].join('\n');
    const log = parseLog(text);
    expect(log.warnings.map((w) => [w.category, w.count, w.line])).toEqual([
      ['UserWarning', 2, 3],
      [null, 1, 433],
    ]);
  });

  it('reads Python-format warnings from JavaScript sources (the reference trainer) but keeps the short form to Lightning files', () => {
    const text = [
      '/work/main/workers/reference-trainer/train.mjs:812: DeprecationWarning: --device is deprecated, use --accelerator instead',
      "  pyWarn('DeprecationWarning', '--device is deprecated, use --accelerator instead');",
      'src/cli.ts:4: UserWarning: from TypeScript',
      'lib/x.js:7: UserWarning: from JavaScript',
      '/work/main/workers/reference-trainer/train.mjs:9: not a warning (no category, not a lightning file)',
      '    at main (/work/main/workers/reference-trainer/train.mjs:12:5)',
      'src/app.tsx:3: UserWarning: .tsx is not a source this parser knows',
    ].join('\n');
    const log = parseLog(text);
    expect(log.warnings.map((w) => [w.file, w.line, w.category, w.message])).toEqual([
      ['/work/main/workers/reference-trainer/train.mjs', 812, 'DeprecationWarning', '--device is deprecated, use --accelerator instead'],
      ['src/cli.ts', 4, 'UserWarning', 'from TypeScript'],
      ['lib/x.js', 7, 'UserWarning', 'from JavaScript'],
    ]);
  });

  it('turns tracebacks into errors with the exception line', () => {
    const log = parseLog(readFixture(PTYCHO, STUDY, 'training_cli_real_run.log'));
    expect(log.errors.length).toBeGreaterThan(0);
    expect(log.errors.some((e) => e.message.startsWith('FileNotFoundError'))).toBe(true);
    expect(log.stop.reason).toBe('error');
  });

  it('sees the early-stopping message and the max_steps end', () => {
    expect(parseLog('Monitored metric val_loss did not improve in the last 3 records. Best score: 0.100. Signaling Trainer to stop.\n').stop.reason).toBe('early_stopping');
    expect(parseLog('`Trainer.fit` stopped: `max_steps=100` reached.\n').stop).toMatchObject({ reason: 'max_steps', limit: 100 });
  });

  it('marks a log with neither an end nor an error as truncated, and survives invalid text', () => {
    const log = parseLog('Epoch 0: 50%|█████     | 8/16\n\uFFFD\uFFFD garbage');
    expect(log.truncated).toBe(true);
    expect(log.stop.reason).toBe('unknown');
  });

  it('reads the GPU run of the FNO study (truncated head, timestamped lines)', () => {
    const log = parseLog(readFixture(PTYCHO, 'plans/active/FNO-STABILITY-OVERHAUL-001/reports/2026-01-29T010000Z/stage_a_arm_control.log'));
    expect(log.stop).toMatchObject({ reason: 'max_epochs', limit: 50 });
  });
});

describe('parseLog: odd and oversized logs', () => {
  it('splits a log with classic Mac (CR-only) line ends on its carriage returns', () => {
    const log = parseLog('GPU available: False, used: False\r/x/train.py:3: UserWarning: hm\r`Trainer.fit` stopped: `max_epochs=2` reached.\r');
    expect(log.crOnly).toBe(true);
    expect(log.lineCount).toBe(3);
    expect(log.normalEnd).toBe(true);
    expect(log.warnings[0]).toMatchObject({ message: 'hm', logLine: 2 });
  });

  it('keeps a progress bar redrawing its line (lone CR among line feeds) inside the line', () => {
    const log = parseLog('Epoch 0: 10%\rEpoch 0: 100%\n`Trainer.fit` stopped: `max_epochs=1` reached.\n');
    expect(log.crOnly).toBe(false);
    expect(log.stop.line).toBe(2);
  });

  it('parses a head and a tail as one log, with the tail numbered from its first line', () => {
    const head = 'GPU available: False, used: False\n/x/train.py:3: UserWarning: early\n';
    const tail = { text: 'ERROR: disk full\n/x/train.py:9: UserWarning: late\n', firstLine: 1_000_001 };
    const log = parseLog(head, tail);
    expect(log.lineCount).toBe(1_000_002);
    expect(log.errors).toEqual([{ line: 1_000_001, message: 'ERROR: disk full' }]);
    expect(log.warnings.map((w) => [w.message, w.logLine])).toEqual([['early', 2], ['late', 1_000_002]]);
    expect(log.accelerator.resolved).toBe('cpu');
  });

  it('closes a traceback that runs into the part not parsed', () => {
    const log = parseLog('Traceback (most recent call last):\n  File "x.py", line 1\n', { text: '`Trainer.fit` stopped: `max_epochs=1` reached.\n', firstLine: 500 });
    expect(log.errors).toEqual([{ line: 1, message: 'Traceback (its end lies in the part of the log not parsed)' }]);
  });
});
