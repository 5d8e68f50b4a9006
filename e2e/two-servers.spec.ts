/**
 * Two web servers on one PostgreSQL database behind a reverse proxy (issue 12):
 * `runproof serve --no-worker` twice, one `runproof worker` beside them, and a
 * round-robin proxy written here that hands each request to the next server. A
 * login made through one server holds on the other (one RUNPROOF_SESSION_SECRET),
 * the launch form loads from both, and a run's live page keeps following the run
 * when its event stream comes from the other server after a reload.
 *
 * Needs RUNPROOF_TEST_DATABASE_URL (a server whose role may CREATE DATABASE);
 * without it the test is skipped, or fails when CI is set.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createTestDatabase, dropTestDatabase, testServerUrl } from '../db/testing/postgres';

const SERVER_URL = testServerUrl();
const CI = process.env.CI === 'true' || process.env.CI === '1';
const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/runproof.mjs');
const PASSWORD = 'two servers, one database';
const NO_DATABASE = 'RUNPROOF_TEST_DATABASE_URL is unset: two servers sharing one database need a PostgreSQL server';

if (!SERVER_URL && !CI) console.log(`e2e/two-servers.spec.ts skipped: ${NO_DATABASE}`);

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface Child {
  name: string;
  proc: ChildProcess;
  stderr: string[];
}

function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => stderr.push(...d.toString().split('\n').filter(Boolean)));
  return { name, proc, stderr };
}

async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Wait until `url` answers 200; a child that exits first fails it, with its stderr. */
async function waitForServer(c: Child, url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (c.proc.exitCode !== null) throw new Error(`${c.name} exited with ${c.proc.exitCode}:\n${c.stderr.slice(-30).join('\n')}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${c.name} did not answer ${url} within ${timeoutMs} ms:\n${c.stderr.slice(-30).join('\n')}`);
}

interface Forwarded {
  backend: number;
  method: string;
  path: string;
  /** What the browser fetched it as (Sec-Fetch-Dest): `document` for a page load. */
  dest: string;
}

/** Request headers that describe one connection, not the request: the proxy does not pass them on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A reverse proxy on 127.0.0.1 that hands requests to the backends in turn:
 * round-robin per kind of request (method, path, page load or not), so
 * repeated loads of one page, and successive event streams of one run,
 * alternate between the servers whatever else the browser fetches in
 * between. Responses are piped as they come (server-sent events flow). It
 * sends what RUNPROOF_TRUST_PROXY lets a server believe: the client's address
 * (X-Forwarded-For), and the host and scheme the browser used
 * (X-Forwarded-Host, X-Forwarded-Proto) for the Origin check and permalinks.
 */
