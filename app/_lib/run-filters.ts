/**
 * The runs list's filters, as they appear in the URL (`/?status=…` and
 * `GET /api/runs?…`). One zod schema for both, so the page and the API agree.
 */
import { z } from 'zod';
import { RUN_STATUSES, type RunStatus } from '@/lib/evidence/types';
import { VERDICTS, type Verdict } from '@/lib/evidence/verdict';
import { RUN_SORTS, type RunSort } from '@/db/queries/runs';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** The filter's older values (a check failed / none failed) read as the verdicts they became. */
const verdictAlias = (v: unknown) => (v === 'failing' ? 'fail' : v === 'passing' ? 'pass' : blankToUndefined(v));

/** Page sizes the runs page offers. */
export const PAGE_SIZES = Object.freeze([25, 50, 100, 200] as const);
export const DEFAULT_PAGE_SIZE = 50;

export const runFiltersSchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(RUN_STATUSES as unknown as [RunStatus, ...RunStatus[]]).optional()),
  initiative: z.preprocess(blankToUndefined, z.string().max(300).optional()),
  verdict: z.preprocess(verdictAlias, z.enum(VERDICTS as unknown as [Verdict, ...Verdict[]]).optional()),
  origin: z.preprocess(blankToUndefined, z.enum(['launched', 'imported']).optional()),
  /** `1`: only archived runs (they are hidden otherwise). */
  archived: z.preprocess(
    blankToUndefined,
    z
      .enum(['0', '1'])
      .transform((v) => v === '1')
      .optional(),
  ),
  q: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
  sort: z.preprocess(blankToUndefined, z.enum(RUN_SORTS as unknown as [RunSort, ...RunSort[]]).optional()),
  dir: z.preprocess(blankToUndefined, z.enum(['asc', 'desc']).optional()),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(1_000_000).optional()),
  pageSize: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(500).optional()),
});

export type RunFilters = z.infer<typeof runFiltersSchema>;
export const FILTER_KEYS = ['status', 'initiative', 'verdict', 'origin', 'archived', 'q', 'sort', 'dir', 'page', 'pageSize'] as const;

/** First value of each known key (repeated keys: the first wins). */
export function rawFilters(get: (k: string) => string | string[] | undefined | null): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of FILTER_KEYS) {
    const v = get(k);
    out[k] = Array.isArray(v) ? v[0] : (v ?? undefined);
  }
  return out;
}

/** Strict: for the API, where a bad value is the caller's bug (400). */
export function parseFiltersStrict(raw: Record<string, string | undefined>): { ok: true; filters: RunFilters } | { ok: false; error: string } {
  const r = runFiltersSchema.safeParse(raw);
  if (r.success) return { ok: true, filters: r.data };
  return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') };
}

/** Lenient: for the page, where a hand-edited URL should still show runs. Bad fields are dropped and named. */
export function parseFiltersLenient(raw: Record<string, string | undefined>): { filters: RunFilters; ignored: string[] } {
  const filters: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const k of FILTER_KEYS) {
    const r = runFiltersSchema.shape[k].safeParse(raw[k]);
    if (r.success) filters[k] = r.data;
    else ignored.push(k);
  }
  return { filters: filters as RunFilters, ignored };
}

/** Query string for a filter set, dropping empty and default values (for pagination and sort links). */
export function filtersToQuery(f: RunFilters, override: Partial<RunFilters> = {}): string {
  const merged = { ...f, ...override };
  const sp = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = merged[k];
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (k === 'page' && v === 1) continue;
    if (k === 'pageSize' && v === DEFAULT_PAGE_SIZE) continue;
    sp.set(k, v === true ? '1' : String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}
