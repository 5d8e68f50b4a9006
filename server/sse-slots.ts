/**
 * How many live-run event streams (/api/runs/<id>/events) this server holds
 * open at once: at most 8 per client and 200 in all. Each stream polls the
 * database every 150 ms and keeps a socket, so a page reloaded in a loop, or
 * a script opening streams, must not be able to starve the server or the
 * other users. A client is the socket peer (or the client a trusted proxy
 * names) as `runproof serve`'s listener decided it; a server started some
 * other way cannot tell clients apart, so there only the total applies.
 */
import { throttleKeyFor, viewFromHeaders } from './auth';

export const SSE_PER_CLIENT = 8;
export const SSE_TOTAL = 200;
/** What a refused client is told to wait before trying again. */
export const SSE_RETRY_AFTER_S = 5;

interface Slots {
  total: number;
  byClient: Map<string, number>;
}

// One count per process, kept across hot reloads (a route module may be loaded again; the streams it opened are not).
const g = globalThis as unknown as { __runproofSseSlots?: Slots };
const slots = (g.__runproofSseSlots ??= { total: 0, byClient: new Map() });

export type SlotResult = { ok: true; release: () => void } | { ok: false; message: string; retryAfterS: number };

/**
 * Take a stream slot for `client` (null: a client we cannot tell apart from
 * others, counted in the total only). `release` gives it back; calling it
 * twice gives back one slot.
 */
export function takeStreamSlot(client: string | null, limits: { perClient: number; total: number } = { perClient: SSE_PER_CLIENT, total: SSE_TOTAL }): SlotResult {
  const mine = client === null ? 0 : (slots.byClient.get(client) ?? 0);
  if (client !== null && mine >= limits.perClient)
    return {
      ok: false,
      message: `Too many live views open from your address (${limits.perClient} at most); close some tabs, or this one retries in ${SSE_RETRY_AFTER_S} s.`,
      retryAfterS: SSE_RETRY_AFTER_S,
    };
  if (slots.total >= limits.total) return { ok: false, message: `The server holds ${limits.total} live views already; this one retries in ${SSE_RETRY_AFTER_S} s.`, retryAfterS: SSE_RETRY_AFTER_S };
  slots.total++;
  if (client !== null) slots.byClient.set(client, mine + 1);
  let released = false;
  return {
    ok: true,
    release: () => {
      if (released) return;
      released = true;
      slots.total--;
      if (client === null) return;
      const n = (slots.byClient.get(client) ?? 1) - 1;
      if (n > 0) slots.byClient.set(client, n);
      else slots.byClient.delete(client);
    },
  };
}

/** Streams open now, in all and for one client (tests, diagnostics). */
export function openStreams(client?: string | null): number {
  return client === undefined || client === null ? slots.total : (slots.byClient.get(client) ?? 0);
}

/** The key a request's streams are counted under: its client as the listener decided, or null when there is no listener to ask. */
export function streamClientOf(headers: Headers): string | null {
  const view = viewFromHeaders((n) => headers.get(n));
  return view ? throttleKeyFor(view.client) : null;
}
