/**
 * Next 16's request proxy (formerly middleware), on every page and API
 * request however the app is run (runproof serve, next start, next dev):
 *
 * - a URL path with malformed percent-encoding gets a 400, not the 500
 *   Next's router or a route's parameter decoding would throw;
 * - HTML pages get a Content-Security-Policy with a fresh nonce. Next reads
 *   the nonce from the request's CSP header and puts it on its own scripts,
 *   so the pages are rendered per request (they all are: they read the
 *   request's login state).
 *
 * nosniff, X-Frame-Options and Referrer-Policy come from next.config.ts, so
 * static files get them too.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { badTargetReason, contentSecurityPolicy, SECURITY_HEADERS } from '@/server/http-guards';

export function proxy(request: NextRequest) {
  const bad = badTargetReason(request.nextUrl.pathname);
  if (bad) {
    const res = new NextResponse(`Bad request: ${bad}.\n`, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    for (const [k, v] of SECURITY_HEADERS) res.headers.set(k, v);
    return res;
  }
  if (request.nextUrl.pathname.startsWith('/api/')) return NextResponse.next();

  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  const nonce = btoa(String.fromCharCode(...bytes));
  const csp = contentSecurityPolicy(nonce, { dev: process.env.NODE_ENV === 'development' });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);
  const res = NextResponse.next({ request: { headers: requestHeaders } });
  res.headers.set('Content-Security-Policy', csp);
  return res;
}

export const config = {
  matcher: [
    {
      // Everything but Next's static files; prefetches carry no HTML.
      source: '/((?!_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
