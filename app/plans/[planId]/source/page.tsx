import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { isPlanId, loadPlan, loadPlanText } from '@/app/_lib/data';
import { splitLines } from '@/app/_lib/files';
import CodeLines from '@/components/code-lines';
import { rowHref } from '@/components/plan-views';
import { planPlaceHref } from '../../pager';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ planId: string }> };
type PageProps = Params & { searchParams: Promise<{ line?: string | string[] }> };

/** Lines shown at once: a 20,000-row plan is a window around the line asked for, never the whole file. */
const WINDOW = 2000;

const lineHref = (planId: string, n: number) => `/plans/${planId}/source?line=${n}#L${n}`;

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { planId } = await params;
  const plan = isPlanId(planId) ? await loadPlan(planId) : null;
  return { title: plan ? plan.display : 'Plan not found' };
}

/**
 * The plan file as indexed, with `#L<n>` anchors: where a row's "source"
 * link goes when no repository URL is configured. Only indexed plan files
 * are shown (looked up by id, never by a path from the URL).
 */
export default async function PlanSourcePage({ params, searchParams }: PageProps) {
  const { planId } = await params;
  const sp = await searchParams;
  if (!isPlanId(planId)) notFound();
  const plan = await loadPlan(planId);
  if (!plan) notFound();
  const text = loadPlanText(plan.path);
  const all = text === null ? [] : splitLines(text);
  // The window: centred on ?line=N (a row's source link), else the file's start.
  const asked = Number(typeof sp.line === 'string' ? sp.line : NaN);
  const target = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, Math.max(all.length, 1)) : 1;
  const first = all.length <= WINDOW ? 1 : Math.max(1, Math.min(target - WINDOW / 2, all.length - WINDOW + 1));
  const lines = all.slice(first - 1, first - 1 + WINDOW);
  const last = first + lines.length - 1;
  return (
    <>
      <div className="crumbs">
        <Link href="/plans">Plans</Link> / <Link href={planPlaceHref(plan.id)}>{plan.initiative}</Link> / source
      </div>
      <div className="page-head">
        <div>
          <h1 className="mono" style={{ fontSize: 18 }} data-testid="file-path">
            {plan.display}
          </h1>
          <p className="muted small">
            {plan.rows.length} plan rows:{' '}
            {plan.rows.slice(0, 40).map((r, i) => (
              <span key={r.rowId}>
                {i ? ', ' : ''}
                <a href={r.line >= first && r.line <= last ? `#L${r.line}` : lineHref(plan.id, r.line)} className="mono">
                  {r.rowId}
                </a>
              </span>
            ))}
            {plan.rows.length > 40 ? ' …' : ''}
          </p>
        </div>
      </div>
      {text === null ? (
        <div className="card empty">
          The file <code>{plan.path}</code> can no longer be read; it was indexed {new Date(plan.indexedAt).toISOString()}.
        </div>
      ) : (
        <>
          {first > 1 || last < all.length ? (
            <nav className="pager" aria-label="Lines" data-testid="source-window">
              <span>
                Lines {first.toLocaleString('en')}–{last.toLocaleString('en')} of {all.length.toLocaleString('en')}
              </span>
              <span className="links">
                {first > 1 ? (
                  <Link className="btn" href={lineHref(plan.id, Math.max(1, first - WINDOW / 2))}>
                    ← Earlier lines
                  </Link>
                ) : null}
                {last < all.length ? (
                  <Link className="btn" href={lineHref(plan.id, Math.min(all.length, last + WINDOW / 2 + 1))}>
                    Later lines →
                  </Link>
                ) : null}
              </span>
            </nav>
          ) : null}
          <div className="code-box card" data-testid="file-viewer">
            <CodeLines lines={lines} firstLine={first} />
          </div>
        </>
      )}
      <p className="small muted">
        Row pages:{' '}
        {plan.rows.slice(0, 12).map((r, i) => (
          <span key={r.rowId}>
            {i ? ' · ' : ''}
            <Link href={rowHref(plan.id, r.rowId)}>{r.rowId}</Link>
          </span>
        ))}
        {plan.rows.length > 12 ? ' …' : ''}
      </p>
    </>
  );
}
