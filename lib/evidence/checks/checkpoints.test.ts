import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATE } from '../../lightning/checkpoints';
import { assumed, known } from '../facts/fact';
import type { UsedSetting } from '../facts/checkpoints';
import type { FoundCheckpoint } from '../types';
import { checkCheckpoints, type CheckpointsFacts } from './checkpoints';

const file = (name: string, expected = true): FoundCheckpoint => ({ name, sizeBytes: 1, epoch: null, step: null, score: null, kind: name === 'last.ckpt' ? 'last' : 'top-k', expected });
const st = <T>(value: T, source = 'command.txt'): UsedSetting<T> => ({ value, how: 'stated', source });
const inf = <T>(value: T, source: string, alternatives: T[] = []): UsedSetting<T> => ({ value, how: 'inferred', source, alternatives });
const used = (p: Partial<NonNullable<CheckpointsFacts['checkpoints']['used']>> = {}): NonNullable<CheckpointsFacts['checkpoints']['used']> => ({
  monitor: st<string | null>('val_loss'),
  mode: st<'min' | 'max'>('min'),
  saveTopK: st(2),
  saveLast: st<boolean | 'link'>(true),
  everyNEpochs: { value: 1, how: 'default', source: 'not stated' },
  everyNTrainSteps: { value: 0, how: 'default', source: 'not stated' },
  template: inf(DEFAULT_TEMPLATE, 'checkpoint file names'),
  stepsPerBatch: { value: 1, how: 'default', source: 'one' },
  saveOnTrainEpochEnd: inf(true, 'one validation per epoch'),
  ...p,
});
const facts = (p: Partial<CheckpointsFacts['checkpoints']> = {}): CheckpointsFacts => ({
  checkpoints: {
    evidence: true,
    listingFile: 'checkpoints_ls.txt',
    template: assumed(DEFAULT_TEMPLATE, 'no top-k file'),
    saveTopK: known(2, 'command.txt: --checkpoint-save-top-k'),
    saveLast: known(true, 'checkpoint file last.ckpt'),
    monitor: known('val_loss', 'command.txt'),
    canReplay: true,
    reason: null,
    used: used(),
    explained: true,
    tried: 1,
    searchCut: false,
    found: [file('epoch=3-step=39.ckpt'), file('epoch=4-step=49.ckpt'), file('last.ckpt')],
    expected: [
      { name: 'epoch=3-step=39.ckpt', epoch: 3, score: null, kind: 'top-k' },
      { name: 'epoch=4-step=49.ckpt', epoch: 4, score: null, kind: 'top-k' },
      { name: 'last.ckpt', epoch: 4, score: null, kind: 'last' },
    ],
    missing: [],
    unexpected: [],
    prior: [],
    bookkeeping: null,
    logMismatch: null,
    roundedUndecided: false,
    replay: null,
    ...p,
  },
});

describe('checkCheckpoints', () => {
  it("passes when the files are exactly the replay's, naming the settings it used", () => {
    expect(checkCheckpoints(facts())).toEqual({ id: 'checkpoints', status: 'pass', detail: '3 files exactly as the replay of save_top_k=2 + last expects (monitor=val_loss, mode=min, save_top_k=2)' });
  });

  it("passes with what it inferred from the files said, and the inferred value's alternatives", () => {
    const c = checkCheckpoints(facts({ used: used({ saveTopK: inf(2, '2 files kept'), mode: inf<'min' | 'max'>('max', 'which epochs were kept') }) }));
    expect(c.status).toBe('pass');
    expect(c.detail).toContain('mode=max (inferred from which epochs were kept)');
    expect(c.detail).toContain('save_top_k=2 (inferred from 2 files kept)');
    expect(c.detail).toMatch(/the command or runproof.json would state what was inferred$/);
    expect(checkCheckpoints(facts({ used: used({ mode: inf<'min' | 'max'>('min', 'kept', ['max']) }) })).detail).toContain('max would do too');
  });

  it('warns when only a setting the bundle never states (every_n_epochs) explains the files', () => {
    const c = checkCheckpoints(facts({ used: used({ everyNEpochs: inf(2, 'the kept files (saved every 2 epochs)') }) }));
    expect(c).toMatchObject({ status: 'warn', detail: expect.stringContaining('every_n_epochs=2 (inferred from the kept files (saved every 2 epochs))') });
  });

  it("fails naming the missing and unexpected files, and the settings it took at Lightning's defaults", () => {
    const c = checkCheckpoints(
      facts({
        explained: false,
        found: [file('epoch=1-step=19.ckpt', false)],
        missing: ['epoch=3-step=39.ckpt'],
        unexpected: ['epoch=1-step=19.ckpt'],
        used: used({ saveLast: st<boolean | 'link'>(false), everyNEpochs: { value: 1, how: 'default', source: 'x' } }),
      }),
    );
    expect(c).toMatchObject({
      status: 'fail',
      detail:
        "replay of save_top_k=2 expects 3 files, found 1; missing: epoch=3-step=39.ckpt; unexpected: epoch=1-step=19.ckpt (monitor=val_loss, mode=min, save_top_k=2; Lightning's defaults taken for what the bundle does not state: every_n_epochs=1, every_n_train_steps=0)",
    });
  });

  it("only warns when the replay ran over the log's rounded values and they are too close to decide", () => {
    const c = checkCheckpoints({ ...facts({ explained: false, missing: ['epoch=3-step=39.ckpt'], roundedUndecided: true }), timelineFrom: 'log' });
    expect(c).toMatchObject({ status: 'warn', detail: expect.stringContaining('the replay ran over the values the log printed, which cannot decide it (rounded too close') });
    // rounded values that cannot change the replay's decisions: a contradiction all the same
    expect(checkCheckpoints({ ...facts({ explained: false, missing: ['epoch=3-step=39.ckpt'], roundedUndecided: false }), timelineFrom: 'log' }).status).toBe('fail');
  });

  it("fails when Lightning's own best_k_models (runproof.json) name a file the listing lacks, or the listing holds one Lightning deleted", () => {
    const bookkeeping = { source: 'runproof.json: end best_k_models', kept: ['epoch=3-step=39.ckpt'], missing: ['epoch=3-step=39.ckpt'], unexpected: [] };
    expect(checkCheckpoints(facts({ bookkeeping }))).toMatchObject({
      status: 'fail',
      detail: 'runproof.json: end best_k_models against the listing: kept by Lightning but not in the listing: epoch=3-step=39.ckpt',
    });
    expect(checkCheckpoints(facts({ bookkeeping: { ...bookkeeping, missing: [], unexpected: ['epoch=0-step=9.ckpt'] } })).detail).toContain(
      'in the listing but not kept by Lightning: epoch=0-step=9.ckpt',
    );
  });

  it('counts long lists', () => {
    const many = Array.from({ length: 25 }, (_, i) => `epoch=${i}.ckpt`);
    expect(checkCheckpoints(facts({ explained: false, unexpected: many })).detail).toContain('unexpected 25: ');
  });

  it('skips without checkpoint evidence or without a timeline to replay over, saying why', () => {
    expect(checkCheckpoints(facts({ evidence: false }))).toMatchObject({ status: 'skip', detail: 'no checkpoint listing in the bundle' });
    expect(checkCheckpoints(facts({ canReplay: false, used: null, reason: 'no per-epoch metrics' }))).toMatchObject({ status: 'skip', detail: 'no per-epoch metrics' });
  });
});
