import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  requestExposure,
  authPolicy,
  checkPassword,
  createSessionToken,
  isLoopbackHost,
  LoginThrottle,
  resetSessionSecretCache,
  safeNextPath,
  SESSION_LIFETIME_MS,
  sessionSecret,
  sessionSecretPath,
  verifySessionToken,
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

describe('authPolicy', () => {
  it.each([
    ['127.0.0.1', undefined, false],
    ['127.3.4.5', undefined, false],
    ['localhost', undefined, false],
    ['::1', undefined, false],
    ['[::1]', undefined, false],
    ['127.0.0.1', 'correct horse', true],
    ['::1', 'correct horse', true],
    ['0.0.0.0', undefined, true],
    ['0.0.0.0', 'correct horse', true],
    ['192.168.1.20', undefined, true],
    ['::', undefined, true],
    ['runproof.example.org', 'correct horse', true],
  ])('host %s, password %s → required %s', (host, password, required) => {
    const p = authPolicy({ RUNPROOF_HOST: host, RUNPROOF_PASSWORD: password });
    expect(p.required).toBe(required);
    expect(p.passwordSet).toBe(password !== undefined);
    expect(p.reason).toBeTruthy();
  });

  it('explains itself: not loopback names the host; loopback + password names the variable', () => {
    expect(authPolicy({ RUNPROOF_HOST: '0.0.0.0' }).reason).toMatch(/0\.0\.0\.0.*not a loopback/);
    expect(authPolicy({ RUNPROOF_HOST: '127.0.0.1', RUNPROOF_PASSWORD: 'correct horse' }).reason).toMatch(/RUNPROOF_PASSWORD is set/);
    expect(authPolicy({ RUNPROOF_HOST: '127.0.0.1' }).reason).toMatch(/loopback/);
  });

  it('reads the environment by default: 127.0.0.1 and no password needs no login', () => {
    expect(authPolicy()).toMatchObject({ required: false, passwordSet: false });
    process.env.RUNPROOF_HOST = '0.0.0.0';
    expect(authPolicy()).toMatchObject({ required: true, passwordSet: false });
    process.env.RUNPROOF_PASSWORD = 'correct horse';
    expect(authPolicy()).toMatchObject({ required: true, passwordSet: true });
  });

  it('treats an empty RUNPROOF_PASSWORD as unset and rejects one shorter than 8 characters by name', () => {
    process.env.RUNPROOF_PASSWORD = '';
    expect(authPolicy().passwordSet).toBe(false);
    process.env.RUNPROOF_PASSWORD = 'short';
    expect(() => getEnv()).toThrow(/RUNPROOF_PASSWORD: must be at least 8 characters/);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.255.255.254', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '128.0.0.1', '127.0.0.256', '10.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '']) expect(isLoopbackHost(h), h).toBe(false);
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
  it('refuses a key for 30 s after 5 failures, leaves other keys alone, and forgets on success', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 4; i++) {
      expect(t.retryAfterMs('1.2.3.4', NOW + i)).toBe(0);
      t.recordFailure('1.2.3.4', NOW + i);
    }
    expect(t.retryAfterMs('1.2.3.4', NOW + 4)).toBe(0);
    t.recordFailure('1.2.3.4', NOW + 4);
    expect(t.retryAfterMs('1.2.3.4', NOW + 5)).toBe(30_000 - 1);
    expect(t.retryAfterMs('5.6.7.8', NOW + 5)).toBe(0);
    expect(t.retryAfterMs('1.2.3.4', NOW + 4 + 30_000)).toBe(0);

    t.recordFailure('5.6.7.8', NOW);
    t.recordFailure('5.6.7.8', NOW);
    t.recordSuccess('5.6.7.8');
    for (let i = 0; i < 4; i++) t.recordFailure('5.6.7.8', NOW);
    expect(t.retryAfterMs('5.6.7.8', NOW)).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const t = new LoginThrottle({ maxFailures: 3, lockMs: 30_000, windowMs: 60_000, maxGlobalFailures: 100 });
    t.recordFailure('k', NOW);
    t.recordFailure('k', NOW + 1);
    t.recordFailure('k', NOW + 100_000); // the first two are out of the window by now
    t.recordFailure('k', NOW + 100_001);
    expect(t.retryAfterMs('k', NOW + 100_001)).toBe(0);
    t.recordFailure('k', NOW + 100_002);
    expect(t.retryAfterMs('k', NOW + 100_002)).toBe(30_000);
  });

  it('refuses everyone when failures pour in from many keys (spoofed addresses)', () => {
    const t = new LoginThrottle({ maxFailures: 5, lockMs: 30_000, windowMs: 60_000, maxGlobalFailures: 10 });
    for (let i = 0; i < 10; i++) t.recordFailure(`10.0.0.${i}`, NOW);
    expect(t.retryAfterMs('192.0.2.1', NOW + 1)).toBe(29_999);
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

describe('requestExposure: is a request to a loopback-configured server really local?', () => {
  const req = (h: Record<string, string>) => requestExposure((n) => h[n] ?? null);
  it('local requests pass', () => {
    expect(req({ host: '127.0.0.1:3000' })).toBeNull();
    expect(req({ host: 'localhost:3000', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'localhost:3000' })).toBeNull();
    expect(req({ host: '[::1]:3000', 'x-forwarded-for': '::1, ::ffff:127.0.0.1' })).toBeNull();
  });
  it('DNS rebinding (a foreign Host) and proxies that forward remote clients do not', () => {
    expect(req({ host: 'evil.example:3000' })).toMatch(/host "evil.example:3000"/);
    expect(req({ host: '192.168.1.5:3000' })).toMatch(/not a loopback/);
    expect(req({ host: '127.0.0.1:3000', 'x-forwarded-for': '203.0.113.9, 127.0.0.1' })).toMatch(/forwarded from another address/);
    expect(req({ host: '127.0.0.1:3000', 'x-forwarded-host': 'runs.example.com' })).toMatch(/another host/);
    expect(req({ host: '127.0.0.1:3000', forwarded: 'for="[2001:db8::1]";proto=https' })).toMatch(/another address/);
    expect(req({ host: '127.0.0.1:3000', forwarded: 'for=127.0.0.1' })).toBeNull();
  });
});
