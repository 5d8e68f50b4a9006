/**
 * Bundles on disk: finding them, reading them, and storing their evidence.
 * The I/O half of `lib/evidence` (which only sees text).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { analyseBundle, analyseBundleWithSeries, classifyFile, timestampToMs, type AnalyseOptions, type InputFile } from '../lib/evidence/analyse';
import type { Evidence, Problem } from '../lib/evidence/types';
import type { Db } from '../db/client';
import { getRunBySourceKey, saveRun } from '../db/queries/runs';
import { setRunPlanLinks } from '../db/queries/plans';
import { linkBundle, nearestPlans, planRowRefs } from './plans';
import { indexPlanFiles } from './plan-index';
import { decodeText, readDirSorted, SKIP_DIRS } from './fs-walk';

export { decodeText };

/** Files we never read as text (model weights, archives, images). */
export const BINARY_EXT = /\.(ckpt|pt|pth|bin|safetensors|h5|hdf5|zip|npz|npy|gz|tgz|tar|bz2|xz|png|jpe?g|gif|webp|pdf|so|pkl|pickle)$/i;
const MAX_TEXT_BYTES = 512 * 1024 * 1024;


export interface BundleRun {
  /** Absolute folder. */
  dir: string;
  /** This run's log when the folder holds several logs; null otherwise. */
  logFile: string | null;
  sourceKey: string;
}

/** A folder is a bundle when it holds a training log, a metrics.csv, a checkpoint listing or a summary.md. */
export function isBundleFile(name: string): boolean {
  const role = classifyFile(name);
  return role === 'log' || role === 'metrics' || role === 'checkpoint-listing' || (role === 'summary' && /summary\.md$/i.test(name));
}

/**
 * Every bundle below the given folders. A folder with several logs is several
 * runs (one per log), as when a command was re-run into the same folder.
 */
export function discoverBundles(roots: string[], onProblem: (p: Problem) => void = () => {}): BundleRun[] {
  const out: BundleRun[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const entries = readDirSorted(dir, onProblem);
    if (!entries) return;
    const files = entries.filter((e) => e.isFile()).map((e) => e.name);
    if (files.some(isBundleFile)) {
      const logs = files.filter((f) => classifyFile(f) === 'log');
      if (logs.length > 1) for (const l of logs) out.push({ dir, logFile: l, sourceKey: `${dir}#${l}` });
      else out.push({ dir, logFile: null, sourceKey: dir });
    }
    for (const e of entries) if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(path.join(dir, e.name));
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


/** The files directly in a bundle folder, text decoded, with a content hash for idempotent re-import. */
export function readBundle(dir: string): ReadBundle {
  const hash = crypto.createHash('sha256');
  const files: InputFile[] = [];
  const problems: Problem[] = [];
  let newestMtimeMs: number | null = null;
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(full);
    } catch (e) {
      problems.push({ file: name, line: null, message: `cannot stat: ${(e as Error).message}` });
      continue;
    }
    if (!st.isFile()) continue;
    newestMtimeMs = Math.max(newestMtimeMs ?? 0, Math.round(st.mtimeMs));
    hash.update(`${name}\0${st.size}\0`);
    if (BINARY_EXT.test(name) || st.size > MAX_TEXT_BYTES) {
      hash.update(String(st.mtimeMs));
      files.push({ path: name, sizeBytes: st.size, text: null });
      continue;
    }
    try {
      const buf = fs.readFileSync(full);
      hash.update(buf);
      const { text, problem } = decodeText(buf, name);
      if (problem) problems.push(problem);
      files.push({ path: name, sizeBytes: st.size, text });
    } catch (e) {
      problems.push({ file: name, line: null, message: `cannot read: ${(e as Error).message}` });
    }
  }
  return { files, hash: hash.digest('hex'), problems, newestMtimeMs };
}

/** The files of one run: every file of the folder, but of its logs only this run's. */
export function filesForRun(files: InputFile[], logFile: string | null | undefined): InputFile[] {
  return logFile ? files.filter((f) => classifyFile(f.path) !== 'log' || f.path === logFile) : files;
}

