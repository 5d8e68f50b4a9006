import { describe, expect, it } from 'vitest';
import type { ParsedLog } from '../../lightning/logs';
import { known, unknown } from '../facts/fact';
import { checkExit, type ExitFacts } from './exit';

const log = (p: Partial<ParsedLog> = {}) => ({ normalEnd: false, lightningSeen: true, stop: { reason: 'unknown', message: null, line: null, limit: null }, ...p }) as ParsedLog;
const facts = (p: Partial<ExitFacts> = {}): ExitFacts => ({ log: log(), logName: 'train.log', exitCode: unknown('none'), errors: [], launch: null, interrupted: null, epochs: [], ...p });

describe('checkExit', () => {
  it('passes a normal end and says whether the exit code was recorded', () => {
    const end = log({ normalEnd: true, stop: { reason: 'max_epochs', message: '`Trainer.fit` stopped: `max_epochs=3` reached.', line: 9, limit: 3 } });
    expect(checkExit(facts({ log: end }))).toEqual({ id: 'exit', status: 'pass', detail: '`Trainer.fit` stopped: `max_epochs=3` reached. (exit code not recorded)' });
    expect(checkExit(facts({ log: end, exitCode: known(0, 'worker') })).detail).toMatch(/, exit code 0$/);
  });

  it('fails a non-zero exit code, naming the signal, even after a normal end', () => {
    const c = checkExit(facts({ log: log({ normalEnd: true }), exitCode: known(137, 'worker'), launch: { exitCode: 137, signal: 'SIGKILL', cleanedUp: true } }));
    expect(c).toMatchObject({ status: 'fail', detail: 'exit code 137 (signal SIGKILL)' });
  });

  it('fails on the last error line, with file and line', () => {
    const c = checkExit(
      facts({
        errors: [
          { file: 'train.log', line: 3, message: 'ValueError: a' },
          { file: 'train.log', line: 7, message: 'RuntimeError: b' },
        ],
      }),
    );
    expect(c).toMatchObject({ status: 'fail', detail: 'RuntimeError: b (train.log:7)' });
  });

  it('fails a run stopped from outside, by signal or by interruption', () => {
    expect(checkExit(facts({ launch: { exitCode: null, signal: 'SIGTERM', cleanedUp: true }, interrupted: 'cancelled' })).detail).toBe('terminated by SIGTERM (cancelled)');
    expect(checkExit(facts({ launch: { exitCode: null, signal: null, cleanedUp: true }, interrupted: 'timed out' })).detail).toBe('timed out: stopped before the end');
  });

  it('fails a Lightning log without a normal end', () => {
    expect(checkExit(facts())).toMatchObject({ status: 'fail', detail: expect.stringContaining('train.log has no normal end') });
  });

  it('skips without a log or exit code, and on a log that shows no training', () => {
    expect(checkExit(facts({ log: null }))).toMatchObject({ status: 'skip', detail: 'no training log in the bundle' });
    expect(checkExit(facts({ log: log({ lightningSeen: false }) }))).toMatchObject({ status: 'skip', detail: expect.stringContaining('nothing to judge') });
  });
});

describe('checkExit: a log without an end line', () => {
  const base = { logName: 'train.log', exitCode: { state: 'unknown' as const, value: null, unknown: 'x' }, errors: [], launch: null, interrupted: null, epochs: [{ epoch: 0, step: 9, metrics: {} }] };
  const log = { normalEnd: false, lightningSeen: true, stop: { reason: 'unknown', message: null, line: null, limit: null }, crash: null } as never;
  it('fails on evidence the log was cut, warns when nothing says whether it was', () => {
    expect(checkExit({ ...base, log, logCut: { evidence: 'train.log ends inside the model summary (from line 4), which Lightning prints whole', line: 4 } })).toEqual({
      id: 'exit',
      status: 'fail',
      detail: 'train.log is cut short: train.log ends inside the model summary (from line 4), which Lightning prints whole',
    });
    expect(checkExit({ ...base, log, logCut: null })).toMatchObject({ status: 'warn', detail: expect.stringContaining('Lightning prints none when a quiet EarlyStopping or a callback ends the fit') });
    expect(checkExit({ ...base, log, logCut: null, stop: { reason: 'early_stopping', message: 'EarlyStopping replay stops at epoch 0' } })).toMatchObject({ status: 'pass' });
  });

  it('a limit reached with no end line: pass where the version prints none (before 1.6), warn where it may, never fail', () => {
    const reached = { what: 'max_epochs=5', from: "metrics.csv's rows" };
    const no = checkExit(facts({ logCut: null, unprintedEnd: { ...reached, expected: 'no', version: 'Lightning 1.4–1.5 (train.log:4: …)' } }));
    expect(no).toMatchObject({ status: 'pass', detail: expect.stringContaining('which Lightning 1.4–1.5 (train.log:4: …) does not print (Lightning prints it from 1.6)') });
    const maybe = checkExit(facts({ logCut: null, unprintedEnd: { ...reached, expected: 'unknown', version: 'Lightning of unknown version' } }));
    expect(maybe).toMatchObject({ status: 'warn', detail: expect.stringContaining('may be one before 1.6, which prints none') });
    // What shows a cut still fails first.
    expect(checkExit(facts({ logCut: { evidence: 'x', line: 3 }, unprintedEnd: { ...reached, expected: 'unknown', version: 'v' } })).status).toBe('fail');
  });
});
