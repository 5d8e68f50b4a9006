/**
 * route(): the one error handling every route handler shares, called as Next
 * calls a handler (a real Request, params as a promise), then through the
 * real /api/runs routes against a real database (a SQLite file, and
 * PostgreSQL when the tests have one) with an imported bundle.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importBundles } from '@/server/bundles';
import { RUNTIME_SMOKE } from '@/fixtures/test-helpers';
import { makeTestEnv, type TestEnv } from '@/workers/testing';
import { backends } from '@/db/testing/backends';
import { BAD_ENCODING, HttpError, route } from './api';
import { DataUnavailableError } from './data';
import { GET as getRun } from '../api/runs/[id]/route';
import { GET as getBadge } from '../api/runs/[id]/badge.svg/route';
import { GET as getFile } from '../api/runs/[id]/files/[...path]/route';
import { GET as listRuns } from '../api/runs/route';
import { NextRequest } from 'next/server';

let env: TestEnv | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await env?.cleanup();
  env = null;
});

const req = (p = '/api/runs/x') => new Request(`http://127.0.0.1${p}`);
const ctx = <P>(params: P) => ({ params: Promise.resolve(params) });

describe('route()', () => {
  it('hands the awaited params to the handler and returns its response untouched', async () => {
    const GET = route<{ id: string; path: string[] }>('test', (r, p) => new Response(`${new URL(r.url).pathname} ${p.id} ${p.path.join('/')}`, { headers: { 'X-Mine': '1' } }));
    const res = await GET(req('/api/runs/abc/files/a/b'), ctx({ id: 'abc', path: ['a', 'b'] }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-mine')).toBe('1');
    expect(await res.text()).toBe('/api/runs/abc/files/a/b abc a/b');
  });

  it('answers an id that cannot be a run with a 404, before the handler runs', async () => {
    const handler = vi.fn(() => new Response('ran'));
    const res = await route<{ id: string }>('test', handler)(req(), ctx({ id: "x'; DROP TABLE runs;--" }));
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: `No run with id "x'; DROP TABLE runs;--".` });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers a thrown HttpError with its status, headers and fields, without logging it', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await route('test', () => {
      throw new HttpError(429, 'too many streams', { 'Retry-After': '3' }, { plans: [{ plan: 'p.md' }] });
    })(req(), ctx({}));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'too many streams', plans: [{ plan: 'p.md' }] });
    expect(logged).not.toHaveBeenCalled();
  });

  it('answers a path that is not valid percent-encoded UTF-8 with a 400, however it surfaced', async () => {
    const fromParams = await route('test', () => new Response('ran'))(req(), { params: Promise.reject(new URIError('URI malformed')) });
    expect(fromParams.status).toBe(400);
    expect(await fromParams.json()).toEqual({ error: BAD_ENCODING });
    const fromHandler = await route('test', () => new Response(decodeURIComponent('%E0%A4%A')))(req(), ctx({}));
    expect(fromHandler.status).toBe(400);
  });

  it('turns an unexpected error into a 500 that names no internals, and logs it with what was being done', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await route('rendering a badge', () => {
      throw new Error('ENOENT /home/me/secret/path');
    })(req(), ctx({}));
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'Internal error; see the server log.' });
    expect(body).not.toContain('secret');
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0][0]).toContain('rendering a badge');
  });

  it('passes a database outage on with its plain message (logged once, where the database was read)', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await route('test', async () => {
      throw new DataUnavailableError('listing runs');
    })(req(), ctx({}));
    expect(res.status).toBe(500);
    expect((await res.json()).error).toMatch(/^Could not read the run database \(listing runs\)/);
    expect(logged).not.toHaveBeenCalled();
  });

  it('lets a route answer errors in its own format', async () => {
    const GET = route<{ id: string }>('test', () => new Response('never'), {
      respond: (status, error) => new Response(`<svg>${error}</svg>`, { status, headers: { 'Content-Type': 'image/svg+xml' } }),
    });
    const res = await GET(req(), ctx({ id: '../etc' }));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toContain('<svg>No run with id');
  });

  it('works for a route without dynamic segments, called with no context', async () => {
    const GET = route('test', () => Response.json({ ok: true }));
    const res = await (GET as (r: Request, c?: unknown) => Promise<Response>)(req());
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe.each(backends())('the /api/runs routes through route(), on a real database (%s)', (backend) => {
  async function imported(): Promise<string> {
    env = await makeTestEnv({}, backend);
    const r = await importBundles({ db: env.db, roots: [RUNTIME_SMOKE] });
    expect(r.added).toBe(1);
    return r.runs[0].id;
  }

  it('a known run: its evidence as JSON; an unknown one: a JSON 404', async () => {
    const id = await imported();
    const ok = await getRun(req(`/api/runs/${id}`), ctx({ id }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect((await ok.json()).title).toBeTruthy();
    const missing = await getRun(req('/api/runs/ffffffffffff'), ctx({ id: 'ffffffffffff' }));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'No run with id "ffffffffffff".' });
  });

  it('the badge of an unknown or impossible run is still an image', async () => {
    await imported();
    for (const id of ['ffffffffffff', 'a b']) {
      const res = await getBadge(req(), ctx({ id }));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      expect(await res.text()).toContain('run not found');
    }
  });

  it('a bundle file outside the bundle is refused with the status openBundleFile chose', async () => {
    const id = await imported();
    const outside = await getFile(new NextRequest(`http://127.0.0.1/api/runs/${id}/files/x`), ctx({ id, path: ['..', '..', 'etc', 'passwd'] }));
    expect([400, 404]).toContain(outside.status);
    expect((await outside.json()).error).toBeTruthy();
    const badEncoding = await getFile(new NextRequest(`http://127.0.0.1/api/runs/${id}/files/x`), ctx({ id, path: ['%E0%A4%A'] }));
    expect(badEncoding.status).toBe(400);
  });

  it('a bad filter on the runs list is a 400 naming it', async () => {
    await imported();
    const res = await listRuns(new NextRequest('http://127.0.0.1/api/runs?sort=nonsense'), ctx({}));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/sort/);
    const good = await listRuns(new NextRequest('http://127.0.0.1/api/runs'), ctx({}));
    expect((await good.json()).total).toBe(1);
  });
});
