import Link from 'next/link';
import { loadPlanTree } from '@/app/_lib/data';
import { rowFlags, missingRowFlag } from '@/lib/plans/flags';
import { Section } from '@/components/evidence-sections';
import { CellText, FlagList, LatestRun, rowHref, sourceHref, StateTag } from '@/components/plan-views';
import { getEnv } from '@/server/env';
import type { Problem } from '@/lib/evidence/types';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Plans' };

export default async function PlansPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const flaggedOnly = sp.flagged === '1';
  const { plans, orphans } = loadPlanTree();
  const repoUrl = getEnv().RUNPROOF_REPO_URL;

  const withFlags = plans.map((p) => ({
    ...p,
    problems: JSON.parse(p.problemsJson) as Problem[],
    rows: p.rows.map((r) => ({ ...r, flags: rowFlags(r.state, r.runs) })),
  }));
  const rowCount = withFlags.reduce((n, p) => n + p.rows.length, 0);
  const flagged = withFlags.reduce((n, p) => n + p.rows.filter((r) => r.flags.length).length, 0);
  // With ?flagged=1, only initiatives that have a flagged row.
  const initiatives = [...new Set(withFlags.filter((p) => !flaggedOnly || p.rows.some((r) => r.flags.length)).map((p) => p.initiative))];

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Plans</h1>
          <p className="muted">
            {plans.length ? (
              <>
                {rowCount} row{rowCount === 1 ? '' : 's'} in {plans.length} plan file{plans.length === 1 ? '' : 's'}, each with the verdict of its latest run.{' '}
                {flagged ? <strong className="bad">{flagged} flagged</strong> : 'None flagged'} where the plan and its evidence disagree.
              </>
            ) : (
              'Plan tables (| ID | … | State | … |) from your plans folder and from the plans above imported bundles.'
            )}
          </p>
        </div>
        {plans.length ? (
          <div className="head-actions" role="group" aria-label="Show">
            <Link href="/plans" className={`btn${flaggedOnly ? '' : ' btn-primary'}`} aria-current={flaggedOnly ? undefined : 'page'}>
              All rows
            </Link>
            <Link href="/plans?flagged=1" className={`btn${flaggedOnly ? ' btn-primary' : ''}`} aria-current={flaggedOnly ? 'page' : undefined} data-testid="flagged-filter">
              Flagged only ({flagged})
            </Link>
          </div>
        ) : null}
      </div>

      {!plans.length ? (
        <div className="card empty" data-testid="plans-empty">
          <p>No plans are indexed yet.</p>
          <p className="small muted">
            Set <code>RUNPROOF_PLANS_DIR</code> to the folder that holds your plan files and restart (<code>npm start</code>), or import bundles that sit below a plan:{' '}
            <code>npx runproof import fixtures/ptychopinn</code>. To see what Runproof finds in a folder: <code>npx runproof plans &lt;dir&gt;</code>.
          </p>
        </div>
      ) : null}

      {plans.length && flaggedOnly && !initiatives.length ? (
        <div className="card empty" data-testid="plans-none-flagged">
          No row is flagged: every row marked <code>[x]</code> has a passing run, and no row&apos;s latest run fails. <Link href="/plans">Show all rows</Link>.
        </div>
      ) : null}

      {initiatives.map((ini) => (
        <div key={ini} data-testid="initiative">
          <h2 className="initiative-head">{ini}</h2>
          {withFlags
            .filter((p) => p.initiative === ini)
            .map((p) => {
              const rows = flaggedOnly ? p.rows.filter((r) => r.flags.length) : p.rows;
              if (flaggedOnly && !rows.length) return null;
              let phase: string | null | undefined;
              return (
                <Section
                  key={p.id}
                  id={`plan-${p.id}`}
                  title={p.title ?? p.display}
                  testId="plan-file"
                  flush
                  aside={
                    <>
                      <Link href={`/plans/${p.id}/source`} className="mono">
                        {p.display}
                      </Link>{' '}
                      · {p.rows.length} rows
                    </>
                  }
                >
                  {p.problems.length ? (
                    <details className="section-body plan-problems">
                      <summary className="small bad">
                        {p.problems.length} problem{p.problems.length === 1 ? '' : 's'} reading this plan
                      </summary>
                      <ul className="small">
                        {p.problems.map((pr, i) => (
                          <li key={i}>
                            <a href={sourceHref(undefined, p, pr.line ?? 1)} className="mono">
                              {p.display}:{pr.line}
                            </a>{' '}
                            {pr.message}
                          </li>
                        ))}
                      </ul>
                    </details>
                  ) : null}
                  <div className="table-wrap">
                    <table className="data plan-rows" data-testid="plan-rows">
                      <thead>
                        <tr>
                          <th scope="col">ID</th>
                          <th scope="col">State</th>
                          <th scope="col">Task</th>
                          <th scope="col">Latest evidence</th>
                          <th scope="col" className="num">
                            Runs
                          </th>
                          <th scope="col">Flags</th>
                        </tr>
                      </thead>
                      <tbody>
                        {rows.map((r) => {
                          const head = r.phase !== phase ? (phase = r.phase) : undefined;
                          return [
                            head !== undefined ? (
                              <tr key={`${r.rowId}-phase`} className="phase-row">
                                <th colSpan={6} scope="colgroup">
                                  {head ?? 'No heading'}
                                </th>
                              </tr>
                            ) : null,
                            <tr key={r.rowId} data-testid="plan-row" data-row={r.rowId}>
                              <td className="nowrap">
                                <Link href={rowHref(p.id, r.rowId)} className="mono row-id">
                                  {r.rowId}
                                </Link>
                              </td>
                              <td>
                                <StateTag state={r.state} />
                              </td>
                              <td className="row-desc">
                                <CellText text={r.description.split('\n')[0]} />
                                <a className="subtle small line-link" href={sourceHref(repoUrl, p, r.line)} title="Source line">
                                  L{r.line}
                                </a>
                              </td>
                              <td>
                                <LatestRun run={r.runs[0]} />
                              </td>
                              <td className="num">{r.runs.length || <span className="subtle">0</span>}</td>
                              <td>
                                <FlagList flags={r.flags} compact />
                              </td>
                            </tr>,
                          ];
                        })}
                      </tbody>
                    </table>
                  </div>
                </Section>
              );
            })}
        </div>
      ))}

      {orphans.length ? (
        <Section id="orphans" title="Evidence naming rows the plans no longer have" testId="orphans" flush aside={`${orphans.length} link${orphans.length === 1 ? '' : 's'}`}>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Names</th>
                  <th scope="col">Flag</th>
                </tr>
              </thead>
              <tbody>
                {orphans.map((o) => (
                  <tr key={`${o.runId}-${o.planPath}-${o.rowId}`} data-testid="orphan-row">
                    <td>
                      <Link href={`/runs/${o.runId}`}>{o.title}</Link>
                    </td>
                    <td>
                      <span className="mono">{o.rowId}</span> <span className="subtle small mono">in {o.planDisplay}</span> <span className="subtle small">(from its {o.source})</span>
                    </td>
                    <td>
                      <FlagList flags={[missingRowFlag(o.planDisplay, o.rowId)]} compact />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      ) : null}
    </>
  );
}
