/**
 * Response headers and URL checks shared by proxy.ts (every way of running
 * the app) and server/http-server.ts (runproof serve's own listener). Pure:
 * no Node or Next imports, so the proxy bundle stays small.
 */

/** Headers on every response: no MIME sniffing, no framing, no full URLs in Referer to other sites. */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
];

/**
 * The Content-Security-Policy of an HTML page. Scripts only with this
 * request's nonce (Next puts it on its own scripts when the request carries
 * this header), and whatever they load ('strict-dynamic'); no eval outside
 * `next dev`, where React needs it. Styles allow 'unsafe-inline' because
 * server-rendered React `style` props (and recharts' wrappers) arrive as
 * style attributes, which a nonce cannot cover; CSS cannot run script.
 */
export function contentSecurityPolicy(nonce: string, opts: { dev?: boolean } = {}): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${opts.dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A `%` not followed by two hex digits, or escapes that do not decode as UTF-8 (`%zz`, `%E0%A4%A`, `%C0%AE`). */
export function hasMalformedPercentEncoding(pathname: string): boolean {
  if (!pathname.includes('%')) return false;
  try {
    decodeURIComponent(pathname);
    return false;
  } catch {
    return true;
  }
}

/**
 * The path of a request target (`/a/b?x` → `/a/b`; an absolute-form target
 * keeps its scheme and host, which decode the same way).
 */
export function pathOfTarget(target: string): string {
  const q = target.search(/[?#]/);
  return q < 0 ? target : target.slice(0, q);
}

/** Why this request target gets a 400 before any route sees it, or null. */
export function badTargetReason(target: string): string | null {
  const p = pathOfTarget(target);
  // The bundle-file routes too: Next's router fails (500) on such a path before any route runs.
  if (hasMalformedPercentEncoding(p)) return 'the URL path has malformed percent-encoding';
  return null;
}
