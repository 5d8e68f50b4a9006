import Link from 'next/link';
import { RUN_STATUSES } from '@/lib/evidence/types';
import { VERDICTS } from '@/lib/evidence/verdict';
import { loadHasLiveRuns, loadInitiatives, loadRuns, loadPlanRowIds } from './_lib/data';
import { DEFAULT_PAGE_SIZE, filtersToQuery, PAGE_SIZES, parseFiltersLenient, rawFilters, type RunFilters } from './_lib/run-filters';
import { CheckCounts } from '@/components/status';
import { ProcessStatus, VerdictBadge } from '@/components/verdict';
import { breakable, fmtDateUTC, fmtDuration, fmtIsoUTC, fmtNumber } from '@/components/format';
import { DEFAULT_DIR, type RunListRow, type RunSort, type SortDir } from '@/db/queries/runs';
import type { Verdict } from '@/lib/evidence/verdict';
import { MAX_COMPARE } from '@/components/compare-colors';
import { launchPermission } from '@/server/session';
import pick from './compare/select.module.css';
import ComparePicks from './_runs/picks';
import LiveRefresh from './_runs/live-refresh';
import { archiveRunsAction } from './_runs/actions';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Runs' };

type SearchParams = Record<string, string | string[] | undefined>;

function accelerator(r: RunListRow): string {
  const req = r.acceleratorRequested;
  const res = r.acceleratorResolved;
  if (req && res) return req === res ? res : `${req} → ${res}`;
  if (req) return `${req} → ?`;
  return res ?? '—';
}

/** The first line of the notes, cut to fit a table cell. */
function noteLine(notes: string): string {
  const first = notes.split('\n')[0].trim();
  const cut = first.length > 140 ? `${first.slice(0, 139)}…` : first;
  return notes.includes('\n') && cut === first ? `${cut} …` : cut;
}

/** Short ids as git shows commits: enough to tell runs apart when talking about them; the full id is the link. */
const shortId = (id: string) => id.slice(0, 7);

function Breakable({ text }: { text: string }) {
  return (
    <>
      {breakable(text).map((part, i) => (
        <span key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </span>
      ))}
    </>
  );
}

/** A column header that sorts the table: a link (the sort is in the URL), marked with aria-sort while it sorts. */
function SortHeader({ label, by, f, sort, dir, className }: { label: string; by: RunSort; f: RunFilters; sort: RunSort; dir: SortDir; className?: string }) {
  const active = sort === by;
  const next: SortDir = active ? (dir === 'asc' ? 'desc' : 'asc') : DEFAULT_DIR[by];
  // The default order (newest first) needs no parameters.
  const isDefault = by === 'started' && next === 'desc';
  const href = `/${filtersToQuery(f, { sort: isDefault ? undefined : by, dir: isDefault || next === DEFAULT_DIR[by] ? undefined : next, page: 1 })}`;
  const arrow = active ? (dir === 'asc' ? '▲' : '▼') : '↕';
  return (
    <th scope="col" className={className} aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : undefined} data-sort={by}>
      <Link
        href={href}
        className={`sort-link${active ? ' active' : ''}`}
        data-testid={`sort-${by}`}
        title={`Sort by ${label.toLowerCase()}${active ? `, ${next === 'asc' ? 'ascending' : 'descending'}` : ''}`}
      >
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {arrow}
        </span>
      </Link>
    </th>
  );
}

const VERDICT_WORDS: Record<Verdict, string> = { pass: 'pass', fail: 'fail', incomplete: 'incomplete', pending: 'pending (queued or running)' };

