/**
 * Bundle files in the database, the I/O half: reading a bundle's files from
 * disk into chunks to store (every file opened with the rule the file
 * routes serve by, so nothing outside the bundle is ever read in), and
 * reading a stored file back as a byte source the file routes and pages
 * read like a file. The rules are lib/stored-files.ts; the SQL is
 * db/queries/stored-files.ts. Nothing here knows which engine holds the rows.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Db } from '../db/client';
import { getStoredFile, hasStoredFiles, readStoredChunks, type StoredFile, type StoredFileInput } from '../db/queries/stored-files';
import type { Problem } from '../lib/evidence/types';
import { capProblemMessage, chunkRange, cutMarker, encodingFor, planStoredFile, STORED_CHUNK_BYTES, storedPathError } from '../lib/stored-files';
import { openBundleFile, openInside, readAt, requestedPath, type ResolveResult } from './bundle-files';
import { getEnv } from './env';

/** The per-file cap: RUNPROOF_STORED_FILE_MAX_BYTES (server/env.ts: at least 1 MiB, default 64 MiB). */
export function storedFileCap(): number {
  return getEnv().RUNPROOF_STORED_FILE_MAX_BYTES;
}

const HASH_BLOCK = 1 << 20;

function sha256Of(fd: number, size: number): string {
  const hash = crypto.createHash('sha256');
  const block = Buffer.alloc(HASH_BLOCK);
  for (let pos = 0; pos < size; ) {
    const n = fs.readSync(fd, block, 0, Math.min(HASH_BLOCK, size - pos), pos);
    if (n === 0) break;
    hash.update(block.subarray(0, n));
    pos += n;
  }
  return hash.digest('hex');
}

/** The stored copy's content split into chunks of `STORED_CHUNK_BYTES` and encoded one by one. */
function encodeChunks(content: Buffer, encoding: StoredFileInput['encoding']): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < content.length; at += STORED_CHUNK_BYTES) {
    const piece = content.subarray(at, at + STORED_CHUNK_BYTES);
    out.push(encoding === 'gzip' ? zlib.gzipSync(piece) : Buffer.from(piece));
  }
  return out;
}

/**
 * One bundle file read for storing: the whole file when it fits the cap;
 * text over the cap as its head and tail cut at line ends with a marker line
 * between; binary over the cap as its facts alone. The sha256 is always of
 * the whole file. A path that is not plain and bundle-relative, or that
 * leads outside the bundle (a symbolic link out), is a problem, never read.
 */
export function packBundleFile(rootReal: string, rel: string, cap: number): { file: StoredFileInput | null; problem: Problem | null } {
  const bad = storedPathError(rel);
  if (bad) return { file: null, problem: { file: rel, line: null, message: `not stored in the database: ${bad}` } };
  const opened = openInside(rootReal, path.join(/*turbopackIgnore: true*/ rootReal, ...rel.split('/')));
  if (!opened.ok) return { file: null, problem: { file: rel, line: null, message: `not stored in the database: ${opened.why === 'outside' ? 'it leads outside the bundle' : opened.message}` } };
  const { fd, stat } = opened;
  try {
    const size = stat.size;
    const encoding = encodingFor(rel, readAt(fd, 0, Math.min(size, 8192)));
    const plan = planStoredFile(size, cap, encoding);
    const sha256 = sha256Of(fd, size);
    let content: Buffer;
    let problem: Problem | null = null;
    if (plan.cut === 'whole') content = readAt(fd, 0, size);
    else if (plan.cut === 'omitted') content = Buffer.alloc(0);
    else {
      let head = readAt(fd, 0, plan.headBytes);
      const lastNl = head.lastIndexOf(10);
      if (lastNl >= 0) head = head.subarray(0, lastNl + 1);
      let tail = readAt(fd, plan.tailStart, size - plan.tailStart);
      const firstNl = tail.indexOf(10);
      if (firstNl >= 0) tail = tail.subarray(firstNl + 1);
      const omitted = size - head.length - tail.length;
      content = Buffer.concat([head, Buffer.from(cutMarker(omitted, cap)), tail]);
    }
    if (plan.cut !== 'whole') problem = { file: rel, line: null, message: capProblemMessage(plan.cut, size, cap) };
    const file: StoredFileInput = { path: rel, encoding, cut: plan.cut, sizeBytes: size, storedBytes: content.length, sha256, chunkBytes: STORED_CHUNK_BYTES, chunks: encodeChunks(content, encoding) };
    return { file, problem };
  } catch (e) {
    return { file: null, problem: { file: rel, line: null, message: `not stored in the database: cannot read: ${(e as Error).message}` } };
  } finally {
    fs.closeSync(fd);
  }
}

/** A file the caller holds in memory (summary.md and evidence.json it just rendered), stored whole. */
export function packBuffer(rel: string, content: Buffer | string): StoredFileInput {
  const bad = storedPathError(rel);
  if (bad) throw new Error(`refusing to store ${JSON.stringify(rel)}: ${bad}`);
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  const encoding = encodingFor(rel, buf.subarray(0, 8192));
  return {
    path: rel,
    encoding,
    cut: 'whole',
    sizeBytes: buf.length,
    storedBytes: buf.length,
    sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    chunkBytes: STORED_CHUNK_BYTES,
    chunks: encodeChunks(buf, encoding),
  };
}

