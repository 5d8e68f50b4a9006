import { isRunId, loadRunEvidence } from '@/app/_lib/data';
import { renderBadgeSvg, runBadgeSvg, BADGE_COLORS } from '@/components/badge-svg';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const HEADERS = { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };

/** GET /api/runs/<id>/badge.svg: a shields.io-style badge (an image even for unknown runs, so READMEs never show a broken link). */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const found = isRunId(id) ? loadRunEvidence(id) : null;
    if (!found) return new Response(renderBadgeSvg({ label: 'runproof', message: 'run not found', color: BADGE_COLORS.skip }), { status: 404, headers: HEADERS });
    return new Response(runBadgeSvg(found.evidence.status, found.evidence.checks), { headers: HEADERS });
  } catch {
    return new Response(renderBadgeSvg({ label: 'runproof', message: 'unavailable', color: BADGE_COLORS.skip }), { status: 500, headers: HEADERS });
  }
}
