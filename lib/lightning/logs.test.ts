import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLog, stripPrefix } from './logs';
import { CLI_SMOKE_TRAINING, FIXTURES, PTYCHO, RUNTIME_SMOKE, readFixture } from '../../fixtures/test-helpers';

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
      "/env/lib/python3.11/site-packages/lightning/pytorch/trainer/connectors/data_connector.py:433: The 'val_dataloader' does not have many workers",
      '/home/me/project/train.py:9: this is not a warning (no category, not a lightning file)',
    ].join('\n');
    const log = parseLog(text);
    expect(log.warnings.map((w) => [w.category, w.count, w.line])).toEqual([
      ['UserWarning', 2, 3],
      ['PossibleUserWarning', 1, 433], // Lightning's own message: its category is known from Lightning's source
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
    expect(log.warnings.map((w) => [w.message, w.logLine])).toEqual([
      ['early', 2],
      ['late', 1_000_002],
    ]);
    expect(log.accelerator.resolved).toBe('cpu');
  });

  it('closes a traceback that runs into the part not parsed', () => {
    const log = parseLog('Traceback (most recent call last):\n  File "x.py", line 1\n', { text: '`Trainer.fit` stopped: `max_epochs=1` reached.\n', firstLine: 500 });
    expect(log.errors).toEqual([{ line: 1, message: 'Traceback (its end lies in the part of the log not parsed)' }]);
  });
});

// Real Lightning 2.6.6 runs written by fixtures/lightning-logs/make.py: each folder holds the run's
// combined stdout+stderr (train.log), its CSVLogger folder, its exit status and Lightning's own end
// state (state.json: EarlyStopping's stopping_reason, stopped_epoch, …).
const REAL = path.join(FIXTURES, 'lightning-logs');
const realLog = (name: string) => parseLog(readFixture(REAL, name, 'train.log'));
const realState = (name: string) => JSON.parse(readFixture(REAL, name, 'state.json'));
const exitCode = (name: string) => Number(readFixture(REAL, name, 'exit_code.txt'));

