import type { NextRequest } from 'next/server';
import { loadRuns } from '@/app/_lib/data';
import { jsonError, serverError } from '@/app/_lib/api';
import { parseFiltersStrict, rawFilters } from '@/app/_lib/run-filters';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs?status=&initiative=&verdict=failing|passing&q=&page=&pageSize= */
export async function GET(req: NextRequest) {
  const sp = req.nextUrl.searchParams;
  const parsed = parseFiltersStrict(rawFilters((k) => sp.get(k)));
  if (!parsed.ok) return jsonError(400, parsed.error);
  try {
    const { rows, total, page, pageSize } = loadRuns({ ...parsed.filters, page: parsed.filters.page ?? 1, pageSize: parsed.filters.pageSize ?? 50 });
    return Response.json({ runs: rows, total, page, pageSize }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (e) {
    return serverError(e);
  }
}