async function startProxy(backends: number[]) {
  const turns = new Map<string, number>();
  const log: Forwarded[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const dest = String(req.headers['sec-fetch-dest'] ?? '');
    const kind = `${req.method} ${url.pathname} ${dest === 'document' ? 'document' : req.headers.rsc ? 'rsc' : 'other'}`;
    const turn = turns.get(kind) ?? 0;
    turns.set(kind, turn + 1);
    const backend = turn % backends.length;
    log.push({ backend, method: req.method ?? 'GET', path: url.pathname, dest });

    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = [prior, req.socket.remoteAddress].filter(Boolean).join(', ');
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = 'http';
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding']) headers['transfer-encoding'] = 'chunked';

    const upstream = http.request({ host: '127.0.0.1', port: backends[backend], method: req.method, path: req.url, headers, agent: false }, (up) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      res.flushHeaders();
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${e.message}`);
      else res.destroy();
    });
    // The browser went away (a reload closes the event stream): close the backend's side too.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    log,
    /** Requests forwarded to each backend. */
    counts: () => backends.map((_, i) => log.filter((f) => f.backend === i).length),
    /** Event streams (`/api/runs/<id>/events`) each backend served. */
    eventCounts: () => backends.map((_, i) => log.filter((f) => f.backend === i && f.path.endsWith('/events')).length),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test.describe('two web servers on one PostgreSQL database behind a proxy', () => {
  test.skip(!SERVER_URL && !CI, NO_DATABASE);
  test.describe.configure({ mode: 'serial', timeout: 240_000 });

  let scratch = '';
  let dbUrl = '';
  const children: Child[] = [];
  const ports: number[] = [];
  let proxy: Awaited<ReturnType<typeof startProxy>> | null = null;
  let proxyUrl = '';

  test.beforeAll(async () => {
    // In CI the database must be there: a skip would hide that this never ran.
    if (!SERVER_URL) throw new Error(`CI is set but ${NO_DATABASE}`);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-two-servers-'));
    dbUrl = await createTestDatabase(SERVER_URL, ROOT);
    const profiles = path.join(scratch, 'profiles.json');
    fs.writeFileSync(
      profiles,
      JSON.stringify({
        profiles: [
          {
            name: 'sleeper',
            title: 'Sleeper (two-servers test)',
            argv: ['{node}', '{runproof_root}/multihost/sleeper.mjs', '--ms', '{param:ms}', '--output_dir', '{output_dir}'],
            params: [{ name: 'ms', type: 'int', default: 8000, min: 100, max: 120_000 }],
            timeoutSec: 300,
          },
        ],
      }),
    );

    ports.push(await freePort(), await freePort());
    proxy = await startProxy(ports);
    proxyUrl = `http://127.0.0.1:${proxy.port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RUNPROOF_DATABASE_URL: dbUrl,
      // Only a server's own files go beside it (the runs are in PostgreSQL): each server gets a folder of its own below.
      RUNPROOF_DB: path.join(scratch, 'unused.db'),
      RUNPROOF_PASSWORD: PASSWORD,
      RUNPROOF_SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      RUNPROOF_TRUST_PROXY: '127.0.0.1',
      RUNPROOF_PUBLIC_URL: proxyUrl,
      RUNPROOF_PROFILES: profiles,
      RUNPROOF_BUNDLES_DIR: path.join(scratch, 'bundles'),
      RUNPROOF_WORK_DIR: path.join(scratch, 'work'),
      NEXT_TELEMETRY_DISABLED: '1',
    };
    // As on two hosts: neither sees the other's files (its revoked-sessions file among them), only the database.
    for (const [i, port] of ports.entries())
      children.push(startChild(`server ${i + 1}`, ['serve', '--no-worker', '--host', '127.0.0.1', '--port', String(port)], { ...env, RUNPROOF_DB: path.join(scratch, `server${i + 1}`, 'unused.db') }));
    children.push(startChild('worker', ['worker'], env));
    await Promise.all(ports.map((port, i) => waitForServer(children[i], `http://127.0.0.1:${port}/api/runs`, 120_000)));
  });

  test.afterAll(async () => {
    await proxy?.close();
    await Promise.all(children.map(stopChild));
    if (SERVER_URL && dbUrl) await dropTestDatabase(SERVER_URL, dbUrl);
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixtures a hook uses from its first parameter
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status === testInfo.expectedStatus) return;
    const body = children.map((c) => `--- ${c.name}\n${c.stderr.join('\n')}`).join('\n');
    await testInfo.attach('servers-stderr', { body, contentType: 'text/plain' });
    await testInfo.attach('proxy-log', { body: JSON.stringify(proxy?.log ?? [], null, 1), contentType: 'application/json' });
  });

  test('a login holds on both servers, the launch form loads from both, and a live run keeps streaming from either', async ({ page, browser }) => {
    const p = proxy!;

    // Log in through the proxy.
    await page.goto(`${proxyUrl}/login?next=/runs/new`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByTestId('login-form').getByRole('button', { name: 'Log in' }).click();
    // The whole URL: /login?next=/runs/new ends the same way. The form's first render on a fresh server waits for its
    // profile probes (python importing torch: seconds on a busy machine).
    await expect(page).toHaveURL(`${proxyUrl}/runs/new`, { timeout: 30_000 });
    await expect(page.getByTestId('launch-permission')).toHaveCount(0);

    // Every load of the launch form, from either server, knows the login.
    const loads = () => p.log.filter((f) => f.method === 'GET' && f.path === '/runs/new' && f.dest === 'document');
    const before = loads().length;
    for (let i = 0; i < 4; i++) {
      await page.goto(`${proxyUrl}/runs/new`);
      await expect(page.getByTestId('launch-form')).toBeVisible();
      await expect(page.getByTestId('launch-permission')).toHaveCount(0);
    }
    const served = loads().slice(before);
    expect(served).toHaveLength(4);
    expect(new Set(served.map((f) => f.backend))).toEqual(new Set([0, 1]));

    // Launch the sleeper: about 30 s of an "Epoch N" line a second.
    await page.getByTestId('profile-sleeper').click();
    await expect(page.getByTestId('profile-sleeper')).toHaveClass(/selected/);
    await page.getByTestId('knob-ms').fill('30000');
    await page.getByTestId('launch-submit').click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f]{12}$/, { timeout: 30_000 });
    const runPath = new URL(page.url()).pathname;
    const runId = runPath.split('/').pop()!;

    /** The highest "Epoch N" in the live log so far (-1 before the first). */
    const lastEpoch = async () => {
      const text =
        (await page
          .getByTestId('live-log')
          .textContent({ timeout: 5000 })
          .catch(() => '')) ?? '';
      return Math.max(-1, ...[...text.matchAll(/Epoch (\d+)/g)].map((m) => Number(m[1])));
    };
    const streams = () => p.log.filter((f) => f.path === `/api/runs/${runId}/events`);

    // The log advances over the event stream from one server…
    await expect.poll(lastEpoch, { timeout: 30_000 }).toBeGreaterThanOrEqual(0);
    const first = await lastEpoch();
    await expect.poll(lastEpoch, { timeout: 15_000 }).toBeGreaterThan(first);
    const seen = await lastEpoch();
    expect(streams().length).toBeGreaterThanOrEqual(1);
    const firstBackend = streams().at(-1)!.backend;

    // …and after a reload from the other one.
    const streamsBefore = streams().length;
    await page.reload();
    await expect(page.getByTestId('live-run')).toBeVisible();
    await expect.poll(() => streams().length, { timeout: 15_000 }).toBeGreaterThan(streamsBefore);
    expect(streams().at(-1)!.backend).not.toBe(firstBackend);
    await expect.poll(lastEpoch, { timeout: 15_000 }).toBeGreaterThan(seen);
    const afterReload = await lastEpoch();
    await expect.poll(lastEpoch, { timeout: 15_000 }).toBeGreaterThan(afterReload);
    for (const n of p.eventCounts()) expect(n).toBeGreaterThanOrEqual(1);

    // It ends, and the live page gives way to the permanent one.
    await expect(page.getByTestId('status-badge').first()).toHaveText(/succeeded/, { timeout: 60_000 });
    for (const port of ports) {
      const r = await fetch(`http://127.0.0.1:${port}/api/runs/${runId}`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { status: string }).status).toBe('succeeded');
    }

    // Straight to each server, bypassing the proxy: the session cookie is accepted by both; without it, a login is asked for.
    const cookie = (await page.context().cookies(proxyUrl)).find((c) => c.name === 'runproof_session');
    expect(cookie).toBeDefined();
    for (const port of ports) {
      const withCookie = await fetch(`http://127.0.0.1:${port}/runs/new`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
      expect(withCookie.status).toBe(200);
      const html = await withCookie.text();
      expect(html).toContain('data-testid="launch-form"');
      expect(html).not.toContain('data-testid="launch-permission"');
      const without = await (await fetch(`http://127.0.0.1:${port}/runs/new`)).text();
      expect(without).toContain('data-testid="launch-permission"');
    }
    // And in a browser that has only the cookie, on each server's own address.
    const other = await browser.newContext();
    await other.addCookies([{ name: cookie!.name, value: cookie!.value, url: proxyUrl }]);
    const direct = await other.newPage();
    for (const port of ports) {
      await direct.goto(`http://127.0.0.1:${port}/runs/new`);
      await expect(direct.getByTestId('launch-form')).toBeVisible();
      await expect(direct.getByTestId('launch-permission')).toHaveCount(0);
    }
    await other.close();

    // Log out through the proxy (one server handles it): the same cookie is then refused by both servers.
    await page.goto(`${proxyUrl}/runs/new`);
    await page.getByTestId('auth-status').getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(`${proxyUrl}/`, { timeout: 30_000 });
    for (const port of ports) {
      const stale = await (await fetch(`http://127.0.0.1:${port}/runs/new`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } })).text();
      expect(stale, `server on ${port} still takes the ended session`).toContain('data-testid="launch-permission"');
    }

    // Both servers carried part of the load.
    for (const n of p.counts()) expect(n).toBeGreaterThan(0);
  });
});