describe('real Lightning 2.6.6 logs: how the run stopped', () => {
  const kinds: Record<string, string> = {
    PATIENCE_EXHAUSTED: 'patience',
    STOPPING_THRESHOLD: 'stopping_threshold',
    DIVERGENCE_THRESHOLD: 'divergence_threshold',
    NON_FINITE_METRIC: 'non_finite',
  };

  it.each(['es_patience_verbose', 'es_stopping_threshold', 'es_divergence', 'es_nonfinite'])(
    'reads the stop of a verbose EarlyStopping as the normal end of %s, of the kind Lightning recorded',
    (name) => {
      const log = realLog(name);
      const state = realState(name);
      expect(exitCode(name)).toBe(0);
      expect(log.stop.reason).toBe('early_stopping');
      expect(log.normalEnd).toBe(true);
      expect(log.truncated).toBe(false);
      expect(log.errors).toEqual([]);
      expect(log.earlyStopping).toMatchObject({ kind: kinds[state.early_stopping.reason], monitor: 'val_loss', final: true });
      expect(log.stop.message).toBe(log.earlyStopping!.message);
      expect(log.stop.message).toMatch(/Signaling Trainer to stop\.$/);
    },
  );

  it('keeps the values the stop messages print', () => {
    expect(realLog('es_patience_verbose').earlyStopping).toMatchObject({ value: null, best: 0.7 });
    expect(realLog('es_stopping_threshold').earlyStopping!.value).toBe(0.44999998807907104); // float32 0.45, as Lightning printed it
    expect(realLog('es_divergence').earlyStopping!.value).toBe(2.5);
    expect(realLog('es_nonfinite').earlyStopping).toMatchObject({ best: 0.8 });
    expect(realLog('es_nonfinite').earlyStopping!.value).toBeNaN();
  });

  it('sees nothing of a quiet EarlyStopping: Lightning prints no line when it stops the fit', () => {
    const log = realLog('es_patience_quiet');
    expect(realState('es_patience_quiet').early_stopping.reason).toBe('PATIENCE_EXHAUSTED');
    expect(log.earlyStopping).toBeNull();
    expect(log.normalEnd).toBe(false);
    expect(log.stop.reason).toBe('unknown');
    expect(log.seed).toBe(7);
  });

  it('keeps an early stop in the last epoch although the max_epochs line follows it', () => {
    const log = realLog('es_last_epoch');
    expect(realState('es_last_epoch').early_stopping).toMatchObject({ stopped_epoch: 4, reason: 'PATIENCE_EXHAUSTED' });
    expect(log.stop).toMatchObject({ reason: 'early_stopping', limit: 5, limitKind: 'max_epochs' });
    expect(log.stop.line).toBe(log.earlyStopping!.line);
    expect(log.normalEnd).toBe(true);
  });

  it('takes the first exception of a chained traceback as the crash, not the KeyboardInterrupt raised while shutting down', () => {
    const log = realLog('crash_chained');
    expect(exitCode('crash_chained')).not.toBe(0);
    expect(log.stop).toMatchObject({ reason: 'error', message: 'ZeroDivisionError: division by zero' });
    expect(log.crash).toMatchObject({
      message: 'ZeroDivisionError: division by zero',
      chain: ['ZeroDivisionError: division by zero', 'RuntimeError: loss scale could not be computed', 'KeyboardInterrupt'],
    });
    expect(log.errors.map((e) => e.chained ?? null)).toEqual([null, 'cause', 'context']);
    expect(log.killed).toBeNull(); // a KeyboardInterrupt inside a traceback is not Ctrl+C at the shell
  });

  it('names a SIGTERM mid-epoch as the stop although the process exited 0', () => {
    const log = realLog('sigterm');
    // Lightning's handler logs, then its loops raise SIGTERMException, a SystemExit without a status.
    expect(exitCode('sigterm')).toBe(0);
    expect(log.stop).toMatchObject({ reason: 'killed', message: 'Received SIGTERM: 15' });
    expect(log.killed).toMatchObject({ kind: 'signal', signal: 'SIGTERM' });
    expect(log.normalEnd).toBe(false);
    expect(log.truncated).toBe(false);
  });

  it('reads the last of two fits in one log', () => {
    expect(realLog('two_fits').stop).toMatchObject({ reason: 'max_epochs', limit: 2 });
  });

  it('reads an EarlyStopping stop printed right after a progress-bar redraw, on the same line', () => {
    const log = realLog('progress_bar');
    const raw = readFixture(REAL, 'progress_bar', 'train.log').split('\n');
    expect(raw[log.earlyStopping!.line - 1]).toMatch(/\rEpoch 2: 100%.*\]Monitored metric val_loss did not improve/);
    expect(log.stop).toMatchObject({ reason: 'early_stopping', limit: 3, limitKind: 'max_epochs' });
    // and the warning printed after the sanity-check bar
    expect(log.warnings.some((w) => /^`isinstance\(treespec, LeafSpec\)` is deprecated/.test(w.message))).toBe(true);
  });
});

