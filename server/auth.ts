/**
 * Who may launch. Launching, cancelling and importing run commands on this
 * host, so they need a login whenever the server is reachable from other
 * machines (RUNPROOF_HOST is not a loopback address) or an admin has set
 * RUNPROOF_PASSWORD. Evidence pages and GET APIs stay readable without one.
 *
 * Plain Node (no next/* imports) so the tests and the CLI can use it; the
 * cookie handling lives in server/session.ts.
 *
 * Session tokens are `<expiresAtMs>.<random>.<hmac>`: HMAC-SHA256 (base64url)
 * over `<expiresAtMs>.<random>` with a key derived from the password and a
 * random 32-byte secret kept in `<dirname(RUNPROOF_DB)>/session-secret`
 * (mode 0600). Changing the password, or deleting that file, ends every
 * session.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getEnv } from './env';

export const SESSION_COOKIE = 'runproof_session';
/** 12 hours. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const SESSION_SECRET_FILE = 'session-secret';

export interface AuthPolicy {
  /** Launching, cancelling and importing need a login. */
  required: boolean;
  /** Why (or why not), in a sentence fit for the login page. */
  reason: string;
  /** RUNPROOF_PASSWORD is configured, so logging in is possible. */
  passwordSet: boolean;
}

/** The parts of the environment the policy reads; defaults to server/env.ts. */
export interface AuthEnv {
  RUNPROOF_HOST?: string;
  RUNPROOF_PASSWORD?: string;
}

/** 127.0.0.1, 127.x.y.z, ::1, localhost (also `[::1]` and `::ffff:127.x.y.z`). */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) h = h.slice('::ffff:'.length);
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** `127.0.0.1:3000`, `[::1]:3000`, `localhost` → is the host part loopback? */
function hostHeaderIsLoopback(value: string): boolean {
  const v = value.trim();
  const host = v.startsWith('[') ? v.slice(0, v.indexOf(']') + 1) : v.replace(/:\d+$/, '');
  return isLoopbackHost(host);
}

/**
 * Why a request must be treated as coming from beyond this host even though
 * the server is configured to listen on loopback, or null when it is local:
 * a Host header that is not a loopback name (DNS rebinding, or the server
 * bound wider than configured) or forwarding headers naming a non-loopback
 * client (a reverse proxy on this host publishing it).
 */
export function requestExposure(get: (name: string) => string | null): string | null {
  const host = get('host');
  if (host && !hostHeaderIsLoopback(host)) return `the request came for host ${JSON.stringify(host)}, not a loopback address`;
  const xfh = get('x-forwarded-host');
  if (xfh && !xfh.split(',').every((h) => hostHeaderIsLoopback(h))) return 'the request was forwarded for another host';
  const xff = get('x-forwarded-for');
  if (xff && !xff.split(',').every((a) => isLoopbackHost(a.trim()))) return 'the request was forwarded from another address';
  const fwd = get('forwarded');
  if (fwd) {
    const fors = [...fwd.matchAll(/for=("?)\[?([^\]";,]+)\]?\1/gi)].map((m) => m[2]);
    if (fors.some((a) => !isLoopbackHost(a))) return 'the request was forwarded from another address';
  }
  return null;
}

function password(env?: AuthEnv): string | null {
  const p = (env ?? getEnv()).RUNPROOF_PASSWORD;
  return p ? p : null;
}

export function authPolicy(env?: AuthEnv): AuthPolicy {
  const e = env ?? getEnv();
  const host = e.RUNPROOF_HOST ?? '127.0.0.1';
  const passwordSet = !!password(e);
  if (!isLoopbackHost(host)) {
    return {
      required: true,
      passwordSet,
      reason: `the server listens on ${host}, which is not a loopback address, so other machines can reach it`,
    };
  }
  if (passwordSet) {
    return { required: true, passwordSet, reason: 'RUNPROOF_PASSWORD is set' };
  }
  return {
    required: false,
    passwordSet,
    reason: `the server listens only on ${host} (loopback) and RUNPROOF_PASSWORD is not set`,
  };
}

/** Constant-time comparison with RUNPROOF_PASSWORD; false when none is set. */
export function checkPassword(given: string, env?: AuthEnv): boolean {
  const want = password(env);
  if (!want || typeof given !== 'string') return false;
  const a = crypto.createHash('sha256').update(given, 'utf8').digest();
  const b = crypto.createHash('sha256').update(want, 'utf8').digest();
  return crypto.timingSafeEqual(a, b);
}

// ---------------------------------------------------------------------------
// The session secret

const secrets = new Map<string, Buffer>();

/** `<dirname(RUNPROOF_DB)>/session-secret`. */
export function sessionSecretPath(dbPath: string = getEnv().dbPath): string {
  return path.join(path.dirname(dbPath), SESSION_SECRET_FILE);
}

function parseSecret(text: string): Buffer | null {
  const t = text.trim();
  return /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : null;
}

/**
 * The 32-byte secret, created (mode 0600, hex) when missing or unreadable as
 * one. Cached per file for the life of the process.
 */
