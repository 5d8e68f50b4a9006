/**
 * Reading bundle files for display. Callers pass the descriptor
 * `openBundleFile` opened (or a path `resolveBundleFile` accepted); nothing
 * here resolves paths itself. A descriptor passed in is left open.
 */
import fs from 'node:fs';
import { BINARY_EXT } from '@/server/bundles';

const SNIFF_BYTES = 8192;
const TEXT_EXT = /\.(log|txt|md|csv|tsv|json|jsonl|ya?ml|toml|ini|cfg|conf|py|sh|out|err|xml|html?)$/i;

/** A descriptor for `file`, and whether this call opened it (and so must close it). */
function use(file: string | number): { fd: number; own: boolean } {
  return typeof file === 'number' ? { fd: file, own: false } : { fd: fs.openSync(file, 'r'), own: true };
}

/**
 * Text when the extension of `name` says so, or when the first 8 KiB of the
 * file (a path, or an open descriptor) hold no NUL byte and decode as UTF-8.
 */
export function isTextFile(name: string, file: string | number = name): boolean {
  if (BINARY_EXT.test(name)) return false;
  if (TEXT_EXT.test(name)) return true;
  let fd: number | null = null;
  let own = false;
  try {
    ({ fd, own } = use(file));
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = fs.readSync(fd, buf, 0, SNIFF_BYTES, 0);
    const head = buf.subarray(0, n);
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
    if (fd !== null && own) fs.closeSync(fd);
  }
}

/** Up to `len` bytes from `start` (fewer if the file ends first). */
function readRange(fd: number, start: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

export function readHead(file: string | number, maxBytes: number): { text: string; truncated: boolean; sizeBytes: number } {
  const { fd, own } = use(file);
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    return { text: readRange(fd, 0, len).toString('utf8'), truncated: size > len, sizeBytes: size };
  } finally {
    if (own) fs.closeSync(fd);
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
export function readLogTail(file: string | number, maxLines: number, maxTailBytes = 4 << 20): LogTail {
  const { fd, own } = use(file);
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= maxTailBytes) {
      const all = splitLines(readRange(fd, 0, size).toString('utf8'));
      const start = Math.max(0, all.length - maxLines);
      return { lines: all.slice(start), firstLine: start + 1, totalLines: all.length, truncated: start > 0, sizeBytes: size };
    }
    // Large file: count lines up to the tail window, then read the window.
    const tailStart = size - maxTailBytes;
    let newlines = 0;
    const chunk = Buffer.alloc(CHUNK);
    for (let pos = 0; pos < tailStart; ) {
      const n = fs.readSync(fd, chunk, 0, Math.min(CHUNK, tailStart - pos), pos);
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (chunk[i] === 10) newlines++;
      pos += n;
    }
    let text = readRange(fd, tailStart, maxTailBytes).toString('utf8');
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
    if (own) fs.closeSync(fd);
  }
}