/**
 * A bundle's files (paths relative to `dir`) read for storing, each once, in
 * order; what could not be stored or was cut by the cap comes back as a
 * problem with the file's path, and the rest are stored.
 */
export function packBundleFiles({ dir, paths, cap = storedFileCap() }: { dir: string; paths: string[]; cap?: number }): { files: StoredFileInput[]; problems: Problem[] } {
  const files: StoredFileInput[] = [];
  const problems: Problem[] = [];
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch (e) {
    return { files, problems: [{ file: dir, line: null, message: `bundle not stored in the database: ${(e as Error).message}` }] };
  }
  for (const rel of [...new Set(paths)].sort()) {
    const r = packBundleFile(root, rel, cap);
    if (r.file) files.push(r.file);
    if (r.problem) problems.push(r.problem);
  }
  return { files, problems };
}

/** Random access to a file's bytes, on disk or in the database: what the file page and the log tail read through. */
export interface ByteSource {
  size: number;
  /** Up to `len` bytes from `start` (fewer when the content ends first). Async: a stored file's chunks come from the database. */
  read(start: number, len: number): Promise<Buffer>;
}

/** A stored file's content, decoding only the chunks a read touches (the last one decoded is kept for the next read). */
export function storedFileSource(db: Db, meta: StoredFile): ByteSource {
  let cached: { seq: number; bytes: Buffer } | null = null;
  const decode = (bytes: Buffer) => (meta.encoding === 'gzip' ? zlib.gunzipSync(bytes) : bytes);
  return {
    size: meta.storedBytes,
    async read(start, len) {
      const end = Math.min(meta.storedBytes, start + len);
      if (start >= end) return Buffer.alloc(0);
      const { first, last } = chunkRange(start, end - start, meta.chunkBytes);
      const parts: Buffer[] = [];
      if (cached && cached.seq === first && first === last) parts.push(cached.bytes);
      else {
        const rows = await readStoredChunks({ db, runId: meta.runId, path: meta.path, first, last });
        if (rows.length !== last - first + 1) throw new Error(`stored file ${meta.path} of run ${meta.runId}: chunks ${first}-${last} incomplete`);
        for (const c of rows) {
          const bytes = decode(c.bytes);
          cached = { seq: c.seq, bytes };
          parts.push(bytes);
        }
      }
      const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const from = start - first * meta.chunkBytes;
      return all.subarray(from, from + (end - start));
    },
  };
}

/** A descriptor's bytes as a source (the caller closes the descriptor). */
export function fdSource(fd: number, size: number = fs.fstatSync(fd).size): ByteSource {
  return { size, read: async (start, len) => readAt(fd, start, Math.max(0, Math.min(len, size - start))) };
}

export type RunFile =
  | {
      ok: true;
      relative: string;
      /** Bytes served (a cut stored copy is shorter than the file was). */
      sizeBytes: number;
      source: ByteSource;
      /** The database row when the bytes come from the database; null when from the bundle folder. */
      stored: StoredFile | null;
      /** The descriptor when the bytes come from the bundle folder (the caller closes it), else null. */
      fd: number | null;
    }
  | Extract<ResolveResult, { ok: false }>;

/** The reason a run whose files are in the database refuses a path its stored bundle does not hold (and its folder cannot serve). */
export const NOT_STORED = 'no such file in this run\u2019s stored bundle';

/**
 * Open one file of a run for serving. When the run's files are in the
 * database, the requested path (decoded and refused as openBundleFile does)
 * is looked up exactly among the paths stored for this run and served from
 * there, whatever happened to the folder; a path not stored there (or left
 * out by the cap) is served from the folder while it is there, under
 * openBundleFile's rules. A run without stored files is served from its
 * folder exactly as before. The caller closes `fd` when it is not null.
 */
export async function openRunFile({ db, runId, bundleDir, requested }: { db: Db; runId: string; bundleDir: string; requested: string | string[] }): Promise<RunFile> {
  const rel = requestedPath(requested);
  if (typeof rel !== 'string') return { ok: false, ...rel };
  if (!(await hasStoredFiles({ db, runId }))) return fromDisk(bundleDir, requested);
  const meta = await getStoredFile({ db, runId, path: rel });
  if (meta && meta.cut !== 'omitted') return { ok: true, relative: meta.path, sizeBytes: meta.storedBytes, source: storedFileSource(db, meta), stored: meta, fd: null };
  const disk = fromDisk(bundleDir, requested);
  if (disk.ok) return disk;
  if (meta) return { ok: false, status: 404, reason: `${rel} is not stored in the database (over the per-file cap) and the bundle folder no longer holds it` };
  return { ok: false, status: 404, reason: NOT_STORED };
}

function fromDisk(bundleDir: string, requested: string | string[]): RunFile {
  const r = openBundleFile(bundleDir, requested);
  if (!r.ok) return r;
  return { ok: true, relative: r.relative, sizeBytes: r.sizeBytes, source: fdSource(r.fd, r.sizeBytes), stored: null, fd: r.fd };
}

/** Whether the run's files are kept in the database (its page then never says the folder is missing). */
export function runFilesStored({ db, runId }: { db: Db; runId: string }): Promise<boolean> {
  return hasStoredFiles({ db, runId });
}
