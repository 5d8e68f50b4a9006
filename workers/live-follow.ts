/**
 * Following a run while it goes: metrics.csv is tailed into points, the log
 * into its complete lines (the page's live log: every web server reads them
 * from the database, none reads this disk), the checkpoint folder and the
 * log's size into the live progress, and the evidence is re-analysed now and
 * then, all published through a LiveStore so the page shows the run within a
 * second of the trainer writing. Watches on metrics.csv and the log wake it
 * per write; a poll finds metrics.csv, sees checkpoints come and go, and
 * re-arms the watches.
 */
import fs from 'node:fs';
import type { Launch, Run } from '../db/schema';
import type { LivePoints } from '../db/queries/launches';
import type { InputFile } from '../lib/evidence/analyse';
import { keepEnds } from '../lib/evidence/caps';
import type { Evidence, LaunchFacts } from '../lib/evidence/types';
import { formatLsListing } from '../lib/lightning/checkpoints';
import { MetricsCsvAccumulator } from '../lib/lightning/metrics-csv';
import { parseJsonText } from '../lib/json-text';
import type { LiveProgress } from '../lib/live/events';
import { LIVE_LOG_KEEP_BYTES, LIVE_LOG_KEEP_LINES, LiveLogSplitter, type LiveLogLine } from '../lib/live/log-lines';
import { LOG_PART_BYTES, LOG_WHOLE_BYTES, readHeadTail } from '../server/bundles';
import { analyseLaunched, LOG_NAME } from './launch-evidence';
import { findMetricsCsv, listCheckpoints, type CheckpointEntry } from './outputs';
import { FileTail } from './tail';

/** Checkpoint files the live page lists while a run goes (the first and last half of this many). */
const LIVE_CHECKPOINTS = 200;

export type { LiveProgress };

/**
 * Where a running run's progress goes: writes fenced by the run's lease token
 * (db/queries/launches.ts appendLivePoints and updateLiveEvidence,
 * db/queries/live-log.ts appendLiveLog).
 * Each answers false once the run is no longer this worker's, and `held`
 * says so from then on: nothing more is published. The follower makes one
 * write at a time, in the order the run wrote (its looks are queued), so a
 * log line or a point never overtakes an earlier one.
 */
export interface LiveStore {
  held(): boolean;
  appendPoints(points: LivePoints[], live: LiveProgress): Promise<boolean>;
  storeEvidence(evidence: Evidence, live: LiveProgress): Promise<boolean>;
  /** New complete log lines, numbered from 0 by the order they were written. */
  appendLog(lines: LiveLogLine[]): Promise<boolean>;
}

export interface FollowInput {
  run: Run;
  launch: Launch;
  /** The bundle's log the child writes to. */
  logPath: string;
  /** When the process started (the live evidence's wall time counts from it). */
  startedAt: number;
  /** The launch facts as known now (the git commit arrives while the run goes). */
  facts: () => LaunchFacts;
  store: LiveStore;
  /** How often the output folder is polled when no file event arrives. */
  pollMs: number;
  say: (msg: string) => void;
}

export interface LiveFollow {
  readonly live: LiveProgress;
  /**
   * One look (`scan`: also walk the output folder for checkpoints), after the
   * looks already asked for: they run one at a time, so the run's writes stay
   * in order. Resolves when it and its writes are done; errors are logged,
   * not thrown.
   */
  tick(scan: boolean): Promise<void>;
  /** Stop the poll and the watch (a final `tick` still reads what the run left). */
  close(): void;
}

/**
 * The log as the live view analyses it: whole up to the parse cap, else its
 * head and tail as the importer reads them (server/bundles.ts), so a trainer
 * that prints gigabytes costs each re-analysis a newline scan, not the log in
 * memory.
 */
function readLiveLog(file: string): InputFile {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= LOG_WHOLE_BYTES) return { path: LOG_NAME, sizeBytes: size, text: fs.readFileSync(fd, 'utf8') };
    const cut = readHeadTail(fd, size, LOG_PART_BYTES);
    return { path: LOG_NAME, sizeBytes: size, text: cut.head.toString('utf8'), tail: { text: cut.tail.toString('utf8'), firstLine: cut.tailFirstLine } };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The log's new complete lines since the last read. The file is opened once
 * and read through that descriptor, as the child writes through its own: a
 * log moved or deleted mid-run is still followed. More than the database
 * keeps of a run appended between two reads is skipped, not read: the lines
 * start again at the next newline after the skip.
 */
class LogLines {
  private fd: number | null = null;
  private offset = 0;
  private decoder = new TextDecoder('utf-8');
  private readonly split = new LiveLogSplitter();

  constructor(private readonly file: string) {}

