import type { Metadata } from 'next';
import Link from 'next/link';
import fs from 'node:fs';
import { notFound } from 'next/navigation';
import { bundleFolderMissing } from '@/server/bundle-files';
import { checkTally } from '@/lib/evidence/summary';
import { isRunId, loadFilesStored, loadPlanRow, loadRunEvidence, loadRunPlacement, loadRunPlanLinks, loadRunSeries, loadWorkers, openRunFileOf } from '@/app/_lib/data';
import { missingRowFlag, rowFlags } from '@/lib/plans/flags';
import { FlagList, rowHref, StateTag } from '@/components/plan-views';
import { readLogTail } from '@/app/_lib/files';
import { requestOrigin } from '@/app/_lib/origin';
import { buildLossChart } from '@/lib/series/chart-data';
import LossChart from './loss-chart';
import LiveRun from './live-run';
import { WorkerList } from '@/components/worker-list';
import { cancelAction } from '@/app/runs/new/actions';
import { launchPermission } from '@/server/session';
import LogViewer, { type LogLine } from './log-viewer';
import { RunHeadline } from './run-headline';
import CopyButton from '@/components/copy-button';
import { badgeMarkdown as renderBadgeMarkdown, renderPrMarkdown } from '@/lib/evidence/pr-markdown';
import { badgeAlt } from '@/lib/evidence/badge-svg';
import { CheckPill } from '@/components/status';
import { NotQualifying, VerdictLead } from '@/components/verdict';
import { judgeRun } from '@/lib/evidence/verdict';
import { provenanceOf } from '@/lib/evidence/provenance';
import { fileHref, fmtDateUTC, fmtDuration, fmtIsoUTC } from '@/components/format';
import { RunManage, RunNotes } from './run-manage';
import { archiveRunAction, deleteRunAction, saveRunMetaAction } from './run-actions';
import { citedLogLines } from '@/lib/evidence/headline';
import type { Evidence } from '@/lib/evidence/types';
import { CheckpointTable, ChecksTable, CommandBlock, EpochTable, ErrorsList, FilesTable, KnobTable, RunFacts, Section, WarningsTable } from '@/components/evidence-sections';

export const dynamic = 'force-dynamic';

/** Log lines on the page: the tail (what ended the run); `?log=all#log` shows up to LOG_LINES_ALL, the file page all. */
const LOG_LINES = 150;
const LOG_LINES_ALL = 2000;

type Params = { params: Promise<{ id: string }> };
type PageProps = Params & { searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { id } = await params;
  if (!isRunId(id)) return { title: 'Run not found' };
  const found = await loadRunEvidence(id);
  return { title: found ? `${judgeRun(found.evidence).verdict} · ${found.evidence.title}` : 'Run not found' };
}

async function readLog(run: { id: string; bundleDir: string }, ev: Evidence, maxLines: number) {
  const log = ev.bundle.log;
  if (!log) return { state: 'none' as const };
  // From the database when the run's files are stored there, else from the folder.
  const r = await openRunFileOf(run, log);
  if (!r.ok) return { state: 'unreadable' as const, reason: r.reason };
  try {
    const tail = await readLogTail(r.source, maxLines);
    const numbered = tail.lines.map((text, i) => ({ n: tail.firstLine + i, text }));
    // Marked (and kept by "errors and warnings only"): exactly the lines the warnings and errors tables cite.
    const cited = citedLogLines(ev, log, numbered);
    const lines: LogLine[] = numbered.map(({ n, text }) => ({ n, text, level: cited.get(n) ?? null }));
    return { state: 'ok' as const, relative: r.relative, lines, tail };
  } catch (e) {
    console.error(`[runproof] reading log ${r.relative} of run ${run.id} failed:`, e);
    return { state: 'unreadable' as const, reason: 'the file could not be read' };
  } finally {
    if (r.fd !== null) fs.closeSync(r.fd);
  }
}

