import { describe, expect, it } from 'vitest';
import { known, unknown } from '../facts/fact';
import type { Facts } from '../facts';
import type { Evidence } from '../types';
import { checkEpochs, type EpochsFacts } from './epochs';

const rows = (n: number) => Array.from({ length: n }, (_, epoch) => ({ epoch, step: epoch, metrics: {} }));
const stoppedAt = (epoch: number) => ({ configured: true, triggered: true, stoppedEpoch: epoch }) as NonNullable<Evidence['earlyStop']>;
const facts = (p: Partial<EpochsFacts> = {}): EpochsFacts => ({ epochs: rows(5), maxEpochs: known(5, 'command.txt: --max_epochs'), earlyStop: null, interrupted: null, ...p });
/** Settings where the bundle says there is no EarlyStopping (runproof.json lists none). */
const noEarlyStopping = { earlyStop: { configured: known(false, 'runproof.json: early_stopping (none)') }, trainer: { maxSteps: unknown('none') } } as unknown as Facts['settings'];

describe('checkEpochs', () => {
  it('passes max_epochs epochs, or fewer when early stopping stopped at the last one', () => {
    expect(checkEpochs(facts())).toEqual({ id: 'epochs', status: 'pass', detail: '5 of max_epochs=5' });
    expect(checkEpochs(facts({ epochs: rows(3), maxEpochs: known(10, 'x'), earlyStop: stoppedAt(2) })).detail).toBe('3 of max_epochs=10, stopped early at epoch 2');
  });

  it("explains fewer epochs by max_steps: the log's stop line, or max_steps stated and reached", () => {
    expect(checkEpochs(facts({ epochs: rows(3), maxEpochs: known(20, 'x'), stop: { reason: 'max_steps', message: '`Trainer.fit` stopped: `max_steps=13` reached.' } }))).toMatchObject({
      status: 'pass',
      detail: '3 of max_epochs=20: `Trainer.fit` stopped: `max_steps=13` reached.',
    });
    const settings = { earlyStop: { configured: unknown('none') }, trainer: { maxSteps: known(13, 'command.txt: --max_steps') } } as unknown as Facts['settings'];
    expect(checkEpochs(facts({ epochs: rows(3), maxEpochs: known(20, 'x'), settings, lastStep: 13 }))).toMatchObject({
      status: 'pass',
      detail: '3 of max_epochs=20: max_steps=13 reached (command.txt: --max_steps)',
    });
  });

  it('fails fewer epochs when the bundle says there is no EarlyStopping, and more than max_epochs', () => {
    expect(checkEpochs(facts({ epochs: rows(3), settings: noEarlyStopping }))).toMatchObject({
      status: 'fail',
      detail: '3 of max_epochs=5, not explained by early stopping (runproof.json: early_stopping (none))',
    });
    expect(checkEpochs(facts({ epochs: rows(6) })).detail).toBe('6 of max_epochs=5');
  });

  it('warns, not fails, on fewer epochs when the bundle does not say what could have ended the fit', () => {
    expect(checkEpochs(facts({ epochs: rows(3) }))).toMatchObject({
      status: 'warn',
      detail: '3 of max_epochs=5: fewer, and the bundle does not say whether an EarlyStopping or max_steps ended it; runproof.json or the full command would settle it',
    });
  });

  it('counts epochs from the first a resumed fit logged, and max_epochs=-1 as no limit', () => {
    const resumed = [2, 3, 4].map((epoch) => ({ epoch, step: epoch, metrics: {} }));
    expect(checkEpochs(facts({ epochs: resumed })).detail).toBe('5 (epochs 2–4) of max_epochs=5');
    expect(checkEpochs(facts({ maxEpochs: known(-1, 'x'), stop: { reason: 'max_steps', message: 'max_steps=20 reached' } }))).toMatchObject({
      status: 'pass',
      detail: '5 epochs, no epoch limit (max_epochs=-1): max_steps=20 reached',
    });
  });

  it('skips without epochs, with max_epochs unknown, and when the run was stopped from outside', () => {
    expect(checkEpochs(facts({ epochs: [] })).status).toBe('skip');
    expect(checkEpochs(facts({ maxEpochs: unknown('none') }))).toMatchObject({ status: 'skip', detail: '5 epochs ran; max_epochs unknown' });
    expect(checkEpochs(facts({ epochs: rows(2), interrupted: 'timed out' }))).toMatchObject({ status: 'skip', detail: '2 epochs of max_epochs=5: the run was timed out before it could finish' });
  });
});
