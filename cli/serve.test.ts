/**
 * `runproof serve` for real: a child process on a loopback port with a
 * throw-away database, Next running inside it. What a user (or an attacker
 * on this machine's browser) would check: every HTML page carries the
 * security headers with a fresh script nonce; a launch POST without a
 * same-origin Origin is refused and queues nothing, while the same form from
 * the page itself launches; forwarding headers or a foreign Host make a
 * loopback request ask for a login; permalinks ignore the Host header;
 * malformed percent-encoding is a 400; logout-all ends a session in the
 * running server; SIGKILL of serve leaves nothing listening on the port.
 *
 * Needs a production build (`npm run build`; `npm test` makes one first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_SMOKE } from '../fixtures/test-helpers';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'runproof.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-serve-'));

function envFor(name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    RUNPROOF_DB: path.join(tmp, name, 'runproof.db'),
    RUNPROOF_BUNDLES_DIR: path.join(tmp, name, 'bundles'),
    RUNPROOF_WORK_DIR: path.join(tmp, name, 'work'),
    RUNPROOF_PLANS_DIR: path.join(tmp, name, 'no-plans'),
    ...extra,
  };
  for (const k of ['RUNPROOF_PASSWORD', 'RUNPROOF_HOST', 'RUNPROOF_PORT', 'RUNPROOF_TRUST_PROXY', 'RUNPROOF_PUBLIC_URL', 'RUNPROOF_PROFILES']) if (!(k in extra)) delete env[k];
  return env;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with full control of the headers (Host and Origin included). */
function request(port: number, method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${target} timed out`)));
    req.end(body);
  });
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of the form with this test id, as the page rendered them (a no-JavaScript form POST sends exactly these). */
function hiddenFields(html: string, testId: string): Array<[string, string]> {
  const start = html.indexOf(`data-testid="${testId}"`);
  expect(start, `form ${testId} on the page`).toBeGreaterThan(0);
  const form = html.slice(html.lastIndexOf('<form', start), html.indexOf('</form>', start));
  return [...form.matchAll(/<input type="hidden" name="([^"]*)"(?: value="([^"]*)")?\/?>/g)].map((m) => [unescapeHtml(m[1]), unescapeHtml(m[2] ?? '')]);
}

function multipart(fields: Array<[string, string]>): { body: Buffer; type: string } {
  const boundary = `----rp${Math.random().toString(16).slice(2)}`;
  const parts = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`), type: `multipart/form-data; boundary=${boundary}` };
}

interface Server {
  child: ChildProcess;
  port: number;
  env: NodeJS.ProcessEnv;
  stderr: () => string;
}

