import { requireRun, route } from '@/app/_lib/api';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs/<id>: the evidence document, exactly as stored. */
export const GET = route<{ id: string }>('reading a run', async (_req, { id }) => Response.json((await requireRun(id)).evidence, { headers: { 'Cache-Control': 'no-store' } }));
