/**
 * Who may launch. Launching, cancelling and importing run commands on this
 * host, so they need a login unless the request provably comes from this
 * machine: its TCP peer is a loopback address and `runproof serve` opened the
 * listener itself on a loopback address (server/http-server.ts tells us both,
 * in headers only that process can sign). A header never makes a request
 * local: Host, X-Forwarded-For, Forwarded and X-Real-IP can only make it
 * exposed, and forwarding headers name the client only when the socket peer
 * is a proxy listed in RUNPROOF_TRUST_PROXY. RUNPROOF_PASSWORD set means a
 * login is always required. Evidence pages and GET APIs stay readable.
 *
 * Plain Node (no next/* imports) so the tests, the CLI and the in-process
 * server can use it; the cookie handling lives in server/session.ts.
 *
 * Session tokens are `<expiresAtMs>.<random>.<hmac>`: HMAC-SHA256 (base64url)
 * over `<expiresAtMs>.<random>` with a key derived from the password and a
 * random 32-byte secret kept in `<dirname(RUNPROOF_DB)>/session-secret`
 * (mode 0600). Changing the password, or `runproof logout-all` (a new
 * secret), ends every session; the running server notices the new file on the
 * next request. "Log out" ends one session: its token is written to
 * `revoked-sessions` beside the secret until it would have expired.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getEnv } from './env';

export const SESSION_COOKIE = 'runproof_session';
/** 12 hours. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const SESSION_SECRET_FILE = 'session-secret';
export const REVOKED_SESSIONS_FILE = 'revoked-sessions';

// ---------------------------------------------------------------------------
// Addresses

/**
 * An IP address in one canonical spelling (IPv4 dotted quad, IPv6 compressed
 * lower case, IPv4-mapped IPv6 as IPv4), from a socket address or a header
 * token (`[v6]:port`, `v4:port`, quoted, with a zone id); null when it is not
 * an IP address (`unknown`, `_hidden`, a name).
 */
export function normalizeAddress(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  let s = value.trim();
  if (s.length > 100) return null;
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1);
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return null;
    s = s.slice(1, end);
  } else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(s)) {
    s = s.slice(0, s.lastIndexOf(':'));
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (net.isIPv4(s)) return s;
  if (!net.isIPv6(s)) return null;
  let v6: string;
  try {
    v6 = new URL(`http://[${s}]/`).hostname.slice(1, -1); // the URL parser canonicalises IPv6
  } catch {
    return null;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return v6;
}

/** 127.0.0.0/8 and ::1 (also spelled as IPv4-mapped IPv6). */
export function isLoopbackAddress(value: string | null | undefined): boolean {
  const a = normalizeAddress(value);
  return a !== null && (a === '::1' || /^127\./.test(a));
}

/** A loopback address, or the name `localhost` (and `*.localhost`), as in a Host header or RUNPROOF_HOST. */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopbackAddress(h);
}

/** The host part of a Host header value (`[::1]:3000` → `[::1]`), or null when it is not a plain host[:port]. */
export function hostOfHostHeader(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (v.length === 0 || v.length > 255) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return null;
  if (m[1].startsWith('[') && !net.isIPv6(m[1].slice(1, -1))) return null;
  return m[1];
}

/**
 * The throttle key for a client address: the address itself, except that
 * IPv6 clients are grouped by their /64 (one host usually holds a whole /64,
 * so rotating inside it must not buy more guesses).
 */
export function throttleKeyFor(client: string | null | undefined): string {
  const a = normalizeAddress(client);
  if (!a) return client ? `other:${client.slice(0, 100)}` : 'unknown';
  if (!a.includes(':')) return a;
  const full = expandIPv6(a);
  return `${full.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(a: string): string[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === null ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((x) => x.padStart(4, '0'));
}

/** RUNPROOF_TRUST_PROXY (`10.0.0.2, ::1`) as canonical addresses; throws naming the bad entry. */
export function parseTrustProxy(value: string | null | undefined): string[] {
  if (!value?.trim()) return [];
  return value.split(',').map((part) => {
    const a = normalizeAddress(part);
    if (!a) throw new Error(`${JSON.stringify(part.trim())} is not an IP address (list the proxies' addresses, comma-separated)`);
    return a;
  });
}

