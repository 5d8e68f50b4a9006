import { renderSummaryMarkdown } from '@/lib/evidence/summary';
import { attachment, findRun, runPermalink, serverError } from '@/app/_lib/api';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs/<id>/summary.md: the generated summary, as a download. */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const found = findRun(id);
    if (found instanceof Response) return found;
    return attachment(renderSummaryMarkdown(found.evidence, { permalink: runPermalink(req, id) }), 'text/markdown; charset=utf-8', 'summary.md');
  } catch (e) {
    return serverError(e);
  }
}
