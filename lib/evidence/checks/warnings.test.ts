import { describe, expect, it } from 'vitest';
import type { ParsedLog } from '../../lightning/logs';
import { checkWarnings } from './warnings';

const log = {} as ParsedLog;
const w = (category: string | null, message: string, count = 1) => ({ category, message, file: null, line: null, count });

describe('checkWarnings', () => {
  it('fails on deprecation warnings, warns on others, passes on none', () => {
    expect(checkWarnings({ log, warnings: [w('UserWarning', 'a'), w('LightningDeprecationWarning', 'old API')] })).toEqual({
      id: 'warnings',
      status: 'fail',
      detail: '1 deprecation warning: old API',
    });
    expect(checkWarnings({ log, warnings: [w('UserWarning', 'a', 3), w(null, 'b', 2)] })).toMatchObject({ status: 'warn', detail: '2 distinct warnings (5 in all)' });
    expect(checkWarnings({ log, warnings: [] })).toMatchObject({ status: 'pass', detail: 'no warnings' });
  });

  it('skips without a log', () => {
    expect(checkWarnings({ log: null, warnings: [] }).status).toBe('skip');
  });
});
