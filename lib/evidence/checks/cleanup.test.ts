import { describe, expect, it } from 'vitest';
import { checkCleanup } from './cleanup';

describe('checkCleanup', () => {
  it('passes or fails a launched run on its output folder, skips an imported one', () => {
    expect(checkCleanup({ launch: { exitCode: 0, signal: null, cleanedUp: true } })).toEqual({ id: 'cleanup', status: 'pass', detail: 'temporary output folder removed after archiving' });
    expect(checkCleanup({ launch: { exitCode: 0, signal: null, cleanedUp: false } }).status).toBe('fail');
    expect(checkCleanup({ launch: { exitCode: 0, signal: null, cleanedUp: null } }).status).toBe('skip');
    expect(checkCleanup({ launch: null }).status).toBe('skip');
  });
});
