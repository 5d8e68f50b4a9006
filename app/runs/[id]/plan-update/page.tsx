import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { isRunId, loadRunEvidence, loadRunPlanPatches } from '@/app/_lib/data';
import { requestOrigin } from '@/app/_lib/origin';
import CopyButton from '@/components/copy-button';
import { VerdictLead } from '@/components/verdict';
import { provenanceOf } from '@/lib/evidence/provenance';
import { judgeRun } from '@/lib/evidence/verdict';
import { combinedPatch } from '@/server/plan-patch';
import { applyPlanUpdateAction } from './actions';
import styles from './plan-update.module.css';

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

/** `No row to [x], 1 row left as it is: see why below.` */
function updateSummary(flips: number, partial: number, left: number, passed: boolean): string {
  const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
  const parts = [flips ? `${rows(flips)} to [x]` : 'no row to [x]', ...(partial ? [`${rows(partial)} to [P]`] : []), ...(left ? [`${rows(left)} left as ${left === 1 ? 'it is' : 'they are'}`] : [])];
  const text = parts.join(', ');
  return `${text[0].toUpperCase()}${text.slice(1)}${!passed ? ': only a qualifying run that passes marks a row done.' : left ? ': see why below.' : '.'}`;
}

/**
 * "Propose plan update": the diff that sets the State of the rows this run
 * is linked to and links the evidence — `[x]` only for a row the run
 * qualifies for and passes, `[P]` with the failing checks for one it
 * qualifies for and fails, nothing (and why) otherwise. Shown, copyable and
 * downloadable; the plan file is written only when RUNPROOF_PLANS_WRITABLE
 * allows it.
 */
export default async function PlanUpdatePage({ params, searchParams }: Params) {
  const { id } = await params;
  const sp = await searchParams;
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? null;
  const written = one(sp.written);
  const failed = one(sp.error);
  if (!isRunId(id)) notFound();
  const found = await loadRunEvidence(id);
  if (!found) notFound();
  const { run, evidence: ev } = found;
  const enc = encodeURIComponent(id);
  const permalink = `${await requestOrigin()}/runs/${enc}`;
  const patches = await loadRunPlanPatches(id, permalink);
  const text = combinedPatch(patches);
  const changed = patches.flatMap((p) => p.changed);
  const judgement = judgeRun(ev);
  const decisions = patches.flatMap((p) => p.decisions);
  const flips = decisions.filter((d) => d.update?.state === '[x]').length;
  const partial = decisions.filter((d) => d.update?.state === '[P]').length;
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
            Sets the State of the rows run{' '}
            <Link href={`/runs/${enc}`} className="mono">
              {id}
            </Link>{' '}
            is linked to and links its evidence in their guidance, with its verdict and profile: <code>[x]</code> only where the run qualifies for the row and passes, <code>[P]</code> with the failing
            checks where it qualifies and fails. Runproof does not write your plan unless told to (<code>RUNPROOF_PLANS_WRITABLE=1</code>): apply it in your checkout with{' '}
            <code>git apply runproof-{id}-plan.patch</code>.
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

      <div className={styles.verdict} data-testid="update-verdict">
        <VerdictLead judgement={judgement} provenance={provenanceOf(ev, run.profile)} />
        {decisions.length ? (
          <p className={styles.summary} data-testid="update-summary">
            {updateSummary(flips, partial, decisions.length - flips - partial, judgement.verdict === 'pass')}
          </p>
        ) : null}
      </div>

      {!patches.length ? (
        <div className="card empty">This run names no plan row, so there is nothing to propose.</div>
      ) : (
        <>
          {patches.map((p) => (
            <div key={p.plan} className="card plan-patch" data-testid="plan-patch">
              <div className="plan-patch-head">
                <span className="mono">{p.plan}</span>
                <span className="small muted">{p.changed.length ? `changes ${p.changed.join(', ')}` : 'no change'}</span>
              </div>
              <ul className={`${styles.decisions} small`} data-testid="row-decisions">
                {p.decisions.map((d) => {
                  const skipped = p.skipped.find((x) => x.id === d.id);
                  return (
                    <li key={d.id} data-testid="row-decision" data-row={d.id} data-action={d.update && p.changed.includes(d.id) ? d.update.state : 'none'}>
                      <span className="mono">{d.id}</span>{' '}
                      {d.update && p.changed.includes(d.id) ? (
                        <>
                          {d.from === d.update.state ? 'stays' : '→'} <code>{d.update.state}</code>{' '}
                          <span className="muted">
                            {d.reason}
                            {d.from === d.update.state ? '; the evidence is linked' : ''}
                          </span>
                        </>
                      ) : (
                        <>
                          unchanged: <span className="muted">{skipped?.reason ?? d.reason}</span>
                        </>
                      )}
                    </li>
                  );
                })}
              </ul>
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
              <span className="muted" data-testid="nothing-to-change">
                Nothing to change{decisions.length ? ': see why for each row above.' : '.'}
              </span>
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
