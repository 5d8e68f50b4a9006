import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  authPolicy,
  checkPassword,
  createSessionToken,
  crossOriginRefusal,
  installListenerToken,
  isLoopbackAddress,
  isLoopbackHost,
  LoginThrottle,
  normalizeAddress,
  parseForwarded,
  parseTrustProxy,
  requestViewOf,
  resetSessionSecretCache,
  revokeSessionToken,
  rotateSessionSecret,
  safeNextPath,
  SESSION_LIFETIME_MS,
  sessionSecret,
  sessionSecretPath,
  throttleKeyFor,
  verifySessionToken,
  VIEW_HEADERS,
  viewFromHeaders,
  viewRequest,
  viewToHeaders,
  type RequestView,
  type SocketFacts,
} from './auth';
import { getEnv } from './env';

const VARS = ['RUNPROOF_DB', 'RUNPROOF_HOST', 'RUNPROOF_PASSWORD'] as const;
let saved: Record<string, string | undefined>;
let tmp: string;

beforeEach(() => {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-auth-'));
  process.env.RUNPROOF_DB = path.join(tmp, 'data', 'runproof.db');
  delete process.env.RUNPROOF_HOST;
  delete process.env.RUNPROOF_PASSWORD;
  resetSessionSecretCache();
});
afterEach(() => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  resetSessionSecretCache();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const LOCAL: SocketFacts = { peer: '127.0.0.1', listenerAddress: '127.0.0.1', listenerPort: 3000 };
const view = (facts: Partial<SocketFacts>, h: Record<string, string> = {}, trust: string[] = []) => viewRequest({ ...LOCAL, ...facts }, (n) => h[n] ?? null, trust);
const localView = () => view({}, { host: '127.0.0.1:3000' });

describe('authPolicy', () => {
  it('a local request needs no login unless a password is set; anything else always does', () => {
    expect(authPolicy(localView(), {})).toMatchObject({ required: false, passwordSet: false });
    expect(authPolicy(localView(), { RUNPROOF_PASSWORD: 'correct horse' })).toMatchObject({ required: true, passwordSet: true, reason: 'RUNPROOF_PASSWORD is set' });
    const remote = view({ peer: '10.0.0.7' }, { host: '127.0.0.1:3000' });
    expect(authPolicy(remote, {})).toMatchObject({ required: true, passwordSet: false });
    expect(authPolicy(remote, {}).reason).toMatch(/came from 10\.0\.0\.7/);
    expect(authPolicy(remote, { RUNPROOF_PASSWORD: 'correct horse' })).toMatchObject({ required: true, passwordSet: true });
  });

  it('without the listener (next start, next dev) a request is never local, whatever its headers say', () => {
    const h = { host: '127.0.0.1:3000', [VIEW_HEADERS.local]: '1', [VIEW_HEADERS.token]: 'guess', 'x-forwarded-for': '127.0.0.1' };
    const v = requestViewOf((n) => h[n as keyof typeof h] ?? null);
    expect(v.local).toBe(false);
    expect(v.reason).toMatch(/not started by `runproof serve`/);
    expect(authPolicy(v, {})).toMatchObject({ required: true, passwordSet: false });
  });

  it('reads the environment by default, and treats an empty RUNPROOF_PASSWORD as unset; one shorter than 8 characters is refused by name', () => {
    expect(authPolicy(localView())).toMatchObject({ required: false, passwordSet: false });
    process.env.RUNPROOF_PASSWORD = 'correct horse';
    expect(authPolicy(localView())).toMatchObject({ required: true, passwordSet: true });
    process.env.RUNPROOF_PASSWORD = '';
    expect(authPolicy(localView()).passwordSet).toBe(false);
    process.env.RUNPROOF_PASSWORD = 'short';
    expect(() => getEnv()).toThrow(/RUNPROOF_PASSWORD: must be at least 8 characters/);
  });

  it('knows loopback hosts and addresses', () => {
    for (const h of ['127.0.0.1', '127.255.255.254', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', '::ffff:7f00:1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '128.0.0.1', '127.0.0.256', '10.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '', '0x7f.1', '2130706433']) expect(isLoopbackHost(h), h).toBe(false);
    expect(isLoopbackAddress('localhost')).toBe(false); // a name is not a socket address
  });

  it('spells addresses one way', () => {
    expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress('[2001:DB8:0:0::1]:4711')).toBe('2001:db8::1');
    expect(normalizeAddress('"[2001:db8::1]:80"')).toBe('2001:db8::1');
    expect(normalizeAddress('192.0.2.1:8080')).toBe('192.0.2.1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('unknown')).toBeNull();
    expect(normalizeAddress('_hidden')).toBeNull();
    expect(parseTrustProxy(' 10.0.0.2, ::ffff:127.0.0.1 ,[::1]')).toEqual(['10.0.0.2', '127.0.0.1', '::1']);
    expect(() => parseTrustProxy('10.0.0.2, proxy.local')).toThrow(/"proxy.local" is not an IP address/);
  });
});

describe('checkPassword', () => {
  it('accepts exactly the configured password, and nothing when none is set', () => {
    expect(checkPassword('correct horse')).toBe(false);
    process.env.RUNPROOF_PASSWORD = 'correct horse';
    expect(checkPassword('correct horse')).toBe(true);
    expect(checkPassword('correct horsE')).toBe(false);
    expect(checkPassword('correct horse ')).toBe(false);
    expect(checkPassword('')).toBe(false);
    expect(checkPassword('x'.repeat(10_000))).toBe(false);
  });
});

describe('session tokens', () => {
  beforeEach(() => {
    process.env.RUNPROOF_PASSWORD = 'correct horse battery';
  });

  it('round-trips, and has the documented shape', () => {
    const t = createSessionToken(NOW);
    expect(t).toMatch(/^\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(Number(t.split('.')[0])).toBe(NOW + SESSION_LIFETIME_MS);
    expect(verifySessionToken(t, NOW)).toBe(true);
    expect(verifySessionToken(t, NOW + SESSION_LIFETIME_MS - 1)).toBe(true);
    expect(createSessionToken(NOW)).not.toBe(t);
  });

  it('rejects tampered tokens', () => {
    const t = createSessionToken(NOW);
    const [exp, rnd, sig] = t.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expect(verifySessionToken(`${Number(exp) + 1000}.${rnd}.${sig}`, NOW)).toBe(false);
    expect(verifySessionToken(`${exp}.${flip(rnd)}.${sig}`, NOW)).toBe(false);
    expect(verifySessionToken(`${exp}.${rnd}.${flip(sig)}`, NOW)).toBe(false);
    expect(verifySessionToken(`${exp}.${rnd}`, NOW)).toBe(false);
    expect(verifySessionToken(`${t}.x`, NOW)).toBe(false);
    expect(verifySessionToken('', NOW)).toBe(false);
    expect(verifySessionToken(undefined, NOW)).toBe(false);
    expect(verifySessionToken('a'.repeat(5000), NOW)).toBe(false);
  });

  it('rejects expired tokens', () => {
    const t = createSessionToken(NOW);
    expect(verifySessionToken(t, NOW + SESSION_LIFETIME_MS)).toBe(false);
    expect(verifySessionToken(t, NOW + SESSION_LIFETIME_MS + 60_000)).toBe(false);
  });

  it('rejects a token signed far in the future (it would outlive the 12 h lifetime)', () => {
    const t = createSessionToken(NOW + 7 * 24 * 3600_000);
    expect(verifySessionToken(t, NOW)).toBe(false);
  });

  it('a password change invalidates every session; changing it back revives them', () => {
    const t = createSessionToken(NOW);
    process.env.RUNPROOF_PASSWORD = 'another long password';
    expect(verifySessionToken(t, NOW)).toBe(false);
    process.env.RUNPROOF_PASSWORD = 'correct horse battery';
    expect(verifySessionToken(t, NOW)).toBe(true);
    delete process.env.RUNPROOF_PASSWORD;
    expect(verifySessionToken(t, NOW)).toBe(false);
    expect(() => createSessionToken(NOW)).toThrow(/RUNPROOF_PASSWORD is not set/);
  });

  it('a new session secret invalidates every session', () => {
    const t = createSessionToken(NOW);
    fs.rmSync(sessionSecretPath());
    resetSessionSecretCache();
    expect(verifySessionToken(t, NOW)).toBe(false);
  });

  it('servers given one RUNPROOF_SESSION_SECRET accept each other’s sessions, and write no secret file', () => {
    process.env.RUNPROOF_SESSION_SECRET = 'cd'.repeat(32);
    try {
      const one = { secretFile: path.join(tmp, 'one', 'session-secret') };
      const two = { secretFile: path.join(tmp, 'two', 'session-secret') };
      const t = createSessionToken(NOW, one);
      expect(verifySessionToken(t, NOW, two)).toBe(true);
      expect(fs.existsSync(one.secretFile) || fs.existsSync(two.secretFile)).toBe(false);
      expect(() => rotateSessionSecret(one.secretFile)).toThrow(/RUNPROOF_SESSION_SECRET/);
      process.env.RUNPROOF_SESSION_SECRET = 'ef'.repeat(32);
      expect(verifySessionToken(t, NOW, two)).toBe(false);
      process.env.RUNPROOF_SESSION_SECRET = 'not hex';
      expect(() => createSessionToken(NOW, one)).toThrow(/64 hex digits/);
    } finally {
      delete process.env.RUNPROOF_SESSION_SECRET;
    }
  });

  it('keeps the secret beside RUNPROOF_DB, 32 random bytes, mode 0600, reused across restarts', () => {
    const file = sessionSecretPath();
    expect(file).toBe(path.join(tmp, 'data', 'session-secret'));
    expect(fs.existsSync(file)).toBe(false);
    const t = createSessionToken(NOW);
    expect(fs.existsSync(file)).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['session-secret']); // no temp file left behind
    // a "restart": the cache is gone, the file is read back, old tokens still verify
    resetSessionSecretCache();
    expect(verifySessionToken(t, NOW)).toBe(true);
    expect(sessionSecret(file).toString('hex')).toBe(fs.readFileSync(file, 'utf8').trim());
  });

  it('tightens a secret file left readable by others, and replaces a corrupt one', () => {
    const file = sessionSecretPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'ab'.repeat(32), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(sessionSecret(file).toString('hex')).toBe('ab'.repeat(32));
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    resetSessionSecretCache();
    fs.writeFileSync(file, 'not a secret');
    const fresh = sessionSecret(file);
    expect(fresh).toHaveLength(32);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(fresh.toString('hex'));
  });
});

describe('LoginThrottle', () => {
  it('gives 5 free failures per address, then waits that double from 1 s, capped; other addresses are untouched', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) {
      expect(t.retryAfterMs('10.0.0.9', NOW)).toBe(0);
      t.recordFailure('10.0.0.9', NOW);
    }
    expect(t.retryAfterMs('10.0.0.9', NOW)).toBe(0);
    const waits: number[] = [];
    let now = NOW;
    for (let i = 0; i < 14; i++) {
      t.recordFailure('10.0.0.9', now);
      waits.push(t.retryAfterMs('10.0.0.9', now));
      now += waits[waits.length - 1];
      expect(t.retryAfterMs('10.0.0.9', now)).toBe(0);
    }
    expect(waits.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
    expect(Math.max(...waits)).toBe(15 * 60_000);
    expect(t.retryAfterMs('10.0.0.10', now - 1)).toBe(0);
  });

  it('never locks out the right password from another address: no global lock, however many addresses fail', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 2000; i++) for (let k = 0; k < 8; k++) t.recordFailure(`10.1.${i >> 8}.${i & 255}`, NOW);
    expect(t.retryAfterMs('10.1.0.1', NOW)).toBeGreaterThan(0);
    expect(t.retryAfterMs('127.0.0.1', NOW)).toBe(0);
    expect(t.retryAfterMs('192.0.2.44', NOW)).toBe(0);
  });

  it('forgets a key on success, and after an hour without failures', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 6; i++) t.recordFailure('k', NOW);
    expect(t.retryAfterMs('k', NOW)).toBe(1000);
    t.recordSuccess('k');
    expect(t.retryAfterMs('k', NOW)).toBe(0);
    for (let i = 0; i < 6; i++) t.recordFailure('j', NOW);
    t.recordFailure('j', NOW + 61 * 60_000); // a fresh start: 1 failure, free
    expect(t.retryAfterMs('j', NOW + 61 * 60_000)).toBe(0);
  });

  it('stays bounded in memory, dropping unlocked keys first', () => {
    const t = new LoginThrottle({ freeFailures: 1, baseMs: 1000, maxMs: 60_000, forgetMs: 3_600_000, maxKeys: 100 });
    t.recordFailure('locked', NOW);
    t.recordFailure('locked', NOW);
    for (let i = 0; i < 500; i++) t.recordFailure(`k${i}`, NOW);
    expect(t.size).toBeLessThanOrEqual(100);
    expect(t.retryAfterMs('locked', NOW)).toBe(1000);
  });

  it('keys on the address the socket saw: X-Forwarded-For from an untrusted peer changes nothing; IPv6 by /64', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 50; i++) keys.add(throttleKeyFor(view({ peer: '10.9.9.9' }, { host: 'x', 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `203.0.113.${i}` }).client));
    expect([...keys]).toEqual(['10.9.9.9']);
    expect(throttleKeyFor('2001:db8:1:2:aaaa::1')).toBe(throttleKeyFor('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(throttleKeyFor('2001:db8:1:2::1')).not.toBe(throttleKeyFor('2001:db8:1:3::1'));
    expect(throttleKeyFor('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(throttleKeyFor('unknown')).toBe('other:unknown');
  });
});

