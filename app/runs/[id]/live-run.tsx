'use client';
/**
 * The evidence page of a run that is still queued or running. It follows
 * /api/runs/<id>/events: status, an epoch progress bar, the curves gaining
 * points, checkpoints appearing and the log tail; when the run ends it asks
 * the server for the permanent page (router.refresh), which replaces it.
 * The evidence arrives whole once per stream, then as JSON Patch operations;
 * a stream the server refuses (too many open) is retried after 5 s.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useRouter } from 'next/navigation';
import LossChart from './loss-chart';
import { buildLossChart, type RawSeries } from '@/lib/series/chart-data';
import { StatusBadge } from '@/components/status';
import { fmtBytes, fmtDuration } from '@/components/format';
import type { Evidence } from '@/lib/evidence/types';
import { resultText, type ActionResult } from '@/lib/action-result';
import { applyPatch, type Json } from '@/lib/evidence/json-patch';
import { parseLiveEvent, type LiveEventName, type LiveEvents, type LiveStateEvent } from '@/lib/live/events';

const LOG_KEEP = 400;

export default function LiveRun({
  runId,
  initialEvidence,
  canCancel,
  cancelAction,
  whileQueued = null,
}: {
  runId: string;
  initialEvidence: Evidence;
  canCancel: boolean;
  cancelAction: (runId: string) => Promise<ActionResult>;
  /** Shown while the run is queued: which workers could take it (the page renders it). */
  whileQueued?: ReactNode;
}) {
  const router = useRouter();
  const [state, setState] = useState<LiveStateEvent | null>(null);
  const [evidence, setEvidence] = useState<Evidence>(initialEvidence);
  const [series, setSeries] = useState<Record<string, { steps: number[]; values: number[] }>>({});
  const [log, setLog] = useState<string[]>([]);
  const [connected, setConnected] = useState(false);
  const [ended, setEnded] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const [cancelMsg, setCancelMsg] = useState<string | null>(null);
  const [clock, setClock] = useState(() => Date.now());
  const skew = useRef(0);
  const logRef = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const logEnd = useRef(0);
  // The document the patches apply to (kept beside the state, so applying one is not a side effect of a state update).
  const evidenceRef = useRef<Evidence>(initialEvidence);

  useEffect(() => {
    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const connect = () => {
      const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
      es = source;
      // Start over from the tail the server sends on (re)connect.
      logEnd.current = 0;
      const reconnect = (afterMs: number) => {
        source.close();
        setConnected(false);
        if (!stopped && !retry)
          retry = setTimeout(() => {
            retry = null;
            if (!stopped) connect();
          }, afterMs);
      };
      source.onopen = () => setConnected(true);
      source.onerror = () => {
        setConnected(false);
        // A refused stream (429: too many open, or any non-200) is not retried by the browser; retry it here.
        if (source.readyState === EventSource.CLOSED) reconnect(5000);
      };
      // Each event's data typed by its name (lib/live/events.ts, what the events route sends).
      const on = <E extends LiveEventName>(event: E, handle: (data: LiveEvents[E]) => void) => source.addEventListener(event, (e) => handle(parseLiveEvent(event, (e as MessageEvent<string>).data)));
      on('state', (s) => {
        skew.current = s.now - Date.now();
        setState(s);
      });
      // The whole document once per stream, then only what changed (JSON Patch operations).
      on('evidence', (doc) => {
        evidenceRef.current = doc;
        setEvidence(evidenceRef.current);
      });
      on('evidence-patch', (ops) => {
        try {
          evidenceRef.current = applyPatch(evidenceRef.current as unknown as Json, ops) as unknown as Evidence;
          setEvidence(evidenceRef.current);
        } catch {
          // Out of step with the server: a new stream starts with the whole document.
          reconnect(0);
        }
      });
      on('points', (msgs) => {
        setSeries((prev) => {
          const next = { ...prev };
          for (const m of msgs) {
            const old = m.from === 0 ? { steps: [], values: [] } : (next[m.metric] ?? { steps: [], values: [] });
            next[m.metric] = { steps: [...old.steps.slice(0, m.from), ...m.steps], values: [...old.values.slice(0, m.from), ...m.values.map((v) => v ?? NaN)] };
          }
          return next;
        });
      });
      on('log', ({ text, from, to }) => {
        const lines = text.replace(/\n$/, '').split('\n');
        // After a reconnect the server resends the log's tail: start over from it instead of repeating lines.
        const restart = from < logEnd.current || logEnd.current === 0;
        logEnd.current = to;
        setLog((prev) => (restart ? lines : [...prev, ...lines]).slice(-LOG_KEEP));
      });
      on('end', ({ status }) => {
        stopped = true;
        source.close();
        setEnded(status);
        router.refresh();
      });
    };
    connect();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      es?.close();
    };
  }, [runId, router]);

  // Escape dismisses the cancel confirmation (wherever the focus is), and the focus goes back to "Cancel run…".
  useEffect(() => {
    if (!confirming) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setConfirming(false);
      setTimeout(() => cancelButton.current?.focus(), 0);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [confirming]);

  useEffect(() => {
    const t = setInterval(() => setClock(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    const el = logRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [log]);

  const raw: RawSeries[] = useMemo(() => Object.entries(series).map(([metric, s]) => ({ metric, steps: s.steps, values: s.values })), [series]);
  const chart = useMemo(() => buildLossChart(evidence, raw), [evidence, raw]);
  const pointCount = raw.reduce((a, s) => a + s.steps.length, 0);

  const status = ended ?? state?.status ?? evidence.status;
  const live = state?.live ?? {};
  const done = live.epochsDone ?? 0;
  const max = live.maxEpochs ?? evidence.maxEpochs ?? null;
  const pct = max ? Math.min(100, Math.round((done / max) * 100)) : null;
  const now = clock + skew.current;
  const elapsed = state?.processStartedAt ? now - state.processStartedAt : null;
  const waiting = state ? now - state.queuedAt : null;
  const stopping = state?.cancelRequested || live.stopping;

  async function cancel() {
    setConfirming(false);
    setCancelMsg('Stopping…');
    setCancelMsg(resultText(await cancelAction(runId)));
  }

  return (
    <div data-testid="live-run" data-status={status}>
      <section className="section" aria-labelledby="live-h">
        <header>
          <h2 id="live-h">{status === 'queued' ? 'Waiting for a worker' : ended ? 'Finished — loading the evidence…' : stopping ? 'Stopping…' : 'Running'}</h2>
          <span className="aside" aria-live="polite">
            {connected ? 'live' : ended ? 'ended' : 'connecting…'}
            {elapsed !== null ? ` · ${fmtDuration(elapsed)} elapsed` : waiting !== null && status === 'queued' ? ` · queued ${fmtDuration(waiting)}` : ''}
            {state?.timeoutMs ? ` · timeout ${fmtDuration(state.timeoutMs)}` : ''}
          </span>
        </header>
        <div className="section-body">
          {status === 'queued' && state?.workers === 0 ? (
            <div className="notice" role="status" data-testid="no-worker">
              No worker is running, so nothing will pick this run up. Start one with <code>runproof worker</code> (<code>npm start</code> runs one beside the web server).
            </div>
          ) : null}
          {status === 'queued' ? whileQueued : null}
          <div className="live-progress">
            <StatusBadge status={status} />
            <div
              className="progress"
              role="progressbar"
              aria-label="Epochs completed"
              aria-valuemin={0}
              aria-valuemax={max ?? undefined}
              aria-valuenow={done}
              data-testid="live-progress"
              data-epochs={done}
            >
              <div className={`progress-bar${status === 'queued' ? ' idle' : ''}`} style={{ width: `${pct ?? (status === 'running' ? 100 : 0)}%` }} />
            </div>
            <span className="progress-label mono" data-testid="live-progress-label">
              {max ? `epoch ${done} / ${max}` : `${done} epoch${done === 1 ? '' : 's'}`}
              {live.step != null ? ` · step ${live.step}` : ''}
            </span>
          </div>
          {live.last && Object.keys(live.last).length ? (
            <dl className="live-last">
              {Object.entries(live.last)
                .filter(([k]) => !/^(epoch|step)$/.test(k))
                .map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd className="mono">{v === null ? '—' : +v.toPrecision(6)}</dd>
                  </div>
                ))}
            </dl>
          ) : null}
          <div className="actions live-actions">
            {canCancel && !ended && !stopping ? (
              confirming ? (
                <span className="confirm" role="group" aria-label="Confirm cancel">
                  <span>Stop this run? Its partial evidence is kept.</span>
                  <button type="button" className="btn btn-danger" onClick={cancel} data-testid="confirm-cancel">
                    Stop run
                  </button>
                  <button type="button" className="btn" onClick={() => setConfirming(false)} autoFocus>
                    Keep running
                  </button>
                </span>
              ) : (
                <button type="button" ref={cancelButton} className="btn" onClick={() => setConfirming(true)} data-testid="cancel-run">
                  Cancel run…
                </button>
              )
            ) : null}
            {cancelMsg ? (
              <span className="muted" role="status">
                {cancelMsg}
              </span>
            ) : null}
          </div>
        </div>
      </section>

      <section className="section" id="curves" aria-labelledby="curves-h">
        <header>
          <h2 id="curves-h">Curves</h2>
          <span className="aside" data-testid="live-points" data-points={pointCount}>
            {pointCount} point{pointCount === 1 ? '' : 's'} so far
          </span>
        </header>
        <div className="section-body" data-testid="loss-chart">
          <LossChart data={chart} />
        </div>
      </section>

      <div className="grid-2 live-grid">
        <section className="section" aria-labelledby="ck-h">
          <header>
            <h2 id="ck-h">Checkpoints</h2>
            <span className="aside">
              {live.checkpointCount ?? live.checkpoints?.length ?? 0} file{(live.checkpointCount ?? live.checkpoints?.length) === 1 ? '' : 's'}
              {live.checkpointCount && live.checkpoints && live.checkpointCount > live.checkpoints.length ? ` (first and last ${live.checkpoints.length} listed)` : ''}
            </span>
          </header>
          <div className="section-body flush">
            {live.checkpoints?.length ? (
              <table className="data" data-testid="live-checkpoints">
                <tbody>
                  {live.checkpoints.map((c) => (
                    <tr key={c.name}>
                      <td className="mono wrap-anywhere">{c.name}</td>
                      <td className="num">{fmtBytes(c.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <div className="empty small">None yet.</div>
            )}
          </div>
        </section>
        <section className="section" aria-labelledby="cmd-h">
          <header>
            <h2 id="cmd-h">Command</h2>
          </header>
          <div className="section-body">
            <pre className="command mono wrap-anywhere" data-testid="live-command">
              {evidence.requested?.text ?? evidence.launch?.argv.join(' ')}
            </pre>
            {evidence.launch?.planRows.length ? <p className="muted small">Plan rows: {evidence.launch.planRows.join(', ')}</p> : null}
          </div>
        </section>
      </div>

      <section className="section" aria-labelledby="log-h">
        <header>
          <h2 id="log-h">Log</h2>
          <span className="aside">last {LOG_KEEP} lines, following</span>
        </header>
        <div className="section-body flush">
          <pre
            className="log-box live-log"
            ref={logRef}
            data-testid="live-log"
            tabIndex={0}
            onScroll={(e) => {
              const el = e.currentTarget;
              stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
            }}
          >
            {log.length ? log.join('\n') : status === 'queued' ? 'Waiting for the process to start…' : ''}
          </pre>
        </div>
      </section>
    </div>
  );
}
