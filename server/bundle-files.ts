/**
 * Opening a file of a bundle, and nothing outside it: for serving (the file
 * routes) and for reading (import, the worker's archive) alike. MLflow's
 * artifact endpoints were bypassed again and again by one more encoding
 * (double URL-encoding, `\`, `;`, `#`, query strings): here the requested
 * path is decoded until it stops changing, anything suspicious is refused
 * outright, and the final answer comes from realpath — checked again on the
 * descriptor actually opened, so swapping a symlink between the check and
 * the open gains nothing.
 */
import fs from 'node:fs';
import path from 'node:path';

export type ResolveResult = { ok: true; file: string; relative: string; sizeBytes: number } | { ok: false; status: 400 | 404; reason: string };
export type OpenedBundleFile = Extract<ResolveResult, { ok: true }> & { fd: number; stat: fs.Stats };

/** Decode `%XX` until the text stops changing; null when it is not valid percent-encoded UTF-8 or keeps changing. */
export function fullyDecode(s: string): string | null {
  let cur = s;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return null;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return null; // still changing after five rounds: refuse
}

/** Up to `len` bytes at `pos` (fewer if the file ends first). */
export function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let off = 0;
  while (off < len) {
    const n = fs.readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

export type InsideResult = { ok: true; fd: number; real: string; stat: fs.Stats } | { ok: false; why: 'missing' | 'outside' | 'not-file' | 'unreadable'; message: string };

const O_READ = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

function isInside(root: string, p: string): boolean {
  return p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Where a descriptor really points (Linux `/proc/self/fd`); null where that cannot be asked. */
function fdPath(fd: number): string | null {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * Open `file` for reading only when its realpath lies inside `rootReal` (a
 * realpath itself) and it is a regular file. The open does not follow a
 * final symlink and does not block on a FIFO; the opened descriptor's own
 * path (or its device and inode) is checked against the realpath, so a path
 * component swapped for a symlink after the check is caught. The caller
 * closes `fd`.
 */
export function openInside(rootReal: string, file: string): InsideResult {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, why: code === 'ENOENT' ? 'missing' : 'unreadable', message: code === 'ENOENT' ? 'no such file (or a symbolic link to nothing)' : `cannot resolve: ${(e as Error).message}` };
  }
  if (!isInside(rootReal, real)) return { ok: false, why: 'outside', message: 'outside' };
  let fd: number;
  try {
    fd = fs.openSync(real, O_READ);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ELOOP: the last component became a symlink after realpath looked at it.
    if (code === 'ELOOP') return { ok: false, why: 'outside', message: 'changed into a symbolic link while being opened' };
    return { ok: false, why: code === 'ENOENT' ? 'missing' : 'unreadable', message: `cannot open: ${(e as Error).message}` };
  }
  try {
    const stat = fs.fstatSync(fd);
    const opened = fdPath(fd);
    let same: boolean;
    if (opened !== null) same = opened === real;
    else {
      const now = fs.statSync(real);
      same = now.dev === stat.dev && now.ino === stat.ino;
    }
    if (!same) {
      fs.closeSync(fd);
      return { ok: false, why: 'outside', message: 'moved while being opened' };
    }
    if (!stat.isFile()) {
      fs.closeSync(fd);
      return { ok: false, why: 'not-file', message: 'not a file' };
    }
    return { ok: true, fd, real, stat };
  } catch (e) {
    fs.closeSync(fd);
    return { ok: false, why: 'unreadable', message: `cannot read: ${(e as Error).message}` };
  }
}

/** The checks on the requested path itself, before the disk is asked. */
function requestedParts(requested: string | string[]): string[] | { status: 400; reason: string } {
  const raw = Array.isArray(requested) ? requested.join('/') : requested;
  const decoded = fullyDecode(raw);
  if (decoded === null) return { status: 400, reason: 'bad encoding: the path is not valid percent-encoded UTF-8' };
  if (/[\0\\]/.test(decoded) || /[;#?]/.test(decoded) || decoded.startsWith('/') || /^[A-Za-z]:/.test(decoded)) {
    return { status: 400, reason: 'path not allowed' };
  }
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) return { status: 400, reason: 'path not allowed' };
  return parts;
}

/** The requested path decoded and checked as openBundleFile does, as one bundle-relative `a/b` path (the key stored files are looked up by). */
export function requestedPath(requested: string | string[]): string | { status: 400; reason: string } {
  const parts = requestedParts(requested);
  return Array.isArray(parts) ? parts.join('/') : parts;
}

/**
 * Open a requested bundle file for serving. `requested` is the raw path
 * after the bundle prefix (may be URL-encoded, may be several segments).
 * The caller closes `fd`.
 */
export function openBundleFile(bundleDir: string, requested: string | string[]): OpenedBundleFile | Extract<ResolveResult, { ok: false }> {
  const parts = requestedParts(requested);
  if (!Array.isArray(parts)) return { ok: false, ...parts };
  let root: string;
  try {
    root = fs.realpathSync(bundleDir);
  } catch {
    // Not a silent 404: an imported bundle whose folder was moved or removed says so.
    return { ok: false, status: 404, reason: BUNDLE_FOLDER_MISSING };
  }
  const r = openInside(root, path.join(root, ...parts));
  if (!r.ok) return { ok: false, status: 404, reason: r.why === 'not-file' ? 'not a file' : 'no such file in this bundle' };
  return { ok: true, file: r.real, relative: path.relative(root, r.real).split(path.sep).join('/'), sizeBytes: r.stat.size, fd: r.fd, stat: r.stat };
}

/** The reason every file of a bundle whose folder is gone is refused with. */
export const BUNDLE_FOLDER_MISSING = 'bundle folder missing: it was moved or removed since the run was imported';

/** The run's bundle folder is gone (moved, renamed, deleted): its files cannot be served until it is back or re-imported. */
export function bundleFolderMissing(bundleDir: string): boolean {
  try {
    return !fs.statSync(bundleDir).isDirectory();
  } catch {
    return true;
  }
}

/** Whether a requested bundle file may be served, and where it is (nothing is left open). */
export function resolveBundleFile(bundleDir: string, requested: string | string[]): ResolveResult {
  const r = openBundleFile(bundleDir, requested);
  if (!r.ok) return r;
  fs.closeSync(r.fd);
  const { fd: _fd, stat: _stat, ...rest } = r;
  return rest;
}
