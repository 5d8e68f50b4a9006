import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { isRunId, loadRunEvidence, loadRunPlanPatches } from '@/app/_lib/data';
import { requestOrigin } from '@/app/_lib/origin';
import { runVerdict } from '@/lib/plans/flags';
import CopyButton from '@/components/copy-button';
import { VerdictTag } from '@/components/plan-views';
import { combinedPatch } from '@/server/plan-patch';
import { applyPlanUpdateAction } from './actions';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export const metadata: Metadata = { title: 'Proposed plan update' };

function lineClass(l: string): string | undefined {
  if (l.startsWith('+++') || l.startsWith('---')) return 'diff-file';
  if (l.startsWith('@@')) return 'diff-hunk';
  if (l.startsWith('+')) return 'diff-add';
  if (l.startsWith('-')) return 'diff-del';
  return undefined;
}

/**
 * "Propose plan update": the diff that marks the rows this run proves as
 * done and links the evidence. Shown, copyable and downloadable; the plan
 * file itself is never written.
 */
export default async function PlanUpdatePage({ params, searchParams }: Params) {
  const { id } = await params;
  const sp = await searchParams;
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;
  const written = one(sp.written);
  const failed = one(sp.error);
  if (!isRunId(id)) notFound();
  const found = loadRunEvidence(id);
  if (!found) notFound();
  const { run, evidence: ev } = found;
  const enc = encodeURIComponent(id);
  const permalink = `${await requestOrigin()}/runs/${enc}`;
  const patches = loadRunPlanPatches(id, permalink);
  const text = combinedPatch(patches);
  const changed = patches.flatMap((p) => p.changed);
  const verdict = runVerdict(run);
  const writable = patches.filter((p) => p.patch && p.writable);

  return (
    <>
      <div className="crumbs">
        <Link href="/">Runs</Link> / <Link href={`/runs/${enc}`}>{ev.title}</Link> / plan update
      </div>
      <div className="page-head">
        <div>
          <h1>Proposed plan update</h1>
          <p className="muted">
            Marks the rows run <Link href={`/runs/${enc}`} className="mono">{id}</Link> proves as <code>[x]</code> and links its evidence page in their guidance. Runproof does not
            write your plan unless told to (<code>RUNPROOF_PLANS_WRITABLE=1</code>): apply it in your checkout with <code>git apply runproof-{id}-plan.patch</code>.
          </p>
        </div>
      </div>

      {written ? (
        <div className="notice" role="status" data-testid="plan-written">
          Written: {written.split('\n').join(', ')}. The plan index is up to date.
        </div>
      ) : null}
      {failed ? (
        <div className="notice error" role="alert">
          {failed.split('\n').map((l) => (
            <div key={l}>{l}</div>
          ))}
        </div>
      ) : null}

      {verdict !== 'pass' ? (
        <div className="callout tone-warn" data-testid="verdict-warning">
          <p>
            This run&apos;s verdict is <VerdictTag verdict={verdict} />
            {run.checksFail ? ` (${run.checksFail} failed check${run.checksFail === 1 ? '' : 's'})` : ''}. The rows will link to that evidence, and their row pages will flag it as their latest run failing
            until a passing run follows.
          </p>
        </div>
      ) : null}

      {!patches.length ? (
        <div className="card empty">This run names no plan row, so there is nothing to propose.</div>
      ) : (
        <>
          {patches.map((p) => (
            <div key={p.plan} className="card plan-patch" data-testid="plan-patch">
              <div className="plan-patch-head">
                <span className="mono">{p.plan}</span>
                <span className="small muted">
                  {p.changed.length ? `flips ${p.changed.join(', ')}` : 'no change'}
                  {p.skipped.length ? ` · unchanged: ${p.skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}` : ''}
                </span>
              </div>
              {p.error ? <p className="notice error">{p.error}</p> : null}
              {p.patch ? (
                <pre className="diff" data-testid="patch-text">
                  {p.patch
                    .replace(/\n$/, '')
                    .split('\n')
                    .map((l, i) => (
                      <span key={i} className={lineClass(l)}>
                        {l}
                        {'\n'}
                      </span>
                    ))}
                </pre>
              ) : null}
            </div>
          ))}
          <div className="actions">
            {text ? (
              <>
                <a className="btn btn-primary" href={`/api/runs/${enc}/plan.patch`} download={`runproof-${id}-plan.patch`} data-testid="patch-download">
                  Download .patch
                </a>
                <CopyButton text={text} label="Copy patch" testId="copy-patch" />
                {writable.length ? (
                  <form action={applyPlanUpdateAction}>
                    <input type="hidden" name="runId" value={id} />
                    <button type="submit" className="btn" data-testid="write-plan" title="RUNPROOF_PLANS_WRITABLE is set: write the change into the plan file">
                      Write to {writable.length === 1 ? 'the plan file' : `${writable.length} plan files`}
                    </button>
                  </form>
                ) : null}
                <span className="small muted">
                  {changed.length} row{changed.length === 1 ? '' : 's'} in {patches.filter((p) => p.patch).length} plan file{patches.filter((p) => p.patch).length === 1 ? '' : 's'}
                </span>
              </>
            ) : (
              <span className="muted">Nothing to change: every row is already <code>[x]</code> with this evidence, or its plan is gone.</span>
            )}
            <Link href={`/runs/${enc}#plan`} className="btn btn-link">
              Back to the evidence
            </Link>
          </div>
        </>
      )}
    </>
  );
}
