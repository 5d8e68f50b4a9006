import Link from 'next/link';
import { RUN_STATUSES } from '@/lib/evidence/types';
import { loadInitiatives, loadRuns, loadPlanRowIds } from './_lib/data';
import { filtersToQuery, parseFiltersLenient, rawFilters, type RunFilters } from './_lib/run-filters';
import { CheckCounts, StatusBadge } from '@/components/status';
import { breakable, fmtDateUTC, fmtDuration, fmtIsoUTC, fmtNumber } from '@/components/format';
import type { RunListRow } from '@/db/queries/runs';
import { MAX_COMPARE } from '@/components/compare-colors';
import pick from './compare/select.module.css';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Runs' };

const PAGE_SIZE = 50;

function accelerator(r: RunListRow): string {
  const req = r.acceleratorRequested;
  const res = r.acceleratorResolved;
  if (req && res) return req === res ? res : `${req} → ${res}`;
  if (req) return `${req} → ?`;
  return res ?? '—';
}

export default async function RunsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const { filters, ignored } = parseFiltersLenient(rawFilters((k) => sp[k]));
  const f: RunFilters = { ...filters, pageSize: undefined };
  const { rows, total, page, pageSize } = loadRuns({ ...f, page: f.page ?? 1, pageSize: PAGE_SIZE });
  const initiatives = loadInitiatives();
  const rowsByRun = loadPlanRowIds(rows.map((r) => r.id));
  const filtered = !!(f.status || f.initiative || f.verdict || f.q);
  const first = (page - 1) * pageSize + 1;
  const last = (page - 1) * pageSize + rows.length;
  const lastPage = Math.max(1, Math.ceil(total / pageSize));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Runs</h1>
          <p className="muted">Every run Runproof knows about, newest first, with the verdicts of its checks.</p>
        </div>
        <Link href="/runs/new" className="btn btn-primary" data-testid="launch-button">
          Launch smoke run
        </Link>
      </div>

      {ignored.length ? (
        <div className="notice" role="status">
          Ignored invalid filter value{ignored.length > 1 ? 's' : ''} in the URL: {ignored.join(', ')}.
        </div>
      ) : null}

      <form className="card filters" method="get" action="/" role="search" aria-label="Filter runs">
        <label className="field">
          Status
          <select name="status" defaultValue={f.status ?? ''}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Initiative
          <select name="initiative" defaultValue={f.initiative ?? ''}>
            <option value="">any</option>
            {initiatives.map((i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
            {f.initiative && !initiatives.includes(f.initiative) ? <option value={f.initiative}>{f.initiative}</option> : null}
          </select>
        </label>
        <label className="field">
          Checks
          <select name="verdict" defaultValue={f.verdict ?? ''}>
            <option value="">any</option>
            <option value="failing">failing (a check failed)</option>
            <option value="passing">passing (no check failed)</option>
          </select>
        </label>
        <label className="field grow">
          Search
          <input type="search" name="q" defaultValue={f.q ?? ''} placeholder="title, bundle path, initiative, metric" />
        </label>
        <button type="submit" className="btn btn-primary">
          Filter
        </button>
        {filtered ? (
          <Link className="btn btn-link" href="/">
            Clear
          </Link>
        ) : null}
      </form>

      <div className={`card ${pick.card}`}>
        {rows.length === 0 ? (
          total > 0 && page > lastPage ? (
            <div className="empty" data-testid="runs-empty">
              <h2>Page {page} is past the end</h2>
              <p>
                There {total === 1 ? 'is' : 'are'} {total} matching run{total === 1 ? '' : 's'}.{' '}
                <Link href={`/${filtersToQuery(f, { page: 1 })}`}>Go to the first page</Link>
              </p>
            </div>
          ) : filtered || total > 0 ? (
            <div className="empty" data-testid="runs-empty">
              <h2>No runs match these filters</h2>
              <p>
                <Link href="/">Show all runs</Link>
              </p>
            </div>
          ) : (
            <div className="empty" data-testid="runs-empty">
              <h2>No runs yet</h2>
              <p>
                <Link href="/runs/new" className="btn btn-primary">
                  Launch a smoke run
                </Link>
              </p>
              <p>or import existing evidence bundles (folders holding a training log, a metrics.csv, a checkpoint listing or a summary.md):</p>
              <pre className="command">npx runproof import &lt;dir&gt;</pre>
              <p className="small subtle">Re-importing is safe: unchanged bundles are skipped.</p>
            </div>
          )
        ) : (
          <div className="table-wrap">
            <table className="data runs" data-testid="runs-table">
              <thead>
                <tr>
                  <th scope="col" className={pick.col}>
                    <span className="sr-only">Select to compare</span>
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col" className="col-title">
                    Run
                  </th>
                  <th scope="col" className="col-init">Initiative / phase</th>
                  <th scope="col">Started</th>
                  <th scope="col" className="num">
                    Duration
                  </th>
                  <th scope="col" className="num">
                    Epochs
                  </th>
                  <th scope="col" className="num">
                    Best monitored
                  </th>
                  <th scope="col">Accelerator</th>
                  <th scope="col">Checks</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-testid="run-row" data-run-id={r.id} data-status={r.status}>
                    <td className={pick.col}>
                      <input type="checkbox" name="ids" value={r.id} form="compare-form" aria-label={`Select run ${r.title}`} data-testid="compare-pick" />
                    </td>
                    <td>
                      <StatusBadge status={r.status} size="sm" />
                    </td>
                    <td className="col-title">
                      <Link className="run-title" href={`/runs/${encodeURIComponent(r.id)}`}>
                        {breakable(r.title).map((part, i) => (
                          <span key={i}>
                            {i > 0 ? <wbr /> : null}
                            {part}
                          </span>
                        ))}
                      </Link>
                      {r.origin === 'launched' ? (
                        <span className="run-sub">launched · profile {r.profile}</span>
                      ) : r.logFile && !r.title.includes(r.logFile) ? (
                        <span className="run-sub">{r.logFile}</span>
                      ) : null}
                      {rowsByRun.get(r.id)?.length ? (
                        <span className="run-sub run-proves" data-testid="run-plan-rows">
                          proves {rowsByRun.get(r.id)!.join(', ')}
                        </span>
                      ) : null}
                    </td>
                    <td className="col-init">
                      {r.initiative ? (
                        <span className="tag">
                          <strong>{r.initiative}</strong>
                          {r.phase ? (
                            <>
                              <br />
                              {r.phase}
                            </>
                          ) : null}
                        </span>
                      ) : (
                        <span className="subtle">—</span>
                      )}
                    </td>
                    <td className="nowrap">
                      {r.startedAt !== null ? (
                        <time dateTime={fmtIsoUTC(r.startedAt)}>
                          {fmtDateUTC(r.startedAt).slice(0, 10)}
                          <span className="run-sub">{fmtDateUTC(r.startedAt).slice(11)}</span>
                        </time>
                      ) : (
                        <span className="subtle">—</span>
                      )}
                    </td>
                    <td className="num">{fmtDuration(r.durationMs)}</td>
                    <td className="num">
                      {r.epochsRun ?? '—'}
                      {r.maxEpochs !== null ? <span className="subtle"> / {r.maxEpochs}</span> : null}
                    </td>
                    <td className="num">
                      {r.bestValue !== null ? (
                        <>
                          {fmtNumber(r.bestValue)}
                          {r.bestEpoch !== null ? <span className="subtle"> @{r.bestEpoch}</span> : null}
                          <span className="run-sub">{r.monitor}</span>
                        </>
                      ) : (
                        <span className="subtle">—</span>
                      )}
                    </td>
                    <td className="nowrap">{accelerator(r)}</td>
                    <td>
                      <CheckCounts pass={r.checksPass} fail={r.checksFail} warn={r.checksWarn} skip={r.checksSkip} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {/* The table's checkboxes join this form through their `form` attribute: forms cannot nest, and the filters are a form of their own. */}
        {rows.length ? (
          <form id="compare-form" className={pick.bar} method="get" action="/compare" aria-label="Compare runs">
            <button type="submit" className={`btn ${pick.submit}`} data-testid="compare-submit">
              Compare selected
            </button>
            <span className={pick.count} aria-hidden="true" />
            <span className="small muted">Tick two or more runs (up to {MAX_COMPARE}) to overlay their curves and set their knobs and checks side by side.</span>
          </form>
        ) : null}
        {total > 0 ? (
          <nav className="pager" aria-label="Pagination">
            <span data-testid="runs-count">{rows.length ? `Showing ${first}–${last} of ${total}` : `${total} run${total === 1 ? '' : 's'} in all`}</span>
            <span className="links">
              {page > 1 ? (
                <Link className="btn" rel="prev" href={`/${filtersToQuery(f, { page: page - 1 })}`}>
                  ← Previous
                </Link>
              ) : (
                <span className="disabled" aria-disabled="true">
                  ← Previous
                </span>
              )}
              {page < lastPage ? (
                <Link className="btn" rel="next" href={`/${filtersToQuery(f, { page: page + 1 })}`}>
                  Next →
                </Link>
              ) : (
                <span className="disabled" aria-disabled="true">
                  Next →
                </span>
              )}
            </span>
          </nav>
        ) : null}
      </div>
    </>
  );
}