// ---------------------------------------------------------------------------
// Is this request local? Decided by server/http-server.ts from the socket.

/** What only the listener knows: the socket's peer and where the listener itself is bound. */
export interface SocketFacts {
  /** `socket.remoteAddress`. */
  peer: string;
  /** The address Runproof's listener is bound to (`server.address().address`). */
  listenerAddress: string;
  listenerPort: number;
}

export interface RequestView {
  /** May launch without a password (when RUNPROOF_PASSWORD is unset). */
  local: boolean;
  /** Why it is not local (fit for "a login is required because …"), or why it is. */
  reason: string;
  /** The client as far as we can tell: the socket peer, or the client a trusted proxy named. */
  client: string;
  /** The socket peer is named by RUNPROOF_TRUST_PROXY. */
  viaTrustedProxy: boolean;
  /** `http(s)://host[:port]` the request was made to, as the listener sees it (Host, or a trusted proxy's forwarded host); null when it names no valid host. */
  requestOrigin: string | null;
  /** The origin a trusted proxy says the user reached, for permalinks; null otherwise. */
  forwardedOrigin: string | null;
  /** The listener's own address as an origin (`http://127.0.0.1:3000`; a wildcard bind uses this machine's name). */
  listenerOrigin: string;
}

type HeaderGetter = (name: string) => string | null | undefined;

/** Headers a proxy uses to name the client (or the host and scheme it was reached at). */
export const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'] as const;

/** Split a Forwarded header into its elements' parameters, honouring quoted strings. */
export function parseForwarded(value: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  let cur: Record<string, string> = {};
  let i = 0;
  const n = Math.min(value.length, 8192);
  while (i < n) {
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const key = value
      .slice(i, eq)
      .trim()
      .toLowerCase()
      .replace(/^[;,\s]+/, '');
    let j = eq + 1;
    let val = '';
    if (value[j] === '"') {
      j++;
      while (j < n && value[j] !== '"') {
        if (value[j] === '\\' && j + 1 < n) j++;
        val += value[j++];
      }
      j++;
    } else {
      while (j < n && value[j] !== ';' && value[j] !== ',') val += value[j++];
      val = val.trim();
    }
    if (key) cur[key] = val;
    while (j < n && value[j] === ' ') j++;
    if (value[j] === ',') {
      out.push(cur);
      cur = {};
    }
    i = j + 1;
  }
  if (Object.keys(cur).length) out.push(cur);
  return out;
}