/** Analyse one bundle folder without a database (`runproof show`). */
export function showBundle(dir: string, opts: Omit<AnalyseOptions, 'root'> = {}): Evidence {
  const read = readBundle(dir);
  const evidence = analyseBundle(filesForRun(read.files, opts.logFile), { ...opts, root: dir });
  evidence.problems.unshift(...read.problems);
  evidence.planRows = planRowRefs(linkBundle(dir, read.files.find((f) => f.path === 'summary.md')?.text ?? null));
  return evidence;
}

/** Index the plans nearest above a bundle and link the run to the rows the bundle names (one walk up, the summary already read). */
function linkToPlans(db: Db, runId: string, dir: string, files: InputFile[]): void {
  const context = nearestPlans(dir);
  indexPlanFiles(db, context.plans);
  const links = linkBundle(dir, files.find((f) => f.path === 'summary.md')?.text ?? null, context);
  setRunPlanLinks({ db, runId, links: links.map(({ missing: _m, ...l }) => l) });
}

export function runIdFor(sourceKey: string): string {
  return crypto.createHash('sha256').update(sourceKey).digest('hex').slice(0, 12);
}

export interface ImportResult {
  added: number;
  updated: number;
  unchanged: number;
  problems: Problem[];
  runs: Array<{ id: string; dir: string; logFile: string | null; action: 'added' | 'updated' | 'unchanged' | 'failed'; status: string | null }>;
}

/**
 * Import every bundle below `roots`. A bundle that cannot be read or analysed
 * is reported and skipped; the rest go on.
 */
export function importBundles({ db, roots, onProgress }: { db: Db; roots: string[]; onProgress?: (line: string) => void }): ImportResult {
  const result: ImportResult = { added: 0, updated: 0, unchanged: 0, problems: [], runs: [] };
  const bundles = discoverBundles(roots, (p) => result.problems.push(p));
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  bundles.forEach((b, i) => {
    const label = `${rel(b.dir)}${b.logFile ? `#${b.logFile}` : ''}`;
    const prefix = `[${i + 1}/${bundles.length}]`;
    try {
      const read = readBundle(b.dir);
      const hash = read.hash + (b.logFile ?? '');
      const id = runIdFor(b.sourceKey);
      const existing = getRunBySourceKey({ db, sourceKey: b.sourceKey });
      if (existing && existing.contentHash === hash) {
        // The bundle is the same, but the plans above it may not be.
        linkToPlans(db, existing.id, b.dir, read.files);
        result.unchanged++;
        result.runs.push({ id: existing.id, dir: b.dir, logFile: b.logFile, action: 'unchanged', status: null });
        onProgress?.(`${prefix} unchanged ${label}`);
        return;
      }
      const { evidence, series } = analyseBundleWithSeries(filesForRun(read.files, b.logFile), { root: b.dir, logFile: b.logFile });
      evidence.problems.unshift(...read.problems);
      // The folder's timestamp when it has one (the team's convention), else the newest file less the runtime.
      const durationMs = evidence.runtime ? Math.round(evidence.runtime.realS * 1000) : 0;
      const startedAt = timestampToMs(evidence.bundle.timestamp) ?? (read.newestMtimeMs !== null ? read.newestMtimeMs - durationMs : Date.now());
      saveRun({
        db,
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
      linkToPlans(db, id, b.dir, read.files);
      const action = existing ? 'updated' : 'added';
      result[action]++;
      result.runs.push({ id, dir: b.dir, logFile: b.logFile, action, status: evidence.status });
      for (const p of evidence.problems) result.problems.push({ ...p, file: path.join(/*turbopackIgnore: true*/ rel(b.dir), p.file) });
      const c = evidence.checks;
      const tally = `${c.filter((x) => x.status === 'pass').length} pass, ${c.filter((x) => x.status === 'fail').length} fail`;
      onProgress?.(`${prefix} ${action.padEnd(9)} ${label}  ${evidence.status}  (${tally})`);
    } catch (e) {
      result.problems.push({ file: rel(b.dir), line: null, message: `bundle skipped: ${(e as Error).message}` });
      result.runs.push({ id: runIdFor(b.sourceKey), dir: b.dir, logFile: b.logFile, action: 'failed', status: null });
      onProgress?.(`${prefix} FAILED    ${label}: ${(e as Error).message}`);
    }
  });
  return result;
}
