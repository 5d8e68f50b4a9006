/**
 * Bundles on disk: finding them, reading them, and storing their evidence.
 * The I/O half of `lib/evidence` (which only sees text).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { analyseBundle, analyseBundleWithSeries, classifyFile, timestampToMs, type AnalyseOptions, type InputFile } from '../lib/evidence/analyse';
import type { Evidence, Problem } from '../lib/evidence/types';
import { LOG_PARSE_CHARS } from '../lib/evidence/caps';
import type { Db } from '../db/client';
import { getRunBySourceKey, saveRun } from '../db/queries/runs';
import { setRunPlanLinks } from '../db/queries/plans';
import { linkBundle, nearestPlans, planRowRefs, requestedForLinks, verdictOfEvidence, type NearestOptions } from './plans';
import { runIdentityOf } from '../lib/evidence/provenance';
import type { RunIdentity } from '../lib/plans/qualify';
import { indexPlanFiles, plansRoots } from './plan-index';
import { decodeText, readDirSorted, SKIP_DIRS } from './fs-walk';
import { openInside, readAt } from './bundle-files';
import { findEventsDir, readEventsBelow, readEventsFd } from './tfevents-files';
import { hasStoredFiles, settleWithStoredFiles, type StoredFileInput } from '../db/queries/stored-files';
import { packBundleFiles, storedFileCap } from './stored-files';

export { decodeText };

/** Files we never read as text (model weights, archives, images). */
export const BINARY_EXT = /\.(ckpt|pt|pth|bin|safetensors|h5|hdf5|zip|npz|npy|gz|tgz|tar|bz2|xz|png|jpe?g|gif|webp|pdf|so|pkl|pickle)$/i;
/** Text files (other than logs) bigger than this are listed, reported, and not read. */
export const MAX_TEXT_BYTES = 128 * 1024 * 1024;
/**
 * A log up to the analysis' parse cap is read whole; a bigger one as its
 * first and last half-cap bytes, cut at line ends, and handed over as head
 * and tail (the analysis then reports the lines between as not parsed).
 */
export const LOG_WHOLE_BYTES = LOG_PARSE_CHARS;
export const LOG_PART_BYTES = Math.floor(LOG_PARSE_CHARS / 2);
const SCAN_CHUNK = 1 << 20;

export interface BundleRun {
  /** Absolute folder. */
  dir: string;
  /** This run's log when the folder holds several logs; null otherwise. */
  logFile: string | null;
  sourceKey: string;
}

/** A folder is a bundle when it holds a training log, a metrics.csv, a TensorBoard events file, a checkpoint listing or a summary.md. */
export function isBundleFile(name: string): boolean {
  const role = classifyFile(name);
  return role === 'log' || role === 'metrics' || role === 'tfevents' || role === 'checkpoint-listing' || (role === 'summary' && /summary\.md$/i.test(name));
}

/** A bundle without metrics of its own reads the TensorBoard events of a logger folder below it (server/tfevents-files.ts). */
const hasOwnMetrics = (names: string[]) => names.some((f) => classifyFile(f) === 'metrics' || classifyFile(f) === 'tfevents');

