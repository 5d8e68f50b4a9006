import { isRunId, loadRunEvidence } from '@/app/_lib/data';
import { renderBadgeSvg, runBadgeSvg, BADGE_COLORS } from '@/lib/evidence/badge-svg';
import { provenanceOf } from '@/lib/evidence/provenance';
import { judgeRun } from '@/lib/evidence/verdict';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const HEADERS = { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };

/**
 * GET /api/runs/<id>/badge.svg: a shields.io-style badge that leads with the
 * verdict (`runproof | ✗ checkpoints`), its title naming the profile and
 * program behind the evidence (an image even for unknown runs, so READMEs
 * never show a broken link).
 */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const found = isRunId(id) ? loadRunEvidence(id) : null;
    if (!found) return new Response(renderBadgeSvg({ label: 'runproof', message: 'run not found', color: BADGE_COLORS.skip }), { status: 404, headers: HEADERS });
    return new Response(runBadgeSvg(judgeRun(found.evidence), provenanceOf(found.evidence, found.run.profile)), { headers: HEADERS });
  } catch {
    return new Response(renderBadgeSvg({ label: 'runproof', message: 'unavailable', color: BADGE_COLORS.skip }), { status: 500, headers: HEADERS });
  }
}
