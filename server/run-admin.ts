/**
 * Deleting a run: its rows (its files stored in the database among them:
 * stored_files and their chunks go by ON DELETE CASCADE from runs, in the
 * same statement), and for a launched run the bundle folder Runproof
 * itself wrote (`<RUNPROOF_BUNDLES_DIR>/<run id>`). An imported bundle's folder
 * is the team's and is never touched; a launched run's folder is removed only
 * when it really is a folder directly inside the bundles folder (after
 * symlinks), so a bundle_dir that points anywhere else is left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client';
import { deleteRun } from '../db/queries/runs';
import { getEnv } from './env';

export type DeleteOutcome = { ok: true; removedFolder: string | null; keptFolder: string | null; note: string | null } | { ok: false; error: string };

/** The folder a launched run's bundle may be removed from: inside the bundles folder, one level down, named by the run. */
export function removableBundleDir(runId: string, bundleDir: string, bundlesRoot: string = path.resolve(getEnv().root, getEnv().RUNPROOF_BUNDLES_DIR)): string | null {
  let root: string;
  let dir: string;
  try {
    root = fs.realpathSync(bundlesRoot);
    dir = fs.realpathSync(bundleDir);
  } catch {
    return null;
  }
  if (path.dirname(dir) !== root || path.basename(dir) !== runId) return null;
  if (!fs.lstatSync(dir).isDirectory()) return null;
  return dir;
}

export async function deleteRunAndBundle({ db, id, bundlesRoot }: { db: Db; id: string; bundlesRoot?: string }): Promise<DeleteOutcome> {
  const r = await deleteRun({ db, id });
  if (!r.ok) return { ok: false, error: r.reason === 'live' ? 'The run is still queued or running: cancel it first.' : 'No such run.' };
  if (r.origin !== 'launched') return { ok: true, removedFolder: null, keptFolder: r.bundleDir, note: null };
  const dir = removableBundleDir(id, r.bundleDir, bundlesRoot);
  if (!dir) return { ok: true, removedFolder: null, keptFolder: null, note: fs.existsSync(r.bundleDir) ? `its bundle folder ${r.bundleDir} is not one Runproof wrote, so it was kept` : null };
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return { ok: true, removedFolder: dir, keptFolder: null, note: null };
  } catch (e) {
    console.error(`[runproof] removing ${dir} failed:`, e);
    return { ok: true, removedFolder: null, keptFolder: dir, note: `its bundle folder ${dir} could not be removed: ${(e as Error).message}` };
  }
}
