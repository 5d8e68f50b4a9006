import { loadRunPlanPatches } from '@/app/_lib/data';
import { findRun, jsonError, serverError } from '@/app/_lib/api';
import { originOfRequest } from '@/app/_lib/origin';
import { combinedPatch } from '@/server/plan-patch';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * GET /api/runs/<id>/plan.patch: the proposed plan update (rows this run
 * proves flipped to `[x]`, evidence linked) as a unified diff for `git apply`.
 * 404 when the run proves no row; 409 when nothing is left to change.
 */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const found = findRun(id);
    if (found instanceof Response) return found;
    const permalink = `${originOfRequest(req)}/runs/${encodeURIComponent(id)}`;
    const patches = loadRunPlanPatches(id, permalink);
    const text = combinedPatch(patches);
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (!patches.length) return jsonError(404, `Run ${id} names no plan row.`);
    if (!text) return Response.json({ error: 'nothing to change: the rows are already [x] with this evidence, or their plan is gone', plans: patches }, { status: 409, headers });
    return new Response(text, {
      headers: { ...headers, 'Content-Type': 'text/x-diff; charset=utf-8', 'Content-Disposition': `attachment; filename="runproof-${id}-plan.patch"` },
    });
  } catch (e) {
    return serverError(e);
  }
}
