'use server';
/**
 * Naming, notes, archive and delete for one run, as server actions (POSTs).
 * Each first refuses a request that did not come from this server's own
 * pages (the Origin check), then asks for the launch permission: whoever may
 * launch and cancel may also rename, archive and delete.
 */
import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { NAME_CHARS, NOTES_CHARS } from '@/db/queries/runs';
import type { DeleteOutcome } from '@/server/run-admin';
import { actionPermission } from '@/server/session';
import { archiveRuns, deleteRun, isRunId, saveRunMeta } from '@/app/_lib/data';
import { fail, ok, type ActionResult } from '@/lib/action-result';
import { runAction } from '@/app/_lib/run-action';

/** The name and notes as submitted (or, before the first save, as stored). */
export interface RunMeta {
  name: string;
  notes: string;
}

export type RunMetaState = ActionResult<RunMeta>;

export async function saveRunMetaAction(_prev: RunMetaState, form: FormData): Promise<RunMetaState> {
  const runId = String(form.get('runId') ?? '');
  const data: RunMeta = { name: String(form.get('name') ?? ''), notes: String(form.get('notes') ?? '') };
  const { name, notes } = data;
  if (!isRunId(runId)) return fail('No such run.', { data });
  if (name.trim().length > NAME_CHARS) return fail(`A name is at most ${NAME_CHARS} characters (this one has ${name.trim().length}).`, { fieldErrors: { name: 'too long' }, data });
  if (notes.trim().length > NOTES_CHARS)
    return fail(`Notes are at most ${NOTES_CHARS.toLocaleString('en')} characters (these have ${notes.trim().length.toLocaleString('en')}).`, { fieldErrors: { notes: 'too long' }, data });
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return fail(perm.error, { data });
  const saved = await runAction('save the name and notes', async () => ((await saveRunMeta(runId, name, notes)) ? ok('Saved.', data) : fail('No such run.', { data })), data);
  if (saved.ok) refresh();
  return saved;
}

export async function archiveRunAction(runId: string, archived: boolean): Promise<ActionResult> {
  if (!isRunId(runId)) return fail('No such run.');
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return fail(perm.error);
  const done = await runAction('change the run', async () => {
    const n = await archiveRuns([runId], archived === true);
    return ok(n ? (archived ? 'Archived: hidden from the runs list.' : 'Restored to the runs list.') : 'Nothing to change.');
  });
  if (done.ok) refresh();
  return done;
}

/** Deletes the run (and a launched run's bundle folder), then goes to the runs list, which says what was removed. */
export async function deleteRunAction(runId: string): Promise<ActionResult> {
  if (!isRunId(runId)) return fail('No such run.');
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return fail(perm.error);
  const r = await runAction<Extract<DeleteOutcome, { ok: true }>>('delete the run', async () => {
    const d = await deleteRun(runId);
    return d.ok ? ok(undefined, d) : fail(d.error);
  });
  if (!r.ok) return fail(r.error);
  if (!r.data) return fail('No such run.');
  const sp = new URLSearchParams({ deleted: runId });
  if (r.data.removedFolder) sp.set('removed', '1');
  if (r.data.keptFolder) sp.set('kept', '1');
  redirect(`/?${sp}`);
}