describe('safeNextPath', () => {
  it('keeps same-site paths and refuses everything else', () => {
    expect(safeNextPath('/runs/abc?x=1#L2')).toBe('/runs/abc?x=1#L2');
    expect(safeNextPath('/')).toBe('/');
    expect(safeNextPath('/launch/../runs')).toBe('/runs');
    for (const bad of ['//evil.example', '/\\evil.example', '\\\\evil.example', 'https://evil.example/', 'javascript:alert(1)', 'runs', '', '/\tevil', '/%0d%0aSet-Cookie:x', null, undefined, 42]) {
      const out = safeNextPath(bad);
      expect(out.startsWith('/') && !out.startsWith('//') && !out.includes('\\'), String(bad)).toBe(true);
      if (typeof bad !== 'string' || !bad.startsWith('/') || bad.startsWith('//') || bad.includes('\\') || bad.includes('\t')) expect(out).toBe('/');
    }
  });
});

describe('viewRequest: local is decided by the socket, never by a header', () => {
  it('local: loopback peer, loopback listener, loopback Host, no forwarding headers', () => {
    expect(view({}, { host: '127.0.0.1:3000' }).local).toBe(true);
    expect(view({ peer: '::ffff:127.0.0.1' }, { host: 'localhost:3000' }).local).toBe(true);
    expect(view({ peer: '::1', listenerAddress: '::1' }, { host: '[::1]:3000' }).local).toBe(true);
    expect(view({}, { host: '127.0.0.1:3000' }).client).toBe('127.0.0.1');
  });

  it('a peer on another machine is never local, whatever Host, X-Forwarded-For, Forwarded or X-Real-IP say', () => {
    for (const h of <Array<Record<string, string>>>[
      { host: '127.0.0.1:3000' },
      { host: '127.0.0.1:3000', 'x-forwarded-for': '127.0.0.1' },
      { host: 'localhost', forwarded: 'for=127.0.0.1;host=localhost' },
      { host: '127.0.0.1', 'x-real-ip': '127.0.0.1' },
    ]) {
      const v = view({ peer: '10.200.1.2' }, h);
      expect(v.local, JSON.stringify(h)).toBe(false);
      expect(v.reason).toMatch(/came from 10\.200\.1\.2, not from this machine/);
      expect(v.client).toBe('10.200.1.2');
    }
  });

  it('a listener bound beyond loopback makes nothing local, not even a loopback peer', () => {
    for (const listenerAddress of ['0.0.0.0', '::', '10.200.1.1']) {
      const v = view({ listenerAddress }, { host: '127.0.0.1:3000' });
      expect(v.local).toBe(false);
      expect(v.reason).toMatch(/listens on .* not a loopback address/);
    }
  });

  it('a loopback peer carrying forwarding headers is a proxy we do not trust: exposed', () => {
    for (const h of <Array<Record<string, string>>>[
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=127.0.0.1' },
      { 'x-real-ip': '198.51.100.4' },
      { 'x-forwarded-host': 'localhost:3000' },
    ]) {
      const v = view({}, { host: '127.0.0.1:3000', ...h });
      expect(v.local, JSON.stringify(h)).toBe(false);
      expect(v.reason).toMatch(/RUNPROOF_TRUST_PROXY does not name/);
    }
  });

  it('DNS rebinding: a loopback peer asking for another host is exposed; a missing or odd Host too', () => {
    expect(view({}, { host: 'evil.example:3000' }).reason).toMatch(/host "evil.example", not a loopback address/);
    expect(view({}, { host: '192.168.1.5:3000' }).local).toBe(false);
    expect(view({}, {}).reason).toMatch(/no valid host/);
    expect(view({}, { host: 'a b' }).local).toBe(false);
  });

  it('a trusted proxy names the client: the right-most address that is not itself a trusted proxy', () => {
    const trust = ['10.0.0.2', '10.0.0.3'];
    const via = (h: Record<string, string>) => view({ peer: '10.0.0.2', listenerAddress: '0.0.0.0' }, { host: 'runs.example.org', ...h }, trust);
    expect(via({ 'x-forwarded-for': '198.51.100.7, 203.0.113.5' }).client).toBe('203.0.113.5');
    expect(via({ 'x-forwarded-for': '127.0.0.1, 203.0.113.5, 10.0.0.3' }).client).toBe('203.0.113.5'); // the client cannot prepend its way in
    expect(via({ forwarded: 'for=192.0.2.60;proto=https;host=runs.example.org, for="[2001:db8::5]:4711"' }).client).toBe('2001:db8::5');
    expect(via({ 'x-real-ip': '192.0.2.9' }).client).toBe('192.0.2.9');
    expect(via({ 'x-forwarded-for': 'unknown' }).client).toBe('unknown');
    expect(via({}).local).toBe(false);
    const none = view({ peer: '10.0.0.2' }, { host: '127.0.0.1:3000' }, trust);
    expect(none.local).toBe(false);
    expect(none.reason).toMatch(/proxy 10\.0\.0\.2 on another machine/);
    const here = view({}, { host: '127.0.0.1:3000' }, ['127.0.0.1']);
    expect(here.reason).toMatch(/did not say which client/);
  });

  it('through a trusted proxy on this host, only a loopback client with a loopback host is local', () => {
    const trust = ['127.0.0.1'];
    expect(view({}, { host: '127.0.0.1:3000', 'x-forwarded-for': '127.0.0.1' }, trust).local).toBe(true);
    const remote = view({}, { host: '127.0.0.1:3000', 'x-forwarded-for': '203.0.113.5' }, trust);
    expect(remote.local).toBe(false);
    expect(remote.reason).toMatch(/forwarded by the proxy 127\.0\.0\.1 for 203\.0\.113\.5/);
    expect(view({}, { host: '127.0.0.1:3000' }, trust).local).toBe(false); // a proxy that names no client
    expect(view({}, { host: '127.0.0.1:3000', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'runs.example.org' }, trust).local).toBe(false);
  });

  it('a header the client added cannot speak for a trusted proxy that writes another one', () => {
    const trust = ['127.0.0.1'];
    // Behind an X-Real-IP proxy, the client adds X-Forwarded-For itself.
    const xri = view({}, { host: '127.0.0.1:3000', 'x-real-ip': '10.250.1.2', 'x-forwarded-for': '127.0.0.1' }, trust);
    expect(xri.local).toBe(false);
    expect(xri.client).toBe('10.250.1.2');
    // Behind an X-Forwarded-For proxy, the client adds Forwarded itself.
    const xff = view({}, { host: '127.0.0.1:3000', forwarded: 'for="[::1]"', 'x-forwarded-for': '10.250.1.2' }, trust);
    expect(xff.local).toBe(false);
    expect(xff.client).toBe('10.250.1.2');
    // Every header naming this machine is still local.
    expect(view({}, { host: '127.0.0.1:3000', forwarded: 'for=127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '::1' }, trust).local).toBe(true);
  });

  it('origins: the request as the listener sees it; a trusted proxy may set host and scheme; the listener its own', () => {
    expect(view({}, { host: 'LOCALHOST:3000' }).requestOrigin).toBe('http://localhost:3000');
    expect(view({}, { host: '127.0.0.1:3000', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }).requestOrigin).toBe('http://127.0.0.1:3000');
    expect(view({}, { host: '127.0.0.1:3000', 'x-forwarded-host': 'evil.example' }).forwardedOrigin).toBeNull();
    const p = view({ peer: '10.0.0.2' }, { host: '127.0.0.1:3000', 'x-forwarded-for': '203.0.113.5', 'x-forwarded-host': 'runs.example.org', 'x-forwarded-proto': 'https' }, ['10.0.0.2']);
    expect(p.requestOrigin).toBe('https://runs.example.org');
    expect(p.forwardedOrigin).toBe('https://runs.example.org');
    expect(view({ listenerPort: 4100 }, { host: 'x' }).listenerOrigin).toBe('http://127.0.0.1:4100');
    expect(view({ listenerAddress: '::1' }, { host: 'x' }).listenerOrigin).toBe('http://[::1]:3000');
  });

  it('parses Forwarded with quotes and several elements', () => {
    expect(parseForwarded('for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https;host="a.example"')).toEqual([
      { for: '192.0.2.43' },
      { for: '[2001:db8:cafe::17]:4711', proto: 'https', host: 'a.example' },
    ]);
    expect(parseForwarded('For="a;b,c";by=x')).toEqual([{ for: 'a;b,c', by: 'x' }]);
  });
});

describe('the view travels in headers only this process can sign', () => {
  it("is believed with this process's token, and not with any other", () => {
    const v = localView();
    const h = viewToHeaders(v, '127.0.0.1');
    expect(h[VIEW_HEADERS.token]).toBe(installListenerToken());
    expect(h[VIEW_HEADERS.peer]).toBe('127.0.0.1');
    const back = viewFromHeaders((n) => h[n] ?? null);
    expect(back).toEqual(v);
    const forged: Record<string, string> = { ...h, [VIEW_HEADERS.token]: h[VIEW_HEADERS.token].replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    expect(viewFromHeaders((n) => forged[n] ?? null)).toBeNull();
    const none: Record<string, string> = { ...h };
    delete none[VIEW_HEADERS.token];
    expect(viewFromHeaders((n) => none[n] ?? null)).toBeNull();
    expect(requestViewOf((n) => forged[n] ?? null).local).toBe(false);
  });

  it("round-trips a reason that names an attacker's Host", () => {
    const v = view({}, { host: 'ev\u00e9il.example' });
    const h = viewToHeaders(v, '127.0.0.1');
    for (const value of Object.values(h)) expect(value).toMatch(/^[\x20-\x7e]*$/);
    expect(viewFromHeaders((n) => h[n] ?? null)?.reason).toBe(v.reason);
  });
});

describe('crossOriginRefusal: launch and cancel only from our own pages', () => {
  const v: RequestView = localView();
  const check = (h: Record<string, string>, publicUrl?: string) => crossOriginRefusal((n) => h[n] ?? null, v, publicUrl);
  it('accepts the same origin', () => {
    expect(check({ origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' })).toBeNull();
    expect(check({ origin: 'http://127.0.0.1:3000' })).toBeNull();
    expect(check({ origin: 'https://runs.example.org' }, 'https://runs.example.org/')).toBeNull();
  });
  it('refuses a missing Origin, Origin: null, a foreign origin, another port, and cross-site fetches', () => {
    expect(check({})).toMatch(/no Origin/);
    expect(check({ origin: 'null' })).toMatch(/Origin: null/);
    expect(check({ origin: 'http://evil.example' })).toMatch(/came from http:\/\/evil\.example/);
    expect(check({ origin: 'http://127.0.0.1:3001' })).toMatch(/3001/);
    expect(check({ origin: 'https://127.0.0.1:3000' })).not.toBeNull();
    expect(check({ origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'cross-site' })).toMatch(/cross-site/);
    expect(check({ origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' })).toMatch(/same-site/);
    expect(check({ origin: 'not a url' })).toMatch(/invalid Origin/);
    expect(crossOriginRefusal((n) => (({ origin: 'http://x' }) as Record<string, string>)[n] ?? null, view({}, {}))).not.toBeNull();
  });
});

describe('ending sessions', () => {
  beforeEach(() => {
    process.env.RUNPROOF_PASSWORD = 'correct horse battery';
  });

  it('logout-all: a new secret ends every session, noticed without a restart (no cache reset)', () => {
    const a = createSessionToken(NOW);
    const b = createSessionToken(NOW);
    expect(verifySessionToken(a, NOW)).toBe(true);
    const before = fs.readFileSync(sessionSecretPath(), 'utf8');
    // Another process (the CLI) rotates the file; this process only sees the file change.
    fs.writeFileSync(sessionSecretPath() + '.new', 'cd'.repeat(32) + '\n', { mode: 0o600 });
    fs.renameSync(sessionSecretPath() + '.new', sessionSecretPath());
    expect(verifySessionToken(a, NOW)).toBe(false);
    expect(verifySessionToken(b, NOW)).toBe(false);
    const c = createSessionToken(NOW);
    expect(verifySessionToken(c, NOW)).toBe(true);
    rotateSessionSecret();
    expect(fs.readFileSync(sessionSecretPath(), 'utf8')).not.toBe(before);
    if (process.platform !== 'win32') expect(fs.statSync(sessionSecretPath()).mode & 0o777).toBe(0o600);
    expect(verifySessionToken(c, NOW)).toBe(false);
    expect(fs.readdirSync(path.dirname(sessionSecretPath()))).toEqual(['session-secret']);
  });

  it('Log out revokes that one token (a copied cookie dies too); others live on; the list forgets expired tokens', () => {
    const mine = createSessionToken(NOW);
    const other = createSessionToken(NOW);
    expect(revokeSessionToken(mine, NOW)).toBe(true);
    expect(verifySessionToken(mine, NOW)).toBe(false);
    expect(verifySessionToken(other, NOW)).toBe(true);
    expect(revokeSessionToken('garbage', NOW)).toBe(false);
    const file = path.join(path.dirname(sessionSecretPath()), 'revoked-sessions');
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    // A "restart" reads the list back.
    resetSessionSecretCache();
    expect(verifySessionToken(mine, NOW)).toBe(false);
    expect(verifySessionToken(other, NOW)).toBe(true);
    // A day later, revoking another token drops the first (it has expired anyway).
    const later = createSessionToken(NOW + 24 * 3600_000);
    revokeSessionToken(later, NOW + 24 * 3600_000);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${Number(later.split('.')[0])} [0-9a-f]{64}$`))]);
    expect(verifySessionToken(later, NOW + 24 * 3600_000)).toBe(false);
  });
});
