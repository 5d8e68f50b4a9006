import { describe, expect, it } from 'vitest';
import { known, unknown } from '../facts/fact';
import type { Evidence } from '../types';
import { checkEpochs, type EpochsFacts } from './epochs';

const rows = (n: number) => Array.from({ length: n }, (_, epoch) => ({ epoch, step: epoch, metrics: {} }));
const stoppedAt = (epoch: number) => ({ triggered: true, stoppedEpoch: epoch }) as NonNullable<Evidence['earlyStop']>;
const facts = (p: Partial<EpochsFacts> = {}): EpochsFacts => ({ epochs: rows(5), maxEpochs: known(5, 'command.txt: --max_epochs'), earlyStop: null, interrupted: null, ...p });

describe('checkEpochs', () => {
  it('passes max_epochs epochs, or fewer when early stopping stopped at the last one', () => {
    expect(checkEpochs(facts())).toEqual({ id: 'epochs', status: 'pass', detail: '5 of max_epochs=5' });
    expect(checkEpochs(facts({ epochs: rows(3), maxEpochs: known(10, 'x'), earlyStop: stoppedAt(2) })).detail).toBe('3 of max_epochs=10, stopped early at epoch 2');
  });

  it('fails fewer epochs not explained by early stopping, and more than max_epochs', () => {
    expect(checkEpochs(facts({ epochs: rows(3) }))).toMatchObject({ status: 'fail', detail: '3 of max_epochs=5, not explained by early stopping' });
    expect(checkEpochs(facts({ epochs: rows(3), earlyStop: stoppedAt(1) })).status).toBe('fail');
    expect(checkEpochs(facts({ epochs: rows(6) })).detail).toBe('6 of max_epochs=5');
  });

  it('skips without epochs, with max_epochs unknown, and when the run was stopped from outside', () => {
    expect(checkEpochs(facts({ epochs: [] })).status).toBe('skip');
    expect(checkEpochs(facts({ maxEpochs: unknown('none') }))).toMatchObject({ status: 'skip', detail: '5 epochs ran; max_epochs unknown' });
    expect(checkEpochs(facts({ epochs: rows(2), interrupted: 'timed out' }))).toMatchObject({ status: 'skip', detail: '2 epochs of max_epochs=5: the run was timed out before it could finish' });
  });
});
