/**
 * Keeps the plan index in the database in step with plan files on disk: the
 * configured plans folders are scanned at start and re-scanned when a file
 * under them changes; plans found above imported bundles are re-read when
 * their mtime or size changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { listPlanFiles, removePlans, upsertPlans } from '../db/queries/plans';
import type { Problem } from '../lib/evidence/types';
import { getEnv } from './env';
import { readPlanFile, scanPlans, type PlanFile } from './plans';
import { profileCheckouts } from './profiles';

function toInput(p: PlanFile) {
  return { id: p.id, path: p.path, display: p.display, initiative: p.initiative, title: p.parsed.title, mtimeMs: p.mtimeMs, size: p.size, rows: p.parsed.rows, problems: p.parsed.problems };
}

/** The folders whose plans are indexed: RUNPROOF_PLANS_DIR, else the `plans/` of profile checkouts. */
export function plansRoots(): string[] {
  const env = getEnv();
  if (env.RUNPROOF_PLANS_DIR)
    return env.RUNPROOF_PLANS_DIR.split(path.delimiter)
      .filter(Boolean)
      .map((p) => path.resolve(/*turbopackIgnore: true*/ env.root, p));
  let checkouts: string[] = [];
  try {
    checkouts = profileCheckouts();
  } catch {
    // A bad RUNPROOF_PROFILES is reported where profiles are used; here it only means no checkout plans.
  }
  return checkouts.map((c) => path.join(/*turbopackIgnore: true*/ c, 'plans')).filter((p) => fs.existsSync(p));
}

export function indexPlanFiles(db: Db, files: PlanFile[]): Promise<number> {
  return upsertPlans({ db, plans: files.map(toInput) });
}

export interface IndexResult {
  plans: number;
  rows: number;
  changed: number;
  removed: number;
  problems: Problem[];
}

/**
 * Scan one plans folder: add and refresh its plans, forget the ones deleted
 * from it. A symlinked plan file is indexed only when it resolves inside this
 * folder or one of `otherRoots` (the other configured plans folders).
 */
export async function indexPlansDir(db: Db, root: string, otherRoots: string[] = []): Promise<IndexResult> {
  const problems: Problem[] = [];
  const found = scanPlans(root, (p) => problems.push(p), otherRoots);
  const changed = await indexPlanFiles(db, found);
  const abs = fs.realpathSync(root);
  const keep = new Set(found.map((f) => f.path));
  // Only plans whose file is gone (or holds no plan table any more): a plan the scan skips (in a dot-folder,
  // indexed because a bundle sits below it) stays.
  const gone = (await listPlanFiles({ db })).filter((p) => p.path.startsWith(abs + path.sep) && !keep.has(p.path) && !readPlanFile(p.path)).map((p) => p.id);
  const removed = await removePlans({ db, ids: gone });
  return { plans: found.length, rows: found.reduce((n, f) => n + f.parsed.rows.length, 0), changed, removed, problems };
}

/** Re-read indexed plans whose file changed; forget deleted ones. Stats only when nothing changed. */
export async function refreshKnownPlans(db: Db): Promise<number> {
  let changed = 0;
  const gone: string[] = [];
  for (const p of await listPlanFiles({ db })) {
    let st: fs.Stats;
    try {
      // lstat: an indexed path is a resolved one, so a link found there now was swapped in and is re-judged.
      st = fs.lstatSync(p.path);
    } catch {
      gone.push(p.id);
      continue;
    }
    if (st.isFile() && Math.round(st.mtimeMs) === p.mtimeMs && st.size === p.size) continue;
    const file = readPlanFile(p.path);
    if (file) changed += await indexPlanFiles(db, [file]);
    else gone.push(p.id);
  }
  return changed + (await removePlans({ db, ids: gone }));
}

/**
 * Runs beside the web server (`runproof serve`): indexes the plans folders at
 * start, watches them (debounced), and re-checks known plans periodically.
 * One pass at a time: a watch event or a timer that fires during a pass asks
 * for the next one, and what is asked meanwhile is done together in it, so
 * passes never overlap and never pile up behind a slow database.
 */