describe('real Lightning 2.6.6 logs: warnings and seed', () => {
  it('keeps the message that follows its `…Warning:` line, the category, and skips the source line', () => {
    const log = realLog('warnings');
    expect(log.seed).toBe(7);
    const user = log.warnings.find((w) => w.file === '/tmp/rp-fixture-warnings/train.py')!;
    expect(user).toMatchObject({ category: 'UserWarning', message: 'the learning-rate schedule ignores warmup_steps when max_steps is set', count: 1 });
    expect(log.warnings.some((w) => w.message.startsWith('warnings.warn'))).toBe(false);
  });

  it('gives Lightning’s own short-form warnings the category Lightning issued them with, and no guess to others', () => {
    const log = realLog('warnings');
    const byStart = (s: string) => log.warnings.find((w) => w.message.startsWith(s))!;
    expect(byStart('You have overridden `Model.configure_sharded_model` which is deprecated')).toMatchObject({ category: 'LightningDeprecationWarning', categoryInferred: true });
    expect(byStart('The number of training batches (8) is smaller than the logging interval')).toMatchObject({ category: 'PossibleUserWarning', categoryInferred: true });
    // torch's FutureWarning, printed in Lightning's short form because it is attributed to a Lightning file
    expect(byStart('`isinstance(treespec, LeafSpec)` is deprecated')).toMatchObject({ category: null });
  });

  it('reads the other warning shapes: 1.x/2.0 standard form, category line with the message below, rank-prefixed seed', () => {
    const log = parseLog(
      [
        '[rank: 0] Global seed set to 42',
        '/env/lib/python3.10/site-packages/pytorch_lightning/trainer/connectors/data_connector.py:430: PossibleUserWarning: The dataloader, train_dataloader, does not have many workers which may be a bottleneck.',
        '  rank_zero_warn(',
        '/env/lib/python3.10/site-packages/pytorch_lightning/trainer/trainer.py:1609: LightningDeprecationWarning: `Trainer.reset_train_dataloader` is deprecated in v1.9.',
        '  rank_zero_deprecation(',
        'INFO:py.warnings:/home/u/proj/data.py:17: FutureWarning:',
        'the default of `shuffle` will change',
        '  warnings.warn(',
        'Seed set to 43',
      ].join('\n'),
    );
    expect(log.seed).toBe(43);
    expect(log.warnings.map((w) => [w.category, w.message])).toEqual([
      ['PossibleUserWarning', 'The dataloader, train_dataloader, does not have many workers which may be a bottleneck.'],
      ['LightningDeprecationWarning', '`Trainer.reset_train_dataloader` is deprecated in v1.9.'],
      ['FutureWarning', 'the default of `shuffle` will change'],
    ]);
    expect(parseLog('[rank: 0] Global seed set to 42\n').seed).toBe(42);
  });
});

