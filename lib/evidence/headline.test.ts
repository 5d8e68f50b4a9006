import { describe, expect, it } from 'vitest';
import { citedLogLines, failureHeadline } from './headline';
import type { Evidence } from './types';

type Doc = Parameters<typeof failureHeadline>[0] & Parameters<typeof citedLogLines>[0];

const base = (over: Partial<Evidence>): Doc => ({
  status: 'failed',
  stop: { reason: 'error', message: 'ValueError: real' },
  bundle: { root: '/b', log: 'train.log', initiative: null, phase: null, timestamp: null },
  errors: [
    { file: 'train.log', line: 4, message: 'ValueError: real' },
    { file: 'train.log', line: 9, message: 'RuntimeError: wrapper' },
  ],
  warnings: [],
  checks: [{ id: 'exit', status: 'fail', detail: 'ValueError: real (train.log:4)' }],
  ...over,
});

describe('failure headline', () => {
  it('quotes the cause the document names, with the wrapper raised from it', () => {
    const h = failureHeadline(base({ cause: { kind: 'exception', file: 'train.log', line: 4, message: 'ValueError: real', raisedAs: { line: 9, message: 'RuntimeError: wrapper' } } }));
    expect(h).toEqual({ kind: 'exception', lead: 'Failed with', quote: 'ValueError: real', file: 'train.log', line: 4, raisedAs: { line: 9, message: 'RuntimeError: wrapper' }, exitCode: null });
  });

  it('falls back, for documents stored before `cause`, to the error the stop quotes, then to the line the exit check cites', () => {
    expect(failureHeadline(base({}))).toMatchObject({ line: 4, quote: 'ValueError: real' });
    const killed = base({ stop: { reason: 'killed', message: null }, errors: [], checks: [{ id: 'exit', status: 'fail', detail: 'killed: Received SIGTERM: 15 (train.log:7)' }] });
    expect(failureHeadline(killed)).toMatchObject({ line: 7, file: 'train.log', quote: 'killed: Received SIGTERM: 15' });
  });

  it('gives none while the run is live, or when nothing failed', () => {
    expect(failureHeadline(base({ status: 'running', cause: { kind: 'exception', file: 'train.log', line: 4, message: 'x' } }))).toBeNull();
    expect(failureHeadline(base({ status: 'succeeded', cause: null }))).toBeNull();
  });

  it('adds the exit code of a launched run', () => {
    const h = failureHeadline(
      base({ cause: { kind: 'usage', file: 'train.log', line: 17, message: "train.py: error: argument --n_images: invalid int value: 'abc'" }, launch: { exitCode: 2 } as Evidence['launch'] }),
    );
    expect(h).toMatchObject({ lead: 'The trainer refused its arguments', exitCode: 2 });
  });
});

describe('cited log lines (the "errors and warnings only" filter)', () => {
  it("are the error lines, each warning's first line and the cause, in that file only", () => {
    const ev = base({
      warnings: [{ category: 'UserWarning', message: 'careful', file: '/a.py', line: 3, count: 5, logLine: 2 }],
      errors: [
        { file: 'train.log', line: 4, message: 'ValueError: real' },
        { file: 'other.log', line: 1, message: 'x' },
      ],
      cause: { kind: 'severe-line', file: 'train.log', line: 1, message: 'E0000 …' },
    });
    expect([...citedLogLines(ev, 'train.log')].sort()).toEqual([
      [1, 'error'],
      [2, 'warn'],
      [4, 'error'],
    ]);
    expect([...citedLogLines(ev, 'other.log')]).toEqual([[1, 'error']]);
  });

  it('find a warning of an older document by its `file:line:` prefix', () => {
    const ev = base({ warnings: [{ category: 'UserWarning', message: 'careful now', file: '/a.py', line: 3, count: 1 }], errors: [] });
    const lines = [
      { n: 10, text: 'something about /a.py:3: in passing' },
      { n: 11, text: '/a.py:3: UserWarning: careful now' },
    ];
    expect([...citedLogLines(ev, 'train.log', lines)]).toEqual([[11, 'warn']]);
  });
});
