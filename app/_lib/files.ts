/**
 * Reading bundle files for display. Callers pass the descriptor
 * `openBundleFile` opened (or a path `resolveBundleFile` accepted, or the
 * byte source of a file stored in the database that `openRunFile` found);
 * nothing here resolves paths itself. A descriptor passed in is left open.
 */
import fs from 'node:fs';
import { BINARY_EXT } from '@/server/bundles';
import { fdSource, type ByteSource } from '@/server/stored-files';

const SNIFF_BYTES = 8192;
const TEXT_EXT = /\.(log|txt|md|csv|tsv|json|jsonl|ya?ml|toml|ini|cfg|conf|py|sh|out|err|xml|html?)$/i;

/** What a reader reads: a path, an open descriptor, or a byte source (a file stored in the database, server/stored-files.ts). */
export type FileInput = string | number | ByteSource;

/** A byte source for `file`, and what to call when done (closes only a descriptor this call opened). */
function use(file: FileInput): { src: ByteSource; done: () => void } {
  if (typeof file === 'object') return { src: file, done: () => {} };
  if (typeof file === 'number') return { src: fdSource(file), done: () => {} };
  const fd = fs.openSync(file, 'r');
  try {
    return { src: fdSource(fd), done: () => fs.closeSync(fd) };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/**
 * Text when the extension of `name` says so, or when the first 8 KiB of the
 * file (a path, or an open descriptor) hold no NUL byte and decode as UTF-8.
 */
export async function isTextFile(name: string, file: FileInput = name): Promise<boolean> {
  if (BINARY_EXT.test(name)) return false;
  if (TEXT_EXT.test(name)) return true;
  let done: (() => void) | null = null;
  try {
    const u = use(file);
    done = u.done;
    const head = await u.src.read(0, SNIFF_BYTES);
    const n = head.length;
    if (head.includes(0)) return false;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, n - 4)));
      return true;
    } catch {
      return false;
    }
  } catch {
    return false;
  } finally {
    done?.();
  }
}

export async function readHead(file: FileInput, maxBytes: number): Promise<{ text: string; truncated: boolean; sizeBytes: number }> {
  const { src, done } = use(file);
  try {
    const size = src.size;
    const len = Math.min(size, maxBytes);
    return { text: (await src.read(0, len)).toString('utf8'), truncated: size > len, sizeBytes: size };
  } finally {
    done();
  }
}

/** Splits text into lines; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface LogTail {
  lines: string[];
  /** 1-based number of lines[0] in the whole file. */
  firstLine: number;
  totalLines: number;
  truncated: boolean;
  sizeBytes: number;
}

const CHUNK = 1 << 20;

/**
 * The last `maxLines` lines of a file with their true line numbers. Counts
 * newlines in 1 MiB chunks (so a 1 GB log costs a scan, not 1 GB of memory)
 * and reads only the tail it shows, at most `maxTailBytes`.
 */
export async function readLogTail(file: FileInput, maxLines: number, maxTailBytes = 4 << 20): Promise<LogTail> {
  const { src, done } = use(file);
  try {
    const size = src.size;
    if (size <= maxTailBytes) {
      const all = splitLines((await src.read(0, size)).toString('utf8'));
      const start = Math.max(0, all.length - maxLines);
      return { lines: all.slice(start), firstLine: start + 1, totalLines: all.length, truncated: start > 0, sizeBytes: size };
    }
    // Large file: count lines up to the tail window, then read the window.
    const tailStart = size - maxTailBytes;
    let newlines = 0;
    for (let pos = 0; pos < tailStart; ) {
      const chunk = await src.read(pos, Math.min(CHUNK, tailStart - pos));
      const n = chunk.length;
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (chunk[i] === 10) newlines++;
      pos += n;
    }
    let text = (await src.read(tailStart, maxTailBytes)).toString('utf8');
    // Drop the partial first line of the window.
    const nl = text.indexOf('\n');
    let lineNo = newlines + 1;
    if (nl >= 0) {
      text = text.slice(nl + 1);
      lineNo += 1;
    }
    const lines = splitLines(text);
    const total = lineNo - 1 + lines.length;
    const start = Math.max(0, lines.length - maxLines);
    return { lines: lines.slice(start), firstLine: lineNo + start, totalLines: total, truncated: true, sizeBytes: size };
  } finally {
    done();
  }
}
