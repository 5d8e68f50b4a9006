#!/usr/bin/env node
// `npm run setup:lightning`: a Python virtual environment with torch 2.13.0
// (CPU), lightning 2.6.6 and tensorboard, plus Runproof's own Lightning
// callback (python/runproof_lightning), for the `lightning-example` profile,
// its tests and the conformance suite (conformance/).
//
// Offline by design: pip reads only the machine's local sources (the wheel
// folder and the file:// indexes `pip config list` names), never the network,
// so it cannot spend minutes retrying an unreachable index. Idempotent: a
// venv whose stamp matches what this script would install is left as it is
// (a second run takes about a second); a half-built one is rebuilt.
//
// Where: $RUNPROOF_VENV, else $XDG_CACHE_HOME/runproof/lightning-venv
// (~/.cache/…), outside the checkout so a fresh clone (CI) reuses it.
// Runproof finds it there by itself (server/python.ts); RUNPROOF_PYTHON
// still wins when set.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PINS = ['torch==2.13.0', 'lightning==2.6.6', 'tensorboard'];
const CALLBACK_DIR = path.join(ROOT, 'python', 'runproof_lightning');

/** The venv folder (same rule as server/python.ts). */
export function venvDir(env = process.env) {
  if (env.RUNPROOF_VENV) return path.resolve(env.RUNPROOF_VENV);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'runproof', 'lightning-venv');
}

/** Local package sources only: the find-links folders and file:// indexes pip is configured with, else the usual places. */
function localSources() {
  const links = new Set();
  const indexes = new Set();
  const r = spawnSync('python3', ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^[^=]*\.(find-links|extra-index-url|index-url)='(.*)'$/.exec(line.trim());
    if (!m) continue;
    for (const v of m[2].split(/\s+/).filter(Boolean)) {
      if (m[1] === 'find-links') {
        if (!/^https?:/.test(v)) links.add(v);
      } else if (v.startsWith('file://')) indexes.add(v);
    }
  }
  for (const v of (process.env.PIP_FIND_LINKS ?? '').split(/\s+/).filter(Boolean)) if (!/^https?:/.test(v)) links.add(v);
  if (!links.size && !indexes.size) {
    for (const d of ['/opt/wheels']) if (fs.existsSync(d)) links.add(d);
    for (const d of ['/opt/pypi/simple', '/opt/pypi-more/simple']) if (fs.existsSync(d)) indexes.add(`file://${d}`);
  }
  const existing = [...links].filter((l) => fs.existsSync(l.replace(/^file:\/\//, '')));
  const idx = [...indexes].filter((u) => fs.existsSync(u.replace(/^file:\/\//, '')));
  // --index-url replaces the default (unreachable) index; --no-index when there is no local index at all.
  const args = idx.length ? ['--index-url', idx[0], ...idx.slice(1).flatMap((u) => ['--extra-index-url', u])] : ['--no-index'];
  for (const l of existing) args.push('--find-links', l);
  return { args, described: [...existing, ...idx].join(', ') || '(none found)' };
}

/** Hash of the callback package's files, so an edited callback is reinstalled. */
function callbackHash() {
  const h = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === '__pycache__' || e.name.endsWith('.egg-info') || e.name === 'build') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${path.relative(CALLBACK_DIR, p)}\0`).update(fs.readFileSync(p));
    }
  };
  walk(CALLBACK_DIR);
  return h.digest('hex').slice(0, 16);
}

/** Run a command; its output is shown only when it fails (pip warns about every project a local index lacks). */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`\`${[cmd, ...args].join(' ')}\` exited with ${r.status}`);
  }
}

function readStamp(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** What the venv really imports (null when it cannot import them). */
function probe(python) {
  const r = spawnSync(
    python,
    [
      '-c',
      'import torch, lightning, tensorboard, runproof_lightning, json; print(json.dumps({"torch": torch.__version__, "lightning": lightning.__version__, "tensorboard": tensorboard.__version__}))',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

function main() {
  const t0 = Date.now();
  const dir = venvDir();
  const python = path.join(dir, 'bin', 'python');
  const stampFile = path.join(dir, 'runproof-setup.json');
  const want = { pins: PINS, callback: callbackHash() };
  const stamp = readStamp(stampFile);

  if (stamp && JSON.stringify(stamp.pins) === JSON.stringify(want.pins) && fs.existsSync(python)) {
    if (stamp.callback !== want.callback) {
      console.log('setup:lightning: the Runproof callback changed; reinstalling it');
      run(python, ['-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation', '--no-index', '--force-reinstall', CALLBACK_DIR]);
    }
    const versions = probe(python);
    if (versions) {
      fs.writeFileSync(stampFile, JSON.stringify({ ...want, versions }, null, 2) + '\n');
      console.log(`setup:lightning: ready at ${dir} (torch ${versions.torch}, lightning ${versions.lightning}, tensorboard ${versions.tensorboard}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return;
    }
    console.log('setup:lightning: the venv no longer imports torch/lightning; rebuilding it');
  }

  // Missing or half-built: start clean (a pip interrupted half-way leaves a venv that imports nothing reliably).
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const base = process.env.RUNPROOF_BASE_PYTHON || 'python3';
  console.log(`setup:lightning: creating ${dir} with ${base}`);
  run(base, ['-m', 'venv', dir]);
  const src = localSources();
  console.log(`setup:lightning: installing ${PINS.join(', ')} from local sources only: ${src.described}`);
  const pipEnv = { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  delete pipEnv.PIP_INDEX_URL;
  delete pipEnv.PIP_EXTRA_INDEX_URL;
  // --isolated: ignore pip.conf and PIP_* (whose extra-index-url might name a network index); our arguments say everything.
  run(python, ['-m', 'pip', 'install', '--isolated', '--quiet', '--no-cache-dir', ...src.args, ...PINS], { env: pipEnv });
  run(python, ['-m', 'pip', 'install', '--isolated', '--quiet', '--no-deps', '--no-build-isolation', '--no-index', CALLBACK_DIR], { env: pipEnv });
  const versions = probe(python);
  if (!versions) throw new Error(`${python} cannot import torch, lightning, tensorboard and runproof_lightning after installing them`);
  fs.writeFileSync(stampFile, JSON.stringify({ ...want, versions }, null, 2) + '\n');
  console.log(`setup:lightning: ready at ${dir} (torch ${versions.torch}, lightning ${versions.lightning}, tensorboard ${versions.tensorboard}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`setup:lightning failed: ${e.message}`);
    process.exit(1);
  }
}
