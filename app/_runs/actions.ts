'use server';
/**
 * The runs page's bulk action: archive (or restore) the ticked runs. Like
 * every action that writes, it first refuses a request that did not come
 * from this server's own pages, then asks for the launch permission.
 */
import { refresh } from 'next/cache';
import { actionPermission } from '@/server/session';
import { archiveRuns, isRunId } from '@/app/_lib/data';
import { fail, ok, type ActionResult } from '@/lib/action-result';
import { runAction } from '@/app/_lib/run-action';

export async function archiveRunsAction(ids: string[], archived: boolean): Promise<ActionResult> {
  const valid = Array.isArray(ids) ? ids.filter((id) => typeof id === 'string' && isRunId(id)).slice(0, 500) : [];
  if (!valid.length) return fail('Tick the runs to archive first.');
  const perm = await actionPermission('/');
  if (!perm.ok) return fail(perm.error);
  const done = await runAction('change the runs', async () => {
    const n = await archiveRuns(valid, archived === true);
    const runs = `${n} run${n === 1 ? '' : 's'}`;
    return ok(archived ? `Archived ${runs}. They are hidden from this list; “Archived” shows them.` : `Restored ${runs} to the list.`);
  });
  if (done.ok) refresh();
  return done;
}
