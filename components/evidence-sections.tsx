/**
 * Server-rendered sections of the evidence page, each a pure function of the
 * evidence document.
 */
import type { Evidence } from '@/lib/evidence/types';
import { neverStarted, type ShownCheck } from '@/lib/evidence/verdict';
import { fileHref, fmtBytes, fmtNumber, shortPath } from './format';
import { epochWindow, EPOCHS_SHOWN_WHOLE } from '@/lib/evidence/epoch-window';
import { VerdictTag } from './status';

export function Section({ id, title, aside, children, flush, testId }: { id: string; title: string; aside?: React.ReactNode; children: React.ReactNode; flush?: boolean; testId?: string }) {
  return (
    <section className="section" id={id} aria-labelledby={`${id}-h`} data-testid={testId}>
      <header>
        <h2 id={`${id}-h`}>{title}</h2>
        {aside ? <div className="aside">{aside}</div> : null}
      </header>
      <div className={flush ? 'section-body flush' : 'section-body'}>{children}</div>
    </section>
  );
}

function knobValue(v: string | boolean | null): React.ReactNode {
  if (v === null) return <span className="subtle">—</span>;
  if (typeof v === 'boolean') return <code>{v ? 'true' : 'false'}</code>;
  return <code className="wrap-anywhere">{v}</code>;
}