function listSplit(v: string | null | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function hostForUrl(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function originFor(proto: string, host: string): string | null {
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return null;
  }
}

/** The listener's address as an origin; a wildcard bind (0.0.0.0, ::) names this machine instead. */
export function listenerOriginOf(address: string, port: number): string {
  const a = normalizeAddress(address) ?? address;
  const host = a === '0.0.0.0' || a === '::' ? os.hostname() : hostForUrl(a);
  return `http://${host}:${port}`;
}

/**
 * Decides, from the socket and the request's headers as the client sent them,
 * whether a request is local. Local means all of: Runproof's listener is on
 * a loopback address; the peer is loopback; the Host names a loopback host
 * (not DNS rebinding); and no forwarding header says the request came from
 * elsewhere. Forwarding headers from a peer RUNPROOF_TRUST_PROXY does not
 * name make the request exposed; from a trusted proxy they name the client
 * (the right-most address that is not itself a trusted proxy), and the
 * request is local only if that client is loopback too.
 */
export function viewRequest(facts: SocketFacts, get: HeaderGetter, trustProxy: readonly string[]): RequestView {
  const peer = normalizeAddress(facts.peer) ?? String(facts.peer ?? '');
  const listenerAddr = normalizeAddress(facts.listenerAddress) ?? facts.listenerAddress;
  const listenerOrigin = listenerOriginOf(listenerAddr, facts.listenerPort);
  const trusted = new Set(trustProxy);
  const viaTrustedProxy = trusted.has(peer);

  const xff = get('x-forwarded-for');
  const fwd = get('forwarded');
  const xri = get('x-real-ip');
  const xfh = get('x-forwarded-host');
  const xfp = get('x-forwarded-proto');
  const sent = [fwd && 'Forwarded', xff && 'X-Forwarded-For', xri && 'X-Real-IP', xfh && 'X-Forwarded-Host', xfp && 'X-Forwarded-Proto'].filter(Boolean) as string[];

  let client = peer;
  let proto = 'http';
  let host = get('host') ?? null;
  let forwardedOrigin: string | null = null;
  let exposure: string | null = null;

  if (viaTrustedProxy) {
    // The chain of addresses the proxies appended, oldest first.
    const elements = fwd ? parseForwarded(fwd) : [];
    // Each forwarding header the request carries names a client (right-most untrusted entry). The proxy
    // writes one of them; the client may have sent the others itself. Which one the proxy writes is not
    // known, so every header present must name this machine: one naming a remote client wins.
    const chains = [fwd ? elements.map((e) => e.for ?? '') : null, xff ? listSplit(xff) : null, xri ? [xri.trim()] : null].filter((c): c is string[] => c !== null);
    const namedBy = chains
      .map((chain) => {
        let named: string | null = null;
        for (let i = chain.length - 1; i >= 0; i--) {
          const a = normalizeAddress(chain[i]);
          named = a ?? chain[i];
          if (!a || !trusted.has(a)) break;
        }
        return named;
      })
      .filter((n): n is string => n !== null && n !== '');
    if (!namedBy.length) exposure = `the request came through the proxy ${peer}, which did not say which client it forwards`;
    else client = namedBy.find((n) => !isLoopbackAddress(n)) ?? namedBy[0];
    // Host and scheme as the (right-most, i.e. our) proxy says.
    const last = elements.length ? elements[elements.length - 1] : null;
    const fHost = last?.host ?? listSplit(xfh).at(-1) ?? null;
    const fProto = (last?.proto ?? listSplit(xfp).at(-1) ?? '').toLowerCase();
    if (fProto === 'https' || fProto === 'http') proto = fProto;
    if (fHost && hostOfHostHeader(fHost)) {
      host = fHost;
      forwardedOrigin = originFor(proto, fHost.trim().toLowerCase());
    }
  }

  const hostName = hostOfHostHeader(host);
  const requestOrigin = hostName ? originFor(proto, host!.trim().toLowerCase()) : null;

  if (!isLoopbackAddress(listenerAddr)) {
    exposure = `the server listens on ${listenerAddr}, which is not a loopback address, so other machines can reach it`;
  } else if (!isLoopbackAddress(peer)) {
    exposure = viaTrustedProxy ? `the request came through the proxy ${peer} on another machine` : `the request came from ${peer}, not from this machine`;
  } else if (!viaTrustedProxy && sent.length) {
    exposure = `the request carries ${sent.join(', ')} but came from ${peer}, which RUNPROOF_TRUST_PROXY does not name (a proxy on this host may be forwarding a remote client)`;
  } else if (exposure) {
    // a trusted proxy that named no client
  } else if (viaTrustedProxy && !isLoopbackAddress(client)) {
    exposure = `the request was forwarded by the proxy ${peer} for ${client}, not for this machine`;
  } else if (!hostName) {
    exposure = 'the request names no valid host';
  } else if (!isLoopbackHost(hostName)) {
    exposure = `the request came for host ${JSON.stringify(hostName.slice(0, 100))}, not a loopback address (DNS rebinding?)`;
  }

  return {
    local: exposure === null,
    reason: exposure ?? `the request came from ${client} to a server listening only on ${listenerAddr} (loopback)`,
    client,
    viaTrustedProxy,
    requestOrigin,
    forwardedOrigin,
    listenerOrigin,
  };
}

/**
 * The view of a request that did not come through `runproof serve`'s own
 * listener (`next start`, `next dev`, a container running Next directly):
 * nothing about its socket is known, so it is never local.
 */
export function unknownRequestView(get: HeaderGetter): RequestView {
  const host = get('host');
  const hostName = hostOfHostHeader(host);
  return {
    local: false,
    reason: 'the web server was not started by `runproof serve` (npm start), so it cannot tell which address a request comes from',
    client: 'unknown',
    viaTrustedProxy: false,
    requestOrigin: hostName ? originFor('http', host!.trim().toLowerCase()) : null,
    forwardedOrigin: null,
    listenerOrigin: '',
  };
}

// ---------------------------------------------------------------------------
// What the listener tells the app. server/http-server.ts removes every
// client-sent `x-runproof-*` header, then sets these; the app believes them
// only when the token matches the one this process made (kept on globalThis,
// never in the environment, so child processes never see it).

export const VIEW_HEADERS = {
  /** The per-process token that proves the headers below came from our listener. */
  token: 'x-runproof-token',
  /** The TCP peer (`socket.remoteAddress`, canonical). */
  peer: 'x-runproof-peer',
  /** The client as decided: the peer, or a trusted proxy's client. */
  client: 'x-runproof-client',
  /** `1` when the request is local (viewRequest), else `0`. */
  local: 'x-runproof-local',
  /** Why (percent-encoded sentence). */
  reason: 'x-runproof-reason',
  /** `1` when the peer is a trusted proxy. */
  viaProxy: 'x-runproof-via-proxy',
  /** The request's origin as the listener sees it (for the Origin check); absent when the Host is invalid. */
  requestOrigin: 'x-runproof-request-origin',
  /** The origin a trusted proxy says the user reached; absent otherwise. */
  forwardedOrigin: 'x-runproof-forwarded-origin',
  /** The listener's own origin. */
  listenerOrigin: 'x-runproof-listener-origin',
} as const;

const tokenHolder = globalThis as unknown as { __runproofListenerToken?: string };

/** Make (once) and return this process's listener token. Only server/http-server.ts calls it. */
export function installListenerToken(): string {
  return (tokenHolder.__runproofListenerToken ??= crypto.randomBytes(32).toString('base64url'));
}

/** The headers that carry a view, for the listener to set. */
export function viewToHeaders(view: RequestView, peer: string): Record<string, string> {
  const token = installListenerToken();
  const h: Record<string, string> = {
    [VIEW_HEADERS.token]: token,
    [VIEW_HEADERS.peer]: normalizeAddress(peer) ?? String(peer ?? ''),
    [VIEW_HEADERS.client]: encodeURIComponent(view.client),
    [VIEW_HEADERS.local]: view.local ? '1' : '0',
    [VIEW_HEADERS.reason]: encodeURIComponent(view.reason),
    [VIEW_HEADERS.viaProxy]: view.viaTrustedProxy ? '1' : '0',
    [VIEW_HEADERS.listenerOrigin]: view.listenerOrigin,
  };
  if (view.requestOrigin) h[VIEW_HEADERS.requestOrigin] = view.requestOrigin;
  if (view.forwardedOrigin) h[VIEW_HEADERS.forwardedOrigin] = view.forwardedOrigin;
  return h;
}

function decode(v: string | null | undefined): string {
  try {
    return decodeURIComponent(v ?? '');
  } catch {
    return '';
  }
}

/**
 * The view the listener attached to this request, or null when there is none
 * we can believe (no token in this process, or the header's token differs).
 */
export function viewFromHeaders(get: HeaderGetter): RequestView | null {
  const mine = tokenHolder.__runproofListenerToken;
  const given = get(VIEW_HEADERS.token);
  if (!mine || typeof given !== 'string') return null;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(mine).digest();
  if (!crypto.timingSafeEqual(a, b)) return null;
  return {
    local: get(VIEW_HEADERS.local) === '1',
    reason: decode(get(VIEW_HEADERS.reason)),
    client: decode(get(VIEW_HEADERS.client)) || 'unknown',
    viaTrustedProxy: get(VIEW_HEADERS.viaProxy) === '1',
    requestOrigin: get(VIEW_HEADERS.requestOrigin) ?? null,
    forwardedOrigin: get(VIEW_HEADERS.forwardedOrigin) ?? null,
    listenerOrigin: get(VIEW_HEADERS.listenerOrigin) ?? '',
  };
}

/** The view of any request: the listener's when it is genuine, else one that is never local. */
export function requestViewOf(get: HeaderGetter): RequestView {
  return viewFromHeaders(get) ?? unknownRequestView(get);
}

// ---------------------------------------------------------------------------
// Same-origin POSTs

/**
 * Launch, cancel, log in and out are POSTs (server actions) that must come
 * from a page of this server: the Origin header must be present, not `null`,
 * and the same origin as the request (as the listener sees it) or
 * RUNPROOF_PUBLIC_URL; a browser's `Sec-Fetch-Site` must not say otherwise.
 * Returns why it is refused, or null.
 */
export function crossOriginRefusal(get: HeaderGetter, view: RequestView, publicUrl?: string | null): string | null {
  const site = get('sec-fetch-site');
  if (site && site !== 'same-origin') return `the request came from another site (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  const origin = get('origin');
  if (!origin) return 'the request carries no Origin header';
  if (origin.trim() === 'null') return 'the request came from an opaque origin (Origin: null)';
  let o: string | null = null;
  try {
    o = new URL(origin.trim()).origin;
  } catch {
    o = null;
  }
  if (!o || o === 'null') return 'the request carries an invalid Origin header';
  const allowed = [view.requestOrigin];
  if (publicUrl) {
    try {
      allowed.push(new URL(publicUrl).origin);
    } catch {
      /* env validation reports it */
    }
  }
  if (allowed.includes(o)) return null;
  return `the request came from ${o.slice(0, 200)}, not from ${view.requestOrigin ?? 'this server'}`;
}

// ---------------------------------------------------------------------------
// The policy

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
  RUNPROOF_PASSWORD?: string;
}

function password(env?: AuthEnv): string | null {
  const p = (env ?? getEnv()).RUNPROOF_PASSWORD;
  return p ? p : null;
}

/** Does this request need a login to launch? `view` from viewFromHeaders / requestViewOf. */
export function authPolicy(view: RequestView, env?: AuthEnv): AuthPolicy {
  const passwordSet = !!password(env ?? getEnv());
  if (passwordSet) return { required: true, passwordSet, reason: 'RUNPROOF_PASSWORD is set' };
  if (!view.local) return { required: true, passwordSet, reason: view.reason };
  return { required: false, passwordSet, reason: view.reason };
}

/** How to fix "a login is required but no password is set", for the message the user sees. */
export const NO_PASSWORD_FIX =
  'Set RUNPROOF_PASSWORD (at least 8 characters) in the server\u2019s environment and restart it, or start the server with `runproof serve` (npm start) on 127.0.0.1 and open it from this machine.';

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

interface CachedSecret {
  secret: Buffer;
  stamp: string;
}
const secrets = new Map<string, CachedSecret>();

/** `<dirname(RUNPROOF_DB)>/session-secret`. */
export function sessionSecretPath(dbPath: string = getEnv().dbPath): string {
  return path.join(path.dirname(dbPath), SESSION_SECRET_FILE);
}

/**
 * RUNPROOF_SESSION_SECRET (64 hex digits), for several web servers behind
 * one proxy: each signs and checks sessions with it instead of its own file.
 */
function sharedSecret(): Buffer | null {
  const v = process.env.RUNPROOF_SESSION_SECRET;
  if (!v) return null;
  const s = parseSecret(v);
  if (!s) throw new Error('RUNPROOF_SESSION_SECRET must be 64 hex digits (openssl rand -hex 32)');
  return s;
}

function parseSecret(text: string): Buffer | null {
  const t = text.trim();
  return /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : null;
}

/** Identity of a file's current content, cheap to check on every request. */
function stampOf(file: string): string | null {
  try {
    const st = fs.statSync(/*turbopackIgnore: true*/ file, { bigint: true });
    return `${st.ino}:${st.mtimeNs}:${st.size}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Write `text` to `file` whole (temp file + rename), mode 0600. */
function replaceFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * The 32-byte secret, created (mode 0600, hex) when missing or unreadable as
 * one. Cached per file, and re-read when the file changes (one stat per
 * call), so `runproof logout-all` takes effect in a running server at once.
 */
export function sessionSecret(file: string = sessionSecretPath()): Buffer {
  // Several web servers on one database share the secret they are given, so a login on one is valid on all.
  const shared = sharedSecret();
  if (shared) return shared;
  const stamp = stampOf(file);
  const hit = secrets.get(file);
  if (hit && stamp !== null && hit.stamp === stamp) return hit.secret;
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
  secrets.set(file, { secret, stamp: stampOf(file) ?? '' });
  return secret;
}

/**
 * `runproof logout-all`: a new secret, so every session token signed so far
 * stops verifying, in this process and (at its next request) in a running
 * server. Returns the file written.
 */
export function rotateSessionSecret(file: string = sessionSecretPath()): string {
  if (sharedSecret()) throw new Error('the session secret comes from RUNPROOF_SESSION_SECRET: give every server a new value (openssl rand -hex 32) and restart them to end every session');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  replaceFile(file, `${crypto.randomBytes(32).toString('hex')}\n`);
  secrets.delete(file);
  return file;
}

/** Forget cached secrets and revocation lists (tests that delete the files). */
export function resetSessionSecretCache(): void {
  secrets.clear();
  revoked.clear();
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

function secretFileOf(opts: TokenOptions): string {
  return opts.secretFile ?? sessionSecretPath();
}

function keyFor(opts: TokenOptions): Buffer | null {
  const pw = password(opts.env);
  if (!pw) return null;
  return signingKey(pw, sessionSecret(secretFileOf(opts)));
}

/** A new session token valid for 12 hours. Throws when no password is set (no one can log in). */
export function createSessionToken(nowMs: number = Date.now(), opts: TokenOptions = {}): string {
  const key = keyFor(opts);
  if (!key) throw new Error('RUNPROOF_PASSWORD is not set: there is nothing to log in with');
  const body = `${Math.floor(nowMs) + SESSION_LIFETIME_MS}.${crypto.randomBytes(18).toString('base64url')}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

const TOKEN = /^(\d{1,16})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/;

/** True for an untampered, unexpired, unrevoked token signed with the current password and secret. */
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
  if (!(nowMs < expiresAt && expiresAt <= nowMs + SESSION_LIFETIME_MS + 60_000)) return false;
  return !revokedIds(revokedFileOf(opts)).has(sessionTokenId(token));
}

// ---------------------------------------------------------------------------
// Revoked sessions ("Log out"): `<expiresAtMs> <sha256(token) hex>` per line,
// beside the secret, kept only until the token would have expired anyway.

const revoked = new Map<string, { stamp: string; ids: Set<string> }>();

function revokedFileOf(opts: TokenOptions): string {
  return path.join(path.dirname(secretFileOf(opts)), REVOKED_SESSIONS_FILE);
}

/** When a (verified) session token expires, in ms. */
export function sessionTokenExpiry(token: string): number {
  return Number(token.split('.')[0]);
}

/** What names a session without holding it: the SHA-256 of its token (revocation lists, in files and the database). */
export function sessionTokenId(token: string): string {
  return crypto.createHash('sha256').update(token, 'ascii').digest('hex');
}

function readRevoked(file: string): Array<{ expiresAt: number; id: string }> {
  let text = '';
  try {
    text = fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const out: Array<{ expiresAt: number; id: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^(\d{1,16}) ([0-9a-f]{64})$/.exec(line.trim());
    if (m) out.push({ expiresAt: Number(m[1]), id: m[2] });
  }
  return out;
}

function revokedIds(file: string): Set<string> {
  const stamp = stampOf(file);
  if (stamp === null) return new Set();
  const hit = revoked.get(file);
  if (hit && hit.stamp === stamp) return hit.ids;
  const ids = new Set(readRevoked(file).map((r) => r.id));
  revoked.set(file, { stamp, ids });
  return ids;
}

/**
 * End one session for good: a copy of the cookie stops working too. Tokens
 * that do not verify (already dead) are not recorded.
 */
export function revokeSessionToken(token: string | null | undefined, nowMs: number = Date.now(), opts: TokenOptions = {}): boolean {
  if (!token || !verifySessionToken(token, nowMs, opts)) return false;
  const file = revokedFileOf(opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const keep = readRevoked(file).filter((r) => r.expiresAt > nowMs);
  keep.push({ expiresAt: Number(token.split('.')[0]), id: sessionTokenId(token) });
  replaceFile(file, keep.map((r) => `${r.expiresAt} ${r.id}\n`).join(''));
  revoked.delete(file);
  return true;
}

// ---------------------------------------------------------------------------
// Login throttle

export interface ThrottleOptions {
  /** Failures from one key that cost nothing. */
  freeFailures: number;
  /** The wait after the first failure beyond those; doubled with each further failure. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
  /** A key whose last failure is older than this starts afresh. */
  forgetMs: number;
  /** Keys remembered at most (the oldest unlocked ones are dropped first). */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { freeFailures: 5, baseMs: 1000, maxMs: 15 * 60_000, forgetMs: 60 * 60_000, maxKeys: 10_000 };

/**
 * In memory, per process, per key (the client address from the socket, or
 * from a trusted proxy: throttleKeyFor). After `freeFailures` failures a key
 * waits `baseMs`, doubling with each further failure up to `maxMs`. There is
 * no global lock: failures from other addresses never keep the right password
 * out from another one. A success forgets the key.
 */
export class LoginThrottle {
  private entries = new Map<string, { failures: number; last: number; lockedUntil: number }>();
  constructor(private readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** 0 when the key may try now, else milliseconds until it may. */
  retryAfterMs(key: string, nowMs: number = Date.now()): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.lockedUntil - nowMs) : 0;
  }

  recordFailure(key: string, nowMs: number = Date.now()): void {
    let e = this.entries.get(key);
    if (e && nowMs - e.last > this.opts.forgetMs && e.lockedUntil <= nowMs) e = undefined;
    e ??= { failures: 0, last: nowMs, lockedUntil: 0 };
    e.failures++;
    e.last = nowMs;
    const over = e.failures - this.opts.freeFailures;
    if (over > 0) e.lockedUntil = nowMs + Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(over - 1, 40));
    this.entries.delete(key); // re-insert: the map stays in order of last failure
    this.entries.set(key, e);
    if (this.entries.size > this.opts.maxKeys) this.prune(nowMs);
  }

  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  /** Keys remembered now (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private prune(nowMs: number): void {
    for (const [k, e] of this.entries) {
      if (e.lockedUntil <= nowMs && nowMs - e.last > this.opts.forgetMs) this.entries.delete(k);
    }
    // Still too many: drop the least recently failing keys that are not locked, then any.
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.opts.maxKeys) return;
      if (e.lockedUntil <= nowMs) this.entries.delete(k);
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.opts.maxKeys) return;
      this.entries.delete(k);
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
