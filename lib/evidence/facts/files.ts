/**
 * The bundle's files as the analysis receives them, and what can be told from
 * a path alone (role, initiative/phase/timestamp). Pure: callers read the files.
 */
import type { LogTail } from '../../lightning/logs';
import type { Evidence, FileRole, LaunchFacts, RunStatus } from '../types';
import { LOG_PARSE_CHARS } from '../caps';

export interface InputFile {
  /** Path relative to the bundle root, `/`-separated. */
  path: string;
  sizeBytes: number;
  /** Text content; null for binary or unread files (checkpoints). For a log read as head and tail: the head. */
  text: string | null;
  /**
   * A log too big to read whole: `text` holds its head and this its end,
   * from line `firstLine` (the reader counts the line feeds it skips);
   * `sizeBytes` is still the whole file's. The analysis parses at most
   * LOG_PARSE_CHARS of a log either way (lib/evidence/caps.ts).
   */
  tail?: LogTail | null;
  /** Raw bytes of a binary file the analysis reads (TensorBoard events files); absent for the rest. */
  bytes?: Uint8Array | null;
}

export interface AnalyseOptions {
  /** Display root of the bundle (folder path). */
  root: string;
  /** The log of this run when the folder holds several. */
  logFile?: string | null;
  /** The command line that was asked for (launch form or brief). */
  requested?: { text: string; source: string } | null;
  /** Launched runs: what the worker knows for certain. */
  launch?: { exitCode: number | null; signal: string | null; cleanedUp: boolean | null; status?: RunStatus; facts?: LaunchFacts; wallS?: number | null } | null;
  /** Title to use instead of one derived from the bundle path (launched runs). */
  title?: string;
}

function countBreaks(text: string, from: number, to: number, sep: string): number {
  let n = 0;
  for (let i = text.indexOf(sep, from); i >= 0 && i < to; i = text.indexOf(sep, i + 1)) n++;
  return n;
}

/** Start of the first whole line at or after `from` (`from` itself when none starts later). */
function lineStartFrom(text: string, from: number, sep: string): number {
  if (from <= 0 || text[from - 1] === sep) return Math.max(0, from);
  const i = text.indexOf(sep, from);
  return i < 0 || i + 1 >= text.length ? from : i + 1;
}

/** End (past the line break) of the last whole line before `to` (`to` itself when none ends earlier). */
function lineEndBefore(text: string, to: number, sep: string): number {
  const i = text.lastIndexOf(sep, to - 1);
  return i < 0 ? to : i + 1;
}

export interface LogParseView {
  head: string;
  tail: LogTail | null;
  /** Lines not parsed (1-based, inclusive), when the log was bigger than the cap. */
  skipped: { fromLine: number; toLine: number } | null;
}

/**
 * What of a log is parsed: all of it up to `cap` characters, else the first
 * and the last `cap / 2`, each cut at a line break, with the line numbers of
 * both parts kept. A caller that read only the head and tail of a file passes
 * the tail (with its first line number); a caller that read it whole passes
 * only the text.
 */
export function logParseView(text: string, tail: LogTail | null | undefined, cap = LOG_PARSE_CHARS): LogParseView {
  const sep = text.indexOf('\n') < 0 && text.indexOf('\r') >= 0 ? '\r' : '\n';
  const half = Math.floor(cap / 2);
  if (!tail && text.length <= cap) return { head: text, tail: null, skipped: null };
  let head = text;
  let rest: LogTail;
  if (tail) {
    if (head.length > half) head = head.slice(0, lineEndBefore(head, half, sep));
    const t = tail.text;
    const start = t.length > half ? lineStartFrom(t, t.length - half, sep) : 0;
    rest = start ? { text: t.slice(start), firstLine: tail.firstLine + countBreaks(t, 0, start, sep) } : tail;
  } else {
    const headEnd = lineEndBefore(text, half, sep);
    const tailStart = Math.max(headEnd, lineStartFrom(text, text.length - half, sep));
    head = text.slice(0, headEnd);
    rest = { text: text.slice(tailStart), firstLine: 1 + countBreaks(text, 0, tailStart, sep) };
  }
  const headLines = countBreaks(head, 0, head.length, sep) + (head.length && !head.endsWith(sep) ? 1 : 0);
  const skipped = rest.firstLine > headLines + 1 ? { fromLine: headLines + 1, toLine: rest.firstLine - 1 } : null;
  return { head, tail: rest, skipped };
}

export function classifyFile(path: string): FileRole {
  const name = path.split('/').pop()!.toLowerCase();
  if (name.endsWith('.ckpt')) return 'checkpoint';
  if (name === 'metrics.csv') return 'metrics';
  if (name.startsWith('events.out.tfevents.')) return 'tfevents';
  if (name === 'hparams.yaml') return 'hparams';
  if (name === 'evidence.json') return 'evidence';
  if (name === 'command.txt') return 'command';
  if (name.endsWith('.log')) return 'log';
  if (/checkpoints?_ls\.txt$|^ls_checkpoints|checkpoint.*listing/.test(name)) return 'checkpoint-listing';
  if (/tree\.txt$/.test(name)) return 'tree';
  if (/(^|_)summary\.md$|^readme\.md$/.test(name)) return 'summary';
  return 'other';
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d{6}Z$/;

export function describeBundlePath(root: string): Evidence['bundle'] & { title: string } {
  const parts = root.split('/').filter(Boolean);
  const active = parts.lastIndexOf('active');
  const plansIdx = parts.lastIndexOf('plans');
  const initiative = active >= 0 ? (parts[active + 1] ?? null) : plansIdx >= 0 ? (parts[plansIdx + 1] ?? null) : null;
  const stamps = parts.filter((p) => TIMESTAMP.test(p));
  const reports = parts.lastIndexOf('reports');
  let phase: string | null = null;
  if (reports >= 0) phase = parts.slice(reports + 1).find((p) => !TIMESTAMP.test(p)) ?? null;
  const tail = reports >= 0 ? parts.slice(reports + 1) : parts.slice(-3);
  return { root, log: null, initiative, phase, timestamp: stamps.length ? stamps[stamps.length - 1] : null, title: tail.join('/') || root };
}

/** `2025-10-24T061500Z` → epoch ms. */
export function timestampToMs(ts: string | null): number | null {
  if (!ts) return null;
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(ts);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : null;
}
