import type { NextRequest } from 'next/server';
import { loadRuns } from '@/app/_lib/data';
import { HttpError, route } from '@/app/_lib/api';
import { parseFiltersStrict, rawFilters } from '@/app/_lib/run-filters';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** GET /api/runs?verdict=pass|fail|incomplete|pending&status=&initiative=&origin=launched|imported&archived=1&q=&sort=started|duration|epochs|best|verdict&dir=asc|desc&page=&pageSize= */
export const GET = route('listing runs', async (req: NextRequest) => {
  const sp = req.nextUrl.searchParams;
  const parsed = parseFiltersStrict(rawFilters((k) => sp.get(k)));
  if (!parsed.ok) throw new HttpError(400, parsed.error);
  const { rows, total, page, pageSize, sort, dir } = await loadRuns({ ...parsed.filters, page: parsed.filters.page ?? 1, pageSize: parsed.filters.pageSize ?? 50 });
  return Response.json({ runs: rows, total, page, pageSize, sort, dir }, { headers: { 'Cache-Control': 'no-store' } });
});
