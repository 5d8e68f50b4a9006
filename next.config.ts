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

const nextConfig: NextConfig = {
  serverExternalPackages: ['better-sqlite3'],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
