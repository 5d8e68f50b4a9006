import { loadRunPlanPatches } from '@/app/_lib/data';
import { attachment, findRun, jsonError, runPermalink, serverError } from '@/app/_lib/api';
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
    const patches = loadRunPlanPatches(id, runPermalink(req, id));
    const text = combinedPatch(patches);
    if (!patches.length) return jsonError(404, `Run ${id} names no plan row.`);
    // Only what the caller needs to see why: not the plans' paths on this host or their text.
    if (!text) return Response.json({ error: 'nothing to change: the rows are already [x] with this evidence, or their plan is gone', plans: patches.map((p) => ({ plan: p.plan, skipped: p.skipped })) }, { status: 409, headers: { 'Cache-Control': 'no-store' } });
    return attachment(text, 'text/x-diff; charset=utf-8', `runproof-${id}-plan.patch`);
  } catch (e) {
    return serverError(e);
  }
}
