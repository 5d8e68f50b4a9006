/**
 * The wrapper every server action runs its work in, so that a thrown error
 * reaches the caller as an ActionResult failure (lib/action-result.ts), never
 * as an error page.
 */
import { unstable_rethrow } from 'next/navigation';
import { fail, type ActionResult } from '@/lib/action-result';

/**
 * Runs an action's body. What it throws (a database error, a bug) is logged
 * with what was being done, and comes back as a plain failure the form can
 * show (`Could not <what>: see the server log.`), with `data` kept; Next's
 * own control flow (`redirect()`, `notFound()`) passes through untouched.
 */
export async function runAction<T>(what: string, body: () => ActionResult<T> | Promise<ActionResult<T>>, data?: T): Promise<ActionResult<T>> {
  try {
    return await body();
  } catch (e) {
    unstable_rethrow(e);
    console.error(`[runproof] ${what} failed:`, e);
    return fail(`Could not ${what}: see the server log.`, { data });
  }
}
