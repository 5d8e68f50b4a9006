'use server';
/**
 * Launch and cancel, as server actions (POSTs). Both execute commands on this
 * host, so both first refuse a request that did not come from this server's
 * own pages (the Origin check, on loopback too: a framing or cross-site page
 * must not launch), then check the login policy; both answer with an
 * ActionResult (app/_lib/action-result.ts) rather than throwing, and the
 * page shows it.
 */
import { redirect } from 'next/navigation';
import { actionPermission } from '@/server/session';
import { cancelRun, isRunId, launch } from '@/app/_lib/data';
import { fail, ok, type ActionResult } from '@/lib/action-result';
import { runAction } from '@/app/_lib/run-action';
import { parseLabels } from '@/lib/workers/labels';

/** What the launch form submitted, sent back with every answer so a refused form keeps the user's input. */
export interface LaunchInput {
  values: Record<string, string>;
  profile: string | null;
  cpuOnly: boolean;
  /** Picked plan rows, `<plan id>:<row id>`, comma-joined. */
  rows: string;
  /** Worker labels the run needs beyond its profile's, as typed (`gpu, a100`). */
  labels: string;
}

export type LaunchFormState = ActionResult<LaunchInput>;

export async function launchAction(_prev: LaunchFormState, form: FormData): Promise<LaunchFormState> {
  const profile = String(form.get('profile') ?? '');
  const values: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (k.startsWith('knob:') && typeof v === 'string') values[k.slice(5)] = v;
  // An unticked checkbox sends nothing: the form lists its boolean knobs so they arrive as false.
  for (const name of String(form.get('bools') ?? '')
    .split(',')
    .filter(Boolean))
    if (!(name in values)) values[name] = 'false';
  const cpuOnly = form.get('cpuOnly') === 'on';
  const rows = form.getAll('row').map(String).join(',');
  const labelText = String(form.get('labels') ?? '');
  const data: LaunchInput = { values, profile, cpuOnly, rows, labels: labelText };
  const labels = parseLabels(labelText);
  if (labels.errors.length) return fail(`Worker labels: ${labels.errors.join('; ')}`, { fieldErrors: { labels: labels.errors.join('; ') }, data });

  const perm = await actionPermission('/runs/new');
  if (!perm.ok) return fail(perm.error, { data });
  const planRows = rows.split(',').filter(Boolean);
  let result;
  try {
    result = await launch({ profile, params: values, cpuOnly, planRows, labels: labels.labels });
  } catch (e) {
    console.error('[runproof] launch failed:', e);
    return fail(`Could not queue the run: ${(e as Error).message}`, { data });
  }
  if (!result.ok) {
    const fieldErrors: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.fieldErrors)) fieldErrors[k.startsWith('planRows') ? 'rows' : k] = v;
    return fail(result.error, { fieldErrors, data });
  }
  redirect(`/runs/${result.runId}`);
}

const CANCELLED = {
  cancelled: 'Cancelled before it started.',
  requested: 'Stopping: SIGTERM to its process group, then SIGKILL after the grace period.',
  'already-final': 'The run has already ended.',
  'not-found': 'Only launched runs can be cancelled.',
} as const;

export async function cancelAction(runId: string): Promise<ActionResult> {
  if (!isRunId(runId)) return fail('No such run.');
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return fail(perm.error);
  return runAction('cancel the run', async () => {
    const r = await cancelRun(runId);
    if (r === 'no-run') return fail('No such run.');
    return r === 'cancelled' || r === 'requested' ? ok(CANCELLED[r]) : fail(CANCELLED[r]);
  });
}
