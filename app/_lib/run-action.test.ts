import { afterEach, describe, expect, it, vi } from 'vitest';
import { notFound, redirect } from 'next/navigation';
import { fail, ok } from '@/lib/action-result';
import { runAction } from './run-action';

afterEach(() => vi.restoreAllMocks());

describe('runAction', () => {
  it('passes the body’s answer through, success or refusal', async () => {
    expect(await runAction('save', () => ok('Saved.'))).toEqual({ ok: true, message: 'Saved.' });
    expect(await runAction('save', async () => fail('No such run.'))).toEqual({ ok: false, error: 'No such run.' });
  });

  it('turns a thrown error into a plain failure, logs the cause, keeps the submitted values', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const r = await runAction(
      'save the name and notes',
      () => {
        throw new Error('SQLITE_BUSY: database is locked');
      },
      { name: 'n', notes: '' },
    );
    expect(r).toEqual({ ok: false, error: 'Could not save the name and notes: see the server log.', data: { name: 'n', notes: '' } });
    expect(JSON.stringify(r)).not.toContain('SQLITE_BUSY');
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0][1])).toContain('SQLITE_BUSY');
  });

  it('lets redirect() and notFound() through, as Next needs them to navigate', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(runAction('delete the run', () => redirect('/?deleted=abc'))).rejects.toMatchObject({ digest: expect.stringContaining('NEXT_REDIRECT') });
    await expect(runAction('read', () => notFound())).rejects.toMatchObject({ digest: expect.stringContaining('NEXT_HTTP_ERROR_FALLBACK;404') });
    expect(logged).not.toHaveBeenCalled();
  });
});
