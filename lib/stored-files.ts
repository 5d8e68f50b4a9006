/**
 * Bundle files kept in the database (issue 12, "bundles in the database"):
 * the rules, apart from any storage. Which paths may be stored (only a
 * plain bundle-relative path: never absolute, never `..`, no `\`, NUL or
 * `;#?` — the same refusals the file routes apply to a request), how a file
 * is split into chunks, and what is kept of one over the size cap.
 * server/stored-files.ts reads and encodes; db/queries/stored-files.ts
 * stores.
 */

/** Content bytes per chunk row: a row stays small on any engine, and a range read decodes at most two chunks more than it needs. */
export const STORED_CHUNK_BYTES = 1 << 20;
/** Default per-file cap (RUNPROOF_STORED_FILE_MAX_BYTES). */
export const DEFAULT_STORED_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** `gzip`: each chunk gzipped on its own (text); `identity`: stored as read (binary-ish: weights, archives, TensorBoard events). */
export type StoredEncoding = 'gzip' | 'identity';
/** How much of the file is kept: all of it; its head and tail around a marker line (text over the cap); none (binary over the cap). */
export type StoredCut = 'whole' | 'head-tail' | 'omitted';

/** Why `path` may not be stored (or looked up) as a bundle file; null when it may. */
export function storedPathError(p: string): string | null {
  if (typeof p !== 'string' || p === '') return 'empty path';
  if (p.length > 4096) return 'path too long';
  if (/[\0\\]/.test(p) || /[;#?]/.test(p)) return 'path holds a character not allowed in a bundle path';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'absolute path';
  const parts = p.split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) return 'not a plain bundle-relative path (empty, `.` or `..` segment)';
  return null;
}

/** Files whose bytes do not compress (or are not text): stored as read. */
const IDENTITY_EXT = /\.(ckpt|pt|pth|bin|safetensors|h5|hdf5|zip|npz|npy|gz|tgz|tar|bz2|xz|zst|png|jpe?g|gif|webp|pdf|so|pkl|pickle)$/i;
const TFEVENTS = /(^|\/)events\.out\.tfevents\./;

/** gzip for text, identity for binary-ish names or content that holds a NUL byte in its first bytes. */
export function encodingFor(p: string, head: Uint8Array): StoredEncoding {
  if (IDENTITY_EXT.test(p) || TFEVENTS.test(p)) return 'identity';
  return head.includes(0) ? 'identity' : 'gzip';
}

export interface StoredPlan {
  cut: StoredCut;
  /** Bytes kept from the start of the file. */
  headBytes: number;
  /** Where the kept tail starts in the file (= size when nothing of the tail is kept). */
  tailStart: number;
}

/**
 * What of a file of `size` bytes is stored under `cap`: all of it when it
 * fits; text over the cap as its first and last half-cap (the caller moves
 * the cuts to line ends); binary over the cap not at all (half a TensorBoard
 * file or checkpoint is not a file anyone can use).
 */
export function planStoredFile(size: number, cap: number, encoding: StoredEncoding): StoredPlan {
  if (size <= cap) return { cut: 'whole', headBytes: size, tailStart: size };
  if (encoding === 'identity') return { cut: 'omitted', headBytes: 0, tailStart: size };
  const half = Math.floor(cap / 2);
  return { cut: 'head-tail', headBytes: half, tailStart: size - half };
}

/** The line stored between the head and the tail of a cut file, so every reader of the stored copy sees the cut. */
export function cutMarker(omittedBytes: number, cap: number): string {
  return `\n[runproof: ${omittedBytes.toLocaleString('en')} bytes of this file were not stored in the database (over the ${fmtMiB(cap)} per-file cap, RUNPROOF_STORED_FILE_MAX_BYTES); line numbers below this line are not the file's own]\n`;
}

/** The problem entry a run carries for a file the cap cut or left out. */
export function capProblemMessage(cut: Exclude<StoredCut, 'whole'>, size: number, cap: number): string {
  return cut === 'omitted'
    ? `${fmtMiB(size)}, over the ${fmtMiB(cap)} per-file cap (RUNPROOF_STORED_FILE_MAX_BYTES): not stored in the database; it is served only while the bundle folder is there`
    : `${fmtMiB(size)}, over the ${fmtMiB(cap)} per-file cap (RUNPROOF_STORED_FILE_MAX_BYTES): only its first and last ${fmtMiB(Math.floor(cap / 2))} are stored in the database`;
}

function fmtMiB(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  return n >= 1024 ? `${Math.round((n / 1024) * 10) / 10} KiB` : `${n} bytes`;
}

/** The chunk seqs that hold bytes [start, start + len) of the stored content. */
export function chunkRange(start: number, len: number, chunkBytes: number): { first: number; last: number } {
  return { first: Math.floor(start / chunkBytes), last: Math.floor((start + Math.max(len, 1) - 1) / chunkBytes) };
}
