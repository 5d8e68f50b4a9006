import { loadRunPlanPatches } from '@/app/_lib/data';
import { attachment, HttpError, requireRun, route, runPermalink } from '@/app/_lib/api';
import { combinedPatch } from '@/server/plan-patch';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * GET /api/runs/<id>/plan.patch: the proposed plan update (rows this run
 * proves flipped to `[x]`, evidence linked) as a unified diff for `git apply`.
 * 404 when the run proves no row; 409 when nothing is left to change.
 */
export const GET = route<{ id: string }>('proposing a plan update', async (req, { id }) => {
  await requireRun(id);
  const patches = await loadRunPlanPatches(id, runPermalink(req, id));
  const text = combinedPatch(patches);
  if (!patches.length) throw new HttpError(404, `Run ${id} names no plan row.`);
  // Only what the caller needs to see why: not the plans' paths on this host or their text.
  if (!text)
    throw new HttpError(409, 'nothing to change: the rows are already [x] with this evidence, or their plan is gone', {}, { plans: patches.map((p) => ({ plan: p.plan, skipped: p.skipped })) });
  return attachment(text, 'text/x-diff; charset=utf-8', `runproof-${id}-plan.patch`);
});
