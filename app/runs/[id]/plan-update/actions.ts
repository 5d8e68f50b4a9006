'use server';
/**
 * Writing a proposed plan update into the plan files: only when
 * RUNPROOF_PLANS_WRITABLE is set, only for plans under the plans folders,
 * and only for someone allowed to launch (it changes files on this host).
 */
import { redirect } from 'next/navigation';
import { applyPlanUpdate, isRunId } from '@/app/_lib/data';
import { requestOrigin } from '@/app/_lib/origin';
import { actionPermission } from '@/server/session';
import { ok } from '@/lib/action-result';
import { runAction } from '@/app/_lib/run-action';

export async function applyPlanUpdateAction(form: FormData): Promise<void> {
  const runId = String(form.get('runId') ?? '');
  if (!isRunId(runId)) redirect('/');
  const back = `/runs/${encodeURIComponent(runId)}/plan-update`;
  const perm = await actionPermission(back);
  if (!perm.ok) redirect(perm.loginUrl ?? `${back}?error=${encodeURIComponent(perm.error)}`);
  const permalink = `${await requestOrigin()}/runs/${encodeURIComponent(runId)}`;
  // Always back to the page, which shows what was written and what was refused (or why nothing was).
  const r = await runAction('write the plan update', async () => ok(undefined, await applyPlanUpdate(runId, permalink)));
  const q = new URLSearchParams();
  if (!r.ok) q.set('error', r.error);
  else if (r.data) {
    if (r.data.written.length) q.set('written', r.data.written.join('\n'));
    if (r.data.refused.length) q.set('error', r.data.refused.map((x) => `${x.plan}: ${x.reason}`).join('\n'));
  }
  redirect(`${back}?${q}`);
}
