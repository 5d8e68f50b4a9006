'use server';
/**
 * Writing a proposed plan update into the plan files: only when
 * RUNPROOF_PLANS_WRITABLE is set, only for plans under the plans folders,
 * and only for someone allowed to launch (it changes files on this host).
 */
import { redirect } from 'next/navigation';
import { openDb } from '@/db/client';
import { isRunId } from '@/app/_lib/data';
import { requestOrigin } from '@/app/_lib/origin';
import { applyPlanPatches } from '@/server/plan-patch';
import { actionPermission } from '@/server/session';

export async function applyPlanUpdateAction(form: FormData): Promise<void> {
  const runId = String(form.get('runId') ?? '');
  if (!isRunId(runId)) redirect('/');
  const back = `/runs/${encodeURIComponent(runId)}/plan-update`;
  const perm = await actionPermission(back);
  if (!perm.ok) redirect(perm.loginUrl ?? `${back}?error=${encodeURIComponent(perm.error)}`);
  const permalink = `${await requestOrigin()}/runs/${encodeURIComponent(runId)}`;
  let result;
  try {
    result = applyPlanPatches({ db: openDb(), runId, permalink });
  } catch (e) {
    console.error('[runproof] writing a plan update failed:', e);
    redirect(`${back}?error=${encodeURIComponent('Writing the plan failed; see the server log.')}`);
  }
  const q = new URLSearchParams();
  if (result.written.length) q.set('written', result.written.join('\n'));
  if (result.refused.length) q.set('error', result.refused.map((r) => `${r.plan}: ${r.reason}`).join('\n'));
  redirect(`${back}?${q}`);
}
