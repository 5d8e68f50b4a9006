import type { NextConfig } from 'next';

/**
 * On every response, static files and API routes included. The same list as
 * SECURITY_HEADERS in server/http-guards.ts (a test keeps them equal): Next
 * loads this file without resolving the project's TypeScript imports. The
 * CSP, with its per-request nonce, is set in proxy.ts.
 */
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'same-origin' },
];

/**
 * RUNPROOF_PUBLIC_URL's host may invoke server actions even when a proxy in
 * front rewrites Host and sends no X-Forwarded-Host (Next compares Origin
 * with those). Runproof's own Origin check (server/auth.ts) allows it too.
 */
function publicHost(): string[] {
  try {
    return process.env.RUNPROOF_PUBLIC_URL ? [new URL(process.env.RUNPROOF_PUBLIC_URL).host] : [];
  } catch {
    return [];
  }
}

const nextConfig: NextConfig = {
  serverExternalPackages: ['better-sqlite3'],
  poweredByHeader: false,
  typedRoutes: false,
  experimental: { serverActions: { allowedOrigins: publicHost() } },
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
