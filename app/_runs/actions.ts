'use server';
/**
 * The runs page's bulk action: archive (or restore) the ticked runs. Like
 * every action that writes, it first refuses a request that did not come
 * from this server's own pages, then asks for the launch permission.
 */
import { refresh } from 'next/cache';
import { openDb } from '@/db/client';
import { setRunsArchived } from '@/db/queries/runs';
import { actionPermission } from '@/server/session';
import { isRunId } from '@/app/_lib/data';

export async function archiveRunsAction(ids: string[], archived: boolean): Promise<{ ok: boolean; message: string }> {
  const valid = Array.isArray(ids) ? ids.filter((id) => typeof id === 'string' && isRunId(id)).slice(0, 500) : [];
  if (!valid.length) return { ok: false, message: 'Tick the runs to archive first.' };
  const perm = await actionPermission('/');
  if (!perm.ok) return { ok: false, message: perm.error };
  let n: number;
  try {
    n = setRunsArchived({ db: openDb(), ids: valid, archived: archived === true });
  } catch (e) {
    console.error('[runproof] archiving runs failed:', e);
    return { ok: false, message: 'Could not change the runs: see the server log.' };
  }
  refresh();
  const runs = `${n} run${n === 1 ? '' : 's'}`;
  return { ok: true, message: archived ? `Archived ${runs}. They are hidden from this list; “Archived” shows them.` : `Restored ${runs} to the list.` };
}
