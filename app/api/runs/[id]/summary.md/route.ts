import { renderSummaryMarkdown } from '@/lib/evidence/summary';
import { attachment, requireRun, route, runPermalink } from '@/app/_lib/api';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs/<id>/summary.md: the generated summary, as a download. */
export const GET = route<{ id: string }>('rendering summary.md', async (req, { id }) =>
  attachment(renderSummaryMarkdown((await requireRun(id)).evidence, { permalink: runPermalink(req, id) }), 'text/markdown; charset=utf-8', 'summary.md'),
);
