import { describe, expect, it } from 'vitest';
import { headBytes, LIVE_LOG_CUT_MARK, LIVE_LOG_LINE_MAX_BYTES, LiveLogSplitter, utf8Bytes } from './log-lines';

describe('the live log splitter', () => {
  it('gives out complete lines only, numbered, across pushes', () => {
    const s = new LiveLogSplitter();
    expect(s.push('GPU available: False, used: False\nEpoch 0: 1')).toEqual([{ seq: 0, text: 'GPU available: False, used: False', bytes: 33, cut: false }]);
    expect(s.push('0%')).toEqual([]);
    expect(s.push('\n\nné\n').map((l) => [l.seq, l.text, l.bytes])).toEqual([
      [1, 'Epoch 0: 10%', 12],
      [2, '', 0],
      [3, 'né', 3],
    ]);
    expect(s.nextSeq).toBe(4);
  });

  it('cuts a line over the cap as soon as it passes it, marks it, and drops the rest up to its newline', () => {
    const s = new LiveLogSplitter();
    const first = s.push(`${'a'.repeat(LIVE_LOG_LINE_MAX_BYTES - 1)}é`);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ seq: 0, cut: true });
    // The two-byte é does not fit: the head stops before it.
    expect(first[0].text).toBe('a'.repeat(LIVE_LOG_LINE_MAX_BYTES - 1) + LIVE_LOG_CUT_MARK);
    expect(first[0].bytes).toBe(utf8Bytes(first[0].text));
    expect(s.push('bbbb')).toEqual([]);
    expect(s.push('cc\nnext\n').map((l) => [l.seq, l.text, l.cut])).toEqual([[1, 'next', false]]);
    // A whole long line in one push is cut too.
    expect(s.push(`${'z'.repeat(LIVE_LOG_LINE_MAX_BYTES + 5)}\n`).map((l) => [l.seq, l.cut])).toEqual([[2, true]]);
  });

  it('after skipped text, starts at the next whole line', () => {
    const s = new LiveLogSplitter();
    s.push('half a li');
    s.skipped();
    expect(s.push('ne\nwhole\n').map((l) => l.text)).toEqual(['whole']);
  });

  it('measures UTF-8 and never cuts a surrogate pair', () => {
    expect(utf8Bytes('a€😀')).toBe(1 + 3 + 4);
    expect(headBytes('ab😀', 5)).toBe('ab');
    expect(headBytes('ab😀', 6)).toBe('ab😀');
  });
});
