/**
 * The plan update a run proposes: for each plan it links to, a diff that
 * sets its rows' State and links the evidence — `[x]` only where the run
 * qualifies for the row and passes, `[P]` with the failing checks where it
 * qualifies and fails, nothing (and why) otherwise (lib/plans/patch.ts
 * `decideRowUpdate`). The link carries the verdict, the profile and the
 * permalink. Read-only unless RUNPROOF_PLANS_WRITABLE is set; then
 * `applyPlanPatches` writes the plans that sit under the configured plans
 * folders, and no others.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { getRunPlanLinks } from '../db/queries/plans';
import { decideRowUpdate, proposePlanPatch, type PlanPatch, type RowDecision } from '../lib/plans/patch';
import { qualify } from '../lib/plans/qualify';
import { provenanceOf, runIdentityOf } from '../lib/evidence/provenance';
import { judgeRun, type RunJudgement } from '../lib/evidence/verdict';
import { getJudgedRunEvidence, requirementsOf } from './plans';
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
  /** What the update does with each of the plan's linked rows, and why. */
  decisions: RowDecision[];
}

/** The link text the patch writes: `Runproof pass · profile ptycho-torch · run 3f2a…` (verdict, who produced it, which run). */
export function evidenceLabel(runId: string, judgement: RunJudgement, who: { profile: string | null; program: string | null }): string {
  return `Runproof ${judgement.verdict} · ${who.profile ? `profile ${who.profile}` : (who.program ?? 'command not recorded')} · run ${runId}`;
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

export async function planPatchesForRun({ db, runId, permalink }: { db: Db; runId: string; permalink: string }): Promise<RunPlanPatch[]> {
  const found = await getJudgedRunEvidence({ db, id: runId });
  if (!found) return [];
  const judgement = judgeRun(found.evidence);
  const identity = runIdentityOf(found.evidence, found.run.profile);
  const label = evidenceLabel(runId, judgement, provenanceOf(found.evidence, found.run.profile));
  const failing = judgement.failing.map((c) => c.id);
  const byPlan = new Map<string, { display: string; decisions: RowDecision[] }>();
  for (const l of await getRunPlanLinks({ db, runId })) {
    const e = byPlan.get(l.planPath) ?? { display: l.plan, decisions: [] };
    const q = qualify(identity, requirementsOf(l.planPath)?.get(l.id) ?? null);
    e.decisions.push(decideRowUpdate({ id: l.id, state: l.state ?? '', verdict: judgement.verdict, qualifies: q.qualifies, why: q.why, failing, status: found.evidence.status }));
    byPlan.set(l.planPath, e);
  }
  return [...byPlan].map(([file, { display, decisions }]) => {
    const declined = decisions.filter((d) => !d.update).map((d) => ({ id: d.id, reason: d.reason }));
    const rows = decisions.flatMap((d) => (d.update ? [d.update] : []));
    let text: string;
    let badBytes: Problem | null;
    try {
      ({ text, problem: badBytes } = decodeText(fs.readFileSync(/*turbopackIgnore: true*/ file), display));
    } catch (e) {
      return {
        plan: display,
        file,
        patch: '',
        after: '',
        changed: [],
        skipped: [...declined, ...rows.map((r) => ({ id: r.id, reason: 'plan file not readable' }))],
        error: `cannot read ${display}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        writable: false,
        decisions,
      };
    }
    const proposed = proposePlanPatch({ text, path: display, rows, evidenceUrl: permalink, label });
    // A plan with bytes that are not UTF-8 is never written back: that would replace them with U+FFFD everywhere.
    return { plan: display, file, error: null, writable: !badBytes && mayWritePlan(file), ...proposed, skipped: [...declined, ...proposed.skipped], decisions };
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
export async function applyPlanPatches({ db, runId, permalink }: { db: Db; runId: string; permalink: string }): Promise<{ written: string[]; refused: Array<{ plan: string; reason: string }> }> {
  const written: string[] = [];
  const refused: Array<{ plan: string; reason: string }> = [];
  for (const p of await planPatchesForRun({ db, runId, permalink })) {
    if (p.error) refused.push({ plan: p.plan, reason: p.error });
    else if (!p.patch) refused.push({ plan: p.plan, reason: 'nothing to change' });
    else if (!p.writable)
      refused.push({
        plan: p.plan,
        reason: !getEnv().RUNPROOF_PLANS_WRITABLE
          ? 'writing plans is not configured (RUNPROOF_PLANS_WRITABLE)'
          : mayWritePlan(p.file)
            ? 'the plan has bytes that are not UTF-8; apply the patch by hand'
            : 'not under a plans folder (RUNPROOF_PLANS_DIR)',
      });
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
  if (written.length) await refreshKnownPlans(db);
  return { written, refused };
}
