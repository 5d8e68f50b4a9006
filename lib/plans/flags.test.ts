import { describe, expect, it } from 'vitest';
import { rowFlags, runVerdict } from './flags';

describe('runVerdict', () => {
  it.each([
    [{ status: 'succeeded', checksFail: 0 }, 'pass'],
    [{ status: 'succeeded', checksFail: 1 }, 'fail'],
    [{ status: 'lost', checksFail: 0 }, 'fail'],
    [{ status: 'running', checksFail: 0 }, 'pending'],
    [{ status: 'unknown', checksFail: 0 }, 'unknown'],
  ] as const)('%o → %s', (r, v) => expect(runVerdict(r)).toBe(v));
});

describe('rowFlags', () => {
  it('flags [x] without a passing run, and a failing latest run', () => {
    expect(rowFlags('[x]', []).map((f) => f.kind)).toEqual(['done-without-evidence']);
    expect(rowFlags('[ ]', [{ status: 'succeeded', checksFail: 1 }])).toEqual([{ kind: 'latest-fails', message: 'its latest run fails 1 check' }]);
    expect(rowFlags('[x]', [{ status: 'succeeded', checksFail: 2 }]).map((f) => f.kind)).toEqual(['done-without-evidence', 'latest-fails']);
  });
  it('is quiet when the latest finished run passes; a run in progress does not count as latest', () => {
    expect(rowFlags('[x]', [{ status: 'running', checksFail: 0 }, { status: 'succeeded', checksFail: 0 }, { status: 'failed', checksFail: 1 }])).toEqual([]);
    expect(rowFlags('[ ]', [])).toEqual([]);
  });
});
