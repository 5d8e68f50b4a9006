import { describe, expect, it } from 'vitest';
import { errorOf, fail, fieldError, initialState, ok, resultText, type ActionResult } from './action-result';

describe('the action result', () => {
  it('a success says what happened and may carry data; nothing unset is sent', () => {
    expect(ok('Saved.')).toEqual({ ok: true, message: 'Saved.' });
    expect(ok(undefined, { name: 'a' })).toEqual({ ok: true, data: { name: 'a' } });
    expect(Object.keys(ok())).toEqual(['ok']);
  });

  it('a failure carries its error, the fields it concerns and the submitted values', () => {
    const r = fail('2 knobs not valid', { fieldErrors: { lr: 'must be a number' }, data: { lr: 'abc' } });
    expect(r).toEqual({ ok: false, error: '2 knobs not valid', fieldErrors: { lr: 'must be a number' }, data: { lr: 'abc' } });
    expect(fail('No such run.', { fieldErrors: {} })).toEqual({ ok: false, error: 'No such run.' });
  });

  it('the readers give a caller the line to show, the error alone, or one field’s message', () => {
    const good: ActionResult = ok('Archived 2 runs.');
    const bad: ActionResult<{ rows: string }> = fail('Pick a row', { fieldErrors: { rows: 'unknown row EB9' }, data: { rows: 'x' } });
    expect(resultText(good)).toBe('Archived 2 runs.');
    expect(resultText(bad)).toBe('Pick a row');
    expect(resultText(ok())).toBeNull();
    expect(resultText(null)).toBeNull();
    expect(errorOf(good)).toBeNull();
    expect(errorOf(bad)).toBe('Pick a row');
    expect(fieldError(bad, 'rows')).toBe('unknown row EB9');
    expect(fieldError(bad, 'profile')).toBeNull();
    expect(fieldError(good, 'rows')).toBeNull();
  });

  it('a form starts with nothing said and its starting values', () => {
    const s = initialState({ name: 'x', notes: '' });
    expect(s).toEqual({ ok: true, data: { name: 'x', notes: '' } });
    expect(resultText(s)).toBeNull();
    expect(errorOf(s)).toBeNull();
  });
});
