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

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { planId } = await params;
  const plan = isPlanId(planId) ? loadPlan(planId) : null;
  return { title: plan ? plan.display : 'Plan not found' };
}

/**
 * The plan file as indexed, with `#L<n>` anchors: where a row's "source"
 * link goes when no repository URL is configured. Only indexed plan files
 * are shown (looked up by id, never by a path from the URL).
 */
export default async function PlanSourcePage({ params }: Params) {
  const { planId } = await params;
  if (!isPlanId(planId)) notFound();
  const plan = loadPlan(planId);
  if (!plan) notFound();
  const text = loadPlanText(plan.path);
  const lines = text === null ? [] : splitLines(text);
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
                <a href={`#L${r.line}`} className="mono">
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
        <div className="code-box card" data-testid="file-viewer">
          <CodeLines lines={lines} />
        </div>
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
