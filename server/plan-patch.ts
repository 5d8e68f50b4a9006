/**
 * The plan update a run proposes: for each plan it links to, a diff that
 * flips its rows to `[x]` and links the evidence. Read-only unless
 * RUNPROOF_PLANS_WRITABLE is set; then `applyPlanPatches` writes the plans
 * that sit under the configured plans folders, and no others.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { getRunPlanLinks } from '../db/queries/plans';
import { proposePlanPatch, type PlanPatch } from '../lib/plans/patch';
import { getEnv } from './env';
import { plansRoots, refreshKnownPlans } from './plan-index';
import { decodeText } from './fs-walk';
import type { Problem } from '../lib/evidence/types';

export interface RunPlanPatch extends PlanPatch {
  plan: string;
  /** Absolute path of the plan file. */
  file: string;
  /** Why no patch could be made for this plan (file gone or unreadable). */
  error: string | null;
  /** Whether Runproof may write this plan (RUNPROOF_PLANS_WRITABLE and under a plans folder). */
  writable: boolean;
}

/** A plan Runproof may write: writing is configured, and the file is inside one of the plans folders. */
export function mayWritePlan(file: string): boolean {
  if (!getEnv().RUNPROOF_PLANS_WRITABLE) return false;
  let real: string;
  try {
    real = fs.realpathSync(/*turbopackIgnore: true*/ file);
  } catch {
    return false;
  }
  return plansRoots().some((root) => {
    try {
      const r = fs.realpathSync(/*turbopackIgnore: true*/ root);
      return real.startsWith(r + path.sep);
    } catch {
      return false;
    }
  });
}

export function planPatchesForRun({ db, runId, permalink }: { db: Db; runId: string; permalink: string }): RunPlanPatch[] {
  const byPlan = new Map<string, { display: string; rows: string[] }>();
  for (const l of getRunPlanLinks({ db, runId })) {
    const e = byPlan.get(l.planPath) ?? { display: l.plan, rows: [] };
    e.rows.push(l.id);
    byPlan.set(l.planPath, e);
  }
  return [...byPlan].map(([file, { display, rows }]) => {
    let text: string;
    let badBytes: Problem | null;
    try {
      ({ text, problem: badBytes } = decodeText(fs.readFileSync(/*turbopackIgnore: true*/ file), display));
    } catch (e) {
      return { plan: display, file, patch: '', after: '', changed: [], skipped: rows.map((id) => ({ id, reason: 'plan file not readable' })), error: `cannot read ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, writable: false };
    }
    // A plan with bytes that are not UTF-8 is never written back: that would replace them with U+FFFD everywhere.
    return { plan: display, file, error: null, writable: !badBytes && mayWritePlan(file), ...proposePlanPatch({ text, path: display, rowIds: rows, evidenceUrl: permalink, label: `Runproof run ${runId}` }) };
  });
}

/** All plans' patches as one file for `git apply`. */
export function combinedPatch(patches: RunPlanPatch[]): string {
  return patches.map((p) => p.patch).join('');
}

/**
 * Write the proposed update into the plan files Runproof may write
 * (temporary file + rename, so a reader never sees half a plan), then
 * re-index them. Returns what was written and what was not, and why.
 */
export function applyPlanPatches({ db, runId, permalink }: { db: Db; runId: string; permalink: string }): { written: string[]; refused: Array<{ plan: string; reason: string }> } {
  const written: string[] = [];
  const refused: Array<{ plan: string; reason: string }> = [];
  for (const p of planPatchesForRun({ db, runId, permalink })) {
    if (p.error) refused.push({ plan: p.plan, reason: p.error });
    else if (!p.patch) refused.push({ plan: p.plan, reason: 'nothing to change' });
    else if (!p.writable) refused.push({ plan: p.plan, reason: !getEnv().RUNPROOF_PLANS_WRITABLE ? 'writing plans is not configured (RUNPROOF_PLANS_WRITABLE)' : mayWritePlan(p.file) ? 'the plan has bytes that are not UTF-8; apply the patch by hand' : 'not under a plans folder (RUNPROOF_PLANS_DIR)' });
    else {
      const tmp = `${p.file}.runproof-${process.pid}-${Date.now()}.tmp`;
      try {
        const mode = fs.statSync(/*turbopackIgnore: true*/ p.file).mode;
        fs.writeFileSync(/*turbopackIgnore: true*/ tmp, p.after, { mode });
        fs.renameSync(/*turbopackIgnore: true*/ tmp, p.file);
        written.push(p.plan);
      } catch (e) {
        fs.rmSync(/*turbopackIgnore: true*/ tmp, { force: true });
        refused.push({ plan: p.plan, reason: `write failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      }
    }
  }
  if (written.length) refreshKnownPlans(db);
  return { written, refused };
}
