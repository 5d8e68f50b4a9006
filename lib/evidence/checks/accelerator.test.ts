import { describe, expect, it } from 'vitest';
import { known, unknown } from '../facts/fact';
import { checkAccelerator } from './accelerator';

const acc = (requested: string | null, resolved: string | null, device: string | null = null) => ({
  accelerator: { requested: requested === null ? unknown('no knob') : known(requested, 'command.txt: --accelerator'), resolved, device, evidence: [] },
});

describe('checkAccelerator', () => {
  it('passes when it ran on what was asked (auto takes anything, cuda is gpu)', () => {
    expect(checkAccelerator(acc('gpu', 'gpu', 'NVIDIA H100'))).toEqual({ id: 'accelerator', status: 'pass', detail: 'requested gpu, ran on gpu (NVIDIA H100)' });
    expect(checkAccelerator(acc('CUDA', 'gpu')).status).toBe('pass');
    expect(checkAccelerator(acc('auto', 'cpu')).status).toBe('pass');
    expect(checkAccelerator(acc(null, 'cpu')).detail).toBe('ran on cpu; nothing requested');
  });

  it('fails when it ran elsewhere', () => {
    expect(checkAccelerator(acc('gpu', 'cpu'))).toMatchObject({ status: 'fail', detail: 'requested gpu but ran on cpu' });
  });

  it('skips without accelerator lines in the log', () => {
    expect(checkAccelerator(acc('gpu', null)).status).toBe('skip');
  });
});
