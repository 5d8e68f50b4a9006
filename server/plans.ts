/**
 * Plan files on disk: finding them under a folder, finding the nearest plan
 * above a bundle, and working out which rows a bundle proves. The I/O half of
 * `lib/plans` (which only sees text).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parsePlan } from '../lib/plans/parse';
import { namedRows } from '../lib/plans/refs';
import { PROVES_FILE, parseProvesConfig } from '../lib/plans/proves-config';
import {
  briefNamesRow,
  qualify,
  requestedFor,
  requirementFromBrief,
  requirementFromGuidance,
  requirementText,
  rowRequirement,
  ruleFor,
  type ProvesRule,
  type RowRequirement,
  type RunIdentity,
} from '../lib/plans/qualify';
import type { ParsedPlan, PlanRowRef } from '../lib/plans/types';
import type { Problem } from '../lib/evidence/types';
import { decodeText, readDirSorted, SKIP_DIRS } from './fs-walk';
import type { Db } from '../db/client';
import { getRunPlanRowsAt } from '../db/queries/plans';
import { getRunEvidence } from '../db/queries/runs';
import { runIdentityOf } from '../lib/evidence/provenance';
import { judgeRun } from '../lib/evidence/verdict';
import type { Evidence } from '../lib/evidence/types';
import { openInside } from './bundle-files';

/** Plan files bigger than this are reported, not read. */
const MAX_PLAN_BYTES = 8 * 1024 * 1024;
/** How far `nearestPlans` walks up from a bundle at most. */
const MAX_UP = 40;
const BRIEF_NAMES = ['input.md', 'brief.md'];

export interface PlanFile {
  /** Absolute path (symlinks resolved). */
  path: string;
  id: string;
  display: string;
  initiative: string;
  mtimeMs: number;
  size: number;
  text: string;
  parsed: ParsedPlan;
}

export function planIdFor(absPath: string): string {
  return crypto.createHash('sha256').update(absPath).digest('hex').slice(0, 12);
}

/**
 * How a plan is named on pages, in the evidence and in patch headers:
 * relative to the folder above its (innermost) `plans/` folder, as the team
 * writes paths; else relative to the repository (the nearest folder with a
 * `.git`); else its file name. It depends on the path alone, so every caller
 * names a plan the same way.
 */
