import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATE } from '../../lightning/checkpoints';
import { assumed, known, unknown } from '../facts/fact';
import type { FoundCheckpoint } from '../types';
import { checkCheckpoints, type CheckpointsFacts } from './checkpoints';

const file = (name: string, expected = true): FoundCheckpoint => ({ name, sizeBytes: 1, epoch: null, step: null, score: null, kind: name === 'last.ckpt' ? 'last' : 'top-k', expected });
const facts = (p: Partial<CheckpointsFacts['checkpoints']> = {}): CheckpointsFacts => ({
  checkpoints: {
    evidence: true,
    listingFile: 'checkpoints_ls.txt',
    template: assumed(DEFAULT_TEMPLATE, 'no top-k file'),
    saveTopK: known(2, 'command.txt: --checkpoint-save-top-k'),
    saveLast: known(true, 'checkpoint file last.ckpt'),
    monitor: unknown('none'),
    canReplay: true,
    found: [file('epoch=3-step=39.ckpt'), file('epoch=4-step=49.ckpt'), file('last.ckpt')],
    expected: [{ name: 'epoch=3-step=39.ckpt', epoch: 3, score: null, kind: 'top-k' }, { name: 'epoch=4-step=49.ckpt', epoch: 4, score: null, kind: 'top-k' }, { name: 'last.ckpt', epoch: 4, score: null, kind: 'last' }],
    missing: [],
    unexpected: [],
    ...p,
  },
});

describe('checkCheckpoints', () => {
  it('passes when the files are exactly the replay\'s', () => {
    expect(checkCheckpoints(facts())).toEqual({ id: 'checkpoints', status: 'pass', detail: '3 files exactly as the replay of save_top_k=2 + last expects' });
  });

  it('fails naming the missing and unexpected files', () => {
    const c = checkCheckpoints(facts({ saveLast: known(false, 'x'), found: [file('epoch=1-step=19.ckpt', false)], missing: ['epoch=3-step=39.ckpt'], unexpected: ['epoch=1-step=19.ckpt'] }));
    expect(c).toMatchObject({ status: 'fail', detail: 'replay of save_top_k=2 expects 3 files, found 1; missing: epoch=3-step=39.ckpt; unexpected: epoch=1-step=19.ckpt' });
  });

  it('counts long lists', () => {
    const many = Array.from({ length: 25 }, (_, i) => `epoch=${i}.ckpt`);
    expect(checkCheckpoints(facts({ unexpected: many })).detail).toContain('unexpected 25: ');
  });

  it('skips without checkpoint evidence or without epochs to replay over', () => {
    expect(checkCheckpoints(facts({ evidence: false }))).toMatchObject({ status: 'skip', detail: 'no checkpoint listing in the bundle' });
    expect(checkCheckpoints(facts({ canReplay: false }))).toMatchObject({ status: 'skip', detail: 'no per-epoch metrics to replay ModelCheckpoint' });
  });
});
