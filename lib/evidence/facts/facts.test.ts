import { describe, expect, it } from 'vitest';
import { deriveFacts } from '.';
import { DEBUG_BUNDLE, LOGGER_SMOKE, readBundleFiles, RUNTIME_SMOKE } from '../../../fixtures/test-helpers';

describe('deriveFacts: each config fact known, assumed or unknown, with its source', () => {
  it('reads the EB4 runtime-smoke knobs from its summary.md and the monitor and template from its checkpoint names', () => {
    const f = deriveFacts(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE });
    expect(f.checkpoints.saveTopK).toEqual({ state: 'known', value: 2, source: 'summary.md: --checkpoint-save-top-k' });
    expect(f.patience).toEqual({ state: 'known', value: 5, source: 'summary.md: --early-stop-patience' });
    expect(f.maxEpochs).toEqual({ state: 'known', value: 6, source: 'summary.md: --max_epochs' });
    expect(f.monitor).toMatchObject({ state: 'known', value: { name: 'poisson_val_loss', via: 'checkpoint file names' }, source: expect.stringMatching(/^checkpoint file name epoch=/) });
    expect(f.checkpoints.template).toMatchObject({ state: 'known', value: { pattern: 'epoch={epoch:02d}-poisson_val={poisson_val_loss:.4f}' } });
    expect(f.checkpoints.saveLast).toEqual({ state: 'known', value: true, source: 'checkpoint file last.ckpt' });
    // Not in the bundle: today's defaults, marked as assumed.
    expect(f.mode).toEqual({ state: 'assumed', value: 'min', source: 'assumed default', unknown: 'no mode in runproof.json, the command or the log: min taken from the name poisson_val_loss' });
    expect(f.minDelta).toMatchObject({ state: 'assumed', value: 0 });
    expect(f.exitCode).toMatchObject({ state: 'unknown', value: null });
  });

  it('marks the guessed monitor and the default save_top_k as assumed, and max_epochs read from the trainer echo as known', () => {
    const f = deriveFacts(readBundleFiles(LOGGER_SMOKE), { root: LOGGER_SMOKE });
    expect(f.monitor).toMatchObject({ state: 'assumed', value: { name: 'poisson_val_loss', via: 'validation loss column' }, source: 'assumed default' });
    expect(f.checkpoints.saveTopK).toMatchObject({ state: 'assumed', value: 1, unknown: expect.stringContaining('no save_top_k') });
    expect(f.maxEpochs).toEqual({ state: 'known', value: 1, source: 'train_cli_logger_csv.log: trainer echo epochs=1' });
  });

  it('leaves what a bundle cannot tell unknown, saying why', () => {
    const f = deriveFacts(readBundleFiles(DEBUG_BUNDLE), { root: DEBUG_BUNDLE });
    expect(f.monitor).toMatchObject({ state: 'unknown', value: null, unknown: expect.stringContaining('no monitor in runproof.json, the command or the log') });
    expect(f.patience).toMatchObject({ state: 'unknown', value: null });
    expect(f.maxEpochs).toMatchObject({ state: 'unknown', value: null });
    expect(f.checkpoints.monitor).toMatchObject({ state: 'unknown', value: null });
  });

  it('takes the exit code from the worker before the log, and says how a launched run was stopped', () => {
    const f = deriveFacts([{ path: 'train.log', sizeBytes: 20, text: 'Traceback\nexit code 3\n' }], { root: '/r', launch: { exitCode: 143, signal: 'SIGTERM', cleanedUp: true, status: 'timed_out' } });
    expect(f.exitCode).toEqual({ state: 'known', value: 143, source: 'worker' });
    expect(f.interrupted).toBe('timed out');
    expect(f.status).toBe('timed_out');
  });
});