export default async function RunPage({ params, searchParams }: PageProps) {
  const { id } = await params;
  const sp = await searchParams;
  if (!isRunId(id)) notFound();
  // Read-only: a run whose worker died is settled by the sweep on `runproof serve`'s timer, not by showing it.
  const found = await loadRunEvidence(id);
  if (!found) notFound();
  const { run, evidence: ev } = found;
  if (run.origin === 'launched' && (run.status === 'queued' || run.status === 'running')) {
    const perm = await launchPermission(`/runs/${id}`);
    const [where, workers] = await Promise.all([loadRunPlacement(id), loadWorkers()]);
    return (
      <>
        <div className="crumbs">
          <Link href="/">Runs</Link> / <span className="mono">{id}</span>
        </div>
        <div className="card run-head" data-testid="run-header">
          <div className="title-row">
            <h1 data-testid="run-title">{run.name ?? ev.title}</h1>
          </div>
          {run.name ? <div className="run-subtitle">{ev.title}</div> : null}
          <div className="bundle-path" title="Bundle folder" data-testid="bundle-path">
            {run.bundleDir}
          </div>
          <VerdictLead judgement={judgeRun(ev)} provenance={provenanceOf(ev, run.profile)} live />
          {where?.labels.length ? (
            <p className="small" data-testid="run-labels">
              Needs worker labels <span className="mono">{where.labels.join(', ')}</span>
            </p>
          ) : null}
          {run.status === 'running' && where?.host ? (
            <p className="small" data-testid="ran-on">
              Running on <strong>{where.host}</strong> · worker <span className="mono">{where.workerId}</span>
            </p>
          ) : null}
          {!perm.ok && perm.loginUrl ? (
            <p className="small muted">
              <Link href={perm.loginUrl}>Log in</Link> to cancel this run.
            </p>
          ) : null}
        </div>
        <LiveRun
          runId={id}
          initialEvidence={ev}
          canCancel={perm.ok}
          cancelAction={cancelAction}
          whileQueued={where ? <WorkerList workers={workers} run={{ profile: run.profile ?? '', labels: where.labels }} testId="run-workers" /> : null}
        />
      </>
    );
  }
  const [series, ranOn, filesStored] = await Promise.all([
    loadRunSeries(id),
    // The host (and worker) a launched run ran on; an imported run has none.
    run.origin === 'launched' ? loadRunPlacement(id) : null,
    loadFilesStored(id),
  ]);
  const chart = buildLossChart(ev, series);

  const origin = await requestOrigin();
  const enc = encodeURIComponent(id);
  const permalink = `${origin}/runs/${enc}`;
  const badgeUrl = `${origin}/api/runs/${enc}/badge.svg`;
  const prMarkdown = renderPrMarkdown(ev, { permalink, badgeUrl, profile: run.profile });
  const badgeMarkdown = renderBadgeMarkdown(ev, { permalink, badgeUrl, profile: run.profile });

  // A run whose files are stored in the database shows them whatever happened to its folder.
  const missing = !filesStored && bundleFolderMissing(run.bundleDir);
  const allLog = sp.log === 'all';
  const log = missing ? ({ state: 'missing' } as const) : await readLog(run, ev, allLog ? LOG_LINES_ALL : LOG_LINES);
  const allEpochs = sp.epochs === 'all';
  const perm = await launchPermission(`/runs/${id}`);

  // The verdict leads; checks as shown (a cancel's exit neutral, a run that never started skipped).
  const judgement = judgeRun(ev);
  const provenance = provenanceOf(ev, run.profile);
  const failedChecks = judgement.failing;
  const failing = failedChecks.length;
  const runtimeMs = ev.runtime ? ev.runtime.realS * 1000 : run.durationMs;
  const planLinks = await Promise.all(
    (await loadRunPlanLinks(id)).map(async (l) => {
      const detail = l.planId && l.state !== null ? await loadPlanRow(l.planId, l.id) : null;
      const mine = detail?.runs.find((r) => r.runId === id);
      return {
        ...l,
        flags: detail ? rowFlags(detail.row.state, detail.runs) : [missingRowFlag(l.plan, l.id)],
        qualifies: mine?.qualifies ?? true,
        why: mine?.why ?? null,
        requirement: detail?.requirement ?? null,
      };
    }),
  );
  const toc: Array<[string, string]> = [
    ['checks', 'Checks'],
    ...(planLinks.length ? ([['plan', 'Plan rows']] as Array<[string, string]>) : []),
    ['command', 'Command & knobs'],
    ['curves', 'Curves'],
    ['epochs', 'Epochs'],
    ['checkpoints', 'Checkpoints'],
    ['run', 'Run'],
    ['warnings', 'Warnings'],
    ['log', 'Log'],
    ['files', 'Files'],
    ['share', 'Share'],
    ...(perm.ok ? ([['manage', 'Manage']] as Array<[string, string]>) : []),
  ];

  return (
    <>
      <div className="crumbs">
        <Link href="/">Runs</Link>
        {ev.bundle.initiative ? (
          <>
            {' / '}
            <Link href={`/?initiative=${encodeURIComponent(ev.bundle.initiative)}`}>{ev.bundle.initiative}</Link>
          </>
        ) : null}
        {' / '}
        <span className="mono">{id}</span>
      </div>

      <div className="card run-head" data-testid="run-header">
        <div className="title-row">
          <h1 data-testid="run-title">{run.name ?? ev.title}</h1>
        </div>
        {run.name ? <div className="run-subtitle">{ev.title}</div> : null}
        <div className="bundle-path" title="Bundle folder" data-testid="bundle-path">
          {run.bundleDir}
          {ev.bundle.log ? <span className="subtle"> · {ev.bundle.log}</span> : null}
        </div>
        <VerdictLead judgement={judgement} provenance={provenance} />
        <div className="meta">
          {ev.bundle.initiative ? (
            <span>
              Initiative <strong>{ev.bundle.initiative}</strong>
              {ev.bundle.phase ? (
                <>
                  {' '}
                  · phase <strong>{ev.bundle.phase}</strong>
                </>
              ) : null}
            </span>
          ) : null}
          <span>
            Started{' '}
            <strong>
              <time dateTime={fmtIsoUTC(run.startedAt)}>{fmtDateUTC(run.startedAt)}</time>
            </strong>
          </span>
          <span>
            Runtime <strong>{fmtDuration(runtimeMs)}</strong>
          </span>
          <span>
            Epochs{' '}
            <strong>
              {ev.epochs.length}
              {ev.maxEpochs !== null ? ` / ${ev.maxEpochs}` : ''}
            </strong>
          </span>
          <span>
            Accelerator{' '}
            <strong>
              {ev.accelerator.requested ? `${ev.accelerator.requested} → ` : ''}
              {ev.accelerator.resolved ?? 'unknown'}
            </strong>
          </span>
          {ranOn?.host ? (
            <span data-testid="ran-on">
              Ran on <strong>{ranOn.host}</strong>
              {ranOn.workerId ? (
                <>
                  {' '}
                  · worker <span className="mono">{ranOn.workerId}</span>
                </>
              ) : null}
            </span>
          ) : null}
          <span>
            Checks <strong className={failing ? 'bad' : undefined}>{checkTally(judgement.checks)}</strong>
          </span>
          {planLinks.length ? (
            <span data-testid="proves">
              Proves{' '}
              {planLinks.map((l, i) => (
                <span key={`${l.planPath}#${l.id}`}>
                  {i ? ', ' : ''}
                  <a href="#plan" className="mono">
                    {l.id}
                  </a>
                  {l.qualifies ? null : <span className="subtle"> (does not qualify)</span>}
                </span>
              ))}
            </span>
          ) : null}
        </div>
        <nav className="pills" data-testid="check-pills" aria-label="Check verdicts">
          {judgement.checks.map((c) => (
            <CheckPill key={c.id} check={c} href={`#check-${c.id}`} />
          ))}
        </nav>
        {ev.launch?.note ? (
          <div className={`callout ${ev.status === 'succeeded' || ev.status === 'cancelled' ? 'tone-warn' : 'tone-fail'}`} data-testid="launch-note">
            <p>
              <strong>{ev.status === 'cancelled' ? 'Cancelled' : ev.status === 'timed_out' ? 'Timed out' : ev.status === 'lost' ? 'Lost' : 'Note'}:</strong> {ev.launch.note}
            </p>
          </div>
        ) : null}
        {/* Red only for a failing verdict: a cancel or a lost worker is neutral (the note above says what happened). */}
        {judgement.verdict === 'fail' ? <RunHeadline ev={ev} runId={id} failing={failedChecks} /> : null}
        <div className="actions">
          <CopyButton text={prMarkdown} label="Copy as Markdown" testId="copy-markdown" />
          <a className="btn" href={`/api/runs/${enc}/summary.md`} download="summary.md" data-testid="summary-download">
            summary.md
          </a>
          <a className="btn" href={`/api/runs/${enc}`}>
            evidence.json
          </a>
          <a className="btn btn-link" href="#share">
            Badge
          </a>
          {ev.launch ? (
            <Link className="btn" href={`/runs/new?from=${enc}`} data-testid="run-again">
              Run again with these knobs
            </Link>
          ) : null}
        </div>
      </div>

      {run.archivedAt !== null ? (
        <div className="notice" role="status" data-testid="archived-notice">
          Archived {fmtDateUTC(run.archivedAt)}: this run is hidden from the runs list. {perm.ok ? <a href="#manage">Restore it</a> : null}
        </div>
      ) : null}
      {missing ? (
        <div className="notice error" role="status" data-testid="bundle-missing">
          <strong>Bundle folder missing:</strong> <code className="wrap-anywhere">{run.bundleDir}</code> was moved or removed since this run was {run.origin === 'launched' ? 'archived' : 'imported'}.
          The evidence below is what was read then; its log and files cannot be opened.{' '}
          {run.origin === 'imported' ? (
            <>
              Import the folder from where it is now (<code>npx runproof import &lt;dir&gt;</code>): it comes back as a run of its own.
            </>
          ) : null}
        </div>
      ) : null}
      <RunNotes runId={id} name={run.name} title={ev.title} notes={run.notes} canEdit={perm.ok} save={saveRunMetaAction} />

      <nav className="toc" aria-label="Sections">
        {toc.map(([anchor, label]) => (
          <a key={anchor} href={`#${anchor}`}>
            {label}
          </a>
        ))}
      </nav>

      <Section id="checks" title="Checks" aside={checkTally(judgement.checks)} flush>
        <ChecksTable ev={ev} checks={judgement.checks} />
      </Section>

      {planLinks.length ? (
        <Section
          id="plan"
          title="Plan rows this run is linked to"
          testId="plan-links"
          flush
          aside={
            <Link href={`/runs/${enc}/plan-update`} className="btn" data-testid="propose-plan-update">
              Propose plan update
            </Link>
          }
        >
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">State now</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Proves it?</th>
                  <th scope="col">Flags</th>
                  <th scope="col">Linked by</th>
                </tr>
              </thead>
              <tbody>
                {planLinks.map((l) => (
                  <tr key={`${l.planPath}#${l.id}`} data-testid="plan-link" data-row={l.id}>
                    <td>
                      {l.planId && l.state !== null ? (
                        <Link href={rowHref(l.planId, l.id)} className="mono">
                          {l.id}
                        </Link>
                      ) : (
                        <span className="mono">{l.id}</span>
                      )}
                    </td>
                    <td>
                      <StateTag state={l.state} />
                    </td>
                    <td className="mono small wrap-anywhere">
                      {l.plan}
                      {l.line ? `:${l.line}` : ''}
                    </td>
                    <td data-testid="plan-link-qualifies" data-qualifies={l.qualifies ? 'yes' : 'no'}>
                      {l.qualifies ? (
                        <span className="small">
                          {l.requirement ? (
                            <>
                              yes: ran{' '}
                              {l.requirement.program ? (
                                <code>{l.requirement.program.display}</code>
                              ) : l.requirement.profiles ? (
                                `profile ${l.requirement.profiles.join(' or ')}`
                              ) : (
                                'the knobs it asks for'
                              )}
                            </>
                          ) : (
                            'yes (the row names no command)'
                          )}
                        </span>
                      ) : (
                        <NotQualifying why={l.why} />
                      )}
                    </td>
                    <td>
                      <FlagList flags={l.flags} compact />
                    </td>
                    <td className="small muted">{l.source === 'launch' ? 'launch form' : `its ${l.source}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      ) : null}

      <Section id="command" title="Command and knobs" aside="requested vs effective">
        {ev.command || ev.knobTable.length ? (
          <>
            <CommandBlock ev={ev} />
            <div style={{ marginTop: 14 }}>
              <KnobTable ev={ev} />
            </div>
          </>
        ) : (
          <div className="empty small">The bundle records neither the command that ran nor the knobs it was given.</div>
        )}
      </Section>

      <Section
        id="curves"
        title="Loss curves"
        aside={
          chart.monitor ? (
            <>
              monitor <code>{chart.monitor}</code>
            </>
          ) : null
        }
      >
        <div data-testid="loss-chart">
          <LossChart data={chart} />
        </div>
      </Section>

      <Section id="epochs" title="Per epoch and early stopping">
        <EpochTable ev={ev} all={allEpochs} allHref={`/runs/${enc}?epochs=all#epochs`} fewHref={`/runs/${enc}#epochs`} />
      </Section>

      <Section id="checkpoints" title="Checkpoint inventory">
        <CheckpointTable ev={ev} />
      </Section>

      <Section id="run" title="Run">
        <RunFacts ev={ev} />
      </Section>

      <Section
        id="warnings"
        title="Warnings and errors"
        aside={`${ev.warnings.length} distinct warning${ev.warnings.length === 1 ? '' : 's'} · ${ev.errors.length} error${ev.errors.length === 1 ? '' : 's'}`}
        flush
        testId="warnings"
      >
        {ev.errors.length || ev.problems.length ? (
          <div className="section-body" style={{ borderBottom: '1px solid var(--border-muted)' }}>
            <ErrorsList ev={ev} runId={id} />
          </div>
        ) : null}
        <WarningsTable ev={ev} runId={id} />
      </Section>

      <Section
        id="log"
        title="Log"
        testId="log-viewer"
        aside={
          log.state === 'ok' ? (
            <>
              {log.tail.truncated ? (
                allLog ? (
                  <a href={`/runs/${enc}#log`}>last {LOG_LINES} lines</a>
                ) : (
                  <a href={`/runs/${enc}?log=all#log`} data-testid="log-more">
                    last {Math.min(LOG_LINES_ALL, log.tail.totalLines).toLocaleString('en')} lines
                  </a>
                )
              ) : null}
              {log.tail.truncated ? ' · ' : null}
              <a className="mono" href={fileHref(id, log.relative)}>
                {log.relative}
              </a>{' '}
              ·{' '}
              <a href={fileHref(id, log.relative, { download: true })} download>
                download
              </a>
            </>
          ) : null
        }
      >
        {log.state === 'ok' ? (
          <>
            {log.tail.truncated ? (
              <p className="notice">
                Showing the last {log.lines.length.toLocaleString('en')} of {log.tail.totalLines.toLocaleString('en')} lines.{' '}
                <a href={fileHref(id, log.relative, { download: true })} download>
                  Download the whole log
                </a>
                .
              </p>
            ) : null}
            <LogViewer lines={log.lines} lineHrefBase={fileHref(id, log.relative)} />
          </>
        ) : log.state === 'none' ? (
          <div className="empty small">This bundle has no training log.</div>
        ) : log.state === 'missing' ? (
          <div className="empty small" data-testid="log-missing">
            Bundle folder missing: the log <code>{ev.bundle.log}</code> cannot be read until the folder is back.
          </div>
        ) : (
          <div className="empty small">
            The log <code>{ev.bundle.log}</code> could not be read: {log.reason}.
          </div>
        )}
      </Section>

      <Section id="files" title="Bundle files" aside={<span className="mono">{run.bundleDir}</span>} flush>
        <FilesTable ev={ev} runId={id} missing={missing} />
      </Section>

      <Section id="share" title="Share">
        <p className="small muted" style={{ marginTop: 0 }}>
          Markdown for a pull request (title, status, checks and this permalink):
        </p>
        <div className="snippet">
          <pre data-testid="pr-markdown">{prMarkdown}</pre>
        </div>
        <p className="small muted">
          Permalink: <a href={permalink}>{permalink}</a>
        </p>
        <h3 style={{ margin: '14px 0 6px' }}>Badge</h3>
        <p style={{ margin: '0 0 8px' }}>
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src={`/api/runs/${enc}/badge.svg`} alt={badgeAlt(judgement, provenance)} height={20} data-testid="badge-preview" />
        </p>
        <div className="snippet">
          <pre data-testid="badge-markdown">{badgeMarkdown}</pre>
          <CopyButton text={badgeMarkdown} label="Copy" testId="copy-badge" />
        </div>
      </Section>

      {perm.ok ? (
        <Section id="manage" title="Manage">
          <RunManage
            runId={id}
            archivedAt={run.archivedAt !== null ? fmtDateUTC(run.archivedAt) : null}
            launched={run.origin === 'launched'}
            bundleDir={run.bundleDir}
            archive={archiveRunAction}
            remove={deleteRunAction}
          />
        </Section>
      ) : perm.loginUrl ? (
        <p className="small muted" data-testid="manage-login">
          <Link href={perm.loginUrl}>Log in</Link> to name, archive or delete this run.
        </p>
      ) : null}
    </>
  );
}
