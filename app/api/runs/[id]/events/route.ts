/**
 * GET /api/runs/<id>/events — server-sent events while a launched run is live:
 * `state` (status and progress), `evidence` (the document so far, once),
 * then `evidence-patch` (JSON Patch operations from the document last sent
 * to the new one, when it changes), `points` (only the metric points the
 * page has not got), `log` (the log's new complete lines), then `end` once
 * the run is final. Everything comes from the database, read 150 ms after
 * the last read ended (one read at a time per stream; any web server on the
 * database, SQLite or PostgreSQL, can serve the stream; none reads the
 * worker's disk):
 * the worker writes each metrics.csv row and log line there within
 * milliseconds of it landing, so either reaches the page well inside 1 s. Streams are capped per client and in all
 * (server/sse-slots.ts): beyond that, a 429 with Retry-After.
 */
import { isTerminal } from '@/db/queries/launches';
import { live, loadRun } from '@/app/_lib/data';
import { HttpError, noRun, route } from '@/app/_lib/api';
import { diffJson, type Json } from '@/lib/evidence/json-patch';
import { parseJsonText } from '@/lib/json-text';
import { formatLiveEvent, type LiveEventName, type LiveEvents } from '@/lib/live/events';
import { streamClientOf, takeStreamSlot } from '@/server/sse-slots';

export const dynamic = 'force-dynamic';

const TICK_MS = 150;
const KEEPALIVE_MS = 15_000;

export const GET = route<{ id: string }>("opening a run's events", async (req, { id }) => {
  const run = await loadRun(id);
  if (!run) throw noRun(id);
  const slot = takeStreamSlot(streamClientOf(req.headers));
  if (!slot.ok) throw new HttpError(429, slot.message, { 'Retry-After': String(slot.retryAfterS) });
  const enc = new TextEncoder();

  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      // Each event's data typed by its name: lib/live/events.ts, which the page reads them by too.
      const send = <E extends LiveEventName>(event: E, data: LiveEvents[E]) => {
        if (!closed) controller.enqueue(enc.encode(formatLiveEvent(event, data)));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        slot.release();
        if (timer) clearTimeout(timer);
        timer = null;
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      req.signal.addEventListener('abort', close);

      let lastSeq = -1;
      let lastStatus = '';
      let lastUpdated = -1;
      // The evidence as this stream last sent it: the first time whole, then only what changed.
      let sentEvidence: Json | null = null;
      /** The last log line sent (null: none yet, the first read is the tail). */
      let logSeq: number | null = null;
      let lastSent = Date.now();
      const after: Record<string, number> = {};
      // Whether any worker will pick a queued run up (asked every 2 s while queued, not on every tick).
      let workers = -1;
      let workersAt = 0;

      const tick = async () => {
        if (closed) return;
        try {
          const st = await live.state(id);
          if (!st) {
            send('end', { status: 'unknown', reason: 'not a launched run' });
            return close();
          }
          // A run whose worker died is settled by the sweep on `runproof serve`'s timer (or a worker's), not
          // here: the stream only reads, and sends the final status on the tick after the sweep wrote it.
          let workersChanged = false;
          if (st.status === 'queued' && Date.now() - workersAt > 2000) {
            workersAt = Date.now();
            const n = await live.workers();
            workersChanged = n !== workers;
            workers = n;
          }
          // Points only ever arrive with a live_seq bump (appendLivePoints), so they are looked for only then.
          const seqChanged = st.liveSeq !== lastSeq;
          if (seqChanged || st.status !== lastStatus || workersChanged) {
            lastSeq = st.liveSeq;
            lastStatus = st.status;
            send('state', {
              status: st.status,
              live: parseJsonText(st.liveJson),
              cancelRequested: st.cancelRequestedAt != null,
              processStartedAt: st.processStartedAt,
              queuedAt: st.queuedAt,
              timeoutMs: st.timeoutMs,
              workers,
              now: Date.now(),
            });
            lastSent = Date.now();
          }
          if (st.updatedAt !== lastUpdated) {
            lastUpdated = st.updatedAt;
            const row = await live.evidenceJson(id);
            if (row) {
              const evidence = parseJsonText(row);
              // The diff walks any JSON document; the evidence is one.
              const doc = evidence as unknown as Json;
              if (sentEvidence === null) send('evidence', evidence);
              else {
                const ops = diffJson(sentEvidence, doc);
                if (ops.length) send('evidence-patch', ops);
              }
              sentEvidence = doc;
            }
          }
          const pts = seqChanged ? await live.points(id, after) : [];
          if (pts.length) {
            for (const p of pts) after[p.metric] = p.total;
            send('points', pts);
          }
          // The log, from the database (the worker stores its lines; this server may not share its disk): on
          // connect the page's last 400 lines, then the lines after the last one sent.
          const lines = await live.log(id, logSeq);
          if (lines.length) {
            const last = lines[lines.length - 1].seq;
            send('log', { from: lines[0].seq, to: last + 1, text: lines.map((l) => `${l.text}\n`).join('') });
            logSeq = last;
          }
          if (isTerminal(st.status)) {
            send('end', { status: st.status });
            return close();
          }
          if (Date.now() - lastSent > KEEPALIVE_MS) {
            controller.enqueue(enc.encode(': keep-alive\n\n'));
            lastSent = Date.now();
          }
        } catch (e) {
          if (closed) return; // the client left while this read was in flight
          console.error(`[runproof] events for ${id} failed:`, e);
          send('error', { message: 'the server could not read this run; retrying' });
        }
      };
      // The next read is set after this one ended: a slow database never has two reads of one stream at once.
      const loop = async () => {
        timer = null;
        await tick();
        if (!closed) timer = setTimeout(() => void loop(), TICK_MS);
      };
      controller.enqueue(enc.encode('retry: 1000\n\n'));
      void loop();
    },
    cancel() {
      closed = true;
      slot.release();
      if (timer) clearTimeout(timer);
      timer = null;
    },
  });
  return new Response(stream, {
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
  });
});
