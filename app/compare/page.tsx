import type { Metadata } from 'next';
import type { CSSProperties } from 'react';
import Link from 'next/link';
import { isRunId, loadComparison } from '@/app/_lib/data';
import { buildComparison, parseIdList, type CompareRun, type Comparison } from '@/lib/compare/compare';
import CompareChart from './compare-chart';
import { compareColor, MAX_COMPARE } from '@/components/compare-colors';
import { Section } from '@/components/evidence-sections';
import { VerdictTag } from '@/components/status';
import { ProcessStatus, VerdictBadge } from '@/components/verdict';
import { judgeRun } from '@/lib/evidence/verdict';
import { breakable, fmtDateUTC } from '@/components/format';
import styles from './compare.module.css';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Compare runs' };

type SearchParams = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `/compare?ids=a,b&metric=m`: ids comma-joined (one link, easy to read), the other parameters kept. */
function compareHref(ids: string[], extra: { metric?: string | null; knobs?: string | null } = {}): string {
  const sp = new URLSearchParams({ ids: ids.join(',') });
  if (extra.metric) sp.set('metric', extra.metric);
  if (extra.knobs) sp.set('knobs', extra.knobs);
  // URLSearchParams writes `,` as %2C; ids never contain it, so keep the list readable.
  return `/compare?${sp.toString().replace(/%2C/g, ',')}`;
}

/** The i-th of several labels, with the run's short id when another run reads the same. */
function distinctLabel(i: number, labels: string[], id: string): string {
  const l = labels[i];
  return labels.filter((x) => x === l).length > 1 ? `${l} · ${id.slice(0, 7)}` : l;
}

const runStyle = (i: number) => ({ '--run-color': compareColor(i) }) as CSSProperties;

/** A side-by-side table's head: the row label column, one column per run, the "differs" column. */
function RunsHead({ cmp, first }: { cmp: Comparison; first: string }) {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        {cmp.runs.map((r, i) => (
          <th scope="col" key={r.key}>
            <RunHead run={r} i={i} />
          </th>
        ))}
        <th scope="col">
          <span className="sr-only">Differs</span>
        </th>
      </tr>
    </thead>
  );
}

function RunHead({ run, i }: { run: CompareRun; i: number }) {
  return (
    <span className={styles.colHead} style={runStyle(i)} title={run.title}>
      <span className={styles.num} aria-hidden="true">
        {i + 1}
      </span>
      <span>
        <span className="sr-only">Run {i + 1}: </span>
        {run.label}
      </span>
    </span>
  );
}

function NotEnough({ given, shown, unknown, invalid }: { given: number; shown: Array<{ id: string; title: string }>; unknown: string[]; invalid: string[] }) {
  return (
    <div className="card error-page" data-testid="compare-empty">
      <h1>Pick at least two runs to compare</h1>
      <p className="muted">
        {given === 0 ? (
          <>No runs were given. </>
        ) : shown.length === 1 ? (
          <>
            {given === 1 ? 'Only one run was given' : 'Only one of the runs given is known'}: <Link href={`/runs/${encodeURIComponent(shown[0].id)}`}>{shown[0].title}</Link>.{' '}
          </>
        ) : (
          <>None of the runs given is known. </>
        )}
        Tick two or more runs in the runs table and press <strong>Compare selected</strong>, or name them in the address: <code>/compare?ids=&lt;id&gt;,&lt;id&gt;</code>.
      </p>
      {unknown.length ? (
        <p className="small" data-testid="compare-unknown">
          No run has the id{unknown.length > 1 ? 's' : ''}{' '}
          {unknown.map((id, i) => (
            <span key={id}>
              {i > 0 ? ', ' : ''}
              <code>{id}</code>
            </span>
          ))}
          .
        </p>
      ) : null}
      {invalid.length ? (
        <p className="small">
          Not run ids (ignored):{' '}
          {invalid.map((id, i) => (
            <span key={i}>
              {i > 0 ? ', ' : ''}
              <code>{id.slice(0, 80)}</code>
            </span>
          ))}
          .
        </p>
      ) : null}
      <div className="actions">
        <Link className="btn btn-primary" href="/">
          Back to runs
        </Link>
      </div>
    </div>
  );
}

