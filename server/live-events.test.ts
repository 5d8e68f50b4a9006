/**
 * The live-run event stream (/api/runs/<id>/events), called as Next calls
 * it, against a real database (SQLite, and PostgreSQL when
 * RUNPROOF_TEST_DATABASE_URL is set): the evidence once, then only its changes;
 * streams capped per client (as `runproof serve`'s listener names it) with a
 * 429 and a retry hint, and slots given back when a stream closes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { analyseBundle } from '../lib/evidence/analyse';
import { applyPatch, type Json, type PatchOp } from '../lib/evidence/json-patch';
import type { Evidence } from '../lib/evidence/types';
import { claimNextRun, updateLiveEvidence } from '../db/queries/launches';
import { enqueueTestRun } from '../db/queries/testing';
import { readBundleFiles, RUNTIME_SMOKE } from '../fixtures/test-helpers';
import { makeTestEnv, type TestEnv } from '../workers/testing';
import { installListenerToken, VIEW_HEADERS } from './auth';
import { openStreams, SSE_PER_CLIENT } from './sse-slots';
import { GET } from '../app/api/runs/[id]/events/route';

let env: TestEnv | null = null;
afterEach(async () => {
  await env?.cleanup();
  env = null;
});

/** A launched run, claimed by a pretend worker (whose token lets the test write live evidence). */
async function liveRun(t: TestEnv): Promise<{ id: string; token: string; full: Evidence }> {
  const full = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE });
  const queued = analyseBundle([], { root: '/b/live', title: 'live', launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
  await enqueueTestRun(t.db, 'live1', Date.now(), { title: 'live', bundleDir: `${t.dir}/bundles/live1`, outputDir: `${t.dir}/work/live1`, timeoutMs: 60_000, evidence: queued });
  expect(await claimNextRun({ db: t.db, workerId: 'w', token: 'tok', leaseMs: 60_000 })).toBe('live1');
  return { id: 'live1', token: 'tok', full };
}

/** Headers as the listener sets them for a request from `client`. */
function fromClient(client: string): Record<string, string> {
  return {
    [VIEW_HEADERS.token]: installListenerToken(),
    [VIEW_HEADERS.peer]: client,
    [VIEW_HEADERS.client]: encodeURIComponent(client),
    [VIEW_HEADERS.local]: '0',
    [VIEW_HEADERS.reason]: 'test',
    [VIEW_HEADERS.viaProxy]: '0',
  };
}

function open(id: string, headers: Record<string, string> = {}) {
  const ctl = new AbortController();
  const res = GET(new Request(`http://127.0.0.1/api/runs/${id}/events`, { headers, signal: ctl.signal }), { params: Promise.resolve({ id }) });
  return { res, close: () => ctl.abort() };
}

/** Events off a stream, read as far as a test asks. */
class EventReader {
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private dec = new TextDecoder();
  private buf = '';
  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }
  /** Events read until `until` holds for them (the ones read in this call). */
  async until(until: (events: Array<{ event: string; data: unknown }>) => boolean, timeoutMs = 10_000) {
    const events: Array<{ event: string; data: unknown }> = [];
    const deadline = Date.now() + timeoutMs;
    while (!until(events)) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${events.map((e) => e.event).join(', ')}`);
      const { value, done } = await this.reader.read();
      if (done) break;
      this.buf += this.dec.decode(value, { stream: true });
      let at: number;
      while ((at = this.buf.indexOf('\n\n')) >= 0) {
        const block = this.buf.slice(0, at);
        this.buf = this.buf.slice(at + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
    return events;
  }
}

describe.each(backends())('the live event stream (%s)', (backend: Dialect) => {
  it('sends the evidence whole once, then only what changed', async () => {
    env = await makeTestEnv({}, backend);
    const { id, token, full } = await liveRun(env);
    const partial: Evidence = { ...full, status: 'running', epochs: full.epochs.slice(0, 4) };
    expect(await updateLiveEvidence({ db: env.db, runId: id, token, evidence: partial, live: { epochsDone: 4 } })).toBe(true);
    const s = open(id);
    const res = await s.res;
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const stream = new EventReader(res);
    const first = await stream.until((ev) => ev.some((e) => e.event === 'evidence'));
    const doc = first.find((e) => e.event === 'evidence')!.data as Evidence;
    expect(doc.epochs).toHaveLength(4);

    // One more epoch: a patch carrying that epoch, not the document.
    await new Promise((r) => setTimeout(r, 5));
    const next: Evidence = { ...partial, epochs: full.epochs.slice(0, 5) };
    expect(await updateLiveEvidence({ db: env.db, runId: id, token, evidence: next, live: { epochsDone: 5 } })).toBe(true);
    const got = await stream.until((ev) => ev.some((e) => e.event === 'evidence-patch'));
    expect(got.some((e) => e.event === 'evidence')).toBe(false);
    const ops = got.find((e) => e.event === 'evidence-patch')!.data as PatchOp[];
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['add /epochs/-']);
    expect(JSON.stringify(ops).length).toBeLessThan(JSON.stringify(next).length / 5);
    expect(applyPatch(doc as unknown as Json, ops)).toEqual(JSON.parse(JSON.stringify(next)));
    s.close();
  });

  it(`refuses a client's ${SSE_PER_CLIENT + 1}th stream with 429 and Retry-After, serves other clients, and frees slots on close`, async () => {
    env = await makeTestEnv({}, backend);
    const { id } = await liveRun(env);
    const before = openStreams();
    const mine = await Promise.all(Array.from({ length: SSE_PER_CLIENT }, () => open(id, fromClient('203.0.113.9'))).map(async (s) => ({ ...s, res: await s.res })));
    expect(mine.every((s) => s.res.status === 200)).toBe(true);
    const extra = await open(id, fromClient('203.0.113.9')).res;
    expect(extra.status).toBe(429);
    expect(extra.headers.get('retry-after')).toBe('5');
    expect((await extra.json()).error).toMatch(/Too many live views open from your address \(8 at most\)/);
    // Another address is not held back by this one.
    const other = open(id, fromClient('198.51.100.4'));
    expect((await other.res).status).toBe(200);
    other.close();
    // A forged client header without the listener's token counts as no client at all (the total applies), not as a new address.
    const forged = open(id, { ...fromClient('192.0.2.77'), [VIEW_HEADERS.token]: 'forged' });
    expect((await forged.res).status).toBe(200);
    forged.close();
    for (const s of mine) s.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(openStreams()).toBe(before);
    const again = open(id, fromClient('203.0.113.9'));
    expect((await again.res).status).toBe(200);
    again.close();
  });
});