/** The checks table; `checks`: the checks as shown (lib/evidence/verdict.ts `judgeRun`), default the evidence's own. */
export function ChecksTable({ ev, checks = ev.checks }: { ev: Evidence; checks?: ShownCheck[] }) {
  if (!checks.length) return <div className="empty small">No checks were computed.</div>;
  return (
    <div className="table-wrap">
      <table className="data" data-testid="checks-table">
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Verdict</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={c.id} id={`check-${c.id}`} className={c.status === 'fail' ? 'row-fail' : c.status === 'warn' ? 'row-warn' : undefined} data-testid={`check-row-${c.id}`} data-status={c.status}>
              <td className="nowrap">
                <code>{c.id}</code>
              </td>
              <td>
                <VerdictTag status={c.status} />
              </td>
              <td className="wrap-anywhere">{c.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The command as it ran, with env assignments and flags picked out. */
export function CommandBlock({ ev }: { ev: Evidence }) {
  if (!ev.command) return <div className="empty small">The bundle does not record the command that ran.</div>;
  const tokens = ev.command.text.trim().split(/\s+/);
  return (
    <>
      <pre className="command" data-testid="command">
        {tokens.map((t, i) => (
          <span key={i} className={/^[A-Z_][A-Z0-9_]*=/.test(t) ? 'env' : t.startsWith('-') ? 'flag' : 'arg'}>
            {t}
            {i < tokens.length - 1 ? ' ' : ''}
          </span>
        ))}
      </pre>
      <p className="small muted" style={{ marginTop: 6 }}>
        From <code>{ev.command.source}</code>
      </p>
    </>
  );
}

export function KnobTable({ ev }: { ev: Evidence }) {
  if (!ev.knobTable.length) return <div className="empty small">No knobs could be read from the command.</div>;
  // A run that never started ran nothing: there is no effective knob to disagree with the request.
  if (neverStarted(ev))
    return (
      <p className="small muted" style={{ margin: 0 }} data-testid="knobs-never-started">
        The run never started, so no knob ran: {ev.knobTable.filter((r) => r.requested !== null).length} requested by <code>{ev.requested?.source ?? 'the launch'}</code>, nothing to compare them with.
      </p>
    );
  const bad = ev.knobTable.filter((r) => !r.ok).length;
  return (
    <>
      <p className="small muted" style={{ margin: '0 0 8px' }}>
        {ev.requested ? (
          <>
            Requested by <code>{ev.requested.source}</code>.{' '}
          </>
        ) : (
          <>No request recorded for this run: effective knobs are compared with the trainer&apos;s own echo. </>
        )}
        {bad ? (
          <strong className="bad">
            {bad} knob{bad > 1 ? 's' : ''} disagree.
          </strong>
        ) : (
          <span className="ok">All knobs agree.</span>
        )}
      </p>
      <div className="table-wrap">
        <table className="data" data-testid="knob-table">
          <thead>
            <tr>
              <th scope="col">Knob</th>
              <th scope="col">Requested</th>
              <th scope="col">Effective</th>
              <th scope="col">Trainer echo</th>
              <th scope="col" className="center">
                Agrees
              </th>
            </tr>
          </thead>
          <tbody>
            {ev.knobTable.map((r) => (
              <tr key={r.knob} className={r.ok ? undefined : 'row-fail'} data-ok={r.ok ? 'true' : 'false'}>
                <td className="nowrap">
                  <code>--{r.knob}</code>
                </td>
                <td>{knobValue(r.requested)}</td>
                <td>{knobValue(r.effective)}</td>
                <td>{r.echoed ? <code>{r.echoed}</code> : <span className="subtle">—</span>}</td>
                <td className="center">
                  {r.ok ? (
                    <span className="ok" role="img" aria-label="agrees">
                      ✓
                    </span>
                  ) : (
                    <span className="bad" role="img" aria-label="disagrees">
                      ✗
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * Per-epoch table: the monitored metric with EarlyStopping's replayed state.
 * A long run shows the first epochs, the best, the epochs around the stop and
 * the last (lib/evidence/epoch-window.ts), each gap a row that says what it
 * leaves out; `all` (the page's `?epochs=all`) shows every epoch.
 */
export function EpochTable({ ev, all = false, allHref, fewHref }: { ev: Evidence; all?: boolean; allHref?: string; fewHref?: string }) {
  const es = ev.earlyStop;
  const monitor = ev.monitor?.name ?? es?.monitor ?? null;
  if (!ev.epochs.length) return <div className="empty small">No per-epoch metrics in this bundle.</div>;
  const trace = new Map(es?.trace.map((t) => [t.epoch, t]) ?? []);
  const trainCol = ev.metricColumns.find((m) => /loss/i.test(m) && /epoch$/i.test(m) && m !== monitor) ?? null;
  const win = epochWindow(ev, all || !allHref);
  const cols = 6 + (trainCol ? 1 : 0);
  const n = ev.epochs.length;
  const rows: React.ReactNode[] = [];
  win.indices.forEach((i, k) => {
    const prev = k === 0 ? -1 : win.indices[k - 1];
    if (i > prev + 1) {
      const from = ev.epochs[prev + 1].epoch;
      const to = ev.epochs[i - 1].epoch;
      const gap = i - prev - 1;
      rows.push(
        <tr key={`gap-${i}`} className="epoch-gap" data-testid="epoch-gap">
          <td colSpan={cols}>
            ⋯ {gap.toLocaleString('en')} epoch{gap === 1 ? '' : 's'} not shown ({from === to ? from : `${from}–${to}`})
            {allHref ? (
              <>
                {' · '}
                <a href={allHref}>show all {n.toLocaleString('en')}</a>
              </>
            ) : null}
          </td>
        </tr>,
      );
    }
    const e = ev.epochs[i];
    const t = trace.get(e.epoch);
    const isBest = win.best === e.epoch;
    rows.push(
      <tr key={e.epoch} data-testid="epoch-row" data-epoch={e.epoch} className={t?.stop ? 'row-warn' : undefined}>
        <td className="num">
          {e.epoch}
          {isBest ? (
            <span className="verdict tone-pass" style={{ marginLeft: 6 }}>
              best
            </span>
          ) : null}
        </td>
        <td className="num subtle">{e.step}</td>
        {trainCol ? <td className="num">{fmtNumber(e.metrics[trainCol])}</td> : null}
        <td className="num">{monitor ? fmtNumber(t?.value ?? e.metrics[monitor]) : '—'}</td>
        <td className="num">{fmtNumber(t?.best)}</td>
        <td className="num">{t ? `${t.wait} / ${t.patience ?? es?.patience ?? '—'}` : '—'}</td>
        <td className="center">
          {t?.improved ? (
            <span className="ok" role="img" aria-label="improved">
              ✓
            </span>
          ) : t && !t.stop ? (
            <span className="subtle">·</span>
          ) : (
            ''
          )}
          {t?.stop ? <span className="amber"> stop: {t.stop}</span> : null}
        </td>
      </tr>,
    );
  });
  return (
    <>
      {!win.whole ? (
        <p className="es-config" data-testid="epochs-window">
          Showing {win.indices.length} of {n.toLocaleString('en')} epochs: the first, the best{win.best !== null ? ` (${win.best})` : ''}, those around the stop
          {win.stop !== null ? ` (${win.stop})` : ''} and the last.{' '}
          {allHref ? (
            <a href={allHref} data-testid="epochs-show-all">
              Show all {n.toLocaleString('en')}
            </a>
          ) : null}
        </p>
      ) : all && fewHref && n > EPOCHS_SHOWN_WHOLE ? (
        <p className="es-config">
          All {n.toLocaleString('en')} epochs. <a href={fewHref}>Show the first, best, stop and last only</a>
        </p>
      ) : null}
      {es ? (
        <p className="es-config" data-testid="early-stop-config">
          {es.configured ? (
            <>
              EarlyStopping on <code>{es.monitor ?? monitor ?? '?'}</code>, mode <code>{es.mode}</code>, patience <code>{es.patience ?? '—'}</code>, min_delta <code>{es.minDelta}</code> —{' '}
              {es.triggered ? <strong>triggered, stopped at epoch {es.stoppedEpoch}</strong> : <>not triggered</>}; best epoch {es.bestEpoch ?? '—'} ({fmtNumber(es.bestScore)}), wait {es.wait}.
            </>
          ) : (
            <>
              EarlyStopping not configured; values shown for the monitored metric <code>{monitor}</code>.
            </>
          )}
        </p>
      ) : monitor ? (
        <p className="es-config">
          Monitored metric <code>{monitor}</code> (mode {ev.monitor?.mode}). No early-stopping replay.
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="data" data-testid="epoch-table">
          <thead>
            <tr>
              <th scope="col" className="num">
                Epoch
              </th>
              <th scope="col" className="num">
                Step
              </th>
              {trainCol ? (
                <th scope="col" className="num">
                  {trainCol}
                </th>
              ) : null}
              <th scope="col" className="num">
                {monitor ?? 'monitor'}
              </th>
              <th scope="col" className="num">
                Best
              </th>
              <th scope="col" className="num">
                Wait / patience
              </th>
              <th scope="col" className="center">
                Improved
              </th>
            </tr>
          </thead>
          <tbody>{rows}</tbody>
        </table>
      </div>
    </>
  );
}

export function CheckpointTable({ ev }: { ev: Evidence }) {
  const ck = ev.checkpoints;
  const missing = ck.missing.map((name) => ({ name, e: ck.expected.find((x) => x.name === name) }));
  if (!ck.found.length && !missing.length) {
    return <div className="empty small">No checkpoint listing in this bundle.</div>;
  }
  return (
    <>
      <p className="es-config" data-testid="checkpoint-config">
        {ck.template !== null || ck.saveTopK !== null ? (
          <>
            ModelCheckpoint replay: save_top_k <code>{ck.saveTopK ?? '—'}</code>, save_last <code>{String(ck.saveLast ?? '—')}</code>, filename <code>{ck.template ?? '—'}</code>.{' '}
          </>
        ) : (
          <>No ModelCheckpoint configuration found to replay. </>
        )}
        {ck.expected.length ? (
          <>
            Replay expects {ck.expected.length} file{ck.expected.length === 1 ? '' : 's'}, found {ck.found.length}
            {missing.length ? <strong className="bad">; {missing.length} missing</strong> : null}
            {ck.unexpected.length ? <strong className="amber">; {ck.unexpected.length} unexpected</strong> : null}.
          </>
        ) : null}
      </p>
      <div className="table-wrap">
        <table className="data" data-testid="checkpoint-table">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col" className="num">
                Epoch
              </th>
              <th scope="col" className="num">
                Score
              </th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">Kind</th>
              <th scope="col">Expected by replay</th>
            </tr>
          </thead>
          <tbody>
            {ck.found.map((c) => (
              <tr key={c.name} className={c.expected ? undefined : 'row-warn'} data-testid="checkpoint-row" data-state={c.expected ? 'found' : 'unexpected'}>
                <td className="mono wrap-anywhere">{c.name}</td>
                <td className="num">{c.epoch ?? '—'}</td>
                <td className="num">{fmtNumber(c.score, 4)}</td>
                <td className="num">{c.sizeBytes !== null ? fmtBytes(c.sizeBytes) : '—'}</td>
                <td>{c.kind}</td>
                <td className="nowrap">{c.expected ? <span className="ok">✓ expected</span> : <span className="amber">✗ unexpected</span>}</td>
              </tr>
            ))}
            {missing.map(({ name, e }) => (
              <tr key={name} className="row-fail" data-testid="checkpoint-row" data-state="missing">
                <td className="mono wrap-anywhere">{name}</td>
                <td className="num">{e?.epoch ?? '—'}</td>
                <td className="num">{fmtNumber(e?.score, 4)}</td>
                <td className="num subtle">—</td>
                <td>{e?.kind ?? '—'}</td>
                <td className="nowrap">
                  <span className="bad">✗ missing</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function RunFacts({ ev }: { ev: Evidence }) {
  const a = ev.accelerator;
  return (
    <dl className="facts" data-testid="run-facts">
      <dt>Accelerator</dt>
      <dd>
        requested <strong>{a.requested ?? '—'}</strong> → resolved <strong>{a.resolved ?? 'unknown'}</strong>
        {a.device ? <> ({a.device})</> : null}
        {a.evidence.length ? (
          <ul className="evidence-lines">
            {a.evidence.map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
        ) : null}
      </dd>
      <dt>Runtime</dt>
      <dd>
        {ev.runtime ? (
          ev.runtime.source === 'worker' ? (
            <>
              wall {ev.runtime.realS.toFixed(2)} s <span className="subtle">(measured by the worker, process start to exit)</span>
            </>
          ) : (
            <>
              real {ev.runtime.realS} s · user {ev.runtime.userS} s · sys {ev.runtime.sysS} s <span className="subtle">(time -p)</span>
            </>
          )
        ) : (
          <span className="subtle">
            not recorded (no <code>time -p</code> output)
          </span>
        )}
      </dd>
      {ev.launch ? <LaunchFactsRows l={ev.launch} /> : null}
      <dt>Epochs</dt>
      <dd>
        {ev.epochs.length}
        {ev.maxEpochs !== null ? <> of max_epochs {ev.maxEpochs}</> : null}
      </dd>
      <dt>Stop</dt>
      <dd>
        <strong>{ev.stop.reason.replace('_', ' ')}</strong>
        {ev.stop.message ? (
          <>
            {' '}
            — <span className="mono">{ev.stop.message}</span>
          </>
        ) : null}
      </dd>
      <dt>Monitor</dt>
      <dd>
        {ev.monitor ? (
          <>
            <code>{ev.monitor.name}</code> ({ev.monitor.mode}) <span className="subtle">from {ev.monitor.source}</span>
          </>
        ) : (
          <span className="subtle">—</span>
        )}
      </dd>
      <dt>Seed</dt>
      <dd>{ev.seed ?? <span className="subtle">—</span>}</dd>
      {ev.lightning ? (
        <>
          <dt>Lightning</dt>
          <dd data-testid="lightning-version">{ev.lightning}</dd>
        </>
      ) : null}
      {ev.params.trainable || ev.params.total ? (
        <>
          <dt>Parameters</dt>
          <dd>
            {ev.params.trainable ?? '—'} trainable · {ev.params.total ?? '—'} total
          </dd>
        </>
      ) : null}
    </dl>
  );
}

export function WarningsTable({ ev, runId }: { ev: Evidence; runId?: string }) {
  if (!ev.warnings.length) return <div className="empty small">No warnings in the log.</div>;
  const log = ev.bundle.log;
  return (
    <div className="table-wrap">
      <table className="data">
        <thead>
          <tr>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col">Category</th>
            <th scope="col">Message</th>
            <th scope="col">Source</th>
            <th scope="col">In the log</th>
          </tr>
        </thead>
        <tbody>
          {ev.warnings.map((w, i) => (
            <tr key={i} className={w.category === 'DeprecationWarning' ? 'row-fail' : undefined} data-testid="warning-row">
              <td className="num">{w.count}</td>
              <td className="nowrap">{w.category ?? <span className="muted">Lightning</span>}</td>
              <td className="wrap-anywhere">{w.message}</td>
              <td className="mono nowrap" title={w.file ? `${w.file}:${w.line ?? ''}` : undefined}>
                {w.file ? `${shortPath(w.file)}${w.line !== null ? `:${w.line}` : ''}` : '—'}
              </td>
              <td className="mono nowrap">
                {w.logLine && log && runId ? (
                  <a href={fileHref(runId, log, { line: w.logLine })} data-testid="warning-log-line">
                    {log}:{w.logLine}
                  </a>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ErrorsList({ ev, runId }: { ev: Evidence; runId: string }) {
  if (!ev.errors.length && !ev.problems.length) return null;
  return (
    <div data-testid="errors">
      {ev.errors.length ? (
        <ul className="error-list">
          {ev.errors.map((e, i) => (
            <li key={i}>
              <a className="mono" href={fileHref(runId, e.file, { line: e.line })}>
                {e.file}:{e.line}
              </a>{' '}
              {ev.cause && ev.cause.file === e.file && ev.cause.line === e.line ? (
                <strong className="cause-tag" data-testid="error-cause" title="The line the failure headline quotes: the root of the traceback chain">
                  cause
                </strong>
              ) : null}{' '}
              <span className="bad-text">{e.message}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {ev.problems.length ? (
        <>
          <h3 style={{ margin: '10px 0 4px' }}>Problems reading the bundle</h3>
          <ul className="error-list">
            {ev.problems.map((p, i) => (
              <li key={i}>
                <span className="mono">
                  {p.file}
                  {p.line ? `:${p.line}` : ''}
                </span>{' '}
                {p.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/** The bundle's files, each linked; `missing`: the bundle folder is gone, so the paths are listed without links. */
export function FilesTable({ ev, runId, missing = false }: { ev: Evidence; runId: string; missing?: boolean }) {
  if (!ev.files.length) return <div className="empty small">No files recorded for this bundle.</div>;
  return (
    <div className="table-wrap">
      <table className="data" data-testid="files-table">
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Role</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">
              <span className="sr-only">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {ev.files.map((f) => (
            <tr key={f.path}>
              <td className="mono wrap-anywhere">{missing ? f.path : <a href={fileHref(runId, f.path)}>{f.path}</a>}</td>
              <td>{f.role}</td>
              <td className="num">{fmtBytes(f.sizeBytes)}</td>
              <td className="nowrap">
                {missing ? (
                  <span className="subtle">bundle folder missing</span>
                ) : (
                  <>
                    <a href={fileHref(runId, f.path, { raw: true })}>raw</a>
                    {' · '}
                    <a href={fileHref(runId, f.path, { download: true })} download>
                      download
                    </a>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const fmtMs = (ms: number | null) =>
  ms === null
    ? '—'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');

/** Where and how a launched run ran: enough to reproduce it, and to tell who ended it when the trainer did not. */
function LaunchFactsRows({ l }: { l: NonNullable<Evidence['launch']> }) {
  const env = Object.entries(l.env);
  return (
    <>
      <dt>Launched</dt>
      <dd data-testid="launch-facts">
        profile <strong>{l.profile}</strong> on <strong>{l.host ?? '—'}</strong>
        {l.pid ? <> · pid {l.pid}</> : null} · queued {fmtMs(l.queuedAt)} · started {fmtMs(l.startedAt)} · ended {fmtMs(l.endedAt)}
      </dd>
      <dt>Exit</dt>
      <dd>
        {l.exitCode !== null ? (
          <>
            code <strong>{l.exitCode}</strong>
          </>
        ) : l.signal ? (
          <>
            signal <strong>{l.signal}</strong>
          </>
        ) : (
          '—'
        )}
        {l.note ? <> — {l.note}</> : null}
      </dd>
      <dt>Working dir</dt>
      <dd className="mono wrap-anywhere">
        {l.cwd}
        {l.gitCommit ? <span className="subtle"> @ {l.gitCommit.slice(0, 12)}</span> : null}
      </dd>
      <dt>Environment</dt>
      <dd className="mono">{env.length ? env.map(([k, v]) => `${k}=${v === '' ? '""' : v}`).join(' ') : <span className="subtle">inherited, no overrides</span>}</dd>
      {l.planRows.length ? (
        <>
          <dt>Plan rows</dt>
          <dd>{l.planRows.join(', ')}</dd>
        </>
      ) : null}
    </>
  );
}
