import { describe, expect, it } from 'vitest';
import { rowFlags, runVerdict } from './flags';

const run = (status: string, checksFail = 0, checksPass = 5, qualifies?: boolean) => ({ status, checksFail, checksPass, qualifies });

describe('runVerdict', () => {
  it.each([
    [run('succeeded'), 'pass'],
    [run('succeeded', 1), 'fail'],
    [run('lost'), 'incomplete'],
    [run('cancelled', 1), 'incomplete'],
    [run('running', 2), 'pending'],
    [run('unknown'), 'incomplete'],
  ] as const)('%o → %s', (r, v) => expect(runVerdict(r)).toBe(v));
});

describe('rowFlags', () => {
  it('flags [x] without a passing run, and a failing latest run', () => {
    expect(rowFlags('[x]', []).map((f) => f.kind)).toEqual(['done-without-evidence']);
    expect(rowFlags('[ ]', [run('succeeded', 1)])).toEqual([{ kind: 'latest-fails', message: 'its latest qualifying run fails 1 check' }]);
    expect(rowFlags('[x]', [run('succeeded', 2)]).map((f) => f.kind)).toEqual(['done-without-evidence', 'latest-fails']);
  });

  it('is quiet when the latest finished run passes; runs in progress and cancelled runs do not count as latest', () => {
    expect(rowFlags('[x]', [run('running', 0, 0), run('cancelled'), run('succeeded'), run('failed', 1)])).toEqual([]);
    expect(rowFlags('[ ]', [])).toEqual([]);
  });

  it('a run that does not qualify for the row neither clears a flag nor raises one', () => {
    // A passing run of another trainer after the failing one: the flag stays.
    expect(rowFlags('[ ]', [run('succeeded', 0, 7, false), run('succeeded', 1)])).toEqual([{ kind: 'latest-fails', message: 'its latest qualifying run fails 1 check' }]);
    expect(rowFlags('[x]', [run('succeeded', 0, 7, false)])).toEqual([{ kind: 'done-without-evidence', message: 'marked [x], but no qualifying run proves it; 1 linked run does not qualify' }]);
    expect(rowFlags('[ ]', [run('failed', 3, 0, false)])).toEqual([]);
    // A qualifying passing run clears both.
    expect(rowFlags('[x]', [run('succeeded', 0, 7, true), run('succeeded', 1)])).toEqual([]);
  });
});