export function displayPath(abs: string, isRepoRoot: (dir: string) => boolean = (d) => fs.existsSync(path.join(/*turbopackIgnore: true*/ d, '.git'))): string {
  const parts = abs.split(path.sep);
  const at = parts.lastIndexOf('plans', parts.length - 2);
  if (at > 0) return parts.slice(at).join('/');
  for (let dir = path.dirname(abs), up = 0; up < MAX_UP; up++) {
    if (isRepoRoot(dir)) return path.relative(dir, abs).split(path.sep).join('/');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.basename(abs);
}

/** The plan's initiative: its `Initiative:` line, else the folder under `plans/active/` (or `plans/`). */
export function initiativeOf(parsed: ParsedPlan, display: string): string {
  if (parsed.initiative) return parsed.initiative;
  const parts = display.split('/').slice(0, -1);
  if (parts[0] === 'plans') parts.shift();
  if (parts.length > 1 && ['active', 'archive', 'archived', 'done'].includes(parts[0])) parts.shift();
  return parts[0] ?? '(no initiative)';
}

const cache = new Map<string, PlanFile | null>();

function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync(/*turbopackIgnore: true*/ p);
  } catch {
    return null;
  }
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Every byte of a file through one descriptor (the file may grow while read: its fstat size is what is read). */
function readFd(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = fs.readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * Open a plan file for reading by its resolved path `abs`, through a
 * descriptor whose own path is checked to be `abs` (no symlink swapped in
 * between). The caller closes the descriptor.
 */
function openPlan(abs: string): { ok: true; fd: number; st: fs.Stats } | { ok: false; message: string } {
  const r = openInside(path.dirname(abs), abs);
  if (!r.ok) return { ok: false, message: r.why === 'outside' ? 'changed while being read, not read' : r.message };
  if (r.real !== abs) {
    fs.closeSync(r.fd);
    return { ok: false, message: 'changed while being read, not read' };
  }
  return { ok: true, fd: r.fd, st: r.stat };
}

export interface ReadPlanOptions {
  /**
   * Folders a plan reached through a symbolic link may resolve into (the
   * configured plans folders, the folder being scanned). A file whose path
   * is its own realpath needs none; one reached through a link pointing
   * anywhere else is reported and not read. Default: none, so only files
   * named by their realpath are read (re-reading an indexed plan).
   */
  within?: string[];
}

/**
 * Read and parse one markdown file; null when it has no plan table. Cached
 * by path, mtime and size, so re-indexing an unchanged tree reads nothing.
 */
export function readPlanFile(file: string, onProblem?: (p: Problem) => void, opts: ReadPlanOptions = {}): PlanFile | null {
  const abs = realOrNull(file);
  if (abs === null) {
    onProblem?.({ file, line: null, message: 'cannot read plan: no such file (or a symbolic link to nothing)' });
    return null;
  }
  if (abs !== path.resolve(file)) {
    const roots = (opts.within ?? []).map(realOrNull).filter((r): r is string => r !== null);
    if (!roots.some((r) => within(r, abs))) {
      onProblem?.({ file, line: null, message: 'symbolic link to a file outside the plans folders, not read' });
      return null;
    }
  }
  const opened = openPlan(abs);
  if (!opened.ok) {
    onProblem?.({ file, line: null, message: `cannot read plan: ${opened.message}` });
    return null;
  }
  const { fd, st } = opened;
  try {
    const key = `${abs}\0${st.mtimeMs}\0${st.size}`;
    if (cache.has(key)) return cache.get(key)!;
    if (st.size > MAX_PLAN_BYTES) {
      onProblem?.({ file, line: null, message: `markdown file over ${MAX_PLAN_BYTES / 1024 / 1024} MB, not read as a plan` });
      return null;
    }
    let buf: Buffer;
    try {
      buf = readFd(fd, st.size);
    } catch (e) {
      onProblem?.({ file, line: null, message: `cannot read plan: ${(e as Error).message}` });
      return null;
    }
    const display = displayPath(abs);
    const { text, problem } = decodeText(buf, display);
    const parsed = parsePlan(text, display);
    const isPlan = parsed.tables.length > 0 || parsed.problems.length > 0;
    // Bad bytes matter only in a plan: other markdown files are not ours to judge.
    if (problem && isPlan) parsed.problems.unshift(problem);
    const out: PlanFile | null = isPlan ? { path: abs, id: planIdFor(abs), display, initiative: initiativeOf(parsed, display), mtimeMs: Math.round(st.mtimeMs), size: st.size, text, parsed } : null;
    if (cache.size > 5000) cache.clear();
    cache.set(key, out);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The text of an indexed plan for the source page: read only while the file
 * at the indexed (resolved) path is still a plain file, not a link swapped
 * in since, and no bigger than a plan may be. Null when it cannot be read.
 */
export function readIndexedPlanText(abs: string): string | null {
  const opened = openPlan(abs);
  if (!opened.ok) return null;
  try {
    if (opened.st.size > MAX_PLAN_BYTES) return null;
    return decodeText(readFd(opened.fd, opened.st.size), abs).text;
  } catch {
    return null;
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Every plan file below `root` (markdown files with at least one plan table),
 * in path order. A symlinked plan file is read only when it resolves inside
 * `root` or one of `alsoWithin` (the other configured plans folders).
 */
export function scanPlans(root: string, onProblem: (p: Problem) => void = () => {}, alsoWithin: string[] = []): PlanFile[] {
  const out: PlanFile[] = [];
  const base = path.resolve(root);
  const allowed = [base, ...alsoWithin];
  const walk = (dir: string) => {
    const entries = readDirSorted(dir, onProblem);
    if (!entries) return;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(full);
      } else if ((e.isFile() || (e.isSymbolicLink() && isFileSync(full))) && /\.md$/i.test(e.name)) {
        const plan = readPlanFile(full, onProblem, { within: allowed });
        if (plan) {
          out.push(plan);
          for (const p of plan.parsed.problems) onProblem(p);
        }
      }
    }
  };
  if (!fs.statSync(base).isDirectory()) throw new Error(`${root} is not a folder`);
  walk(base);
  return out;
}

function isFileSync(p: string): boolean {
  try {
    return fs.statSync(/*turbopackIgnore: true*/ p).isFile();
  } catch {
    return false;
  }
}

function plansIn(dir: string, opts: NearestOptions): PlanFile[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => /\.md$/i.test(n))
      .sort();
  } catch {
    return [];
  }
  const out: PlanFile[] = [];
  for (const n of names) {
    if (BRIEF_NAMES.includes(n.toLowerCase())) continue;
    const plan = readPlanFile(path.join(dir, n), opts.onProblem, { within: [dir, ...(opts.plansRoots ?? [])] });
    if (plan?.parsed.rows.length) out.push(plan);
  }
  return out;
}

export interface BundleContext {
  /** The plan files of the nearest folder at or above the bundle that has any. */
  plans: PlanFile[];
  /** The nearest brief (`input.md`) above the bundle that names the bundle's path. */
  brief: { path: string; text: string } | null;
}

export interface NearestOptions {
  /** The configured plans folders: a symlinked plan above a bundle may resolve into them (or into its own folder). */
  plansRoots?: string[];
  /** Plan files (or briefs) refused or unreadable on the way up. */
  onProblem?: (p: Problem) => void;
}

/** A brief's text, when it is a file of its own folder (not a link out of it). */
function readBrief(dir: string, file: string): string | null {
  const r = openInside(dir, file);
  if (!r.ok) return null;
  try {
    if (r.stat.size > MAX_PLAN_BYTES) return null;
    return readFd(r.fd, r.stat.size).toString('utf8');
  } finally {
    fs.closeSync(r.fd);
  }
}

/**
 * The plans nearest above a bundle, and the brief that asked for it. Walks up
 * to a `.git` folder or the root. A plan file that is a symbolic link is read
 * only when it resolves inside its own folder or a configured plans folder.
 */
export function nearestPlans(bundleDir: string, opts: NearestOptions = {}): BundleContext {
  let dir = path.resolve(bundleDir);
  try {
    dir = fs.realpathSync(dir);
  } catch {
    /* keep the resolved path */
  }
  const bundle = dir;
  let plans: PlanFile[] = [];
  let brief: BundleContext['brief'] = null;
  for (let up = 0; up < MAX_UP; up++) {
    if (!plans.length) plans = plansIn(dir, opts);
    if (!brief)
      for (const name of BRIEF_NAMES) {
        const file = path.join(/*turbopackIgnore: true*/ dir, name);
        try {
          const text = readBrief(dir, file);
          if (text === null) continue;
          const rel = path.relative(dir, bundle).split(path.sep).join('/');
          // The bundle's own path, not a longer one that starts with it (runs/run1 in runs/run10).
          if (rel && new RegExp(`(?<![\\w./-])${rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text)) brief = { path: file, text };
        } catch {
          /* no brief here */
        }
      }
    if ((plans.length && brief) || fs.existsSync(path.join(dir, '.git'))) break;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { plans, brief };
}

export interface BundleLink {
  planPath: string;
  planDisplay: string;
  rowId: string;
  source: PlanRowRef['source'];
  /** The plan does not have this row (named in the text but not in the table). */
  missing: boolean;
}

/**
 * The rows a bundle proves: IDs of its nearest plan named in its `summary.md`,
 * in the brief that asked for it, or in its folder names below the plan.
 */
export function linkBundle(bundleDir: string, summaryText?: string | null, context: BundleContext = nearestPlans(bundleDir)): BundleLink[] {
  const { plans, brief } = context;
  if (!plans.length) return [];
  let summary = summaryText;
  if (summary === undefined) {
    try {
      summary = fs.readFileSync(path.join(bundleDir, 'summary.md'), 'utf8');
    } catch {
      summary = null;
    }
  }
  const out: BundleLink[] = [];
  const seen = new Set<string>();
  for (const plan of plans) {
    const ids = plan.parsed.rows.map((r) => r.id);
    const rel = path.relative(path.dirname(plan.path), bundleDir);
    const folders = rel.startsWith('..') ? path.basename(bundleDir) : rel.split(path.sep).join(' ');
    const sources: Array<[BundleLink['source'], string | null | undefined]> = [
      ['summary', summary],
      ['brief', brief?.text],
      ['folder', folders],
    ];
    for (const [source, text] of sources) {
      if (!text) continue;
      const named = namedRows(text, ids);
      for (const [list, missing] of [
        [named.found, false],
        [named.unknown, true],
      ] as const)
        for (const id of list) {
          const key = `${plan.path}\0${id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ planPath: plan.path, planDisplay: plan.display, rowId: id, source, missing });
        }
    }
  }
  return out;
}

/** The evidence document's `planRows` for links resolved against plan files on disk (`runproof show`); judged when the run is given. */
export function planRowRefs(links: BundleLink[], run?: RunIdentity): PlanRowRef[] {
  const refs = links.map((l): PlanRowRef => {
    const plan = readPlanFile(l.planPath);
    const row = plan?.parsed.rows.find((r) => r.id === l.rowId);
    return row
      ? { plan: l.planDisplay, id: l.rowId, state: row.state, line: row.line, source: l.source }
      : { plan: l.planDisplay, id: l.rowId, state: null, line: null, source: l.source, missing: true };
  });
  return run
    ? judgePlanRowRefs(
        refs,
        links.map((l) => l.planPath),
        run,
      )
    : refs;
}

// --- what proves a row: its guidance, the brief that asks for it, runproof-proves.json -------------------------

export interface PlanRequirements {
  /** Each row's requirement; null: any run of it qualifies. */
  rows: Map<string, RowRequirement | null>;
  /** Problems in the rules file (path and line), for the plans page and `runproof plans`. */
  problems: Problem[];
  /** The brief and the rules file found above the plan (absolute), when there are any. */
  brief: string | null;
  rulesFile: string | null;
}

/** How long a walk up from a plan folder (stats of input.md and runproof-proves.json) is trusted. */
const WALK_TTL_MS = 2000;
const walkCache = new Map<string, { at: number; brief: string | null; rules: string | null }>();
const requirementCache = new Map<string, { key: string; value: PlanRequirements }>();
const rulesCache = new Map<string, { key: string; rules: ProvesRule[]; problems: Problem[] }>();

function statKey(file: string | null): string {
  if (!file) return '-';
  try {
    const st = fs.statSync(/*turbopackIgnore: true*/ file);
    return `${file}\0${st.mtimeMs}\0${st.size}`;
  } catch {
    return `${file}\0gone`;
  }
}

/**
 * The nearest brief and rules file at or above `dir`, up to the repository
 * root or `stop` (the folder that holds the plans folder), whichever comes
 * first: never above where the plans' repository starts.
 */
function walkUp(dir: string, stop: string | null, now: number): { brief: string | null; rules: string | null } {
  const hit = walkCache.get(dir);
  if (hit && now - hit.at < WALK_TTL_MS) return hit;
  let brief: string | null = null;
  let rules: string | null = null;
  let d = dir;
  for (let up = 0; up < MAX_UP && (!brief || !rules); up++) {
    if (!rules && isFileSync(path.join(/*turbopackIgnore: true*/ d, PROVES_FILE))) rules = path.join(d, PROVES_FILE);
    if (!brief) {
      const n = BRIEF_NAMES.find((name) => isFileSync(path.join(/*turbopackIgnore: true*/ d, name)));
      if (n) brief = path.join(d, n);
    }
    if (d === stop || fs.existsSync(path.join(/*turbopackIgnore: true*/ d, '.git'))) break;
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  const value = { at: now, brief, rules };
  if (walkCache.size > 5000) walkCache.clear();
  walkCache.set(dir, value);
  return value;
}

/** The folder a plan's display path starts in (the one above `plans/`), when the display path is a tail of its path. */
function planBase(planPath: string, planDisplay: string): string | null {
  const tail = planDisplay.split('/').join(path.sep);
  return planPath.endsWith(path.sep + tail) ? planPath.slice(0, planPath.length - tail.length - 1) : null;
}

/** A file named as the plan is: relative to the folder above `plans/` (where `plans/…/plan.md` starts), else its name. */
function displayBeside(planPath: string, planDisplay: string, file: string): string {
  const root = planBase(planPath, planDisplay) ?? path.dirname(planPath);
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : path.basename(file);
}

function readSmallText(file: string): string | null {
  const r = openInside(path.dirname(file), file);
  if (!r.ok) return null;
  try {
    if (r.stat.size > MAX_PLAN_BYTES) return null;
    return decodeText(readFd(r.fd, r.stat.size), file).text;
  } finally {
    fs.closeSync(r.fd);
  }
}

/**
 * What proves each row of a plan (lib/plans/qualify.ts): a rule in the
 * nearest `runproof-proves.json` above the plan, else a command (or flags) in
 * the row's guidance, else the training command of the nearest brief
 * (`input.md`) above the plan when it names the row. Cached on the plan's,
 * the brief's and the rules file's mtime and size.
 */
export function planRequirements(planPath: string, now = Date.now()): PlanRequirements {
  const plan = readPlanFile(planPath);
  if (!plan) return { rows: new Map(), problems: [], brief: null, rulesFile: null };
  const base = planBase(plan.path, plan.display);
  const found = walkUp(path.dirname(plan.path), base && plan.display.startsWith('plans/') ? base : null, now);
  const key = [plan.mtimeMs, plan.size, statKey(found.brief), statKey(found.rules)].join('\0');
  const hit = requirementCache.get(plan.path);
  if (hit && hit.key === key) return hit.value;

  const problems: Problem[] = [];
  let rules: ProvesRule[] = [];
  if (found.rules) {
    const rk = statKey(found.rules);
    const cached = rulesCache.get(found.rules);
    const display = displayBeside(plan.path, plan.display, found.rules);
    if (cached && cached.key === rk) ({ rules } = cached);
    else {
      const text = readSmallText(found.rules);
      const parsed =
        text === null ? { rules: [], problems: [{ file: display, line: null, message: 'cannot read the rules file (a link out of its folder, or over 8 MB)' }] } : parseProvesConfig(text, display);
      rulesCache.set(found.rules, { key: rk, ...parsed });
      rules = parsed.rules;
    }
    problems.push(...rulesCache.get(found.rules)!.problems);
  }
  const briefText = found.brief ? readSmallText(found.brief) : null;
  const briefReq = briefText !== null ? requirementFromBrief(briefText, displayBeside(plan.path, plan.display, found.brief!)) : null;
  const ids = plan.parsed.rows.map((r) => r.id);
  const rows = new Map<string, RowRequirement | null>();
  for (const r of plan.parsed.rows) {
    if (rows.has(r.id)) continue;
    rows.set(
      r.id,
      rowRequirement({
        rule: ruleFor(rules, plan.display, r.id),
        guidance: requirementFromGuidance(r.guidance, { file: plan.display, line: r.line }),
        brief: briefReq && briefText !== null && briefNamesRow(briefText, r.id, ids, plan.display) ? briefReq : null,
      }),
    );
  }
  const value = { rows, problems, brief: found.brief, rulesFile: found.rules };
  if (requirementCache.size > 5000) requirementCache.clear();
  requirementCache.set(plan.path, { key, value });
  return value;
}

/** A lookup for db/queries/plans: the requirements of the plan at `planPath`, null when it cannot be read. */
export function requirementsOf(planPath: string): Map<string, RowRequirement | null> | null {
  try {
    return planRequirements(planPath).rows;
  } catch (e) {
    console.error(`[runproof] reading what proves the rows of ${planPath} failed:`, e);
    return null;
  }
}

/** The evidence's plan rows with whether this run qualifies for each, and what each asks for. */
export function judgePlanRowRefs(refs: PlanRowRef[], planPaths: string[], run: RunIdentity): PlanRowRef[] {
  return refs.map((r, k) => {
    if (r.missing) return r;
    const req = requirementsOf(planPaths[k])?.get(r.id) ?? null;
    const q = qualify(run, req);
    return { ...r, qualifies: q.qualifies, why: q.why, requires: req ? requirementText(req) : null, requiredCommand: req?.command ?? null };
  });
}

/**
 * The command a run's knobs check compares it with when it is linked to rows
 * that ask for knobs: the first row it qualifies for that names some (its
 * `requestedFor`), else null (the launch request or the bundle's own brief
 * stays the comparison).
 */
export function requestedForLinks(links: Array<{ planPath: string; rowId: string }>, run: RunIdentity): { text: string; source: string } | null {
  for (const l of links) {
    const asked = requestedFor(l.rowId, requirementsOf(l.planPath)?.get(l.rowId) ?? null, run);
    if (asked) return asked;
  }
  return null;
}

/**
 * A stored run and its evidence, its plan rows judged (does this run qualify
 * for each, what each asks for): what the evidence page, `GET /api/runs/<id>`
 * and `runproof show <run-id>` serve, so they agree.
 */
export async function getJudgedRunEvidence({ db, id }: { db: Db; id: string }): Promise<Awaited<ReturnType<typeof getRunEvidence>>> {
  const found = await getRunEvidence({ db, id });
  if (found?.evidence.planRows?.length) {
    const rows = await getRunPlanRowsAt({ db, runId: id });
    found.evidence.planRows = judgePlanRowRefs(
      rows.map((r) => r.ref),
      rows.map((r) => r.planPath),
      runIdentityOf(found.evidence, found.run.profile),
    );
  }
  if (found) found.evidence.verdict = verdictOfEvidence(found.evidence);
  return found;
}

/** The evidence document's `verdict` as served: the verdict and its one sentence. */
export function verdictOfEvidence(ev: Evidence): NonNullable<Evidence['verdict']> {
  const j = judgeRun(ev);
  return { verdict: j.verdict, sentence: j.sentence };
}
