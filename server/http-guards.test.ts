import { describe, expect, it } from 'vitest';
import nextConfig from '../next.config';
import { badTargetReason, contentSecurityPolicy, hasMalformedPercentEncoding, SECURITY_HEADERS } from './http-guards';

describe('security headers', () => {
  it('next.config.ts sends the same headers as the listener, on every path', async () => {
    const rules = await nextConfig.headers!();
    expect(rules).toHaveLength(1);
    expect(rules[0].source).toBe('/:path*');
    expect(rules[0].headers.map((h) => [h.key, h.value])).toEqual(SECURITY_HEADERS.map(([k, v]) => [k, v]));
  });

  it('CSP: scripts only by nonce (no inline, no eval outside dev), no framing, no plugins, no base rewriting', () => {
    const csp = contentSecurityPolicy('abc123');
    const script = /script-src ([^;]*)/.exec(csp)![1];
    expect(script).toBe("'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(contentSecurityPolicy('n', { dev: true })).toMatch(/script-src [^;]*'unsafe-eval'/);
  });
});

describe('request targets', () => {
  it('malformed percent-encoding is a 400 reason; well-formed is not', () => {
    for (const t of ['/runs/%zz', '/%', '/plans/%E0%A4%A', '/runs/%C0%AE%C0%AE/x?y=1', '/api/runs/%ff']) expect(badTargetReason(t), t).toMatch(/malformed percent-encoding/);
    for (const t of ['/', '/runs/abc', '/runs/%41bc', '/plans/a%20b/source', '/?q=%zz', '/runs/%E2%9C%93']) expect(badTargetReason(t), t).toBeNull();
    expect(hasMalformedPercentEncoding('/a%2')).toBe(true);
  });

  it("covers the bundle-file routes too (Next's router would fail on them before the route runs)", () => {
    expect(badTargetReason('/runs/abc/files/%zz')).toMatch(/malformed/);
    expect(badTargetReason('/api/runs/abc/files/a%2')).toMatch(/malformed/);
    expect(badTargetReason('/runs/abc/files/%2e%2e/x')).toBeNull(); // well-formed: the route's own confinement decides
  });
});