export function sessionSecret(file: string = sessionSecretPath()): Buffer {
  const hit = secrets.get(file);
  if (hit) return hit;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let secret: Buffer | null = null;
  try {
    secret = parseSecret(fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8'));
    if (secret && (fs.statSync(/*turbopackIgnore: true*/ file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!secret) {
    const fresh = crypto.randomBytes(32);
    // Write beside it and rename, so a reader never sees half a secret.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, fresh.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    try {
      // Another process may have won the race: keep its secret if it is valid.
      try {
        fs.linkSync(tmp, file);
        secret = fresh;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        secret = parseSecret(fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8'));
        if (!secret) {
          fs.renameSync(tmp, file);
          secret = fresh;
        }
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  secrets.set(file, secret);
  return secret;
}

/** Forget cached secrets (tests that delete the file). */
export function resetSessionSecretCache(): void {
  secrets.clear();
}

function signingKey(pw: string, secret: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update('runproof-session-v1\u0000').update(pw, 'utf8').digest();
}

function mac(key: Buffer, body: string): Buffer {
  return crypto.createHmac('sha256', key).update(body, 'ascii').digest();
}

export interface TokenOptions {
  env?: AuthEnv;
  /** The secret file; defaults to the one beside RUNPROOF_DB. */
  secretFile?: string;
}

function keyFor(opts: TokenOptions): Buffer | null {
  const pw = password(opts.env);
  if (!pw) return null;
  return signingKey(pw, sessionSecret(opts.secretFile ?? sessionSecretPath()));
}

/** A new session token valid for 12 hours. Throws when no password is set (no one can log in). */
export function createSessionToken(nowMs: number = Date.now(), opts: TokenOptions = {}): string {
  const key = keyFor(opts);
  if (!key) throw new Error('RUNPROOF_PASSWORD is not set: there is nothing to log in with');
  const body = `${Math.floor(nowMs) + SESSION_LIFETIME_MS}.${crypto.randomBytes(18).toString('base64url')}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

const TOKEN = /^(\d{1,16})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/;

/** True for an untampered, unexpired token signed with the current password and secret. */
export function verifySessionToken(token: string | null | undefined, nowMs: number = Date.now(), opts: TokenOptions = {}): boolean {
  if (typeof token !== 'string' || token.length > 200) return false;
  const m = TOKEN.exec(token);
  if (!m) return false;
  const key = keyFor(opts);
  if (!key) return false;
  const given = Buffer.from(m[3], 'base64url');
  const want = mac(key, `${m[1]}.${m[2]}`);
  if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) return false;
  const expiresAt = Number(m[1]);
  // Expired, or claims more than a lifetime ahead (only we can sign, but be strict).
  return nowMs < expiresAt && expiresAt <= nowMs + SESSION_LIFETIME_MS + 60_000;
}

// ---------------------------------------------------------------------------
// Login throttle

export interface ThrottleOptions {
  /** Failures from one key before it is refused. */
  maxFailures: number;
  /** How long a refused key waits. */
  lockMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** Failures from all keys together before everyone is refused (spoofed keys). */
  maxGlobalFailures: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 5, lockMs: 30_000, windowMs: 15 * 60_000, maxGlobalFailures: 50 };

const GLOBAL = '\u0000all';

/**
 * In memory, per process: after `maxFailures` failed logins from one key
 * (client address), that key is refused for `lockMs`; after
 * `maxGlobalFailures` from all keys within `lockMs`, every key is.
 */
export class LoginThrottle {
  private entries = new Map<string, { failures: number[]; lockedUntil: number }>();
  constructor(private readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** 0 when the key may try now, else milliseconds until it may. */
  retryAfterMs(key: string, nowMs: number = Date.now()): number {
    const wait = (k: string) => Math.max(0, (this.entries.get(k)?.lockedUntil ?? 0) - nowMs);
    return Math.max(wait(key), wait(GLOBAL));
  }

  recordFailure(key: string, nowMs: number = Date.now()): void {
    this.bump(key, nowMs, this.opts.maxFailures, this.opts.windowMs);
    this.bump(GLOBAL, nowMs, this.opts.maxGlobalFailures, this.opts.lockMs);
    if (this.entries.size > 10_000) this.prune(nowMs);
  }

  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  private bump(key: string, nowMs: number, max: number, windowMs: number): void {
    const e = this.entries.get(key) ?? { failures: [], lockedUntil: 0 };
    e.failures = e.failures.filter((t) => nowMs - t < windowMs);
    e.failures.push(nowMs);
    if (e.failures.length >= max) {
      e.lockedUntil = nowMs + this.opts.lockMs;
      e.failures = [];
    }
    this.entries.set(key, e);
  }

  private prune(nowMs: number): void {
    for (const [k, e] of this.entries) {
      if (e.lockedUntil <= nowMs && e.failures.every((t) => nowMs - t >= this.opts.windowMs)) this.entries.delete(k);
    }
  }
}

const g = globalThis as unknown as { __runproofLoginThrottle?: LoginThrottle };
/** The process-wide throttle the login action uses. */
export const loginThrottle: LoginThrottle = (g.__runproofLoginThrottle ??= new LoginThrottle());

// ---------------------------------------------------------------------------

/**
 * Where to go after logging in: a same-site path that starts with exactly one
 * `/` (not `//host`, not `/\host`), else `/`.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  try {
    const base = 'http://runproof.invalid';
    const u = new URL(next, base);
    if (u.origin !== base) return '/';
    const out = `${u.pathname}${u.search}${u.hash}`;
    return out.startsWith('/') && !out.startsWith('//') ? out : '/';
  } catch {
    return '/';
  }
}
