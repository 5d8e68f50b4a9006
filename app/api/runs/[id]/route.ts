import { findRun, serverError } from '@/app/_lib/api';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs/<id>: the evidence document, exactly as stored. */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const found = findRun(id);
    if (found instanceof Response) return found;
    return Response.json(found.evidence, { headers: { 'Cache-Control': 'no-store' } });
  } catch (e) {
    return serverError(e);
  }
}
