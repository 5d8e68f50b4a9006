/**
 * The plan update a run proposes: for each plan it links to, a diff that
 * flips its rows to `[x]` and links the evidence. Read-only: Runproof never
 * writes a plan file.
 */
import fs from 'node:fs';
import type { Db } from '../db/client';
import { getRunPlanLinks } from '../db/queries/plans';
import { proposePlanPatch, type PlanPatch } from '../lib/plans/patch';

export interface RunPlanPatch extends PlanPatch {
  plan: string;
  /** Why no patch could be made for this plan (file gone or unreadable). */
  error: string | null;
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
    try {
      text = fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8');
    } catch (e) {
      return { plan: display, patch: '', changed: [], skipped: rows.map((id) => ({ id, reason: 'plan file not readable' })), error: `cannot read ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    return { plan: display, error: null, ...proposePlanPatch({ text, path: display, rowIds: rows, evidenceUrl: permalink, label: `Runproof run ${runId}` }) };
  });
}

/** All plans' patches as one file for `git apply`. */
export function combinedPatch(patches: RunPlanPatch[]): string {
  return patches.map((p) => p.patch).join('');
}
