/**
 * TensorBoard events files of a bundle, found and read as bytes. Lightning's
 * default logger, when tensorboard is installed, writes
 * `<save_dir>/lightning_logs/version_N/events.out.tfevents.*` instead of a
 * metrics.csv (the same `version_N` layout as CSVLogger's: workers/lightning-example/README.md),
 * so a run folder holding its log keeps its metrics one to three folders
 * down. The bytes go to lib/lightning/tfevents.ts through the analysis.
 */
import type { Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InputFile } from '../lib/evidence/analyse';
import type { Problem } from '../lib/evidence/types';
import { isTfEventsFile } from '../lib/lightning/tfevents';
import { openInside } from './bundle-files';
import { SKIP_DIRS } from './fs-walk';

/** An events file bigger than this (images, histograms) is listed and reported, not read. */
export const MAX_EVENTS_BYTES = 512 * 1024 * 1024;
/** How far below a bundle folder its logger folder may sit: `lightning_logs/version_0`, `<name>/<version>/<sub_dir>`. */
const MAX_DEPTH = 3;

function versionOf(rel: string): number {
  let best = -1;
  for (const part of rel.split(path.sep)) {
    const m = /^version_(\d+)$/.exec(part);
    if (m) best = Math.max(best, Number(m[1]));
  }
  return best;
}

/**
 * The one folder below `root` whose events files a bundle reads: of the
 * folders (up to three levels down, not following symbolic links, never into
 * `checkpoints/`) that hold events files, the one with the highest
 * `version_N` — the newest fit, as Lightning numbers them — else the last
 * in name order. The others are returned so the caller can say they were
 * not read.
 */
export function findEventsDir(root: string): { dir: string | null; others: string[] } {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (depth > 0 && entries.some((e) => (e.isFile() || e.isSymbolicLink()) && isTfEventsFile(e.name))) found.push(dir);
    if (depth === MAX_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.') && e.name !== 'checkpoints') walk(path.join(/*turbopackIgnore: true*/ dir, e.name), depth + 1);
    }
  };
  walk(root, 0);
  if (!found.length) return { dir: null, others: [] };
  const rank = found.map((d) => ({ d, v: versionOf(path.relative(root, d)) })).sort((a, b) => a.v - b.v || (a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
  const dir = rank[rank.length - 1].d;
  return { dir, others: rank.slice(0, -1).map((r) => r.d) };
}

/** Read an opened events file whole (the caller closes `fd`): an input file with its bytes, or listed only when too big. */
export function readEventsFd(fd: number, stat: fs.Stats, rel: string, hash: Hash, problems: Problem[]): InputFile {
  if (stat.size > MAX_EVENTS_BYTES) {
    hash.update(String(stat.mtimeMs));
    problems.push({ file: rel, line: null, message: `TensorBoard events file of ${Math.round(stat.size / 1024 / 1024)} MB, over the ${MAX_EVENTS_BYTES / 1024 / 1024} MB read: listed, not read` });
    return { path: rel, sizeBytes: stat.size, text: null };
  }
  const buf = Buffer.alloc(stat.size);
  let off = 0;
  while (off < buf.length) {
    const n = fs.readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  const bytes = buf.subarray(0, off);
  hash.update(bytes);
  return { path: rel, sizeBytes: stat.size, text: null, bytes };
}

/**
 * The events files of the logger folder below a bundle (findEventsDir), each
 * opened by the bundle's confinement rule: a link that leads outside the
 * bundle is reported and not read. Paths are relative to the bundle, `/`-separated.
 */
export function readEventsBelow(root: string, hash: Hash, problems: Problem[]): { files: InputFile[]; newestMtimeMs: number | null } {
  const { dir, others } = findEventsDir(root);
  const files: InputFile[] = [];
  let newestMtimeMs: number | null = null;
  if (!dir) return { files, newestMtimeMs };
  const relDir = path.relative(root, dir).split(path.sep).join('/');
  if (others.length) {
    const names = others.map((o) => path.relative(root, o).split(path.sep).join('/'));
    problems.push({ file: relDir, line: null, message: `TensorBoard events in ${others.length + 1} folders: read ${relDir} (the newest version), not ${names.join(', ')}` });
  }
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter(isTfEventsFile).sort();
  } catch (e) {
    problems.push({ file: relDir, line: null, message: `cannot read folder: ${(e as Error).message}` });
    return { files, newestMtimeMs };
  }
  for (const name of names) {
    const rel = `${relDir}/${name}`;
    const opened = openInside(root, path.join(/*turbopackIgnore: true*/ dir, name));
    if (!opened.ok) {
      if (opened.why !== 'not-file')
        problems.push({ file: rel, line: null, message: opened.why === 'outside' ? 'symbolic link to a file outside the bundle, not read' : `cannot read: ${opened.message}` });
      continue;
    }
    try {
      newestMtimeMs = Math.max(newestMtimeMs ?? 0, Math.round(opened.stat.mtimeMs));
      hash.update(`${rel}\0${opened.stat.size}\0`);
      files.push(readEventsFd(opened.fd, opened.stat, rel, hash, problems));
    } catch (e) {
      problems.push({ file: rel, line: null, message: `cannot read: ${(e as Error).message}` });
    } finally {
      fs.closeSync(opened.fd);
    }
  }
  return { files, newestMtimeMs };
}