// Scheduler and Hydra lines are written by hand (no Slurm or Hydra on this machine): their formats
// are slurmstepd's `*** JOB … CANCELLED AT … DUE TO … ***` and Hydra's run_and_report output.
describe('stops from outside and errors without a traceback', () => {
  const fitting = "GPU available: False, used: False\nEpoch 3, global step 40: 'val_loss' was not in top 1\n";

  it('names a Slurm time limit, also when Lightning’s SIGTERM line comes first', () => {
    const log = parseLog(`${fitting}[rank: 0] Received SIGTERM: 15\nslurmstepd: error: *** JOB 4242 ON gpu-node-07 CANCELLED AT 2025-03-01T12:00:04 DUE TO TIME LIMIT ***\n`);
    expect(log.stop.reason).toBe('time_limit');
    expect(log.stop.message).toContain('DUE TO TIME LIMIT');
    expect(log.killed).toMatchObject({ kind: 'time_limit', signal: 'SIGTERM', line: 4 });
    expect(log.normalEnd).toBe(false);
  });

  it.each([
    ['slurmstepd: error: *** STEP 4242.0 ON n1 CANCELLED AT 2025-03-01T12:00:04 ***', 'killed', 'cancelled'],
    ['slurmstepd: error: *** JOB 4242 ON n1 CANCELLED AT 2025-03-01T12:00:04 DUE TO PREEMPTION ***', 'killed', 'preempted'],
    ['slurmstepd: error: Detected 1 oom_kill event in StepId=4242.batch. Some of the step tasks have been OOM Killed.', 'killed', 'oom'],
    ['Terminated', 'killed', 'signal'],
    ['bash: line 1:  8812 Killed                  python train.py', 'killed', 'signal'],
    ['timeout: sending signal TERM to command ‘python’', 'time_limit', 'time_limit'],
    ['\nDetected KeyboardInterrupt, attempting graceful shutdown ...', 'killed', 'interrupt'],
    ['[rank: 0] Received SIGTERM: 15', 'killed', 'signal'],
    ['torch.distributed.elastic.multiprocessing.api:[WARNING] Received Signals.SIGTERM death signal, shutting down workers', 'killed', 'signal'],
    ['srun: error: gpu-node-07: task 0: Killed', 'killed', 'signal'],
  ])('names %j', (line, reason, kind) => {
    const log = parseLog(`${fitting}${line}\n`);
    expect(log.stop.reason).toBe(reason);
    expect(log.killed!.kind).toBe(kind);
  });

  it('reads torchrun’s SignalException inside a traceback as a kill', () => {
    const log = parseLog(`${fitting}Traceback (most recent call last):\n  File "run.py", line 9\ntorch.distributed.elastic.multiprocessing.api.SignalException: Process 4711 got signal: 15\n`);
    expect(log.killed).toMatchObject({ kind: 'signal', signal: 'SIGTERM', line: 5 });
    expect(log.stop.reason).toBe('killed');
  });

  it('keeps the normal end when the kill comes after it, and the kill when errors follow from it', () => {
    const after = parseLog(`${fitting}\`Trainer.fit\` stopped: \`max_epochs=4\` reached.\nTerminated\n`);
    expect(after.stop.reason).toBe('max_epochs');
    expect(after.killed).toMatchObject({ kind: 'signal', line: 4 });
    const consequence = parseLog(
      `${fitting}Received SIGTERM: 15\nTraceback (most recent call last):\n  File "x.py", line 1\nRuntimeError: DataLoader worker (pid 77) is killed by signal: Terminated.\n`,
    );
    expect(consequence.stop.reason).toBe('killed');
    expect(consequence.errors).toHaveLength(1);
    const crashFirst = parseLog(
      `${fitting}Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad batch\nslurmstepd: error: *** JOB 1 ON n1 CANCELLED AT 2025-03-01T12:00:04 DUE TO TIME LIMIT ***\n`,
    );
    expect(crashFirst.stop).toMatchObject({ reason: 'error', message: 'ValueError: bad batch' });
  });

  it('reads Hydra’s error without a traceback, and with one', () => {
    const bare = parseLog(
      [
        "Error executing job with overrides: ['trainer.max_epochs=3', 'model=unet']",
        "Error in call to target 'src.models.UNet':",
        'TypeError("__init__() got an unexpected keyword argument \'depth\'")',
        'full_key: model',
        '',
        'Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.',
      ].join('\n'),
    );
    expect(bare.errors).toEqual([{ line: 2, message: "Error in call to target 'src.models.UNet': TypeError(\"__init__() got an unexpected keyword argument 'depth'\")" }]);
    expect(bare.stop.reason).toBe('error');
    const traced = parseLog(
      [
        'Error executing job with overrides: []',
        'Traceback (most recent call last):',
        '  File "/p/train.py", line 32, in main',
        '    trainer.fit(model)',
        "KeyError: 'agent'",
        '',
        'Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.',
      ].join('\n'),
    );
    expect(traced.errors).toEqual([{ line: 5, message: "KeyError: 'agent'" }]);
    expect(traced.crash!.message).toBe("KeyError: 'agent'");
  });

  it('does not end the run at an EarlyStopping stop when a later epoch shows (min_epochs kept it going)', () => {
    const log = parseLog(
      [
        'Monitored metric val_loss did not improve in the last 2 records. Best score: 0.500. Signaling Trainer to stop.',
        "Epoch 2, global step 30: 'val_loss' was not in top 1",
        "Epoch 3, global step 40: 'val_loss' was not in top 1",
      ].join('\n'),
    );
    expect(log.earlyStopping!.final).toBe(false);
    expect(log.normalEnd).toBe(false);
    expect(log.stop.reason).toBe('unknown');
  });
});

