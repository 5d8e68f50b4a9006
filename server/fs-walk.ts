/** Walking folders: what the bundle finder and the plan scanner share. */
import fs from 'node:fs';
import type { Problem } from '../lib/evidence/types';

/** Folders a tree walk never enters. */
export const SKIP_DIRS = new Set(['node_modules', '.git', '.next', '__pycache__']);

/** A folder's entries in name order; a folder that cannot be read is reported and gives null. */
export function readDirSorted(dir: string, onProblem: (p: Problem) => void): fs.Dirent[] | null {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch (e) {
    onProblem({ file: dir, line: null, message: `cannot read folder: ${(e as Error).message}` });
    return null;
  }
}