export class PlanIndexer {
  private watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private known: NodeJS.Timeout | null = null;
  private pending: NodeJS.Timeout | null = null;
  /** The pass in progress, and the one that will take what was asked since it began. */
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private wanted = { roots: new Set<string>(), known: false };
  private stopped = false;
  /** `knownMs`: how often indexed plans are stat'ed for edits (pages never re-index: a render does not write). */
  constructor(private readonly opts: { db: Db; roots: string[]; log: (m: string) => void; debounceMs?: number; pollMs?: number; knownMs?: number }) {}

  /** Scan `roots` (all, by default), then re-read indexed plans whose file changed; resolves when that pass is done (it never rejects: failures are logged). */
  indexAll(roots: string[] = this.opts.roots): Promise<void> {
    return this.request(roots, true);
  }

  /** Ask for a pass; joins the queued one when there is one, else queues one after the pass in progress. */
  private request(roots: string[], known: boolean): Promise<void> {
    for (const r of roots) this.wanted.roots.add(r);
    if (known) this.wanted.known = true;
    if (this.queued) return this.queued;
    const queued = (this.running ?? Promise.resolve()).then(() => {
      const want = this.wanted;
      this.wanted = { roots: new Set(), known: false };
      this.queued = null;
      const pass = this.pass([...want.roots], want.known);
      this.running = pass;
      return pass.finally(() => {
        if (this.running === pass) this.running = null;
      });
    });
    this.queued = queued;
    return queued;
  }

  private async pass(roots: string[], known: boolean): Promise<void> {
    for (const root of roots) {
      if (this.stopped) return;
      try {
        const r = await indexPlansDir(this.opts.db, root, this.opts.roots);
        this.opts.log(`${root}: ${r.plans} plan file(s), ${r.rows} row(s)${r.changed ? `, ${r.changed} updated` : ''}${r.removed ? `, ${r.removed} removed` : ''}`);
        for (const p of r.problems) this.opts.log(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
      } catch (e) {
        this.opts.log(`cannot index ${root}: ${(e as Error).message}`);
      }
    }
    if (!known || this.stopped) return;
    try {
      await refreshKnownPlans(this.opts.db);
    } catch (e) {
      this.opts.log(`refresh failed: ${(e as Error).message}`);
    }
  }

  /** Index everything, then watch; resolves when the first pass is done. */
  start(): Promise<void> {
    this.stopped = false;
    const first = this.indexAll();
    const unwatched: string[] = [];
    for (const root of this.opts.roots) {
      try {
        const w = fs.watch(root, { recursive: true }, (_event, name) => {
          // Plans, briefs (input.md) and the rules that say what proves a row.
          if (name && !/(\.md|runproof-proves\.json)$/i.test(String(name))) return;
          this.schedule();
        });
        w.on('error', (e) => this.opts.log(`watching ${root} failed: ${e.message}`));
        this.watchers.push(w);
      } catch (e) {
        unwatched.push(root);
        this.opts.log(`cannot watch ${root} (${(e as Error).message}); re-scanning it every ${(this.opts.pollMs ?? 10_000) / 1000} s`);
      }
    }
    // Watched folders report their own changes; the timer re-scans only the others, and re-reads
    // changed plans that live outside any folder (found above imported bundles).
    this.timer = setInterval(() => void this.indexAll(unwatched), this.opts.pollMs ?? 10_000);
    this.timer.unref();
    // Indexed plans anywhere (those above imported bundles too) are stat'ed every 2 s: an edit shows on the next page load.
    this.known = setInterval(() => void this.request([], true), this.opts.knownMs ?? 2000);
    this.known.unref();
    return first;
  }

  private schedule(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = null;
      void this.indexAll();
    }, this.opts.debounceMs ?? 200);
  }

  /** Stop watching and polling; resolves once the pass in progress (if any) has ended, so the database may be closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearInterval(this.timer);
    if (this.known) clearInterval(this.known);
    if (this.pending) clearTimeout(this.pending);
    this.timer = this.known = this.pending = null;
    await (this.queued ?? this.running);
  }
}
