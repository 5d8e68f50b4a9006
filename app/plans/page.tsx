import Link from 'next/link';
import { isPlanId, loadPlanPage, loadRequirementProblems } from '@/app/_lib/data';
import { missingRowFlag } from '@/lib/plans/flags';
import { Section } from '@/components/evidence-sections';
import { CellText, FlagList, LatestRun, rowHref, sourceHref } from '@/components/plan-views';
import pv from '@/components/plan-views.module.css';
import { FLAG_TITLES, type Flag } from '@/lib/plans/flags';
import { getEnv } from '@/server/env';
import { parseJsonText } from '@/lib/json-text';
import { PlansPager, plansHref, rowAnchor } from './pager';
import styles from './plans.module.css';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Plans' };

/** A row's task as listed: its first line, cut; the row page has all of it. */
const DESC_CHARS = 200;
/** Problems listed per plan here; `runproof plans <dir>` lists them all. */
const PROBLEMS_SHOWN = 50;

const STATE_TONE: Record<string, string> = { '[x]': 'pass', '[ ]': 'skip', '[P]': 'warn' };
const STATE_WORD: Record<string, string> = { '[x]': 'done', '[ ]': 'open', '[P]': 'partial' };

/*
 * A row's state and flags, drawn as StateTag and FlagList draw them but with
 * fewer elements: a server-rendered element is paid twice (its HTML and its
 * React payload), a hundred rows a page.
 */
function RowState({ state }: { state: string }) {
  return (
    <span className={`${pv.state} tone-${STATE_TONE[state] ?? 'skip'}`} data-testid="row-state" data-state={state}>
      {STATE_WORD[state] ? `${state} ${STATE_WORD[state]}` : state}
    </span>
  );
}

