/**
 * Which Python runs Lightning code (the lightning-example profile, its tests,
 * the conformance suite): RUNPROOF_PYTHON when set, else the venv that
 * `npm run setup:lightning` builds (RUNPROOF_VENV, else
 * $XDG_CACHE_HOME/runproof/lightning-venv) when it is complete, else
 * `python3`. Same folder rule as scripts/setup-lightning.mjs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function lightningVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNPROOF_VENV) return path.resolve(env.RUNPROOF_VENV);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'runproof', 'lightning-venv');
}

/** The setup venv's python, or null while it is missing or half-built (no stamp: setup writes it last). */
export function lightningVenvPython(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = lightningVenvDir(env);
  const python = path.join(dir, 'bin', 'python');
  return fs.existsSync(python) && fs.existsSync(path.join(dir, 'runproof-setup.json')) ? python : null;
}

export function defaultPython(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUNPROOF_PYTHON || lightningVenvPython(env) || 'python3';
}