async function startServe(name: string, extra: Record<string, string> = {}, args: string[] = []): Promise<Server> {
  const port = await freePort();
  const env = envFor(name, extra);
  fs.mkdirSync(path.dirname(env.RUNPROOF_DB!), { recursive: true });
  const child = spawn(process.execPath, [BIN, 'serve', '--no-worker', '--host', '127.0.0.1', '--port', String(port), ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`runproof serve exited ${child.exitCode}: ${err}`);
    try {
      if ((await request(port, 'GET', '/api/runs')).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`runproof serve did not answer within 60 s: ${err}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  return { child, port, env, stderr: () => err };
}

function stop(s: Server | undefined): void {
  if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
}

async function runCount(port: number): Promise<number> {
  const r = await request(port, 'GET', '/api/runs?pageSize=100');
  const j = JSON.parse(r.body) as { runs?: unknown[]; total?: number };
  return j.total ?? j.runs?.length ?? 0;
}

/** The launch form POSTed as a browser without JavaScript would, with these extra headers. */
async function postLaunch(port: number, headers: Record<string, string>): Promise<Reply> {
  const page = await request(port, 'GET', '/runs/new');
  const { body, type } = multipart([...hiddenFields(page.body, 'launch-form'), ['profile', 'reference'], ['knob:max_epochs', '1']]);
  return request(port, 'POST', '/runs/new', { 'content-type': type, ...headers }, body);
}

if (!fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) {
  throw new Error('cli/serve.test.ts starts the real server: run `npm run build` first (npm test does)');
}

let open: Server;
let runId: string;

beforeAll(async () => {
  const env = envFor('open');
  fs.mkdirSync(path.dirname(env.RUNPROOF_DB!), { recursive: true });
  const imp = spawnSync(process.execPath, [BIN, 'import', RUNTIME_SMOKE, '--json'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  expect(imp.status, imp.stderr).toBe(0);
  runId = (JSON.parse(imp.stdout) as { runs: Array<{ id: string }> }).runs[0].id;
  open = await startServe('open');
}, 120_000);

afterAll(() => {
  stop(open);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('runproof serve (Next in-process)', () => {
  it('sends CSP with a fresh nonce on every script, no framing, nosniff and a referrer policy on HTML pages; nosniff on the API', async () => {
    const nonces = new Set<string>();
    for (const page of ['/', '/runs/new', '/login', '/plans', `/runs/${runId}`, '/no-such-page']) {
      const r = await request(open.port, 'GET', page);
      expect(r.status, page).toBe(page === '/no-such-page' ? 404 : 200);
      const csp = String(r.headers['content-security-policy']);
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      expect(nonce, `${page}: ${csp}`).toBeTruthy();
      nonces.add(nonce!);
      const scriptSrc = /script-src ([^;]*)/.exec(csp)![1];
      expect(scriptSrc).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/object-src 'none'/);
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('same-origin');
      const scripts = [...r.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length, page).toBeGreaterThan(0);
      for (const s of scripts) expect(s, page).toContain(`nonce="${nonce}"`);
    }
    expect(nonces.size).toBe(6);
    const api = await request(open.port, 'GET', '/api/runs');
    expect(api.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses a launch POST with no Origin, Origin: null, a foreign Origin or Sec-Fetch-Site: cross-site, and queues nothing; the page itself launches', async () => {
    const before = await runCount(open.port);
    const self = `http://127.0.0.1:${open.port}`;
    for (const headers of <Array<Record<string, string>>>[
      {},
      { origin: 'null' },
      { origin: 'http://evil.example' },
      { origin: `http://127.0.0.1:${open.port + 1}` },
      { origin: self, 'sec-fetch-site': 'cross-site' },
    ]) {
      const r = await postLaunch(open.port, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.body).toMatch(/^Forbidden: /);
    }
    expect(await runCount(open.port)).toBe(before);
    const ok = await postLaunch(open.port, { origin: self, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toMatch(/\/runs\/[0-9a-f]{12}$/);
    expect(await runCount(open.port)).toBe(before + 1);
  });

  it('a launch through React (Next-Action fetch) lands on the live page that offers Cancel: the redirect Next renders by fetching itself is still local', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, '.next/server/server-reference-manifest.json'), 'utf8')) as { node: Record<string, { exportedName?: string; filename?: string }> };
    const id = Object.entries(manifest.node).find(([, v]) => v.exportedName === 'launchAction' && v.filename === 'app/runs/new/actions.ts')![0];
    const state = { ok: true, data: { values: {}, profile: null, cpuOnly: false, rows: '' } };
    const { body, type } = multipart([
      ['_1_profile', 'reference'],
      ['_1_knob:max_epochs', '1'],
      ['0', JSON.stringify([state, '$K1'])],
    ]);
    const self = `http://127.0.0.1:${open.port}`;
    const r = await request(open.port, 'POST', '/runs/new', { 'next-action': id, accept: 'text/x-component', 'content-type': type, origin: self, 'sec-fetch-site': 'same-origin' }, body);
    expect(String(r.headers['x-action-redirect']), `${r.status} ${r.body.slice(0, 300)}`).toMatch(/^\/runs\/[0-9a-f]{12};/);
    expect(r.body).toContain('"canCancel":true');
  });

  it('a loopback request carrying forwarding headers, or for a foreign Host, must log in (and with no password, cannot launch)', async () => {
    const before = await runCount(open.port);
    const self = `http://127.0.0.1:${open.port}`;
    for (const headers of <Array<Record<string, string>>>[
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-real-ip': '127.0.0.1' },
      { forwarded: 'for=127.0.0.1' },
      { 'x-runproof-local': '1', 'x-forwarded-for': '127.0.0.1' },
    ]) {
      const r = await postLaunch(open.port, { origin: self, ...headers });
      expect(r.status, JSON.stringify(headers)).toBe(200);
      expect(r.body, JSON.stringify(headers)).toMatch(/Launching is refused: a login is required because the request carries .*RUNPROOF_TRUST_PROXY/);
    }
    // DNS rebinding: the browser thinks it is on evil.example, which resolves to 127.0.0.1.
    const rebound = `evil.example:${open.port}`;
    const page = await request(open.port, 'GET', '/runs/new', { host: rebound });
    expect(page.body).toMatch(/login is required because the request came for host &quot;evil.example&quot;/);
    const { body, type } = multipart([...hiddenFields(page.body, 'launch-form'), ['profile', 'reference']]);
    const r = await request(open.port, 'POST', '/runs/new', { host: rebound, origin: `http://${rebound}`, 'content-type': type }, body);
    expect(r.body).toMatch(/Launching is refused/);
    expect(await runCount(open.port)).toBe(before);
  });

  it('builds permalinks from the listener, not from Host or X-Forwarded-Host', async () => {
    const r = await request(open.port, 'GET', `/api/runs/${runId}/summary.md`, { host: 'evil.example', 'x-forwarded-host': 'evil2.example', 'x-forwarded-proto': 'https' });
    expect(r.status).toBe(200);
    expect(r.body).toContain(`http://127.0.0.1:${open.port}/runs/${runId}`);
    expect(r.body).not.toMatch(/evil/);
  });

  it('answers malformed percent-encoding with 400, not 500', async () => {
    for (const target of ['/runs/%zz', '/runs/%E0%A4%A', '/plans/%zz', '/plans/%C0%AE/source', '/api/runs/%zz', '/api/runs/%zz/summary.md', '/%']) {
      const r = await request(open.port, 'GET', target);
      expect(r.status, target).toBe(400);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('runproof serve with a password', () => {
  let locked: Server | undefined;
  afterAll(() => stop(locked));

  it('throttles by socket peer whatever X-Forwarded-For says; logout-all ends a session without a restart', async () => {
    locked = await startServe('locked', { RUNPROOF_PASSWORD: 'correct horse battery' });
    const self = `http://127.0.0.1:${locked.port}`;
    const login = async (password: string, headers: Record<string, string> = {}) => {
      const page = await request(locked!.port, 'GET', '/login');
      const { body, type } = multipart([...hiddenFields(page.body, 'login-form'), ['password', password]]);
      return request(locked!.port, 'POST', '/login', { origin: self, 'content-type': type, ...headers }, body);
    };
    const ok = await login('correct horse battery');
    expect(ok.status).toBe(303);
    const cookie = String(ok.headers['set-cookie']).split(';')[0];
    expect(cookie).toMatch(/^runproof_session=\d+\./);
    const asUser = () => request(locked!.port, 'GET', '/runs/new', { cookie });
    expect((await asUser()).body).not.toContain('Log in to launch');

    for (let i = 0; i < 5; i++) expect((await login('wrong guess', { 'x-forwarded-for': `198.51.100.${i}` })).body).toContain('Wrong password.');
    const sixth = await login('wrong guess', { 'x-forwarded-for': '198.51.100.77' });
    expect(sixth.body).toContain('Wrong password.');
    const locked7 = await login('correct horse battery', { 'x-forwarded-for': '198.51.100.78' });
    expect(locked7.status).toBe(200);
    expect(locked7.body).toMatch(/Too many failed attempts\. Try again in \d+ s\./);

    const out = spawnSync(process.execPath, [BIN, 'logout-all'], { cwd: ROOT, env: locked.env, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Every session has ended/);
    expect((await asUser()).body).toContain('Log in to launch');
  }, 90_000);
});

describe('runproof serve --no-worker and a worker that died', () => {
  let s: Server | undefined;
  let worker: ChildProcess | undefined;
  afterAll(() => {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    stop(s);
  });

  it('settles the run as lost on its own timer, with nobody viewing it: reading it never writes', async () => {
    s = await startServe('sweep', { RUNPROOF_LEASE_MS: '2000' });
    const launched = spawnSync(process.execPath, [BIN, 'launch', 'reference', '--set', 'n_images=2048', '--set', 'max_epochs=40', '--set', 'batch_size=8', '--json'], {
      cwd: ROOT,
      env: s.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(launched.status, launched.stderr).toBe(0);
    const id = (JSON.parse(launched.stdout) as { id: string }).id;
    const status = async () => (JSON.parse((await request(s!.port, 'GET', '/api/runs')).body) as { runs: Array<{ id: string; status: string }> }).runs.find((r) => r.id === id)?.status;
    const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; serve said: ${s!.stderr()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    worker = spawn(process.execPath, [BIN, 'worker'], { cwd: ROOT, env: s.env, stdio: 'ignore' });
    await until('the run to start', async () => (await status()) === 'running', 60_000);
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    // Only the API is read from here on (no page is rendered): the serve process's own sweep settles the run.
    await until('the run to be lost', async () => (await status()) === 'lost', 20_000);
    expect(s.stderr()).toMatch(new RegExp(`\\[sweep\\] run ${id}: lost`));
  }, 120_000);
});

describe('runproof serve and SIGKILL', () => {
  it('leaves nothing listening: the port can be bound again at once', async () => {
    const s = await startServe('killed');
    const pid = s.child.pid!;
    s.child.kill('SIGKILL');
    await new Promise((r) => s.child.once('exit', r));
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(request(s.port, 'GET', '/api/runs')).rejects.toThrow(/ECONNREFUSED/);
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(s.port, '127.0.0.1', () => resolve());
    });
    await new Promise((r) => again.close(r));
  }, 90_000);
});