function isFolder(p: string): boolean {
  try {
    return fs.statSync(/*turbopackIgnore: true*/ p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Every bundle below the given folders. A folder with several logs is several
 * runs (one per log), as when a command was re-run into the same folder.
 */
export function discoverBundles(roots: string[], onProblem: (p: Problem) => void = () => {}): BundleRun[] {
  const out: BundleRun[] = [];
  const seen = new Set<string>();
  // Logger folders whose events a bundle above already reads: not a second run.
  const claimed = new Set<string>();
  const walk = (dir: string) => {
    const entries = readDirSorted(dir, onProblem);
    if (!entries) return;
    const files = entries.filter((e) => e.isFile()).map((e) => e.name);
    // A linked file makes a bundle too (its reading then says whether the link stays inside), so a folder
    // whose log is a link is imported and reported, not skipped; runs per log still count real files only.
    const marks = entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => e.name)
      .filter(isBundleFile);
    if (marks.length && !(claimed.has(dir) && marks.every((f) => classifyFile(f) === 'tfevents'))) {
      if (!hasOwnMetrics(files)) {
        const events = findEventsDir(dir).dir;
        if (events) claimed.add(events);
      }
      const logs = files.filter((f) => classifyFile(f) === 'log');
      if (logs.length > 1) for (const l of logs) out.push({ dir, logFile: l, sourceKey: `${dir}#${l}` });
      else out.push({ dir, logFile: null, sourceKey: dir });
    }
    for (const e of entries) {
      if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.isSymbolicLink() && isFolder(path.join(dir, e.name)))
        // Not followed (it could lead anywhere, or in a circle); said, so no bundle below it goes missing unnoticed.
        onProblem({ file: path.join(dir, e.name), line: null, message: 'symbolic link to a folder, not followed: import the folder it points to by its own path' });
    }
  };
  for (const r of roots) {
    const abs = fs.realpathSync(path.resolve(r));
    if (seen.has(abs)) continue;
    seen.add(abs);
    if (!fs.statSync(abs).isDirectory()) throw new Error(`${r} is not a folder`);
    walk(abs);
  }
  return out;
}

export interface ReadBundle {
  files: InputFile[];
  hash: string;
  problems: Problem[];
  /** mtime of the newest file: when the run ended, for bundles whose path has no timestamp. */
  newestMtimeMs: number | null;
}

export interface HeadTail {
  head: Buffer;
  tail: Buffer;
  /** 1-based line number of the tail's first line in the whole file. */
  tailFirstLine: number;
  /** Lines in the head. */
  headLines: number;
  skippedBytes: number;
}

/**
 * The first and last `part` bytes of a big file, cut at line ends (the head
 * ends after its last newline, the tail starts after its first), and where
 * the tail starts in lines. The middle is scanned for newlines in 1 MiB
 * chunks: a 600 MB log costs a scan, never 600 MB of memory.
 */
export function readHeadTail(fd: number, size: number, part: number): HeadTail {
  let head = readAt(fd, 0, Math.min(part, size));
  const lastNl = head.lastIndexOf(10);
  if (lastNl >= 0) head = head.subarray(0, lastNl + 1);
  let tailStart = Math.max(head.length, size - part);
  let tail = readAt(fd, tailStart, size - tailStart);
  if (tailStart > head.length) {
    const firstNl = tail.indexOf(10);
    if (firstNl >= 0) {
      tail = tail.subarray(firstNl + 1);
      tailStart += firstNl + 1;
    }
  }
  let newlines = 0;
  for (let i = 0; i < head.length; i++) if (head[i] === 10) newlines++;
  const headLines = newlines;
  const chunk = Buffer.alloc(SCAN_CHUNK);
  for (let pos = head.length; pos < tailStart; ) {
    const n = fs.readSync(fd, chunk, 0, Math.min(SCAN_CHUNK, tailStart - pos), pos);
    if (n === 0) break;
    for (let i = 0; i < n; i++) if (chunk[i] === 10) newlines++;
    pos += n;
  }
  return { head, tail, tailFirstLine: newlines + 1, headLines, skippedBytes: tailStart - head.length };
}

/** Sizes, in MB (1 MiB) when over one. */
const MB = (n: number) => (n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MB` : `${n} bytes`);

/** The read limits (defaults above); tests shrink them. */
export interface ReadLimits {
  logWholeBytes?: number;
  logPartBytes?: number;
  maxTextBytes?: number;
}

/**
 * The files directly in a bundle folder, text decoded, with a content hash
 * for idempotent re-import. Every file is opened with the rule the file
 * routes serve by (server/bundle-files.ts): a symbolic link that resolves
 * outside the bundle is reported and not read, whatever its name; one that
 * stays inside is read like any file. A log too big to read whole is read as
 * its head and tail, and the cut is reported.
 */
export function readBundle(dir: string, limits: ReadLimits = {}): ReadBundle {
  const logWhole = limits.logWholeBytes ?? LOG_WHOLE_BYTES;
  const logPart = limits.logPartBytes ?? LOG_PART_BYTES;
  const maxText = limits.maxTextBytes ?? MAX_TEXT_BYTES;
  const hash = crypto.createHash('sha256');
  const files: InputFile[] = [];
  const problems: Problem[] = [];
  let newestMtimeMs: number | null = null;
  const root = fs.realpathSync(dir);
  const entries = fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const name = entry.name;
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const full = path.join(/*turbopackIgnore: true*/ root, name);
    const opened = openInside(root, full);
    if (!opened.ok) {
      if (opened.why === 'outside') {
        let what = 'a file';
        try {
          if (fs.statSync(/*turbopackIgnore: true*/ full).isDirectory()) what = 'a folder';
        } catch {
          /* it moved: still a link out */
        }
        problems.push({ file: name, line: null, message: `symbolic link to ${what} outside the bundle, not read` });
      } else if (opened.why !== 'not-file') problems.push({ file: name, line: null, message: `cannot read: ${opened.message}` });
      continue;
    }
    const { fd, stat: st } = opened;
    try {
      newestMtimeMs = Math.max(newestMtimeMs ?? 0, Math.round(st.mtimeMs));
      hash.update(`${name}\0${st.size}\0`);
      const isLog = classifyFile(name) === 'log';
      if (classifyFile(name) === 'tfevents') {
        files.push(readEventsFd(fd, st, name, hash, problems));
        continue;
      }
      if (BINARY_EXT.test(name) || (!isLog && st.size > maxText)) {
        hash.update(String(st.mtimeMs));
        if (!BINARY_EXT.test(name)) problems.push({ file: name, line: null, message: `${MB(st.size)}, over the ${MB(maxText)} read for a text file: listed, not read` });
        files.push({ path: name, sizeBytes: st.size, text: null });
        continue;
      }
      if (isLog && st.size > logWhole) {
        const cut = readHeadTail(fd, st.size, logPart);
        hash.update(String(st.mtimeMs)).update(cut.head).update(cut.tail);
        const head = decodeText(cut.head, name);
        const tail = decodeText(cut.tail, name);
        if (head.problem) problems.push(head.problem);
        else if (tail.problem) problems.push({ ...tail.problem, line: tail.problem.line === null ? null : tail.problem.line + cut.tailFirstLine - 1 });
        // The cut itself is reported by the analysis, with the lines it did not parse.
        files.push({ path: name, sizeBytes: st.size, text: head.text, tail: { text: tail.text, firstLine: cut.tailFirstLine } });
        continue;
      }
      const buf = readAt(fd, 0, st.size);
      hash.update(buf);
      const { text, problem } = decodeText(buf, name);
      if (problem) problems.push(problem);
      files.push({ path: name, sizeBytes: st.size, text });
    } catch (e) {
      problems.push({ file: name, line: null, message: `cannot read: ${(e as Error).message}` });
    } finally {
      fs.closeSync(fd);
    }
  }
  if (!hasOwnMetrics(files.map((f) => f.path))) {
    const below = readEventsBelow(root, hash, problems);
    for (const f of below.files) files.push(f);
    if (below.newestMtimeMs !== null) newestMtimeMs = Math.max(newestMtimeMs ?? 0, below.newestMtimeMs);
  }
  return { files, hash: hash.digest('hex'), problems, newestMtimeMs };
}

/** The files of one run: every file of the folder, but of its logs only this run's. */
export function filesForRun(files: InputFile[], logFile: string | null | undefined): InputFile[] {
  return logFile ? files.filter((f) => classifyFile(f.path) !== 'log' || f.path === logFile) : files;
}

/**
 * Analyse one bundle folder without a database (`runproof show`). Without
 * `requested`, a plan row the bundle proves that asks for knobs is the request.
 */
export function showBundle(dir: string, opts: Omit<AnalyseOptions, 'root'> = {}): Evidence {
  const read = readBundle(dir);
  const files = filesForRun(read.files, opts.logFile);
  let evidence = analyseBundle(files, { ...opts, root: dir });
  const links = linkBundle(dir, read.files.find((f) => f.path === 'summary.md')?.text ?? null);
  const asked = opts.requested
    ? null
    : requestedForLinks(
        links.filter((l) => !l.missing).map((l) => ({ planPath: l.planPath, rowId: l.rowId })),
        runIdentityOf(evidence),
      );
  if (asked) evidence = analyseBundle(files, { ...opts, root: dir, requested: asked });
  evidence.problems = read.problems.concat(evidence.problems);
  evidence.planRows = planRowRefs(links, runIdentityOf(evidence));
  evidence.verdict = verdictOfEvidence(evidence);
  return evidence;
}

/**
 * Index the plans nearest above a bundle and link the run to the rows the
 * bundle names (one walk up, the summary already read). A plan file there
 * that is a symbolic link out of its folder and the configured plans folders
 * is reported, not read.
 */
async function linkToPlans(db: Db, runId: string, dir: string, files: InputFile[], opts: NearestOptions = {}): Promise<void> {
  const context = nearestPlans(dir, opts);
  await indexPlanFiles(db, context.plans);
  const links = linkBundle(dir, files.find((f) => f.path === 'summary.md')?.text ?? null, context);
  await setRunPlanLinks({ db, runId, links: links.map(({ missing: _m, ...l }) => l) });
}

/** What the rows a bundle proves ask for, as the request its knobs check compares with (null: none asks, or it does not qualify). */
function rowRequest(dir: string, files: InputFile[], opts: NearestOptions, run: RunIdentity): { text: string; source: string } | null {
  const links = linkBundle(dir, files.find((f) => f.path === 'summary.md')?.text ?? null, nearestPlans(dir, opts));
  return requestedForLinks(
    links.filter((l) => !l.missing).map((l) => ({ planPath: l.planPath, rowId: l.rowId })),
    run,
  );
}

export function runIdFor(sourceKey: string): string {
  return crypto.createHash('sha256').update(sourceKey).digest('hex').slice(0, 12);
}

export interface ImportResult {
  added: number;
  updated: number;
  unchanged: number;
  /** Bundles that could not be imported; each is also a problem (its path and the error) and a `failed` run entry. */
  failed: number;
  problems: Problem[];
  runs: Array<{ id: string; dir: string; logFile: string | null; action: 'added' | 'updated' | 'unchanged' | 'failed'; status: string | null; error?: string; archived?: boolean }>;
  /** Files stored in the database (`--archive`, and runs archived before): how many, their bytes on disk, the bytes the database holds, the time spent reading, encoding and storing them. */
  archived: { runs: number; files: number; sizeBytes: number; encodedBytes: number; ms: number };
}

/**
 * Import every bundle below `roots`. A bundle that cannot be read or analysed
 * is counted as failed and reported with its path and the error; the rest go
 * on. Nothing is skipped without a word.
 *
 * `archive`: each run's files are also stored in the database
 * (server/stored-files.ts), in the same transaction as its evidence, so its
 * permalink and files survive the folder being moved or deleted; what the
 * per-file cap cut or left out is a problem of the run. A run archived once
 * stays archived: re-importing its changed bundle stores the new files with
 * or without the flag. An unchanged bundle not yet archived is re-read when
 * the flag asks for its files.
 */
export async function importBundles({
  db,
  roots,
  onProgress,
  limits,
  archive = false,
  storedFileMaxBytes,
}: {
  db: Db;
  roots: string[];
  onProgress?: (line: string) => void;
  limits?: ReadLimits;
  archive?: boolean;
  storedFileMaxBytes?: number;
}): Promise<ImportResult> {
  const result: ImportResult = { added: 0, updated: 0, unchanged: 0, failed: 0, problems: [], runs: [], archived: { runs: 0, files: 0, sizeBytes: 0, encodedBytes: 0, ms: 0 } };
  const cap = storedFileMaxBytes ?? (archive ? storedFileCap() : undefined);
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const bundles = discoverBundles(roots, (p) => result.problems.push({ ...p, file: rel(p.file) }));
  // Plan files refused on the way up from a bundle: reported once, however many bundles sit below them.
  const planProblems = new Set<string>();
  let configured: string[] = [];
  try {
    configured = plansRoots();
  } catch {
    /* no configured plans folders: symlinked plans may then only stay in their own folder */
  }
  const nearest: NearestOptions = {
    plansRoots: configured,
    onProblem: (p) => {
      const key = `${p.file}\0${p.message}`;
      if (planProblems.has(key)) return;
      planProblems.add(key);
      result.problems.push({ ...p, file: rel(p.file) });
    },
  };
  for (const [i, b] of bundles.entries()) {
    const label = `${rel(b.dir)}${b.logFile ? `#${b.logFile}` : ''}`;
    const prefix = `[${i + 1}/${bundles.length}]`;
    try {
      const read = readBundle(b.dir, limits);
      const hash = read.hash + (b.logFile ?? '');
      const id = runIdFor(b.sourceKey);
      const existing = await getRunBySourceKey({ db, sourceKey: b.sourceKey });
      const wasArchived = existing ? await hasStoredFiles({ db, runId: existing.id }) : false;
      const store = archive || wasArchived;
      if (existing && existing.contentHash === hash && (wasArchived || !archive)) {
        // The bundle is the same, but the plans above it may not be.
        await linkToPlans(db, existing.id, b.dir, read.files, nearest);
        result.unchanged++;
        result.runs.push({ id: existing.id, dir: b.dir, logFile: b.logFile, action: 'unchanged', status: null });
        onProgress?.(`${prefix} unchanged ${label}`);
        continue;
      }
      const runFiles = filesForRun(read.files, b.logFile);
      let { evidence, series } = analyseBundleWithSeries(runFiles, { root: b.dir, logFile: b.logFile });
      // A row the bundle proves may ask for knobs (its guidance, the brief, a rule): its knobs check compares with those.
      const asked = rowRequest(b.dir, read.files, nearest, runIdentityOf(evidence));
      if (asked) ({ evidence, series } = analyseBundleWithSeries(runFiles, { root: b.dir, logFile: b.logFile, requested: asked }));
      evidence.problems = read.problems.concat(evidence.problems);
      let stored: StoredFileInput[] = [];
      const storeStarted = performance.now();
      if (store) {
        const packed = packBundleFiles({ dir: b.dir, paths: evidence.files.map((f) => f.path), cap: cap ?? storedFileCap() });
        stored = packed.files;
        evidence.problems = evidence.problems.concat(packed.problems);
      }
      // The folder's timestamp when it has one (the team's convention), else the newest file less the runtime.
      const durationMs = evidence.runtime ? Math.round(evidence.runtime.realS * 1000) : 0;
      const startedAt = timestampToMs(evidence.bundle.timestamp) ?? (read.newestMtimeMs !== null ? read.newestMtimeMs - durationMs : Date.now());
      // Inside settleWithStoredFiles' transaction the save must use its tx (a nested tx joins it); alone it opens its own.
      const save = async (tx: Db = db) => {
        await saveRun({
          db: tx,
          id,
          sourceKey: b.sourceKey,
          origin: 'imported',
          bundleDir: b.dir,
          contentHash: hash,
          evidence,
          series,
          startedAt,
          endedAt: evidence.runtime ? startedAt + durationMs : null,
        });
        return true;
      };
      if (store) {
        await settleWithStoredFiles({ db, runId: id, files: stored, settle: save });
        const a = result.archived;
        a.runs++;
        a.files += stored.length;
        for (const f of stored) {
          a.sizeBytes += f.sizeBytes;
          a.encodedBytes += f.chunks.reduce((n, c) => n + c.length, 0);
        }
        a.ms += performance.now() - storeStarted;
      } else await save();
      await linkToPlans(db, id, b.dir, read.files, nearest);
      const action = existing ? 'updated' : 'added';
      result[action]++;
      result.runs.push({ id, dir: b.dir, logFile: b.logFile, action, status: evidence.status, ...(store ? { archived: true } : {}) });
      for (const p of evidence.problems) result.problems.push({ ...p, file: path.join(/*turbopackIgnore: true*/ rel(b.dir), p.file) });
      const c = evidence.checks;
      const tally = `${c.filter((x) => x.status === 'pass').length} pass, ${c.filter((x) => x.status === 'fail').length} fail`;
      onProgress?.(`${prefix} ${action.padEnd(9)} ${label}  ${evidence.status}  (${tally})${store ? `  [${stored.length} file${stored.length === 1 ? '' : 's'} stored]` : ''}`);
    } catch (e) {
      const error = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
      result.failed++;
      result.problems.push({ file: label, line: null, message: `bundle not imported: ${error}` });
      result.runs.push({ id: runIdFor(b.sourceKey), dir: b.dir, logFile: b.logFile, action: 'failed', status: null, error });
      onProgress?.(`${prefix} FAILED    ${label}: ${error}`);
    }
  }
  return result;
}
