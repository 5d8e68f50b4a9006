import { describe, expect, it } from 'vitest';
import { readNumber } from './values';

describe('a number knob read from its text (form, --set, API alike)', () => {
  const int = { type: 'int' as const, min: 1, max: 4096 };
  const num = { type: 'number' as const, min: 0, max: 1 };

  it('refuses letters, with the text, never falling back to a default', () => {
    expect(readNumber(int, 'abc')).toEqual({ error: 'must be a whole number, not “abc”' });
    expect(readNumber(int, '12abc')).toEqual({ error: 'must be a whole number, not “12abc”' });
    expect(readNumber(num, '0x10')).toEqual({ error: 'must be a number, not “0x10”' });
    expect(readNumber(num, 'Infinity').error).toMatch(/must be a number/);
    expect(readNumber(num, 'nan').error).toMatch(/must be a number/);
    expect(readNumber(int, '').error).toBe('must be a whole number');
  });

  it('reads what a command line gives, within the range', () => {
    expect(readNumber(int, ' 4096 ')).toEqual({ value: 4096 });
    expect(readNumber(int, '4097')).toEqual({ error: 'must be between 1 and 4096' });
    expect(readNumber(int, '1e3').error).toMatch(/whole number/);
    expect(readNumber(num, '1e-3')).toEqual({ value: 0.001 });
    expect(readNumber(num, '.5')).toEqual({ value: 0.5 });
    expect(readNumber({ type: 'number', min: 0, exclusiveMin: true }, '0')).toEqual({ error: 'must be greater than 0' });
  });
});