function RowFlags({ flags }: { flags: Flag[] }) {
  return (
    <span className={pv.flagsCompact} data-testid="row-flags">
      {flags.map((f) => (
        <span key={f.kind} className={pv.flag} data-flag={f.kind} title={f.message}>
          {`⚑ ${FLAG_TITLES[f.kind]}`}
        </span>
      ))}
    </span>
  );
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Plan rows, 100 a page (PLAN_PAGE_SIZE), in order (initiative, plan file, phase, row), each
 * with its state, latest run and flags. `?flagged=1` keeps only flagged rows
 * (flags are judged over every row, not just this page); `?page=N` picks the
 * page; `?plan=<id>[&row=<ID>]` lands on the page where that plan (or row) is.
 */
export default async function PlansPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const flaggedOnly = one(sp.flagged) === '1';
  const pageParam = Number(one(sp.page));
  const planParam = one(sp.plan);
  const data = await loadPlanPage({
    flaggedOnly,
    page: Number.isInteger(pageParam) && pageParam > 0 ? pageParam : null,
    planId: planParam && isPlanId(planParam) ? planParam : null,
    rowId: one(sp.row) ?? null,
  });
  const { plans, orphans, page, pageCount } = data;
  // Problems in the runproof-proves.json files above the plans on this page (each with its path and line).
  const ruleProblems = loadRequirementProblems(plans.map((p) => p.path));
  const repoUrl = getEnv().RUNPROOF_REPO_URL;
  const first = data.matchingRows ? data.firstIndex + 1 : 0;
  const last = data.firstIndex + plans.reduce((n, p) => n + p.rows.length, 0);
  const pager = (testId: string) => <PlansPager page={page} pageCount={pageCount} first={first} last={last} total={data.matchingRows} flagged={flaggedOnly} testId={testId} />;
  let initiative: string | null = null;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Plans</h1>
          <p className="muted">
            {data.planCount ? (
              <>
                {data.totalRows.toLocaleString('en')} row{data.totalRows === 1 ? '' : 's'} in {data.planCount} plan file{data.planCount === 1 ? '' : 's'}, each with the verdict of its latest
                qualifying run. {data.flaggedRows ? <strong className="bad">{data.flaggedRows.toLocaleString('en')} flagged</strong> : 'None flagged'} where the plan and its evidence disagree.
              </>
            ) : (
              'Plan tables (| ID | … | State | … |) from your plans folder and from the plans above imported bundles.'
            )}
          </p>
        </div>
        {data.planCount ? (
          <div className="head-actions" role="group" aria-label="Show">
            <Link href={plansHref({})} className={`btn${flaggedOnly ? '' : ' btn-primary'}`} aria-current={flaggedOnly ? undefined : 'page'}>
              All rows
            </Link>
            <Link href={plansHref({ flagged: true })} className={`btn${flaggedOnly ? ' btn-primary' : ''}`} aria-current={flaggedOnly ? 'page' : undefined} data-testid="flagged-filter">
              Flagged only ({data.flaggedRows.toLocaleString('en')})
            </Link>
          </div>
        ) : null}
      </div>

      {!data.planCount ? (
        <div className="card empty" data-testid="plans-empty">
          <p>No plans are indexed yet.</p>
          <p className="small muted">
            Set <code>RUNPROOF_PLANS_DIR</code> to the folder that holds your plan files and restart (<code>npm start</code>), or import bundles that sit below a plan:{' '}
            <code>npx runproof import fixtures/ptychopinn</code>. To see what Runproof finds in a folder: <code>npx runproof plans &lt;dir&gt;</code>.
          </p>
        </div>
      ) : null}

      {data.planCount && flaggedOnly && !data.matchingRows ? (
        <div className="card empty" data-testid="plans-none-flagged">
          No row is flagged: every row marked <code>[x]</code> has a qualifying passing run, and no row&apos;s latest qualifying run fails. <Link href="/plans">Show all rows</Link>.
        </div>
      ) : null}

      {ruleProblems.length ? (
        <div className="callout tone-warn" data-testid="rules-problems">
          <p>
            <strong>
              {ruleProblems.length} problem{ruleProblems.length === 1 ? '' : 's'} in <code>runproof-proves.json</code>
            </strong>{' '}
            (the rules that say which command proves a row; a rule with a problem is ignored):
          </p>
          <ul className="small">
            {ruleProblems.slice(0, PROBLEMS_SHOWN).map((pr, i) => (
              <li key={i}>
                <span className="mono">
                  {pr.file}
                  {pr.line ? `:${pr.line}` : ''}
                </span>{' '}
                {pr.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      {pageCount > 1 ? pager('plans-pager-top') : null}

      {plans.map((p) => {
        const head =
          p.initiative !== initiative ? (
            <h2 className="initiative-head" data-testid="initiative">
              {(initiative = p.initiative)}
            </h2>
          ) : null;
        const problems = p.starts ? parseJsonText(p.problemsJson) : [];
        const rows = p.rows;
        const shownFrom = rows.length ? rows[0] : null;
        let phase: string | null | undefined;
        return (
          <div key={p.id}>
            {head}
            <Section
              id={p.starts ? `plan-${p.id}` : `plan-${p.id}-p${page}`}
              title={`${p.title ?? p.display}${p.starts ? '' : ' (continued)'}`}
              testId="plan-file"
              flush
              aside={
                <>
                  <Link href={`/plans/${p.id}/source`} className="mono">
                    {p.display}
                  </Link>{' '}
                  · {p.rowCount.toLocaleString('en')} rows{p.flaggedCount ? ` · ${p.flaggedCount.toLocaleString('en')} flagged` : ''}
                  {p.continues ? ' · continues on the next page' : ''}
                </>
              }
            >
              {problems.length ? (
                <details className="section-body plan-problems">
                  <summary className="small bad">
                    {problems.length} problem{problems.length === 1 ? '' : 's'} reading this plan
                  </summary>
                  <ul className="small">
                    {problems.slice(0, PROBLEMS_SHOWN).map((pr, i) => (
                      <li key={i}>
                        <a href={sourceHref(undefined, p, pr.line ?? 1)} className="mono">
                          {p.display}:{pr.line}
                        </a>{' '}
                        {pr.message}
                      </li>
                    ))}
                    {problems.length > PROBLEMS_SHOWN ? (
                      <li className="muted">
                        and {problems.length - PROBLEMS_SHOWN} more: <code>npx runproof plans</code> on its folder lists them all
                      </li>
                    ) : null}
                  </ul>
                </details>
              ) : null}
              {rows.length ? (
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
                        // A phase heading where the phase changes, and at the top of every page, so a page that starts mid-phase still says which.
                        const head = r.phase !== phase || r === shownFrom ? (phase = r.phase) : undefined;
                        const first = r.description.split('\n')[0];
                        const desc = first.length > DESC_CHARS ? `${first.slice(0, DESC_CHARS)}…` : first;
                        return [
                          head !== undefined ? (
                            <tr key={`${r.rowId}-phase`} className="phase-row">
                              <th colSpan={6} scope="colgroup">
                                {head ?? 'No heading'}
                              </th>
                            </tr>
                          ) : null,
                          <tr key={r.rowId} id={rowAnchor(p.id, r.rowId)} data-testid="plan-row" data-row={r.rowId}>
                            <td className="nowrap">
                              <Link href={rowHref(p.id, r.rowId)} className="mono row-id">
                                {r.rowId}
                              </Link>
                            </td>
                            <td>
                              <RowState state={r.state} />
                            </td>
                            <td className="row-desc">
                              {/[`*]/.test(desc) ? <CellText text={desc} /> : desc}
                              <a className={styles.line} href={sourceHref(repoUrl, p, r.line)}>
                                {`L${r.line}`}
                              </a>
                            </td>
                            {r.runs.length ? (
                              <td>
                                <LatestRun runs={r.runs} />
                              </td>
                            ) : (
                              <td className="subtle">no run</td>
                            )}
                            <td className={r.runs.length ? 'num' : 'num subtle'}>{r.runs.length}</td>
                            <td>{r.flags.length ? <RowFlags flags={r.flags} /> : null}</td>
                          </tr>,
                        ];
                      })}
                    </tbody>
                  </table>
                </div>
              ) : null}
            </Section>
          </div>
        );
      })}

      {pageCount > 1 ? pager('plans-pager') : null}

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
