/** Walking folders and decoding text files: what the bundle finder and the plan scanner share. */
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

/**
 * Decode as UTF-8; invalid bytes become U+FFFD and the first bad line is
 * reported, so a damaged log still yields everything else it says.
 */
export function decodeText(buf: Buffer, file: string): { text: string; problem: Problem | null } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), problem: null };
  } catch {
    const text = new TextDecoder('utf-8').decode(buf);
    const at = text.indexOf('\uFFFD');
    const line = text.slice(0, at).split('\n').length;
    return { text, problem: { file, line, message: 'invalid UTF-8 (bad bytes shown as �)' } };
  }
}
