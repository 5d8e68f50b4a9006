import Link from 'next/link';
import styles from './plans.module.css';

/** The id of a row's line on the plans page. */
export function rowAnchor(planId: string, rowId: string): string {
  return `row-${planId}-${rowId}`;
}

/** Where a plan (or one of its rows) is on the plans page: its page, scrolled to it. */
export function planPlaceHref(planId: string, rowId?: string): string {
  return rowId ? `/plans?plan=${planId}&row=${encodeURIComponent(rowId)}#${encodeURIComponent(rowAnchor(planId, rowId))}` : `/plans?plan=${planId}#plan-${planId}`;
}

/** `/plans` with the filter kept: `?flagged=1&page=3`. */
export function plansHref(q: { flagged?: boolean; page?: number }): string {
  const sp = new URLSearchParams();
  if (q.flagged) sp.set('flagged', '1');
  if (q.page && q.page > 1) sp.set('page', String(q.page));
  const s = sp.toString();
  return s ? `/plans?${s}` : '/plans';
}

/**
 * Pages of the plans page: previous/next (rel links), first and last, the
 * pages around this one, and a page-number box (a plain GET form, so it
 * works with the keyboard and without script). The filter is kept.
 */
export function PlansPager({
  page,
  pageCount,
  first,
  last,
  total,
  flagged,
  testId,
}: {
  page: number;
  pageCount: number;
  first: number;
  last: number;
  total: number;
  flagged: boolean;
  testId?: string;
}) {
  const near = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pageCount])].filter((n) => n >= 1 && n <= pageCount).sort((a, b) => a - b);
  const step = (n: number, label: string, rel?: 'prev' | 'next') =>
    n >= 1 && n <= pageCount && n !== page ? (
      <Link className="btn" rel={rel} href={plansHref({ flagged, page: n })}>
        {label}
      </Link>
    ) : (
      <span className="disabled" aria-disabled="true">
        {label}
      </span>
    );
  return (
    <nav className={`pager ${styles.pager}`} aria-label="Pages of plan rows" data-testid={testId}>
      <span data-testid="plans-range">
        {total ? `Rows ${first.toLocaleString('en')}–${last.toLocaleString('en')} of ${total.toLocaleString('en')}` : 'No rows'}
        {pageCount > 1 ? ` · page ${page} of ${pageCount}` : ''}
      </span>
      {pageCount > 1 ? (
        <span className="links">
          {step(page - 1, '← Previous', 'prev')}
          {near.map((n, i) => (
            <span key={n} className={styles.num}>
              {i > 0 && n - near[i - 1] > 1 ? (
                <span className="subtle" aria-hidden="true">
                  …{' '}
                </span>
              ) : null}
              {n === page ? (
                <span className="btn btn-primary" aria-current="page">
                  {n}
                </span>
              ) : (
                <Link className="btn" href={plansHref({ flagged, page: n })} aria-label={`Page ${n}`}>
                  {n}
                </Link>
              )}
            </span>
          ))}
          {step(page + 1, 'Next →', 'next')}
          <form method="get" action="/plans" className={styles.jump}>
            {flagged ? <input type="hidden" name="flagged" value="1" /> : null}
            <input type="number" name="page" min={1} max={pageCount} defaultValue={page} inputMode="numeric" aria-label="Go to page" className={styles.jumpInput} />
            <button type="submit" className="btn">
              Go
            </button>
          </form>
        </span>
      ) : null}
    </nav>
  );
}
