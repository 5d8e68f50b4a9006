/**
 * `runproof serve`'s web server: Next's programmatic server running in this
 * process behind a `node:http` listener Runproof opens itself. One process
 * means the web server can never outlive the worker beside it (SIGKILL
 * takes both, a restart never meets EADDRINUSE), and owning the socket means
 * the app can know who is asking:
 *
 * - every client-sent `x-runproof-*` header is removed;
 * - viewRequest (server/auth.ts) decides from the TCP peer, the listener's
 *   own address and RUNPROOF_TRUST_PROXY whether the request is local, and
 *   the result goes to the app as `x-runproof-*` headers with this process's
 *   token (VIEW_HEADERS), which server/session.ts checks before believing
 *   them;
 * - forwarding headers (X-Forwarded-For, Forwarded, X-Real-IP,
 *   X-Forwarded-Host/Proto/Port) from a peer that is not a trusted proxy are
 *   removed once they have been judged, so nothing downstream can be fooled
 *   by them;
 * - a path with malformed percent-encoding gets a 400 before any route;
 * - a POST (or any unsafe method) that is not same-origin (no Origin,
 *   `Origin: null`, a foreign origin, Sec-Fetch-Site cross-site) gets a 403:
 *   the only POSTs are server actions, and every one of them launches,
 *   cancels, writes or logs in. The actions check again themselves, for the
 *   other ways of running the app.
 *
 * Used only by `runproof serve` (it loads next when started).
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { crossOriginRefusal, FORWARDING_HEADERS, installListenerToken, normalizeAddress, viewFromHeaders, viewRequest, viewToHeaders } from './auth';
import { badTargetReason, SECURITY_HEADERS } from './http-guards';

export interface WebServerOptions {
  /** The Next project (the Runproof checkout, with a production build). */
  dir: string;
  host: string;
  port: number;
  /** RUNPROOF_TRUST_PROXY, parsed. */
  trustProxy: string[];
  /** RUNPROOF_PUBLIC_URL: an origin POSTs may also come from. */
  publicUrl?: string;
  log?: (message: string) => void;
}

export interface WebServer {
  server: http.Server;
  /** The address and port actually bound. */
  address: string;
  port: number;
  /** Stop accepting, end open connections (SSE streams), and close Next. */
  close(): Promise<void>;
}

function headerOf(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Drop the named headers from both views Node keeps of them. */
function dropHeaders(req: http.IncomingMessage, drop: (name: string) => boolean): void {
  for (const k of Object.keys(req.headers)) if (drop(k)) delete req.headers[k];
  const raw = req.rawHeaders;
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!drop(raw[i].toLowerCase())) kept.push(raw[i], raw[i + 1]);
  if (kept.length !== raw.length) req.rawHeaders = kept;
}

const FORWARDING = new Set<string>(FORWARDING_HEADERS);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function refuse(res: http.ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  for (const [k, v] of SECURITY_HEADERS) res.setHeader(k, v);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

/**
 * Listen on host:port, then start Next on that server. Rejects (nothing left
 * listening) when the port is taken or the build is missing.
 */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const log = opts.log ?? (() => {});
  // What `next start` does for itself: production React, whatever the caller's NODE_ENV (vitest sets `test`).
  (process.env as Record<string, string | undefined>).NODE_ENV = 'production';
  installListenerToken();

  let handle: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | null = null;
  let bound: AddressInfo | null = null;
  const waiting: Array<() => void> = [];

  const server = http.createServer((req, res) => {
    if (!handle || !bound) {
      waiting.push(() => serve(req, res));
      return;
    }
    serve(req, res);
  });

  function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    // Next's own requests to itself (a server action that redirects has the target page rendered by fetching it
    // with the action request's headers) carry this process's token: their x-runproof-* headers describe the
    // original client, so they pass as they are. No one else can hold the token.
    if (viewFromHeaders((n) => headerOf(req.headers[n])) !== null) {
      pass(req, res);
      return;
    }
    dropHeaders(req, (k) => k.startsWith('x-runproof-'));
    const bad = badTargetReason(req.url ?? '/');
    if (bad) {
      refuse(res, 400, `Bad request: ${bad}.\n`);
      return;
    }
    const peer = req.socket.remoteAddress ?? '';
    const view = viewRequest({ peer, listenerAddress: bound!.address, listenerPort: bound!.port }, (n) => headerOf(req.headers[n]), opts.trustProxy);
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      const why = crossOriginRefusal((n) => headerOf(req.headers[n]), view, opts.publicUrl);
      if (why) {
        refuse(res, 403, `Forbidden: ${why}. Launching, cancelling and logging in work only from this server's own pages.\n`);
        return;
      }
    }
    if (!view.viaTrustedProxy) dropHeaders(req, (k) => FORWARDING.has(k));
    Object.assign(req.headers, viewToHeaders(view, peer));
    pass(req, res);
  }

  function pass(req: http.IncomingMessage, res: http.ServerResponse): void {
    handle!(req, res).catch((e: unknown) => {
      log(`request ${req.method} ${req.url?.slice(0, 200)} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) refuse(res, 500, 'Internal server error.\n');
      else res.destroy();
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(`${opts.host}:${opts.port} is already in use: stop whatever listens there, or pick another --port`)
          : e.code === 'EADDRNOTAVAIL'
            ? new Error(`cannot listen on ${opts.host}: this machine has no such address`)
            : e,
      );
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;

  let app: { prepare(): Promise<void>; getRequestHandler(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>; close(): Promise<void> };
  try {
    // Next from the project itself (a plain require: this file may run as CommonJS under tsx).
    const next = createRequire(path.join(opts.dir, 'package.json'))('next') as (o: Record<string, unknown>) => typeof app;
    app = next({ dev: false, dir: opts.dir, hostname: opts.host, port: addr.port, httpServer: server });
    await app.prepare();
  } catch (e) {
    await new Promise<void>((r) => server.close(() => r()));
    throw e;
  }
  handle = app.getRequestHandler();
  bound = { ...addr, address: normalizeAddress(addr.address) ?? addr.address };
  for (const go of waiting.splice(0)) go();

  return {
    server,
    address: bound.address,
    port: bound.port,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await app.close().catch(() => {});
    },
  };
}
