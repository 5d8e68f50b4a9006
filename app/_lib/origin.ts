/**
 * The origin a user reached this server at, for permalinks in copied
 * Markdown and summary.md. Honours a reverse proxy's forwarded headers.
 */
import { headers } from 'next/headers';

function pick(v: string | null): string | null {
  const first = v?.split(',')[0]?.trim();
  return first ? first : null;
}

export function originFromHeaders(h: Headers, fallback = 'http://localhost:3000'): string {
  const host = pick(h.get('x-forwarded-host')) ?? pick(h.get('host'));
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return fallback;
  const proto = pick(h.get('x-forwarded-proto'));
  return `${proto === 'https' ? 'https' : proto === 'http' ? 'http' : 'http'}://${host}`;
}

/** In a server component. */
export async function requestOrigin(): Promise<string> {
  return originFromHeaders(await headers());
}

/** In a route handler. */
export function originOfRequest(req: Request): string {
  return originFromHeaders(req.headers, new URL(req.url).origin);
}
