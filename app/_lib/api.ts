/**
 * Small helpers shared by the API route handlers: JSON errors with a plain
 * message, and the run lookup every /api/runs/<id>/… route starts with.
 */
import { DataUnavailableError, isRunId, loadRunEvidence } from './data';
import { originOfRequest } from './origin';

export function jsonError(status: number, error: string): Response {
  return Response.json({ error }, { status, headers: { 'Cache-Control': 'no-store' } });
}

/** Turns a thrown error into a 500 without leaking internals (the cause is logged where it was caught). */
export function serverError(e: unknown): Response {
  if (!(e instanceof DataUnavailableError)) console.error('[runproof] API error:', e);
  return jsonError(500, e instanceof DataUnavailableError ? e.message : 'Internal error; see the server log.');
}

export type FoundRun = NonNullable<ReturnType<typeof loadRunEvidence>>;

export function findRun(id: string): FoundRun | Response {
  if (!isRunId(id)) return jsonError(404, `No run with id ${JSON.stringify(id)}.`);
  const found = loadRunEvidence(id);
  if (!found) return jsonError(404, `No run with id ${JSON.stringify(id)}.`);
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
