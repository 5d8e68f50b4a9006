/**
 * The Next-facing half of server/auth.ts: who the request is (the view the
 * in-process listener attached), the session cookie, and the questions
 * launch, cancel and import ask before they run anything.
 *
 * Only for server code (server components, server actions, route handlers).
 */
import { cookies, headers } from 'next/headers';
import {
  authPolicy,
  createSessionToken,
  crossOriginRefusal,
  NO_PASSWORD_FIX,
  requestViewOf,
  revokeSessionToken,
  safeNextPath,
  sessionTokenExpiry,
  sessionTokenId,
  SESSION_COOKIE,
  SESSION_LIFETIME_MS,
  throttleKeyFor,
  verifySessionToken,
  type AuthPolicy,
  type RequestView,
} from './auth';
import { getEnv } from './env';
import { openDb } from '../db/client';
import { isSessionRevoked, revokeSession } from '../db/queries/sessions';

export type LaunchPermission = { ok: true } | { ok: false; error: string; loginUrl: string | null };

/**
 * This request as the listener saw it. Without `runproof serve`'s listener
 * (next start, next dev) nothing about the socket is known and the view is
 * never local.
 */
export async function requestView(): Promise<RequestView> {
  const h = await headers();
  return requestViewOf((n) => h.get(n));
}

/** The login policy for this request; throws when the environment is invalid. */
export async function requestAuthPolicy(): Promise<AuthPolicy> {
  const view = await requestView();
  return authPolicy(view, getEnv());
}

/** The request reached us (or the trusted proxy in front of us) over https. */
export async function requestIsHttps(): Promise<boolean> {
  const view = await requestView();
  return /^https:/i.test(view.requestOrigin ?? '');
}

/** A key for the login throttle: the socket peer, or the client a trusted proxy named; never a header alone. */
export async function clientKey(): Promise<string> {
  return throttleKeyFor((await requestView()).client);
}

/** The request carries a valid session cookie, one no server on this database has ended. */
export async function hasSession(): Promise<boolean> {
  const store = await cookies();
  const token = store.get(SESSION_COOKIE)?.value;
  if (!verifySessionToken(token)) return false;
  return !(await isSessionRevoked({ db: await openDb(), id: sessionTokenId(token!) }));
}

/** `/login`, with `?next=` when a same-site path to come back to is given. */
export function loginUrl(next?: string | null): string {
  const n = next ? safeNextPath(next) : '/';
  return n === '/' ? '/login' : `/login?next=${encodeURIComponent(n)}`;
}

/**
 * May this request launch or cancel? `next` is where the login page
 * should send the user back to. For showing or hiding a form; the actions
 * themselves use actionPermission.
 */
export async function launchPermission(next?: string | null): Promise<LaunchPermission> {
  let policy;
  try {
    policy = await requestAuthPolicy();
  } catch (e) {
    // A bad environment refuses rather than opens.
    return { ok: false, error: e instanceof Error ? e.message : String(e), loginUrl: null };
  }
  if (!policy.required) return { ok: true };
  if (!policy.passwordSet) {
    return {
      ok: false,
      error: `Launching is refused: a login is required because ${policy.reason}, but no password is configured. ${NO_PASSWORD_FIX}`,
      loginUrl: null,
    };
  }
  if (await hasSession()) return { ok: true };
  return { ok: false, error: 'Log in to launch or cancel runs.', loginUrl: loginUrl(next) };
}

/**
 * Refuses a POST that did not come from one of this server's own pages
 * (no Origin, `Origin: null`, a foreign origin, Sec-Fetch-Site other than
 * same-origin): the clickjacking / CSRF guard, on loopback too. Null when it
 * may go on.
 */
export async function sameOriginRefusal(): Promise<string | null> {
  const h = await headers();
  const view = requestViewOf((n) => h.get(n));
  let publicUrl: string | undefined;
  try {
    publicUrl = getEnv().RUNPROOF_PUBLIC_URL;
  } catch {
    publicUrl = undefined;
  }
  const why = crossOriginRefusal((n) => h.get(n), view, publicUrl);
  return why ? `Refused: ${why}. Launch and cancel only from this server's own pages.` : null;
}

/** What a server action that launches, cancels or writes asks first: same origin, then the login. */
export async function actionPermission(next?: string | null): Promise<LaunchPermission> {
  const refused = await sameOriginRefusal();
  if (refused) return { ok: false, error: refused, loginUrl: null };
  return launchPermission(next);
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

/** Ends the session (in a server action or route handler): the token is revoked, so a copy of the cookie dies too. */
export async function clearSessionCookie(): Promise<void> {
  const store = await cookies();
  const token = store.get(SESSION_COOKIE)?.value;
  // In the database, where every web server on it looks, and in this server's own file; one failing does not stop the other.
  if (token && verifySessionToken(token)) {
    try {
      await revokeSession({ db: await openDb(), id: sessionTokenId(token), expiresAt: sessionTokenExpiry(token) });
    } catch (e) {
      console.error('[runproof] could not record the revoked session in the database:', e);
    }
  }
  try {
    revokeSessionToken(token);
  } catch (e) {
    console.error('[runproof] could not record the revoked session:', e);
  }
  store.set(SESSION_COOKIE, '', { ...(await cookieOptions(0)), expires: new Date(0) });
}
