/**
 * The live view's data, declared once for every side that handles it: the
 * worker writes `LiveProgress` to `launches.live_json` (workers/live-follow.ts), the
 * events route streams `LiveEvents` as server-sent events
 * (app/api/runs/[id]/events/route.ts), the page follows them
 * (app/runs/[id]/live-run.tsx) and `runproof launch --wait` prints the progress
 * (cli/main.ts). Pure.
 */
import type { Evidence, RunStatus } from '../evidence/types';
import type { PatchOp } from '../evidence/json-patch';

/** A launched run's progress while it is live, as the worker last stored it. */
export interface LiveProgress {
  epochsDone: number;
  maxEpochs: number | null;
  step: number | null;
  last: Record<string, number | null>;
  /** The first and last LIVE_CHECKPOINTS / 2 files found (the page's list stays small however many there are)… */
  checkpoints: Array<{ name: string; sizeBytes: number }>;
  /** …of this many. */
  checkpointCount: number;
  logBytes: number;
  stopping: 'cancel' | 'timeout' | null;
}

/** What `launches.live_json` holds: `{}` until the worker's first write, then a whole `LiveProgress`. */
export type StoredLiveProgress = Partial<LiveProgress>;

/** `state`: the status and progress, sent whenever either changes. */
export interface LiveStateEvent {
  status: RunStatus;
  live: StoredLiveProgress;
  cancelRequested: boolean;
  processStartedAt: number | null;
  queuedAt: number;
  timeoutMs: number;
  /** Live workers, asked while queued (-1: not asked). */
  workers: number;
  /** The server's clock, so the page's elapsed time does not depend on the browser's. */
  now: number;
}

/** One metric's points the page has not got yet: they replace what it holds from index `from` on. */
export interface LivePointsChunk {
  metric: string;
  from: number;
  /** Points stored for the metric in all. */
  total: number;
  steps: number[];
  values: Array<number | null>;
}

/**
 * The log's lines since the last event, whole, each ending in a newline: on
 * connect the last LIVE_LOG_TAIL_LINES, then the new ones. `from` is the
 * first line's number in the log (from 0), `to` one past the last's; a `from`
 * below the `to` last received means the stream started over.
 */
export interface LiveLogChunk {
  from: number;
  to: number;
  text: string;
}

/** Every event of GET /api/runs/<id>/events, by name, with its data. */
export interface LiveEvents {
  state: LiveStateEvent;
  /** The evidence document whole, once per stream… */
  evidence: Evidence;
  /** …then only what changed (JSON Patch operations from the document last sent). */
  'evidence-patch': PatchOp[];
  points: LivePointsChunk[];
  log: LiveLogChunk;
  /** The run is final (or not a launched run: status `unknown`, with the reason); the stream closes. */
  end: { status: RunStatus; reason?: string };
  /** The server could not read the run this tick; it tries again. */
  error: { message: string };
}

export type LiveEventName = keyof LiveEvents;

/** One event as the stream carries it. */
export function formatLiveEvent<E extends LiveEventName>(event: E, data: LiveEvents[E]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** An event's data as the client receives it (`MessageEvent.data`). */
export function parseLiveEvent<E extends LiveEventName>(_event: E, data: string): LiveEvents[E] {
  return JSON.parse(data) as LiveEvents[E];
}