  read(): LiveLogLine[] {
    if (this.fd === null)
      try {
        this.fd = fs.openSync(this.file, 'r');
      } catch {
        return [];
      }
    const size = fs.fstatSync(this.fd).size;
    if (size < this.offset || size - this.offset > LIVE_LOG_KEEP_BYTES) {
      // Truncated under us (the job only appends; read on from its new end), or too much to be worth reading.
      this.offset = size < this.offset ? size : size - LIVE_LOG_KEEP_BYTES;
      this.split.skipped();
      this.decoder = new TextDecoder('utf-8');
    }
    if (size === this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const got = fs.readSync(this.fd, buf, 0, buf.length, this.offset);
    this.offset += got;
    // stream: a character split across two reads waits for its last bytes.
    return this.split.push(this.decoder.decode(buf.subarray(0, got), { stream: true }));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Start following a started run; the poll begins at once. */
export function followLive(input: FollowInput): LiveFollow {
  const { run, launch, logPath, startedAt, store, say } = input;
  const runId = run.id;
  const acc = new MetricsCsvAccumulator();
  let tail: FileTail | null = null;
  const stored = new Map<string, number>();
  const maxEpochs = Number(parseJsonText(launch.paramsJson).max_epochs) || null;
  const live: LiveProgress = { epochsDone: 0, maxEpochs, step: null, last: {}, checkpoints: [], checkpointCount: 0, logBytes: 0, stopping: null };
  let lastCkptKey = '';
  let lastEvidenceAt = 0;
  /** Something changed since the evidence was last stored. */
  let unstored = false;
  let lastEpochs = 0;
  const logLines = new LogLines(logPath);
  /** close() was called: a tick after it lets the log go again. */
  let closing = false;
  /** Lines read but not yet stored (a write that failed is retried with the next ones). */
  let pendingLog: LiveLogLine[] = [];

  let ckpts: CheckpointEntry[] = [];
  const reanalyse = () => {
    const files: InputFile[] = [];
    try {
      files.push(readLiveLog(logPath));
    } catch {
      /* not yet */
    }
    if (tail)
      try {
        files.push({ path: 'metrics.csv', sizeBytes: fs.statSync(tail.file).size, text: fs.readFileSync(tail.file, 'utf8') });
      } catch {
        /* rewritten under us */
      }
    const listing = formatLsListing(ckpts);
    files.push({ path: 'checkpoints_ls.txt', sizeBytes: listing.length, text: listing });
    return analyseLaunched(files, run, input.facts(), { status: 'running', exitCode: null, signal: null, cleanedUp: null, wallS: (Date.now() - startedAt) / 1000, logFile: LOG_NAME }).evidence;
  };

  /** `scan`: also walk the output folder for checkpoints (on the poll; a metrics.csv write only needs the tail read). */
  const tick = async (scan: boolean) => {
    try {
      await look(scan);
    } finally {
      if (closing || !store.held()) logLines.close();
    }
  };

  const look = async (scan: boolean) => {
    if (!store.held()) return;
    let changed = false;
    if (!tail) {
      const m = findMetricsCsv(launch.outputDir);
      if (m) tail = new FileTail(m);
    }
    const points: LivePoints[] = [];
    const lengths = new Map<string, number>();
    if (tail) {
      const chunk = tail.read();
      if (chunk.reset) acc.reset();
      if (chunk.text) acc.push(chunk.text);
      if (chunk.text || chunk.reset) {
        const parsed = acc.result();
        for (const s of parsed.series) {
          const have = stored.get(s.metric) ?? 0;
          lengths.set(s.metric, s.length);
          if (s.length < have) {
            points.push({ metric: s.metric, from: 0, steps: s.steps.subarray(0, s.length), epochs: s.epochs.subarray(0, s.length), values: s.values.subarray(0, s.length), replace: true });
          } else if (s.length > have) {
            points.push({ metric: s.metric, from: have, steps: s.steps.subarray(have, s.length), epochs: s.epochs.subarray(have, s.length), values: s.values.subarray(have, s.length) });
          }
          if (s.length) live.last[s.metric] = Number.isFinite(s.values[s.length - 1]) ? s.values[s.length - 1] : null;
        }
        live.epochsDone = parsed.epochs.length;
        const lastStep = parsed.series.reduce((mx, s) => (s.length ? Math.max(mx, s.steps[s.length - 1]) : mx), -1);
        live.step = lastStep >= 0 ? lastStep : null;
        if (points.length) changed = true;
      }
    }
    if (scan) {
      ckpts = listCheckpoints(launch.outputDir);
      const ckKey = ckpts.map((c) => `${c.name}:${c.sizeBytes}`).join('|');
      if (ckKey !== lastCkptKey) {
        lastCkptKey = ckKey;
        live.checkpoints = keepEnds(ckpts, LIVE_CHECKPOINTS).kept.map((c) => ({ name: c.name, sizeBytes: c.sizeBytes }));
        live.checkpointCount = ckpts.length;
        changed = true;
      }
    }
    try {
      const size = fs.statSync(logPath).size;
      if (size !== live.logBytes) {
        live.logBytes = size;
        changed = true;
      }
    } catch {
      /* log removed? keep going */
    }

    if (points.length) {
      // Only what was committed counts as stored: a failed write is retried from the same index next tick.
      if (await store.appendPoints(points, live)) for (const [m, n] of lengths) stored.set(m, n);
    }
    const newLines = logLines.read();
    if (newLines.length) pendingLog = pendingLog.concat(newLines).slice(-LIVE_LOG_KEEP_LINES);
    if (pendingLog.length && store.held()) {
      const batch = pendingLog;
      pendingLog = [];
      try {
        if (!(await store.appendLog(batch))) return;
      } catch (e) {
        pendingLog = batch.concat(pendingLog).slice(-LIVE_LOG_KEEP_LINES);
        throw e;
      }
    }
    // The evidence (epoch table, best epoch, checkpoints vs replay) is recomputed per epoch and at most once a
    // second otherwise; it re-reads the log and metrics.csv, so big files space it out (1 s more per MB). The look
    // after close stores what is left unstored whatever the spacing: a run settled without its archive shows it.
    if (changed) unstored = true;
    const now = Date.now();
    const gap = 1000 + live.logBytes / 1000;
    if (store.held() && unstored && (closing || (live.epochsDone !== lastEpochs && now - lastEvidenceAt > gap / 4) || now - lastEvidenceAt > gap)) {
      lastEpochs = live.epochsDone;
      lastEvidenceAt = now;
      unstored = false;
      await store.storeEvidence(reanalyse(), live);
    }
  };

  let watcher: fs.FSWatcher | null = null;
  let logWatcher: fs.FSWatcher | null = null;
  let pending = false;
  let lastTickAt = 0;
  // File events come per write (one per metrics row, many per log line); coalesce them to at most one tick per
  // 50 ms so following a run costs the trainer next to nothing, at a latency far below the 1 s goal.
  const soon = () => {
    if (pending) return;
    pending = true;
    setTimeout(
      () => {
        pending = false;
        // After close only the caller's last look runs: a file event's look must not write while the run settles.
        if (closing) return;
        lastTickAt = Date.now();
        void safeTick(false);
      },
      Math.max(0, lastTickAt + 50 - Date.now()),
    );
  };
  // The looks, one after another: a look asked for while one runs waits for it (and takes in any others asked
  // for meanwhile), so the writes of one run reach the database in the order the run wrote.
  let chain: Promise<void> = Promise.resolve();
  let waiting: { scan: boolean; done: Promise<void> } | null = null;
  const safeTick = (scan: boolean): Promise<void> => {
    if (waiting) {
      waiting.scan ||= scan;
      return waiting.done;
    }
    const next: { scan: boolean; done: Promise<void> } = { scan, done: Promise.resolve() };
    next.done = chain.then(async () => {
      if (waiting === next) waiting = null;
      try {
        await tick(next.scan);
      } catch (e) {
        say(`run ${runId}: live update failed: ${(e as Error).message}`);
      }
    });
    waiting = next;
    chain = next.done;
    return next.done;
  };
  // Only metrics.csv and the log are watched (a recursive watch of the whole output folder costs the trainer CPU
  // on every write); the poll finds metrics.csv, sees checkpoints come and go, and re-arms a watch whose file was
  // replaced.
  const watchFile = (file: string, drop: () => void): fs.FSWatcher | null => {
    try {
      const w = fs.watch(file, soon);
      w.on('error', () => {
        w.close();
        drop();
      });
      return w;
    } catch {
      return null; // not there (yet, or any more): the poll carries on
    }
  };
  const watchFiles = () => {
    if (!watcher && tail) watcher = watchFile(tail.file, () => (watcher = null));
    if (!logWatcher) logWatcher = watchFile(logPath, () => (logWatcher = null));
  };
  watchFiles();
  const poll = setInterval(() => {
    void safeTick(true);
    watchFiles();
  }, input.pollMs);

  return {
    live,
    tick: safeTick,
    close: () => {
      closing = true;
      clearInterval(poll);
      (watcher as fs.FSWatcher | null)?.close();
      (logWatcher as fs.FSWatcher | null)?.close();
      // A final tick opens the log again by its path for what the run left, and lets it go after.
      logLines.close();
    },
  };
}
