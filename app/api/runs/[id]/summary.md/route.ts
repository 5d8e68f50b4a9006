import { renderSummaryMarkdown } from '@/lib/evidence/summary';
import { findRun, serverError } from '@/app/_lib/api';
import { originOfRequest } from '@/app/_lib/origin';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs/<id>/summary.md: the generated summary, as a download. */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const found = findRun(id);
    if (found instanceof Response) return found;
    const permalink = `${originOfRequest(req)}/runs/${encodeURIComponent(id)}`;
    return new Response(renderSummaryMarkdown(found.evidence, { permalink }), {
      headers: {
        'Content-Type': 'text/markdown; charset=utf-8',
        'Content-Disposition': 'attachment; filename="summary.md"',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch (e) {
    return serverError(e);
  }
}
