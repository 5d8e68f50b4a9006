'use server';
/**
 * Naming, notes, archive and delete for one run, as server actions (POSTs).
 * Each first refuses a request that did not come from this server's own
 * pages (the Origin check), then asks for the launch permission: whoever may
 * launch and cancel may also rename, archive and delete.
 */
import { refresh } from 'next/cache';
import { redirect } from 'next/navigation';
import { openDb } from '@/db/client';
import { NAME_CHARS, NOTES_CHARS, setRunName, setRunNotes, setRunsArchived } from '@/db/queries/runs';
import { deleteRunAndBundle } from '@/server/run-admin';
import { actionPermission } from '@/server/session';
import { isRunId } from '@/app/_lib/data';

export interface RunMetaState {
  ok: boolean;
  message: string | null;
  error: string | null;
  name: string;
  notes: string;
}

export async function saveRunMetaAction(prev: RunMetaState, form: FormData): Promise<RunMetaState> {
  const runId = String(form.get('runId') ?? '');
  const name = String(form.get('name') ?? '');
  const notes = String(form.get('notes') ?? '');
  const state = { ...prev, name, notes, ok: false, message: null };
  if (!isRunId(runId)) return { ...state, error: 'No such run.' };
  if (name.trim().length > NAME_CHARS) return { ...state, error: `A name is at most ${NAME_CHARS} characters (this one has ${name.trim().length}).` };
  if (notes.trim().length > NOTES_CHARS) return { ...state, error: `Notes are at most ${NOTES_CHARS.toLocaleString('en')} characters (these have ${notes.trim().length.toLocaleString('en')}).` };
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return { ...state, error: perm.error };
  try {
    const db = openDb();
    if (!setRunName({ db, id: runId, name }) || !setRunNotes({ db, id: runId, notes })) return { ...state, error: 'No such run.' };
  } catch (e) {
    console.error('[runproof] saving a run name failed:', e);
    return { ...state, error: 'Could not save: see the server log.' };
  }
  refresh();
  return { ...state, ok: true, error: null, message: 'Saved.' };
}

export async function archiveRunAction(runId: string, archived: boolean): Promise<{ ok: boolean; message: string }> {
  if (!isRunId(runId)) return { ok: false, message: 'No such run.' };
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return { ok: false, message: perm.error };
  const n = setRunsArchived({ db: openDb(), ids: [runId], archived: archived === true });
  refresh();
  return { ok: true, message: n ? (archived ? 'Archived: hidden from the runs list.' : 'Restored to the runs list.') : 'Nothing to change.' };
}

/** Deletes the run (and a launched run's bundle folder), then goes to the runs list, which says what was removed. */
export async function deleteRunAction(runId: string): Promise<{ ok: false; message: string }> {
  if (!isRunId(runId)) return { ok: false, message: 'No such run.' };
  const perm = await actionPermission(`/runs/${runId}`);
  if (!perm.ok) return { ok: false, message: perm.error };
  let r;
  try {
    r = deleteRunAndBundle({ db: openDb(), id: runId });
  } catch (e) {
    console.error('[runproof] deleting a run failed:', e);
    return { ok: false, message: 'Could not delete: see the server log.' };
  }
  if (!r.ok) return { ok: false, message: r.error };
  const sp = new URLSearchParams({ deleted: runId });
  if (r.removedFolder) sp.set('removed', '1');
  if (r.keptFolder) sp.set('kept', '1');
  redirect(`/?${sp}`);
}
