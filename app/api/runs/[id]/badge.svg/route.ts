import { renderBadgeSvg, runBadgeSvg, BADGE_COLORS } from '@/lib/evidence/badge-svg';
import { provenanceOf } from '@/lib/evidence/provenance';
import { judgeRun } from '@/lib/evidence/verdict';
import { requireRun, route } from '@/app/_lib/api';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const HEADERS = { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };

/** An error as a badge too, so READMEs never show a broken image. */
function badgeError(status: number): Response {
  return new Response(renderBadgeSvg({ label: 'runproof', message: status === 404 ? 'run not found' : 'unavailable', color: BADGE_COLORS.skip }), { status, headers: HEADERS });
}

/**
 * GET /api/runs/<id>/badge.svg: a shields.io-style badge that leads with the
 * verdict (`runproof | ✗ checkpoints`), its title naming the profile and
 * program behind the evidence (an image even for unknown runs, so READMEs
 * never show a broken link).
 */
export const GET = route<{ id: string }>(
  'rendering a badge',
  async (_req, { id }) => {
    const found = await requireRun(id);
    return new Response(runBadgeSvg(judgeRun(found.evidence), provenanceOf(found.evidence, found.run.profile)), { headers: HEADERS });
  },
  { respond: badgeError },
);
