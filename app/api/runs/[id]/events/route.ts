/**
 * GET /api/runs/<id>/events — server-sent events while a launched run is live:
 * `state` (status and progress), `evidence` (the document so far, once),
 * then `evidence-patch` (JSON Patch operations from the document last sent
 * to the new one, when it changes), `points` (only the metric points the
 * page has not got), `log` (appended log text), then `end` once the run is
 * final. The database is polled every 150 ms; the worker writes each
 * metrics.csv row there within milliseconds of it landing, so a point
 * reaches the page well inside 1 s. Streams are capped per client and in all
 * (server/sse-slots.ts): beyond that, a 429 with Retry-After.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isTerminal } from '@/db/queries/launches';
import { live, loadRun } from '@/app/_lib/data';
import { HttpError, noRun, route } from '@/app/_lib/api';
import { diffJson, type Json } from '@/lib/evidence/json-patch';
import { parseJsonText } from '@/lib/json-text';
import { formatLiveEvent, type LiveEventName, type LiveEvents } from '@/lib/live/events';
import { streamClientOf, takeStreamSlot } from '@/server/sse-slots';

export const dynamic = 'force-dynamic';

const TICK_MS = 150;
const LOG_FIRST_BYTES = 64 * 1024;
const LOG_MAX_CHUNK = 256 * 1024;
const KEEPALIVE_MS = 15_000;

export const GET = route<{ id: string }>("opening a run's events", (req, { id }) => {
  const run = loadRun(id);
  if (!run) throw noRun(id);
  const slot = takeStreamSlot(streamClientOf(req.headers));
  if (!slot.ok) throw new HttpError(429, slot.message, { 'Retry-After': String(slot.retryAfterS) });
  const logPath = path.join(run.bundleDir, 'train.log');
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
        if (timer) clearInterval(timer);
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
      let logOffset = -1;
      let lastSent = Date.now();
      const after: Record<string, number> = {};
      // Whether any worker will pick a queued run up (asked every 2 s while queued, not on every tick).
      let workers = -1;
      let workersAt = 0;

      const tick = () => {
        if (closed) return;
        try {
          const st = live.state(id);
          if (!st) {
            send('end', { status: 'unknown', reason: 'not a launched run' });
            return close();
          }
          // A run whose worker died is settled by the sweep on `runproof serve`'s timer (or a worker's), not
          // here: the stream only reads, and sends the final status on the tick after the sweep wrote it.
          let workersChanged = false;
          if (st.status === 'queued' && Date.now() - workersAt > 2000) {
            workersAt = Date.now();
            const n = live.workers();
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
            const row = live.evidenceJson(id);
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
          const pts = seqChanged ? live.points(id, after) : [];
          if (pts.length) {
            for (const p of pts) after[p.metric] = p.total;
            send('points', pts);
          }
          // The log: on connect the last 64 KB, then whatever was appended.
          try {
            const size = fs.statSync(logPath).size;
            let skipToLine = false;
            if (logOffset < 0) {
              logOffset = Math.max(0, size - LOG_FIRST_BYTES);
              skipToLine = logOffset > 0; // started mid-file: begin at the next whole line
            }
            if (size > logOffset) {
              const n = Math.min(size - logOffset, LOG_MAX_CHUNK);
              const buf = Buffer.alloc(n);
              const fd = fs.openSync(logPath, 'r');
              try {
                fs.readSync(fd, buf, 0, n, logOffset);
              } finally {
                fs.closeSync(fd);
              }
              let start = 0;
              if (skipToLine) {
                const first = buf.indexOf(10);
                start = first >= 0 ? first + 1 : 0;
              }
              // Whole lines only, so a line is never split across events; but a full chunk with no newline at
              // all (a progress bar redrawn with \r) is sent anyway, cut before any partial UTF-8 character.
              let end = buf.lastIndexOf(10) + 1;
              if (end <= start && n === LOG_MAX_CHUNK) {
                end = n;
                while (end > start && (buf[end - 1] & 0xc0) === 0x80) end--;
                if (end > start && buf[end - 1] >= 0xc0) end--;
              }
              if (end > start) {
                send('log', { from: logOffset + start, to: logOffset + end, text: buf.subarray(start, end).toString('utf8') });
                logOffset += end;
              } else if (start > 0) logOffset += start;
            }
          } catch {
            /* no log yet */
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
          console.error(`[runproof] events for ${id} failed:`, e);
          send('error', { message: 'the server could not read this run; retrying' });
        }
      };
      controller.enqueue(enc.encode('retry: 1000\n\n'));
      tick();
      timer = setInterval(tick, TICK_MS);
    },
    cancel() {
      closed = true;
      slot.release();
      if (timer) clearInterval(timer);
    },
  });
  return new Response(stream, {
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
  });
});