describe('the root cause of a failure', () => {
  it('names the exception the PtychoPINN wrapper was raised from, not the wrapper nor the ERROR lines before it', () => {
    const log = parseLog(readFixture(CLI_SMOKE_TRAINING, 'train.log'));
    // Line 90/91: `ERROR - Lightning training failed: …`, `ERROR - An error occurred during execution: …`;
    // 108: the MisconfigurationException; 129: `RuntimeError: Lightning training failed. See logs for details.` raised from it.
    expect(log.errors.map((e) => e.line)).toEqual([90, 91, 108, 129]);
    expect(log.crash).toMatchObject({ line: 108, kind: 'exception' });
    expect(log.crash!.message).toMatch(/^lightning\.fabric\.utilities\.exceptions\.MisconfigurationException: Automatic gradient accumulation/);
    expect(log.crash!.chain).toEqual([log.crash!.message, 'RuntimeError: Lightning training failed. See logs for details.']);
    expect(log.stop).toMatchObject({ reason: 'error', line: 108 });
    // TensorFlow's `E0000 … Unable to register cuDNN factory` (lines 3-4) is kept aside, not an error.
    expect(log.firstSevere).toMatchObject({ line: 3 });
    expect(log.firstSevere!.message).toContain('Unable to register cuDNN factory');
  });

  it("names argparse's error line when the trainer refused its arguments", () => {
    // Python 3.11's argparse, verbatim (usage wrapped over two lines, then the error, exit status 2).
    const text = ['usage: train.py [-h] [--n-images N_IMAGES] [--gridsize GRIDSIZE]', '                --output_dir OUTPUT_DIR', "train.py: error: argument --n-images: invalid int value: 'abc'"].join(
      '\n',
    );
    const log = parseLog(text);
    expect(log.errors).toEqual([{ line: 3, message: "train.py: error: argument --n-images: invalid int value: 'abc'" }]);
    expect(log.crash).toMatchObject({ line: 3, kind: 'usage', message: "train.py: error: argument --n-images: invalid int value: 'abc'" });
    expect(log.stop).toMatchObject({ reason: 'error', line: 3 });
  });

  it('does not read `x: error: y` as argparse without its usage line, nor a usage line of another program', () => {
    expect(parseLog('make: error: no rule\n').errors).toEqual([]);
    expect(parseLog('usage: other.py [-h]\ntrain.py: error: argument --x: expected one argument\n').errors).toEqual([]);
  });

  it('takes the first error line when there is no traceback: the later ones echo it', () => {
    const log = parseLog(
      [
        '2025-11-12 18:40:56,030 - INFO - Starting',
        '2025-11-12 18:40:56,031 - ERROR - Training data file not found: data.npz',
        '2025-11-12 18:40:56,032 - ERROR - An error occurred during execution: see above',
      ].join('\n'),
    );
    expect(log.crash).toMatchObject({ line: 2, kind: 'error-line', message: 'Training data file not found: data.npz' });
  });

  it('prefers a traceback to error lines around it', () => {
    const log = parseLog(
      ['ERROR: first a logged complaint', 'Traceback (most recent call last):', '  File "t.py", line 1, in <module>', 'ValueError: the real failure', 'ERROR: training was interrupted'].join('\n'),
    );
    expect(log.crash).toMatchObject({ line: 4, kind: 'exception', message: 'ValueError: the real failure' });
  });

  it('keeps the first glog E/F line aside and does not count it as an error', () => {
    const log = parseLog('E0000 00:00:1763001648.711696 1735778 cuda_dnn.cc:8579] Unable to register cuDNN factory\nF0101 12:00:00.000000  42 gpu.cc:12] Check failed: ok\n');
    expect(log.errors).toEqual([]);
    expect(log.firstSevere).toEqual({ line: 1, message: 'E0000 00:00:1763001648.711696 1735778 cuda_dnn.cc:8579] Unable to register cuDNN factory' });
  });
});

describe('a runaway line', () => {
  it('is read up to LONG_LINE_CHARS and named with its line and length; the lines after it still count', async () => {
    const { LONG_LINE_CHARS } = await import('./logs');
    const text = `GPU available: False, used: False\n${'x'.repeat(LONG_LINE_CHARS + 5)}\n\`Trainer.fit\` stopped: \`max_epochs=3\` reached.\n`;
    const log = parseLog(text);
    expect(log.longLines).toEqual([{ line: 2, chars: LONG_LINE_CHARS + 5 }]);
    expect(log.stop.reason).toBe('max_epochs');
  });
});
