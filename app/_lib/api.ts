/**
 * What every route handler shares: `route()` wraps a handler so that bad run
 * ids, refusals, undecodable paths and unexpected errors all answer the same
 * way (a JSON `{ error }` with its status, never cached, internals only in
 * the server log), plus the run lookup every /api/runs/<id>/… route starts
 * with and the download response the generated files use.
 */
import { DataUnavailableError, isRunId, loadRunEvidence } from './data';
import { originOfRequest } from './origin';

/** A refusal with its HTTP status, thrown from inside a handler: `route()` answers it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields beside `error` in the JSON body (what the caller needs to see why). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function jsonError(status: number, error: string, headers: Record<string, string> = {}, body: Record<string, unknown> = {}): Response {
  return Response.json({ error, ...body }, { status, headers: { 'Cache-Control': 'no-store', ...headers } });
}

export const BAD_ENCODING = 'bad encoding: the path is not valid percent-encoded UTF-8';

/** What a thrown error means to the caller: its status and the plain message it may see. */
export function errorStatus(e: unknown): { status: number; error: string; headers?: Record<string, string>; body?: Record<string, unknown> } {
  if (e instanceof HttpError) return { status: e.status, error: e.message, headers: e.headers, body: e.body };
  // decodeURIComponent on a path that is not valid percent-encoded UTF-8 (the route's params, a file path).
  if (e instanceof URIError) return { status: 400, error: BAD_ENCODING };
  // Logged with its cause where the database was read (data.ts); the message says what to check.
  if (e instanceof DataUnavailableError) return { status: 500, error: e.message };
  return { status: 500, error: 'Internal error; see the server log.' };
}

/**
 * Turns a thrown error into its response: JSON `{ error }` unless `respond`
 * gives the route's own format. Only what was not an expected refusal is
 * logged (a DataUnavailableError was logged with its cause in data.ts).
 */
export function serverError(e: unknown, what = 'API request', respond?: (status: number, error: string) => Response): Response {
  const r = errorStatus(e);
  if (r.status >= 500 && !(e instanceof DataUnavailableError) && !(e instanceof HttpError)) console.error(`[runproof] ${what} failed:`, e);
  return respond ? respond(r.status, r.error) : jsonError(r.status, r.error, r.headers, r.body);
}

export const noRun = (id: string) => new HttpError(404, `No run with id ${JSON.stringify(id)}.`);

type Params = Record<string, string | string[] | undefined>;

export interface RouteOptions {
  /** Answers an error in the route's own format (an image, say) instead of JSON. */
  respond?: (status: number, error: string) => Response;
}

/**
 * A route handler with the shared error handling: the params are awaited and
 * handed over, an `id` that cannot be a run id is a 404 before the handler
 * runs, an HttpError is answered with its status, a URIError (bad
 * percent-encoding) is a 400, and anything else is logged with `what` and
 * is a 500 that names no internals.
 */
export function route<P extends Params = Params, R extends Request = Request>(
  what: string,
  handler: (req: R, params: P) => Response | Promise<Response>,
  opts: RouteOptions = {},
): (req: R, ctx: { params: Promise<P> }) => Promise<Response> {
  return async (req, ctx) => {
    try {
      // A route without dynamic segments may be called with no context at all.
      const params = ((await ctx?.params) ?? {}) as P;
      if (typeof params.id === 'string' && !isRunId(params.id)) throw noRun(params.id);
      return await handler(req, params);
    } catch (e) {
      return serverError(e, what, opts.respond);
    }
  };
}

export type FoundRun = NonNullable<Awaited<ReturnType<typeof loadRunEvidence>>>;

/** The run and its evidence, or a 404 thrown for route() to answer. */
export async function requireRun(id: string): Promise<FoundRun> {
  const found = isRunId(id) ? await loadRunEvidence(id) : null;
  if (!found) throw noRun(id);
  return found;
}

/** A generated text file served as a download, never cached or sniffed. */
export function attachment(body: string, contentType: string, filename: string): Response {
  return new Response(body, {
    headers: { 'Content-Type': contentType, 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
  });
}

/** The run's evidence page at this server's public origin (app/_lib/origin.ts: never the Host header). */
export function runPermalink(req: Request, id: string): string {
  return `${originOfRequest(req)}/runs/${encodeURIComponent(id)}`;
}