export default async function RunsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { filters: f, ignored } = parseFiltersLenient(rawFilters((k) => sp[k]));
  const { rows, total, page, pageSize, sort, dir } = await loadRuns({ ...f, page: f.page ?? 1, pageSize: f.pageSize ?? DEFAULT_PAGE_SIZE });
  const [initiatives, rowsByRun, live] = await Promise.all([loadInitiatives(), loadPlanRowIds(rows.map((r) => r.id)), loadHasLiveRuns()]);
  const perm = await launchPermission('/');
  const filtered = !!(f.status || f.initiative || f.verdict || f.q || f.origin || f.archived);
  const first = (page - 1) * pageSize + 1;
  const last = (page - 1) * pageSize + rows.length;
  const lastPage = Math.max(1, Math.ceil(total / pageSize));
  const deleted = typeof sp.deleted === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(sp.deleted) ? sp.deleted : null;
  const head = { f, sort, dir };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>{f.archived ? 'Archived runs' : 'Runs'}</h1>
          <p className="muted">
            {f.archived ? (
              <>Runs taken off the list. They keep their evidence and permalinks; open one to restore it, or tick several and restore them here.</>
            ) : (
              <>Every run Runproof knows about, newest first, led by what its evidence shows.</>
            )}{' '}
            <LiveRefresh live={live} />
          </p>
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
      {deleted ? (
        <div className="notice" role="status" data-testid="deleted-notice">
          Deleted run <code>{deleted}</code>
          {sp.removed === '1' ? ' and the bundle folder Runproof wrote for it' : sp.kept === '1' ? '; its bundle folder was left where it is (Runproof did not write it)' : ''}.
        </div>
      ) : null}

      <form className="card filters" method="get" action="/" role="search" aria-label="Filter runs">
        <label className="field">
          Verdict
          <select name="verdict" defaultValue={f.verdict ?? ''} data-testid="filter-verdict">
            <option value="">any</option>
            {VERDICTS.map((v) => (
              <option key={v} value={v}>
                {VERDICT_WORDS[v]}
              </option>
            ))}
          </select>
        </label>
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
          Origin
          <select name="origin" defaultValue={f.origin ?? ''} data-testid="filter-origin">
            <option value="">launched or imported</option>
            <option value="launched">launched here</option>
            <option value="imported">imported</option>
          </select>
        </label>
        <label className="field grow">
          Search
          <input type="search" name="q" defaultValue={f.q ?? ''} placeholder="name, plan row, profile, accelerator, knob=value, path…" data-testid="runs-search" />
        </label>
        <label className="field narrow">
          Per page
          <select name="pageSize" defaultValue={String(pageSize)} data-testid="page-size">
            {(PAGE_SIZES as readonly number[]).includes(pageSize) ? null : <option value={pageSize}>{pageSize}</option>}
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="check-inline archived-toggle">
          <input type="checkbox" name="archived" value="1" defaultChecked={!!f.archived} data-testid="filter-archived" />
          archived
        </label>
        {f.sort ? <input type="hidden" name="sort" value={f.sort} /> : null}
        {f.dir ? <input type="hidden" name="dir" value={f.dir} /> : null}
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
                There {total === 1 ? 'is' : 'are'} {total} matching run{total === 1 ? '' : 's'}. <Link href={`/${filtersToQuery(f, { page: 1 })}`}>Go to the first page</Link>
              </p>
            </div>
          ) : filtered || total > 0 ? (
            <div className="empty" data-testid="runs-empty">
              <h2>{f.archived && !f.q && !f.status && !f.initiative && !f.verdict && !f.origin ? 'No archived runs' : 'No runs match these filters'}</h2>
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
            <table className="data runs" data-testid="runs-table" data-sort={sort} data-dir={dir}>
              <thead>
                <tr>
                  <th scope="col" className={pick.col}>
                    <span className="sr-only">Select</span>
                  </th>
                  <SortHeader label="Verdict" by="verdict" {...head} />
                  <th scope="col" className="col-title">
                    Run
                  </th>
                  <th scope="col" className="col-init">
                    Initiative / phase
                  </th>
                  <SortHeader label="Started" by="started" {...head} />
                  <SortHeader label="Duration" by="duration" className="num" {...head} />
                  <SortHeader label="Epochs" by="epochs" className="num" {...head} />
                  <SortHeader label="Best monitored" by="best" className="num" {...head} />
                  <th scope="col">Accelerator</th>
                  <th scope="col">Checks</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const name = r.name ?? r.title;
                  const proves = rowsByRun.get(r.id) ?? [];
                  return (
                    <tr key={r.id} data-testid="run-row" data-run-id={r.id} data-status={r.status} data-verdict={r.verdict ?? undefined}>
                      <td className={pick.col}>
                        <input type="checkbox" name="ids" value={r.id} form="compare-form" aria-label={`Select run ${name}`} data-testid="compare-pick" data-label={`${name} · ${shortId(r.id)}`} />
                      </td>
                      <td className="col-verdict" data-label="Verdict">
                        {r.verdict ? <VerdictBadge verdict={r.verdict} size="sm" testId="run-verdict" /> : null}
                        <ProcessStatus status={r.status} />
                      </td>
                      <td className="col-title" data-label="Run">
                        <Link className="run-title" href={`/runs/${encodeURIComponent(r.id)}`} data-testid="run-name">
                          <Breakable text={name} />
                        </Link>{' '}
                        <span className="run-id" title={`run id ${r.id}`} data-testid="run-short-id">
                          {shortId(r.id)}
                        </span>
                        {r.name ? (
                          <span className="run-sub">
                            <Breakable text={r.title} />
                          </span>
                        ) : null}
                        {r.origin === 'launched' ? (
                          <span className="run-sub">launched · profile {r.profile}</span>
                        ) : r.logFile && !r.title.includes(r.logFile) ? (
                          <span className="run-sub">{r.logFile}</span>
                        ) : null}
                        {proves.length ? (
                          <span className="run-sub run-proves" data-testid="run-plan-rows">
                            proves {proves.join(', ')}
                          </span>
                        ) : null}
                        {r.notes ? (
                          <span className="run-notes" title={r.notes} data-testid="run-notes">
                            {noteLine(r.notes)}
                          </span>
                        ) : null}
                        {r.archivedAt !== null ? (
                          <span className="run-sub" data-testid="run-archived">
                            archived {fmtDateUTC(r.archivedAt)}
                          </span>
                        ) : null}
                      </td>
                      <td className="col-init" data-label="Initiative">
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
                      <td className="nowrap" data-label="Started">
                        {r.startedAt !== null ? (
                          <time dateTime={fmtIsoUTC(r.startedAt)}>
                            {fmtDateUTC(r.startedAt).slice(0, 10)}
                            <span className="run-sub">{fmtDateUTC(r.startedAt).slice(11)}</span>
                          </time>
                        ) : (
                          <span className="subtle">—</span>
                        )}
                      </td>
                      <td className="num" data-label="Duration">
                        {fmtDuration(r.durationMs)}
                      </td>
                      <td className="num" data-label="Epochs">
                        {r.epochsRun ?? '—'}
                        {r.maxEpochs !== null ? <span className="subtle"> / {r.maxEpochs}</span> : null}
                      </td>
                      <td className="num" data-label="Best">
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
                      <td className="nowrap" data-label="Accelerator">
                        {accelerator(r)}
                      </td>
                      <td data-label="Checks">
                        {/* A live run's checks are judged when it ends: no counts that could show a red failure before then. */}
                        {r.verdict === 'pending' ? (
                          <span className="small muted" data-testid="checks-pending">
                            pending
                          </span>
                        ) : (
                          <CheckCounts pass={r.checksPass} fail={r.checksFail} warn={r.checksWarn} skip={r.checksSkip} />
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {/* The table's checkboxes join this form through their `form` attribute: forms cannot nest, and the filters are a form of their own. */}
        {/* Mounted even when the list is empty: after archiving or restoring the last run shown, its message must survive the refresh. */}
        <ComparePicks max={MAX_COMPARE} archive={perm.ok ? archiveRunsAction : null} archivedView={!!f.archived} hasRows={rows.length > 0} />
        {total > 0 ? (
          <nav className="pager" aria-label="Pagination">
            <span data-testid="runs-count">
              {rows.length
                ? `Showing ${first.toLocaleString('en')}–${last.toLocaleString('en')} of ${total.toLocaleString('en')}`
                : `${total.toLocaleString('en')} run${total === 1 ? '' : 's'} in all`}
              {lastPage > 1 ? (
                <span className="subtle">
                  {' '}
                  · page {page.toLocaleString('en')} of {lastPage.toLocaleString('en')}
                </span>
              ) : null}
            </span>
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
      {!f.archived ? (
        <p className="small subtle archived-link">
          <Link href="/?archived=1" data-testid="show-archived">
            Archived runs
          </Link>{' '}
          are hidden from this list.
        </p>
      ) : null}
    </>
  );
}