function KnobsTable({ cmp, onlyDiffering, ids, metric }: { cmp: Comparison; onlyDiffering: boolean; ids: string[]; metric: string | null }) {
  if (!cmp.knobs.length) return <div className="empty small">None of these runs records the knobs it ran with (no command found in its bundle).</div>;
  const differing = cmp.knobs.filter((k) => k.differs).length;
  const rows = onlyDiffering ? cmp.knobs.filter((k) => k.differs) : cmp.knobs;
  // A run that records no knobs at all makes every knob "differ": say why.
  const silent = cmp.runs.filter((_, i) => cmp.knobs.every((k) => k.values[i] === null));
  return (
    <>
      <div className={styles.toolbar}>
        <span data-testid="knob-summary">
          {differing ? (
            <strong className="amber">
              {differing} of {cmp.knobs.length} knob{cmp.knobs.length === 1 ? '' : 's'} differ
            </strong>
          ) : (
            <span className="ok">All {cmp.knobs.length} knobs are the same</span>
          )}
          . Values are what ran (else what was requested); — means the run does not set the knob.
          {silent.length ? (
            <>
              {' '}
              {silent.map((r) => `${cmp.runs.indexOf(r) + 1} · ${r.label}`).join(', ')} record{silent.length === 1 ? 's' : ''} no command, so no knobs.
            </>
          ) : null}
        </span>
        {onlyDiffering ? (
          <Link href={compareHref(ids, { metric })}>Show all knobs</Link>
        ) : differing && differing < cmp.knobs.length ? (
          <Link href={compareHref(ids, { metric, knobs: 'differing' })}>Show only the {differing} that differ</Link>
        ) : null}
      </div>
      <div className="table-wrap">
        <table className="data" data-testid="compare-knobs">
          <RunsHead cmp={cmp} first="Knob" />
          <tbody>
            {rows.map((k) => (
              <tr key={k.knob} className={k.differs ? styles.differs : undefined} data-testid="knob-row" data-knob={k.knob} data-differs={k.differs ? 'true' : 'false'}>
                <th scope="row" className={styles.rowHead}>
                  <code>--{k.knob}</code>
                </th>
                {k.values.map((v, i) => (
                  <td key={i} className={styles.cell}>
                    {v === null ? (
                      <span className="subtle" role="img" aria-label="not set">
                        —
                      </span>
                    ) : (
                      <code className="wrap-anywhere">{v}</code>
                    )}
                  </td>
                ))}
                <td className="nowrap">{k.differs ? <span className={styles.marker}>≠ differs</span> : <span className={styles.same}>same</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ChecksCompareTable({ cmp }: { cmp: Comparison }) {
  if (!cmp.checks.length) return <div className="empty small">None of these runs has any checks computed.</div>;
  return (
    <div className="table-wrap">
      <table className="data" data-testid="compare-checks">
        <RunsHead cmp={cmp} first="Check" />
        <tbody>
          {cmp.checks.map((c) => (
            <tr key={c.id} className={c.differs ? styles.differs : undefined} data-testid="check-row" data-check-id={c.id} data-differs={c.differs ? 'true' : 'false'}>
              <th scope="row" className={styles.rowHead}>
                <code>{c.id}</code>
              </th>
              {c.cells.map((cell, i) => (
                <td key={i} className={styles.cell} data-status={cell?.status ?? 'none'}>
                  {cell ? (
                    <>
                      <VerdictTag status={cell.status} />
                      <span className={styles.detail}>{cell.detail}</span>
                    </>
                  ) : (
                    <span className="subtle">not computed</span>
                  )}
                </td>
              ))}
              <td className="nowrap">{c.differs ? <span className={styles.marker}>≠ differs</span> : <span className={styles.same}>same</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default async function ComparePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const requested = parseIdList(sp.ids);
  const invalid = requested.filter((id) => !isRunId(id));
  const valid = requested.filter(isRunId);
  const asked = valid.slice(0, MAX_COMPARE);
  const leftOut = valid.slice(MAX_COMPARE);
  const { runs: loaded, unknown } = await loadComparison(asked);

  if (loaded.length < 2) {
    return <NotEnough given={requested.length} shown={loaded.map((r) => ({ id: r.id, title: r.evidence.title }))} unknown={unknown} invalid={invalid} />;
  }

  const metricParam = first(sp.metric)?.slice(0, 300) ?? null;
  const onlyDiffering = first(sp.knobs) === 'differing';
  const built = buildComparison(loaded, { metric: metricParam });
  // Legends, chips and column heads name each run by its name (else the part of its title the others do not share); runs
  // that would read alike (two launches of one profile with the same knobs) also get their short id.
  const cmp = {
    ...built,
    runs: built.runs.map((r, i, all) => ({
      ...r,
      label: distinctLabel(
        i,
        all.map((x, j) => loaded[j].name ?? x.label),
        r.id,
      ),
    })),
  };
  const ids = cmp.runs.map((r) => r.id);
  const chart = cmp.chart;
  const metric = chart?.metric ?? null;
  const lines = cmp.runs.flatMap((r, i) => (chart?.plotted.includes(r.key) ? [{ key: r.key, name: `${i + 1} · ${r.label}`, color: compareColor(i) }] : []));
  const withoutMetric = chart ? cmp.runs.filter((r) => !chart.plotted.includes(r.key)) : [];
  const n = cmp.runs.length;
  // Links that reshape the comparison keep a metric the reader chose, not the default (which follows the first run).
  const keepMetric = metricParam && !cmp.unknownMetric ? metric : null;
  const keepKnobs = onlyDiffering ? 'differing' : null;

  return (
    <>
      <div className="crumbs">
        <Link href="/">Runs</Link> / Compare
      </div>
      <div className="page-head">
        <div>
          <h1>Compare {n} runs</h1>
          <p className="muted">Curves overlaid by epoch, knobs and checks side by side. This page&apos;s address is a permalink to the comparison.</p>
        </div>
      </div>

      {unknown.length || invalid.length || leftOut.length || cmp.unknownMetric ? (
        <div className="notice" role="status" data-testid="compare-notice">
          {unknown.length ? (
            <p>
              No run has the id{unknown.length > 1 ? 's' : ''} {unknown.map((id) => `“${id}”`).join(', ')}: left out.
            </p>
          ) : null}
          {invalid.length ? (
            <p>
              Ignored {invalid.length} value{invalid.length > 1 ? 's' : ''} that cannot be run ids.
            </p>
          ) : null}
          {leftOut.length ? (
            <p>
              At most {MAX_COMPARE} runs compare at once: the last {leftOut.length} given {leftOut.length > 1 ? 'are' : 'is'} left out.
            </p>
          ) : null}
          {cmp.unknownMetric ? (
            <p>
              None of these runs logged <code>{cmp.unknownMetric}</code> per epoch; showing <code>{metric ?? 'nothing'}</code> instead.
            </p>
          ) : null}
        </div>
      ) : null}

      <div className="card" style={{ marginBottom: 16 }}>
        <ol className={styles.chips} aria-label="Compared runs">
          {cmp.runs.map((r, i) => {
            const others = ids.filter((id) => id !== r.id);
            const startedAt = loaded[i].startedAt;
            return (
              <li key={r.id} className={styles.chip} style={runStyle(i)} data-testid="compare-run" data-run-id={r.id}>
                <span className={styles.num} aria-hidden="true">
                  {i + 1}
                </span>
                <div className={styles.chipBody}>
                  <div className={styles.chipTop}>
                    {/* What the evidence shows leads; how the process ended follows. */}
                    <span className={styles.chipVerdict}>
                      <VerdictBadge verdict={judgeRun(loaded[i].evidence).verdict} size="sm" testId="compare-verdict" />
                      <ProcessStatus status={r.status} />
                    </span>
                    {n > 2 ? (
                      <Link
                        className={styles.remove}
                        href={compareHref(others, { metric: keepMetric, knobs: keepKnobs })}
                        aria-label={`Remove ${r.title} from the comparison`}
                        title="Remove from the comparison"
                      >
                        remove
                      </Link>
                    ) : null}
                  </div>
                  <Link className="run-title" href={`/runs/${encodeURIComponent(r.id)}`} data-testid="compare-run-name">
                    <span className="sr-only">Run {i + 1}: </span>
                    {breakable(loaded[i].name ? r.label : r.title).map((part, j) => (
                      <span key={j}>
                        {j > 0 ? <wbr /> : null}
                        {part}
                      </span>
                    ))}
                  </Link>
                  {loaded[i].name ? <span className="run-sub">{r.title}</span> : null}
                  <span className="run-sub">
                    <span className="run-id" title={`run id ${r.id}`}>
                      {r.id.slice(0, 7)}
                    </span>{' '}
                    · {r.epochs} epoch{r.epochs === 1 ? '' : 's'}
                    {r.monitor ? ` · monitor ${r.monitor}` : ''}
                    {startedAt !== null ? ` · ${fmtDateUTC(startedAt)}` : ''}
                  </span>
                </div>
              </li>
            );
          })}
        </ol>
      </div>

      <Section
        id="curves"
        title="Curves"
        aside={
          cmp.metrics.length ? (
            <form className={styles.metricForm} method="get" action="/compare" aria-label="Choose the metric">
              <input type="hidden" name="ids" value={ids.join(',')} />
              {onlyDiffering ? <input type="hidden" name="knobs" value="differing" /> : null}
              <label>
                Metric
                <select name="metric" defaultValue={metric ?? undefined} data-testid="compare-metric">
                  {cmp.metrics.map((m) => (
                    <option key={m.metric} value={m.metric}>
                      {m.metric}
                      {m.runs < n ? ` (${m.runs} of ${n} runs)` : ''}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" className="btn">
                Show
              </button>
            </form>
          ) : null
        }
      >
        {chart ? (
          <>
            <p className="small muted" style={{ margin: '0 0 6px' }}>
              <code>{chart.metric}</code> per epoch, x = epoch.
            </p>
            <div data-testid="compare-chart" data-metric={chart.metric}>
              <CompareChart
                metric={chart.metric}
                rows={chart.rows}
                lines={lines}
                positive={chart.positive}
                summary={`${chart.metric} per epoch of ${lines.map((l) => l.name).join('; ')}, over epochs ${chart.rows[0]?.epoch ?? 0} to ${chart.rows[chart.rows.length - 1]?.epoch ?? 0}.`}
              />
            </div>
            {withoutMetric.length ? (
              <p className={styles.missing} data-testid="compare-missing">
                No <code>{chart.metric}</code> in {withoutMetric.map((r) => `${cmp.runs.indexOf(r) + 1} · ${r.label}`).join(', ')}.
              </p>
            ) : null}
          </>
        ) : (
          <div className="empty small" data-testid="compare-chart-empty">
            None of these runs logged per-epoch metrics: their bundles have no <code>metrics.csv</code>.
          </div>
        )}
      </Section>

      <Section id="knobs" title="Knobs" aside="what each run was given" flush>
        <KnobsTable cmp={cmp} onlyDiffering={onlyDiffering} ids={ids} metric={keepMetric} />
      </Section>

      <Section id="checks" title="Checks" aside={`${cmp.checks.filter((c) => c.differs).length} of ${cmp.checks.length} verdicts differ`} flush>
        <ChecksCompareTable cmp={cmp} />
      </Section>
    </>
  );
}
