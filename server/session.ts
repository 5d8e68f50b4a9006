/**
 * The Next-facing half of server/auth.ts: the session cookie, and the one
 * question launch, cancel and import ask before they run anything.
 *
 * Only for server code (server components, server actions, route handlers).
 */
import { cookies, headers } from 'next/headers';
import { authPolicy, requestExposure, createSessionToken, SESSION_COOKIE, SESSION_LIFETIME_MS, safeNextPath, verifySessionToken } from './auth';

export type LaunchPermission = { ok: true } | { ok: false; error: string; loginUrl: string | null };

function first(v: string | null): string | null {
  const f = v?.split(',')[0]?.trim();
  return f ? f : null;
}

/** The request reached us (or the reverse proxy in front of us) over https. */
export async function requestIsHttps(): Promise<boolean> {
  const h = await headers();
  const proto = first(h.get('x-forwarded-proto'));
  if (proto) return proto.toLowerCase() === 'https';
  return /^https:/i.test(h.get('origin') ?? '');
}

/** A key for the login throttle: the client address as the server saw it. */
export async function clientKey(): Promise<string> {
  const h = await headers();
  return first(h.get('x-forwarded-for')) ?? first(h.get('x-real-ip')) ?? 'unknown';
}

/** The request carries a valid session cookie. */
export async function hasSession(): Promise<boolean> {
  const store = await cookies();
  return verifySessionToken(store.get(SESSION_COOKIE)?.value);
}

/** `/login`, with `?next=` when a same-site path to come back to is given. */
export function loginUrl(next?: string | null): string {
  const n = next ? safeNextPath(next) : '/';
  return n === '/' ? '/login' : `/login?next=${encodeURIComponent(n)}`;
}

/**
 * May this request launch or cancel? `next` is where the login page
 * should send the user back to.
 */
export async function launchPermission(next?: string | null): Promise<LaunchPermission> {
  let policy;
  try {
    policy = authPolicy();
  } catch (e) {
    // A bad environment refuses rather than opens.
    return { ok: false, error: e instanceof Error ? e.message : String(e), loginUrl: null };
  }
  if (!policy.required) {
    // Configured for loopback, but is this request really local? (DNS rebinding, a proxy on this host.)
    const h = await headers();
    const exposed = requestExposure((n) => h.get(n));
    if (!exposed) return { ok: true };
    policy = { ...policy, required: true, reason: exposed };
  }
  if (!policy.passwordSet) {
    return {
      ok: false,
      error: `Launching is refused: a login is required because ${policy.reason}, but no password is configured. Set RUNPROOF_PASSWORD (at least 8 characters) in the server's environment and restart it.`,
      loginUrl: null,
    };
  }
  if (await hasSession()) return { ok: true };
  return { ok: false, error: 'Log in to launch or cancel runs.', loginUrl: loginUrl(next) };
}

async function cookieOptions(maxAgeS: number) {
  return { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: await requestIsHttps(), maxAge: maxAgeS };
}

/** Starts a 12-hour session (in a server action or route handler). */
export async function setSessionCookie(): Promise<void> {
  const token = createSessionToken();
  const store = await cookies();
  store.set(SESSION_COOKIE, token, await cookieOptions(Math.floor(SESSION_LIFETIME_MS / 1000)));
}

/** Ends the session (in a server action or route handler). */
export async function clearSessionCookie(): Promise<void> {
  const store = await cookies();
  store.set(SESSION_COOKIE, '', { ...(await cookieOptions(0)), expires: new Date(0) });
}
