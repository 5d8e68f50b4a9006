import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { isPlanId, loadPlanRow } from '@/app/_lib/data';
import { rowFlags, runVerdict } from '@/lib/plans/flags';
import { Section } from '@/components/evidence-sections';
import { CellText, FlagList, RunProvenance, sourceHref, StateTag, VerdictTag } from '@/components/plan-views';
import { NotQualifying, ProcessStatus } from '@/components/verdict';
import { whereText } from '@/lib/plans/qualify';
import { CheckCounts } from '@/components/status';
import { fmtDateUTC, fmtIsoUTC } from '@/components/format';
import { getEnv } from '@/server/env';
import { planPlaceHref } from '../../pager';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ planId: string; rowId: string }> };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { planId, rowId } = await params;
  const found = isPlanId(planId) ? await loadPlanRow(planId, decode(rowId)) : null;
  return { title: found ? `${found.row.rowId} ${found.row.state} · ${found.plan.initiative}` : 'Plan row not found' };
}

export default async function PlanRowPage({ params }: Params) {
  const { planId, rowId: raw } = await params;
  if (!isPlanId(planId)) notFound();
  const found = await loadPlanRow(planId, decode(raw));
  if (!found) notFound();
  const { plan, row, runs, requirement } = found;
  const flags = rowFlags(row.state, runs);
  const repoUrl = getEnv().RUNPROOF_REPO_URL;
  const source = sourceHref(repoUrl, plan, row.line);
  const lastLaunched = runs.find((r) => r.origin === 'launched');
  const ref = `${plan.id}:${row.rowId}`;
  const launchHref = `/runs/new?rows=${encodeURIComponent(ref)}${lastLaunched ? `&from=${lastLaunched.runId}` : ''}`;

  return (
    <>
      <div className="crumbs">
        <Link href="/plans">Plans</Link> / <Link href={planPlaceHref(plan.id, row.rowId)}>{plan.initiative}</Link> / <span className="mono">{row.rowId}</span>
      </div>

      <div className="card run-head" data-testid="row-header">
        <div className="title-row">
          <h1 data-testid="row-title">
            <span className="mono" style={{ fontSize: '0.92em' }}>
              {row.rowId}
            </span>{' '}
            · <CellText text={row.description.split('\n')[0]} />
          </h1>
          <StateTag state={row.state} />
        </div>
        <div className="bundle-path">
          <a href={source} data-testid="row-source" {...(repoUrl ? { rel: 'noreferrer' } : {})}>
            {plan.display}:{row.line}
          </a>
          {row.phase ? <span className="subtle"> · {row.phase}</span> : null}
        </div>
        {flags.length ? (
          <div className="callout tone-fail" data-testid="row-flag-callout">
            <FlagList flags={flags} />
          </div>
        ) : null}
        <dl className="row-cells">
          {row.description.includes('\n') ? (
            <>
              <dt>Task</dt>
              <dd>
                <CellText text={row.description} />
              </dd>
            </>
          ) : null}
          <dt>Guidance</dt>
          <dd data-testid="row-guidance">{row.guidance ? <CellText text={row.guidance} /> : <span className="subtle">—</span>}</dd>
          <dt>Proved by</dt>
          <dd data-testid="row-requirement" data-source={requirement?.source ?? 'any'}>
            {requirement ? (
              <>
                {requirement.profiles ? (
                  <>
                    a run of profile <strong>{requirement.profiles.join(' or ')}</strong>
                    {requirement.program || requirement.command ? ', ' : ''}
                  </>
                ) : null}
                {requirement.command ? (
                  <>
                    <code className="wrap-anywhere">{requirement.command}</code>{' '}
                  </>
                ) : requirement.program ? (
                  <>
                    <code>{requirement.program.display}</code>{' '}
                  </>
                ) : Object.keys(requirement.knobs).length ? (
                  <>
                    any trainer run with{' '}
                    <code className="wrap-anywhere">
                      {Object.entries(requirement.knobs)
                        .map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`))
                        .join(' ')}
                    </code>{' '}
                  </>
                ) : null}
                <span className="small muted">
                  (from {requirement.source === 'rule' ? 'the rule in' : requirement.source === 'brief' ? 'the brief' : 'the guidance,'} <span className="mono">{whereText(requirement.from)}</span>)
                </span>
                <div className="small muted">
                  A run of another {requirement.profiles ? 'profile' : 'program'} is linked but does not qualify: it cannot clear a flag or flip the row.
                  {Object.keys(requirement.knobs).length ? ' A qualifying run’s knobs check compares its knobs with these.' : ''}
                </div>
              </>
            ) : (
              <span className="subtle">any run linked to it (the guidance names no command, no brief asks for it, no rule in runproof-proves.json)</span>
            )}
          </dd>
        </dl>
        <div className="actions">
          <Link className="btn btn-primary" href={launchHref} data-testid="launch-for-row">
            Launch smoke run for this row
          </Link>
          <span className="small muted">
            {lastLaunched ? (
              <>
                Knobs from its last launched run, <span className="mono">{lastLaunched.runId}</span>.
              </>
            ) : (
              'No launched run yet: the profile defaults.'
            )}
          </span>
        </div>
      </div>

      <Section id="runs" title="Runs that prove this row" aside={`${runs.length} run${runs.length === 1 ? '' : 's'}, newest first`} flush testId="row-runs">
        {runs.length ? (
          <>
            <div className="table-wrap">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">
                      <span className="sr-only">Compare</span>
                    </th>
                    <th scope="col">Run</th>
                    <th scope="col">Verdict</th>
                    <th scope="col">Proves this row?</th>
                    <th scope="col">Process</th>
                    <th scope="col">Started</th>
                    <th scope="col">Checks</th>
                    <th scope="col">Linked by</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((r) => (
                    <tr key={r.runId} data-testid="row-run" data-run={r.runId}>
                      <td>
                        <input type="checkbox" name="ids" value={r.runId} form="row-compare" aria-label={`Select run ${r.title} to compare`} />
                      </td>
                      <td>
                        <Link href={`/runs/${r.runId}`}>{r.title}</Link>
                        <span className="run-sub">{r.runId}</span>
                        <RunProvenance run={r} />
                      </td>
                      <td>
                        <VerdictTag verdict={runVerdict(r)} />
                      </td>
                      <td data-testid="row-run-qualifies" data-qualifies={r.qualifies ? 'yes' : 'no'}>
                        {r.qualifies ? (
                          <span className="small">{requirement ? 'yes' : 'yes (any run)'}</span>
                        ) : (
                          <>
                            <NotQualifying why={r.why} compact />
                            {requirement ? (
                              <span className="run-sub">asks for {requirement.profiles ? `profile ${requirement.profiles.join(' or ')}` : (requirement.program?.display ?? 'other knobs')}</span>
                            ) : null}
                          </>
                        )}
                      </td>
                      <td className="small">
                        <ProcessStatus status={r.status} />
                      </td>
                      <td className="nowrap">
                        <time dateTime={fmtIsoUTC(r.startedAt ?? r.createdAt)}>{fmtDateUTC(r.startedAt ?? r.createdAt)}</time>
                      </td>
                      <td>
                        {/* A live run's checks are not judged yet: no counts that could show a red failure. */}
                        {runVerdict(r) === 'pending' ? <span className="small muted">pending</span> : <CheckCounts pass={r.checksPass} fail={r.checksFail} warn={r.checksWarn} skip={r.checksSkip} />}
                      </td>
                      <td className="small muted">{r.source === 'launch' ? 'launch form' : `its ${r.source}`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <form id="row-compare" action="/compare" method="get" className="section-body">
              <button type="submit" className="btn">
                Compare selected
              </button>{' '}
              <span className="small muted">Tick two or more runs.</span>
            </form>
          </>
        ) : (
          <div className="empty small">No run names this row yet. Launch one above, or import a bundle whose summary.md names {row.rowId}.</div>
        )}
      </Section>
    </>
  );
}
