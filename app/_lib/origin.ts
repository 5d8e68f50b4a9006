/**
 * The origin for permalinks in copied Markdown, summary.md, badges and plan
 * updates: RUNPROOF_PUBLIC_URL when set; else what a trusted proxy
 * (RUNPROOF_TRUST_PROXY) says the user reached; else the address
 * `runproof serve` listens on; else RUNPROOF_HOST:RUNPROOF_PORT. Never the
 * request's Host or X-Forwarded-Host header, which anyone can write: a link
 * someone copies must not point where an attacker chose.
 */
import os from 'node:os';
import { headers } from 'next/headers';
import { requestViewOf } from '@/server/auth';
import { getEnv } from '@/server/env';

function fromEnv(): string {
  let env;
  try {
    env = getEnv();
  } catch {
    return 'http://127.0.0.1:3000';
  }
  if (env.RUNPROOF_PUBLIC_URL) return env.RUNPROOF_PUBLIC_URL.replace(/\/+$/, '');
  const h = env.RUNPROOF_HOST;
  const host = h === '0.0.0.0' || h === '::' ? os.hostname() : h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  return `http://${host}:${env.RUNPROOF_PORT}`;
}

/** The public origin for a request with these headers. */
export function originFromHeaders(h: Headers): string {
  let publicUrl: string | undefined;
  try {
    publicUrl = getEnv().RUNPROOF_PUBLIC_URL;
  } catch {
    publicUrl = undefined;
  }
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const view = requestViewOf((n) => h.get(n));
  return view.forwardedOrigin ?? (view.listenerOrigin || fromEnv());
}

/** In a server component or server action. */
export async function requestOrigin(): Promise<string> {
  return originFromHeaders(await headers());
}

/** In a route handler. */
export function originOfRequest(req: Request): string {
  return originFromHeaders(req.headers);
}
