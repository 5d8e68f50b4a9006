#!/usr/bin/env node
// @ts-check
/**
 * Runproof's bundled reference trainer: a Node-only stand-in for PtychoPINN's
 * `python -m ptycho_torch.train` (a PyTorch Lightning 2.x training CLI).
 *
 * It really trains: a one-hidden-layer MLP, Adam, minibatches, on synthetic
 * data generated from --seed (gridsize² patches of 8×8 pixels per sample, a
 * fixed random "teacher" network plus noise as the target). Everything it
 * writes follows Lightning 2.x, file by file and line by line as README.md
 * here says ("What it writes": CSVLogger, ModelCheckpoint, EarlyStopping;
 * "Log lines": the device block and warnings).
 *
 * Plain ESM, no dependencies, Node ≥ 20: `node train.mjs --output_dir out`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const PROG = path.basename(SELF);

// ---------------------------------------------------------------------------
// Output: synchronous writes, so stdout/stderr interleave in call order and
// every line is out before the next file write.

/** @param {string} s */
const out = (s) => writeFd(1, s + '\n');
/** @param {string} s */
const err = (s) => writeFd(2, s + '\n');
/** @param {number} fd @param {string} s */
function writeFd(fd, s) {
  try {
    fs.writeSync(fd, s);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === 'EAGAIN')
      fs.writeSync(fd, s); // non-blocking pipe was full once: retry
    else if (code !== 'EPIPE') throw e;
  }
}

// ---------------------------------------------------------------------------
// Python number formatting

/**
 * Python's `repr(float)` / `str(float)`: shortest round-trip digits (the same
 * digits JS picks), scientific when the exponent is < -4 or >= 16
 * (`1e-05`, `1e+16`), otherwise fixed with at least one decimal (`100.0`).
 * @param {number} x
 */
export function pyFloatRepr(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(x)));
  if (!m) throw new Error(`unexpected number text ${x}`);
  let digits = m[1] + (m[2] ?? '');
  let point = m[1].length + Number(m[3] ?? 0); // decimal point sits after `point` digits
  const lead = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  const exp = point - 1;
  if (exp < -4 || exp >= 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  const int = digits.slice(0, point).padEnd(point, '0');
  const frac = digits.slice(point);
  return `${sign}${int}.${frac || '0'}`;
}

/**
 * Python's `format(x, '.Nf')`: the exact binary value rounded half to even
 * (JS toFixed rounds exact ties away from zero). Computed exactly with BigInt.
 * @param {number} x @param {number} digits
 */
export function pyFixed(x, digits) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, Math.abs(x));
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  const scale = 10n ** BigInt(digits);
  let q;
  if (e >= 0) q = (mant << BigInt(e)) * scale;
  else {
    const num = mant * scale;
    const den = 1n << BigInt(-e);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  }
  let s = q.toString().padStart(digits + 1, '0');
  if (digits > 0) s = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return (x < 0 || Object.is(x, -0) ? '-' : '') + s;
}

/** PyYAML's float: repr, lower case, `.0` added before a bare exponent, `.nan`/`.inf`. @param {number} x */
function yamlFloat(x) {
  if (Number.isNaN(x)) return '.nan';
  if (!Number.isFinite(x)) return x > 0 ? '.inf' : '-.inf';
  const r = pyFloatRepr(x);
  return /e/.test(r) && !/\./.test(r) ? r.replace('e', '.0e') : r;
}

// ---------------------------------------------------------------------------
// Python-style warnings (README.md here, "Log lines"): `{file}:{line}: {Category}: {message}`
// then the stripped source line, on stderr.

/** @type {string[] | null} */
let sourceLines = null;
/** @param {string} category @param {string} message */
function pyWarn(category, message) {
  // stacklevel=2: the line that called pyWarn.
  const stack = new Error().stack ?? '';
  const frames = stack.split('\n').filter((l) => l.includes(SELF));
  const m = /:(\d+):\d+\)?$/.exec(frames[1] ?? '');
  const line = m ? Number(m[1]) : 0;
  err(`${SELF}:${line}: ${category}: ${message}`);
  try {
    sourceLines ??= fs.readFileSync(SELF, 'utf8').split('\n');
    const src = sourceLines[line - 1]?.trim();
    if (src) err(`  ${src}`);
  } catch {
    /* no source line, as Python when the file is unreadable */
  }
}

/** The last line of this file holding `marker` (1-based) and its text, for Python-style frames. @param {string} marker */
function sourceLine(marker) {
  try {
    sourceLines ??= fs.readFileSync(SELF, 'utf8').split('\n');
    const i = sourceLines.findLastIndex((l) => l.includes(marker)); // the call site, not this file's mention of it
    if (i >= 0) return { line: i + 1, text: sourceLines[i].trim() };
  } catch {
    /* unreadable source */
  }
  return { line: 0, text: marker };
}

// ---------------------------------------------------------------------------
// Command line, the way argparse reads and rejects it.

/**
 * @typedef {{ flag: string; dest: string; kind: 'int' | 'float' | 'str' | 'choice' | 'bool'; choices?: string[]; min?: number; max?: number; required?: boolean; help: string }} Option
 */

/**
 * Defaults. A run with all of them (plus --output_dir) takes ~15 s on one core.
 * save_top_k 1 and patience 100 are PtychoPINN's own defaults (and top-k 1 is
 * Lightning's), which is also what Runproof assumes when a knob is absent.
 */
export const DEFAULTS = Object.freeze({
  train_data_file: /** @type {string | null} */ (null),
  test_data_file: /** @type {string | null} */ (null),
  output_dir: /** @type {string | null} */ (null),
  n_images: 4096,
  gridsize: 2,
  max_epochs: 10,
  batch_size: 8,
  accelerator: /** @type {string} */ ('auto'),
  device: /** @type {string | null} */ (null),
  deterministic: true,
  num_workers: 0,
  logger: 'csv',
  checkpoint_save_top_k: 1,
  checkpoint_monitor: 'val_loss',
  checkpoint_mode: 'min',
  early_stop_patience: 100,
  early_stop_min_delta: 0,
  learning_rate: 1e-3,
  seed: 42,
});

/** @type {Option[]} */
export const OPTIONS = [
  { flag: '--train_data_file', dest: 'train_data_file', kind: 'str', help: 'training data file (must exist; the synthetic data is used either way)' },
  { flag: '--test_data_file', dest: 'test_data_file', kind: 'str', help: 'test data file (must exist; not read)' },
  { flag: '--output_dir', dest: 'output_dir', kind: 'str', required: true, help: 'where lightning_logs/ and checkpoints/ go (created if missing)' },
  { flag: '--n_images', dest: 'n_images', kind: 'int', min: 8, max: 65536, help: 'number of synthetic samples, 20% held out for validation (default: 4096)' },
  { flag: '--gridsize', dest: 'gridsize', kind: 'int', min: 1, max: 4, help: 'gridsize: each sample is gridsize² patches of 8×8 pixels (default: 2)' },
  { flag: '--max_epochs', dest: 'max_epochs', kind: 'int', min: 1, max: 1000, help: 'Trainer(max_epochs) (default: 10)' },
  { flag: '--batch_size', dest: 'batch_size', kind: 'int', min: 1, max: 4096, help: 'minibatch size (default: 8)' },
  { flag: '--accelerator', dest: 'accelerator', kind: 'choice', choices: ['auto', 'cpu', 'gpu', 'cuda', 'mps'], help: 'Trainer(accelerator); only cpu exists here (default: auto)' },
  { flag: '--device', dest: 'device', kind: 'choice', choices: ['cpu', 'cuda', 'auto'], help: 'deprecated, use --accelerator' },
  { flag: '--deterministic', dest: 'deterministic', kind: 'bool', help: 'Trainer(deterministic) (default: True)' },
  { flag: '--num-workers', dest: 'num_workers', kind: 'int', min: 0, max: 64, help: 'DataLoader workers (no effect here) (default: 0)' },
  { flag: '--logger', dest: 'logger', kind: 'choice', choices: ['csv', 'none'], help: 'csv: CSVLogger; none: no logger (default: csv)' },
  { flag: '--checkpoint-save-top-k', dest: 'checkpoint_save_top_k', kind: 'int', min: -1, max: 100, help: 'ModelCheckpoint(save_top_k); -1 all, 0 only last.ckpt (default: 1)' },
  { flag: '--checkpoint-monitor', dest: 'checkpoint_monitor', kind: 'choice', choices: ['val_loss', 'train_loss'], help: 'metric for ModelCheckpoint and EarlyStopping (default: val_loss)' },
  { flag: '--checkpoint-mode', dest: 'checkpoint_mode', kind: 'choice', choices: ['min', 'max'], help: 'min or max (default: min)' },
  {
    flag: '--early-stop-patience',
    dest: 'early_stop_patience',
    kind: 'int',
    min: 0,
    max: 1000,
    help: 'EarlyStopping(patience), counted in checks; 0 stops at the first check without improvement (default: 100)',
  },
  { flag: '--early-stop-min-delta', dest: 'early_stop_min_delta', kind: 'float', min: 0, max: 1e6, help: 'EarlyStopping(min_delta) (default: 0.0)' },
  { flag: '--learning-rate', dest: 'learning_rate', kind: 'float', min: 0, max: 1, help: 'Adam learning rate (default: 0.001)' },
  { flag: '--seed', dest: 'seed', kind: 'int', min: 0, max: 4294967295, help: 'seed_everything(seed) (default: 42)' },
];

function usage() {
  const parts = ['[-h]'];
  for (const o of OPTIONS) {
    const metavar = o.kind === 'choice' ? `{${o.choices?.join(',')}}` : o.dest.toUpperCase();
    if (o.kind === 'bool')
      parts.push(`[${o.flag}]`, `[--no-${o.flag.slice(2)}]`); // store_true + store_false, as PtychoPINN declares them
    else parts.push(o.required ? `${o.flag} ${metavar}` : `[${o.flag} ${metavar}]`);
  }
  // argparse wraps at COLUMNS-2 (78) with continuation lines aligned after the prog name.
  const head = `usage: ${PROG} `;
  const lines = [];
  let cur = head;
  for (const p of parts) {
    if (cur.length + p.length > 78 && cur.trim() !== head.trim()) {
      lines.push(cur.trimEnd());
      cur = ' '.repeat(head.length);
    }
    cur += p + ' ';
  }
  lines.push(cur.trimEnd());
  return lines.join('\n');
}

function help() {
  const rows = OPTIONS.map((o) => {
    const metavar = o.kind === 'choice' ? `{${o.choices?.join(',')}}` : o.dest.toUpperCase();
    const name = o.kind === 'bool' ? `${o.flag} / --no-${o.flag.slice(2)}` : `${o.flag} ${metavar}`;
    return `  ${name}\n                        ${o.help}`;
  });
  return `${usage()}\n\nReference trainer: a Node stand-in for python -m ptycho_torch.train (PyTorch Lightning 2.x).\n\noptions:\n  -h, --help            show this help message and exit\n${rows.join('\n')}\n`;
}

class ArgError extends Error {}

/** @param {string} msg @returns {never} */
function argFail(msg) {
  throw new ArgError(msg);
}

/**
 * @param {Option} o @param {string} text
 * @returns {string | number}
 */
function convert(o, text) {
  if (o.kind === 'int') {
    if (!/^\s*[-+]?\d+(?:_\d+)*\s*$/.test(text)) argFail(`argument ${o.flag}: invalid int value: '${text}'`);
    const v = Number(text.replace(/_/g, ''));
    if (v < /** @type {number} */ (o.min) || v > /** @type {number} */ (o.max)) argFail(`argument ${o.flag}: ${text.trim()} is not in range ${o.min}..${o.max}`);
    return v;
  }
  if (o.kind === 'float') {
    const t = text.trim().replace(/_/g, '');
    const v = /^[-+]?(?:nan|inf|infinity)$/i.test(t) ? (/nan/i.test(t) ? NaN : t.startsWith('-') ? -Infinity : Infinity) : /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(t) ? Number(t) : null;
    if (v === null) return argFail(`argument ${o.flag}: invalid float value: '${text}'`);
    if (!(v >= /** @type {number} */ (o.min) && v <= /** @type {number} */ (o.max))) argFail(`argument ${o.flag}: ${text.trim()} is not in range ${o.min}..${o.max}`);
    return v;
  }
  if (o.kind === 'choice') {
    if (!o.choices?.includes(text)) argFail(`argument ${o.flag}: invalid choice: '${text}' (choose from ${o.choices?.map((c) => `'${c}'`).join(', ')})`);
    return text;
  }
  return text;
}

/**
 * argparse semantics: `--flag value` and `--flag=value`, last one wins, a
 * value may be a negative number, unknown words are collected and reported
 * together. Throws ArgError with argparse's message.
 * @param {string[]} argv
 * @returns {{ args: typeof DEFAULTS & Record<string, unknown>, given: Set<string> } | 'help'}
 */
export function parseArgs(argv) {
  /** @type {Record<string, unknown>} */
  const args = { ...DEFAULTS };
  const given = new Set();
  const unknown = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return 'help';
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : null;
    const o = OPTIONS.find((x) => x.flag === name || (x.kind === 'bool' && name === `--no-${x.flag.slice(2)}`));
    if (!o) {
      unknown.push(a);
      continue;
    }
    if (o.kind === 'bool') {
      if (inline !== null) argFail(`argument ${name}: ignored explicit argument '${inline}'`);
      args[o.dest] = name === o.flag;
      given.add(o.dest);
      continue;
    }
    let value = inline;
    if (value === null) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && !/^-\d|^-\.\d/.test(next))) argFail(`argument ${o.flag}: expected one argument`);
      value = next;
      i++;
    }
    args[o.dest] = convert(o, /** @type {string} */ (value));
    given.add(o.dest);
  }
  const missing = OPTIONS.filter((o) => o.required && !given.has(o.dest)).map((o) => o.flag);
  if (missing.length) argFail(`the following arguments are required: ${missing.join(', ')}`);
  if (unknown.length) argFail(`unrecognized arguments: ${unknown.join(' ')}`);
  return { args: /** @type {typeof DEFAULTS & Record<string, unknown>} */ (args), given };
}

// ---------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a small, fast, seeded 32-bit PRNG. @param {number} seed */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform source (Box–Muller, both halves used). @param {() => number} u */
function gaussian(u) {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    let r1 = u();
    while (r1 <= 1e-300) r1 = u();
    const r = Math.sqrt(-2 * Math.log(r1));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/** In-place Fisher–Yates shuffle. @param {Int32Array} a @param {() => number} u */
function shuffle(a, u) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

// ---------------------------------------------------------------------------
// Data and model

const PATCH_SIDE = 8;
const PATCH_PIXELS = PATCH_SIDE * PATCH_SIDE; // an 8×8 patch per grid position
const HIDDEN = 256;
const TEACHER_HIDDEN = 32;
const NOISE = 0.1;
const PIXEL_NOISE = 0.1;
const VAL_FRACTION = 0.2;
/** PtychoPINN's Trainer logs every step (its metrics.csv has one row per batch). */
const LOG_EVERY_N_STEPS = 1;

/**
 * Synthetic "diffraction" data: each sample has a latent object z ~ N(0, I)
 * with four numbers per grid position; the input is a
 * fixed random linear "probe" A·z spread over gridsize² patches of 8×8 pixels
 * plus pixel noise, D = gridsize²·64; the target (one value per grid
 * position) is a fixed random tanh network of z plus N(0, 0.1²) noise. The
 * inputs live near a low-dimensional subspace, so even a few dozen samples
 * teach something: losses fall, then plateau near the noise floor (~0.01).
 * @param {number} n @param {number} gridsize @param {number} seed
 */
function makeData(n, gridsize, seed) {
  const D = gridsize * gridsize * PATCH_PIXELS;
  const O = gridsize * gridsize;
  const R = 4 * O;
  const g = gaussian(mulberry32(seed ^ 0x5eed1234));
  const A = new Float64Array(D * R);
  for (let i = 0; i < A.length; i++) A[i] = g() / Math.sqrt(R);
  const T1 = new Float64Array(TEACHER_HIDDEN * R);
  for (let i = 0; i < T1.length; i++) T1[i] = g() * (2.5 / Math.sqrt(R));
  const T2 = new Float64Array(O * TEACHER_HIDDEN);
  for (let i = 0; i < T2.length; i++) T2[i] = g() * (1 / Math.sqrt(TEACHER_HIDDEN));
  const X = new Float32Array(n * D);
  const Y = new Float32Array(n * O);
  const z = new Float64Array(R);
  const h = new Float64Array(TEACHER_HIDDEN);
  for (let s = 0; s < n; s++) {
    for (let r = 0; r < R; r++) z[r] = g();
    const xo = s * D;
    for (let k = 0; k < D; k++) {
      let a = PIXEL_NOISE * g();
      for (let r = 0; r < R; r++) a += A[k * R + r] * z[r];
      X[xo + k] = a;
    }
    for (let j = 0; j < TEACHER_HIDDEN; j++) {
      let a = 0;
      for (let r = 0; r < R; r++) a += T1[j * R + r] * z[r];
      h[j] = Math.tanh(a);
    }
    for (let o = 0; o < O; o++) {
      let a = 0;
      for (let j = 0; j < TEACHER_HIDDEN; j++) a += T2[o * TEACHER_HIDDEN + j] * h[j];
      Y[s * O + o] = a + NOISE * g();
    }
  }
  return { X, Y, D, O };
}

/**
 * MLP D → 256 (tanh) → gridsize², float32 parameters, initialised like
 * torch.nn.Linear (U(±1/√fan_in)), trained with torch.optim.Adam's update.
 * @param {number} D @param {number} O @param {number} seed
 */
function makeModel(D, O, seed) {
  const u = mulberry32(seed);
  const H = HIDDEN;
  const sizes = { W1: H * D, b1: H, W2: O * H, b2: O };
  const count = sizes.W1 + sizes.b1 + sizes.W2 + sizes.b2;
  const params = new Float32Array(count);
  const off = { W1: 0, b1: sizes.W1, W2: sizes.W1 + sizes.b1, b2: sizes.W1 + sizes.b1 + sizes.W2 };
  const b1 = 1 / Math.sqrt(D);
  const b2 = 1 / Math.sqrt(H);
  for (let i = 0; i < sizes.W1 + sizes.b1; i++) params[i] = (u() * 2 - 1) * b1;
  for (let i = off.W2; i < count; i++) params[i] = (u() * 2 - 1) * b2;
  return {
    D,
    H,
    O,
    params,
    off,
    count,
    shapes: { 'model.0.weight': [H, D], 'model.0.bias': [H], 'model.2.weight': [O, H], 'model.2.bias': [O] },
    grad: new Float64Array(count),
    m: new Float32Array(count),
    v: new Float32Array(count),
    t: 0,
    hidden: new Float64Array(H),
    dh: new Float64Array(H),
  };
}
/** @typedef {ReturnType<typeof makeModel>} Model */

/**
 * Mean squared error over a batch (nn.MSELoss, mean over every element);
 * with `train`, also accumulates the gradient into model.grad.
 * @param {Model} model @param {Float32Array} X @param {Float32Array} Y @param {Int32Array} idx @param {number} from @param {number} to @param {boolean} train
 */
function batchLoss(model, X, Y, idx, from, to, train) {
  const { D, H, O, params: p, off, grad, hidden: h, dh } = model;
  const n = to - from;
  const scale = 2 / (n * O);
  let sum = 0;
  if (train) grad.fill(0);
  for (let b = from; b < to; b++) {
    const s = idx[b];
    const xo = s * D;
    for (let j = 0; j < H; j++) {
      let a = p[off.b1 + j];
      const r = off.W1 + j * D;
      for (let k = 0; k < D; k++) a += p[r + k] * X[xo + k];
      h[j] = Math.tanh(a);
    }
    if (train) dh.fill(0);
    for (let o = 0; o < O; o++) {
      let a = p[off.b2 + o];
      const r = off.W2 + o * H;
      for (let j = 0; j < H; j++) a += p[r + j] * h[j];
      const e = a - Y[s * O + o];
      sum += e * e;
      if (train) {
        const d = e * scale;
        grad[off.b2 + o] += d;
        for (let j = 0; j < H; j++) {
          grad[r + j] += d * h[j];
          dh[j] += d * p[r + j];
        }
      }
    }
    if (train) {
      for (let j = 0; j < H; j++) {
        const d = dh[j] * (1 - h[j] * h[j]);
        if (d === 0) continue;
        grad[off.b1 + j] += d;
        const r = off.W1 + j * D;
        for (let k = 0; k < D; k++) grad[r + k] += d * X[xo + k];
      }
    }
  }
  return Math.fround(sum / (n * O)); // a float32 tensor, as torch computes it
}

/** torch.optim.Adam (betas 0.9/0.999, eps 1e-8, no weight decay). @param {Model} model @param {number} lr */
function adamStep(model, lr) {
  const { params: p, grad: g, m, v } = model;
  const b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8;
  model.t++;
  const c1 = 1 - b1 ** model.t;
  const c2 = Math.sqrt(1 - b2 ** model.t);
  const step = lr / c1;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] = p[i] - step * (m[i] / (Math.sqrt(v[i]) / c2 + eps));
  }
}

// ---------------------------------------------------------------------------
// Lightning's text

/** lightning.pytorch.utilities.model_summary.get_human_readable_count. @param {number} n */
function humanCount(n) {
  const labels = [' ', 'K', 'M', 'B', 'T'];
  const digits = n > 0 ? Math.floor(Math.log10(n)) + 1 : 1;
  const groups = Math.min(Math.ceil(digits / 3), labels.length);
  const x = n * 10 ** (-3 * (groups - 1));
  const index = groups - 1;
  if (index < 1 || x >= 100) return `${Math.trunc(x).toLocaleString('en-US')} ${labels[index]}`;
  return `${pyFixed(x, 1)} ${labels[index]}`;
}

/** ModelSummary (max_depth=1) as `_format_summary_table` lays it out. @param {Model} model */
function modelSummary(model) {
  const cols = [
    [' ', ['0', '1']],
    ['Name', ['model', 'loss_fn']],
    ['Type', ['MLP', 'MSELoss']],
    ['Params', [humanCount(model.count), humanCount(0)]],
    ['Mode', ['train', 'train']],
  ];
  const widths = cols.map(([h, v]) => Math.max(h.length, .../** @type {string[]} */ (v).map((s) => s.length)));
  const total = widths.reduce((a, b) => a + b, 0) + 3 * (cols.length + 1);
  const row = (/** @type {string[]} */ cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  const lines = [row(cols.map((c) => /** @type {string} */ (c[0]))), '-'.repeat(total)];
  for (let r = 0; r < 2; r++) lines.push(row(cols.map((c) => /** @type {string[]} */ (c[1])[r])));
  lines.push('-'.repeat(total));
  const pad = (/** @type {string} */ s) => s.padEnd(10);
  lines.push(`${pad(humanCount(model.count))}Trainable params`);
  lines.push(`${pad(humanCount(0))}Non-trainable params`);
  lines.push(`${pad(humanCount(model.count))}Total params`);
  lines.push(`${pad(pyFixed(model.count * 4 * 1e-6, 3))}Total estimated model params size (MB)`); // 32-true: 4 bytes a parameter
  lines.push(`${pad('5')}Modules in train mode`); // MLP, Linear, Tanh, Linear, MSELoss
  lines.push(`${pad('0')}Modules in eval mode`);
  return lines.join('\n');
}

/** tqdm's `{n:.3g}`-ish number for the progress bar postfix. @param {number} x */
function barNum(x) {
  if (!Number.isFinite(x)) return pyFloatRepr(x);
  const s = Number(x.toPrecision(3));
  return Math.abs(s) >= 1e-4 && Math.abs(s) < 1e3 ? String(s) : s.toExponential(2).replace(/e([-+])(\d)$/, 'e$10$2');
}

/** @param {number} s */
function mmss(s) {
  const t = Math.max(0, Math.round(s));
  return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------
// CSVLogger (README.md here, "What it writes")

class CsvLogger {
  /** @param {string} dir */
  constructor(dir) {
    this.dir = dir;
    this.file = path.join(dir, 'metrics.csv');
    /** @type {string[]} */
    this.keys = [];
  }

  /**
   * One `log_metrics` call: a row of that call's metrics + `step` (and
   * `epoch` when the Trainer adds it). New keys re-sort the header and the
   * whole file is re-read and rewritten first, as `_ExperimentWriter.save`
   * does; then the row is appended. Every call hits the disk.
   * @param {Record<string, number>} floats metrics logged as float tensors
   * @param {Record<string, number>} ints `epoch`, `step`
   */
  log(floats, ints) {
    const row = new Map();
    for (const [k, v] of Object.entries(floats)) row.set(k, pyFloatRepr(v));
    for (const [k, v] of Object.entries(ints)) row.set(k, String(v));
    const fresh = [...row.keys()].filter((k) => !this.keys.includes(k));
    const exists = fs.existsSync(this.file);
    if (fresh.length) {
      this.keys.push(...fresh);
      this.keys.sort(); // ASCII order (Python list.sort on str)
      if (exists) this.rewrite();
    }
    const line = this.keys.map((k) => row.get(k) ?? '').join(',') + '\r\n';
    if (!exists) fs.writeFileSync(this.file, this.keys.join(',') + '\r\n' + line);
    else fs.appendFileSync(this.file, line);
  }

  /** csv.DictReader over the old file, then DictWriter with the new header: truncate, write, close. */
  rewrite() {
    const text = fs.readFileSync(this.file, 'utf8');
    const lines = text.split('\r\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const old = lines[0].split(',');
    const body = lines.slice(1).map((l) => {
      const cells = l.split(',');
      const byName = new Map(old.map((k, i) => [k, cells[i] ?? '']));
      return this.keys.map((k) => byName.get(k) ?? '').join(',');
    });
    const fd = fs.openSync(this.file, 'w');
    try {
      fs.writeSync(fd, [this.keys.join(','), ...body].join('\r\n') + '\r\n');
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** version_N: 1 + the highest existing `version_<digits>`, else 0. @param {string} root */
function nextVersion(root) {
  let max = -1;
  try {
    for (const d of fs.readdirSync(root, { withFileTypes: true })) {
      const m = /^version_(\d+)$/.exec(d.name);
      if (d.isDirectory() && m) max = Math.max(max, Number(m[1]));
    }
  } catch {
    /* no lightning_logs yet */
  }
  return max + 1;
}

/** yaml.dump of a flat dict (sorted keys, PyYAML scalars). @param {Record<string, string | number | boolean | null>} h */
function yamlDump(h) {
  return Object.keys(h)
    .sort()
    .map((k) => {
      const v = h[k];
      let s;
      if (v === null) s = 'null';
      else if (typeof v === 'boolean') s = v ? 'true' : 'false';
      else if (typeof v === 'number') s = Number.isInteger(v) && !FLOAT_HPARAMS.has(k) ? String(v) : yamlFloat(v);
      else s = /^[A-Za-z_][\w./-]*$/.test(v) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(v) ? v : `'${v.replace(/'/g, "''")}'`;
      return `${k}: ${s}\n`;
    })
    .join('');
}
const FLOAT_HPARAMS = new Set(['learning_rate', 'early_stop_min_delta', 'noise_std']);

// ---------------------------------------------------------------------------
// ModelCheckpoint (§2): dirpath=<output_dir>/checkpoints, filename
// '{epoch:02d}-{<monitor>:.4f}', auto_insert_metric_name, save_top_k, save_last=True
// with the ≤ 2.5 rule (last.ckpt at every trigger), version counter on.

class ModelCheckpoint {
  /** @param {{ dir: string; monitor: string; mode: 'min' | 'max'; topK: number }} o */
  constructor(o) {
    this.dir = o.dir;
    this.monitor = o.monitor;
    this.mode = o.mode;
    this.topK = o.topK;
    /** Insertion-ordered, like the Python dict `best_k_models`. @type {Map<string, number>} */
    this.best = new Map();
    this.kthPath = '';
    this.lastModelPath = '';
    /** @type {number | null} */
    this.lastGlobalStepSaved = null;
  }

  /** @param {Record<string, number>} m */
  render(m) {
    return `epoch=${String(m.epoch).padStart(2, '0')}-${this.monitor}=${pyFixed(m[this.monitor], 4)}`;
  }

  /** @param {string} stem @param {string} except */
  unique(stem, except) {
    let name = `${stem}.ckpt`;
    for (let v = 1; fs.existsSync(path.join(this.dir, name)) && name !== except; v++) name = `${stem}-v${v}.ckpt`;
    return name;
  }

  /** on_train_epoch_end. @param {Record<string, number>} metrics @param {number} epoch @param {number} globalStep @param {(file: string) => void} save */
  onTrainEpochEnd(metrics, epoch, globalStep, save) {
    if (this.lastGlobalStepSaved === globalStep) return;
    const cands = { ...metrics, epoch, step: globalStep };
    if (this.topK !== 0) this.saveTopK(cands, globalStep, save);
    // save_last=True, Lightning ≤ 2.5: last.ckpt at every trigger.
    let name = 'last.ckpt';
    for (let v = 1; fs.existsSync(path.join(this.dir, name)) && name !== this.lastModelPath; v++) name = `last-v${v}.ckpt`;
    const previous = this.lastModelPath;
    this.lastModelPath = name;
    save(name);
    this.lastGlobalStepSaved = globalStep;
    if (previous && previous !== name) rm(path.join(this.dir, previous));
  }

  /** @param {Record<string, number>} cands @param {number} globalStep @param {(file: string) => void} save */
  saveTopK(cands, globalStep, save) {
    const current = cands[this.monitor];
    if (current === undefined) return;
    const min = this.mode === 'min';
    if (this.topK !== -1 && this.best.size >= this.topK) {
      const worst = /** @type {number} */ (this.best.get(this.kthPath));
      if (!(min ? current < worst : current > worst)) return; // strict: ties and NaN lose
    }
    const k = this.topK === -1 ? this.best.size + 1 : this.topK;
    let del = '';
    if (this.best.size === k && k > 0) {
      del = this.kthPath;
      this.best.delete(del);
    }
    const score = Number.isNaN(current) ? (min ? Infinity : -Infinity) : current;
    const name = this.unique(this.render(cands), del);
    this.best.set(name, score);
    if (this.best.size === k) {
      // Python max()/min() over the dict: the first of equal scores (the oldest) is the worst.
      let worst = '';
      for (const [p, s] of this.best) if (worst === '' || (min ? s > /** @type {number} */ (this.best.get(worst)) : s < /** @type {number} */ (this.best.get(worst)))) worst = p;
      this.kthPath = worst;
    }
    save(name);
    this.lastGlobalStepSaved = globalStep;
    if (del && del !== name) rm(path.join(this.dir, del));
  }
}

/** @param {string} p */
function rm(p) {
  try {
    fs.unlinkSync(p);
  } catch {
    /* already gone */
  }
}

// ---------------------------------------------------------------------------
// EarlyStopping (§3), verbose=True, strict, check_finite, checked at train-epoch end.

class EarlyStopping {
  /** @param {{ monitor: string; mode: 'min' | 'max'; patience: number; minDelta: number }} o */
  constructor(o) {
    this.monitor = o.monitor;
    this.min = o.mode === 'min';
    this.patience = o.patience;
    this.minDelta = this.min ? -Math.abs(o.minDelta) : Math.abs(o.minDelta);
    this.absDelta = Math.abs(o.minDelta);
    this.best = this.min ? Infinity : -Infinity;
    this.wait = 0;
  }

  /** @param {number} current a float32 value @returns {boolean} should stop */
  check(current) {
    const f = Math.fround;
    if (!Number.isFinite(current)) {
      err(`Monitored metric ${this.monitor} = ${pyFloatRepr(current)} is not finite. Previous best value was ${pyFixed(this.best, 3)}. Signaling Trainer to stop.`);
      return true;
    }
    if (this.min ? f(current - this.minDelta) < this.best : f(current - this.minDelta) > this.best) {
      const msg = Number.isFinite(this.best)
        ? `Metric ${this.monitor} improved by ${pyFixed(Math.abs(this.best - current), 3)} >= min_delta = ${pyFloatRepr(this.absDelta)}. New best score: ${pyFixed(current, 3)}`
        : `Metric ${this.monitor} improved. New best score: ${pyFixed(current, 3)}`;
      this.best = current;
      this.wait = 0;
      err(msg);
      return false;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      err(`Monitored metric ${this.monitor} did not improve in the last ${this.wait} records. Best score: ${pyFixed(this.best, 3)}. Signaling Trainer to stop.`);
      return true;
    }
    return false;
  }
}

// ---------------------------------------------------------------------------
// Checkpoint file: a text header line + JSON + raw float32 state.

const CKPT_MAGIC = 'RUNPROOF-REFERENCE-CKPT 1\n';

/**
 * @param {string} file @param {Model} model
 * @param {{ epoch: number; global_step: number; hparams: Record<string, unknown>; callbacks: Record<string, unknown> }} meta
 */
function writeCheckpoint(file, model, meta) {
  const tensors = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(model.shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, dtype: 'float32', offset });
    offset += n * 4;
  }
  const header = JSON.stringify({
    format: 'runproof reference trainer checkpoint: header line, this JSON line, then little-endian float32 state_dict, Adam exp_avg, Adam exp_avg_sq',
    'pytorch-lightning_version': '2.5.5 (emulated)',
    epoch: meta.epoch,
    global_step: meta.global_step,
    state_dict: tensors,
    optimizer: { type: 'Adam', step: model.t, betas: [0.9, 0.999], eps: 1e-8 },
    callbacks: meta.callbacks,
    hyper_parameters: meta.hparams,
  });
  const bytes = (/** @type {Float32Array} */ a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(CKPT_MAGIC + header + '\n'), bytes(model.params), bytes(model.m), bytes(model.v)]));
}

// ---------------------------------------------------------------------------
// Failures the way Python prints them

/** @param {string} accelerator */
function acceleratorUnavailable(accelerator) {
  const cls = accelerator === 'mps' ? 'MPSAccelerator' : 'CUDAAccelerator'; // "gpu" → mps only on Apple silicon, else cuda
  err('Traceback (most recent call last):');
  err('  File "<frozen runpy>", line 198, in _run_module_as_main');
  err('  File "<frozen runpy>", line 88, in _run_code');
  for (const [marker, fn] of [
    ['process.exitCode = main(', '<module>'],
    ['acceleratorUnavailable(resolved);', 'main'],
  ]) {
    const { line, text } = sourceLine(marker);
    err(`  File "${SELF}", line ${line}, in ${fn}`);
    err(`    ${text}`);
  }
  err('  File "lightning/pytorch/utilities/argparse.py", line 70, in insert_env_defaults');
  err('    return fn(self, **kwargs)');
  err('  File "lightning/pytorch/trainer/trainer.py", line 401, in __init__');
  err('    self._accelerator_connector = _AcceleratorConnector(');
  err('  File "lightning/pytorch/trainer/connectors/accelerator_connector.py", line 150, in __init__');
  err('    self._set_parallel_devices_and_init_accelerator()');
  err('  File "lightning/pytorch/trainer/connectors/accelerator_connector.py", line 387, in _set_parallel_devices_and_init_accelerator');
  err('    raise MisconfigurationException(');
  err(
    `lightning.fabric.utilities.exceptions.MisconfigurationException: \`${cls}\` can not run on your system since the accelerator is not available. The following accelerator(s) is available and can be passed into \`accelerator\` argument of \`Trainer\`: ['cpu'].`,
  );
}

// ---------------------------------------------------------------------------
// main

/** @param {string[]} argv @returns {number} exit status */
export function main(argv) {
  /** @type {ReturnType<typeof parseArgs>} */
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    err(usage());
    err(`${PROG}: error: ${e.message}`);
    return 2;
  }
  if (parsed === 'help') {
    out(help());
    return 0;
  }
  const { args, given } = parsed;

  // The order of ptycho_torch/train.py cli_main: announce, validate paths, build the
  // execution config (its warnings), then the factory and its echo lines.
  out('Using new CLI interface with factory-based config (ADR-003)');
  for (const [file, what] of /** @type {const} */ ([
    [args.train_data_file, 'Training'],
    [args.test_data_file, 'Test'],
  ])) {
    if (file !== null && !fs.existsSync(file)) {
      out(`ERROR: ${what} data file not found: ${file}`);
      return 1;
    }
  }
  const outputDir = /** @type {string} */ (args.output_dir);
  fs.mkdirSync(outputDir, { recursive: true });

  // resolve_accelerator: --device is deprecated; an explicit --accelerator wins.
  let accelerator = /** @type {string} */ (args.accelerator);
  if (args.device !== null) {
    pyWarn('DeprecationWarning', '--device is deprecated, use --accelerator instead');
    if (!given.has('accelerator') || args.accelerator === 'auto') accelerator = args.device;
  }
  if (args.deterministic && args.num_workers > 0) {
    pyWarn('UserWarning', `Deterministic mode with num_workers=${args.num_workers} may cause performance degradation. Consider setting --num-workers 0 for reproducibility.`);
  }
  // "auto" finds no GPU here and resolves to cpu; the echo shows the resolved value, as PtychoPINN's does.
  const resolved = accelerator === 'auto' ? 'cpu' : accelerator;
  if (accelerator === 'auto') out('No GPU found, using CPU instead.');

  const pyBool = (/** @type {boolean} */ b) => (b ? 'True' : 'False');
  out('Creating configuration via factory (CONFIG-001 compliance)...');
  // N is the diffraction patch side in pixels, as in PtychoPINN's echo.
  out(`✓ Factory created configs: N=${PATCH_SIDE}, gridsize=(${args.gridsize}, ${args.gridsize}), epochs=${args.max_epochs}`);
  out(`✓ Execution config: accelerator=${resolved}, deterministic=${pyBool(args.deterministic)}, learning_rate=${pyFloatRepr(args.learning_rate)}`);
  out(`Starting training with ${args.max_epochs} epochs...`);

  // seed_everything(seed)
  err(`Seed set to ${args.seed}`);

  // Trainer(...): accelerator connector, then the device lines (§4).
  if (resolved !== 'cpu') {
    acceleratorUnavailable(resolved);
    return 1;
  }
  err('GPU available: False, used: False');
  err('TPU available: False, using: 0 TPU cores');
  err('HPU available: False, using: 0 HPUs');

  // Data, split, model.
  const { X, Y, D, O } = makeData(args.n_images, args.gridsize, args.seed);
  const order = new Int32Array(args.n_images).map((_, i) => i);
  shuffle(order, mulberry32(args.seed ^ 0x0badcafe)); // random_split
  const nVal = Math.max(1, Math.floor(args.n_images * VAL_FRACTION));
  const valIdx = order.slice(0, nVal);
  const trainIdx = order.slice(nVal);
  const nTrain = trainIdx.length;
  const batchesPerEpoch = Math.ceil(nTrain / args.batch_size);
  const model = makeModel(D, O, args.seed);
  const loaderRng = mulberry32((args.seed + 0x9e3779b9) >>> 0);

  const hparams = {
    accelerator,
    batch_size: args.batch_size,
    checkpoint_mode: args.checkpoint_mode,
    checkpoint_monitor: args.checkpoint_monitor,
    checkpoint_save_top_k: args.checkpoint_save_top_k,
    deterministic: args.deterministic,
    early_stop_min_delta: args.early_stop_min_delta,
    early_stop_patience: args.early_stop_patience,
    gridsize: args.gridsize,
    hidden_dim: HIDDEN,
    input_dim: D,
    learning_rate: args.learning_rate,
    max_epochs: args.max_epochs,
    n_images: args.n_images,
    n_train: nTrain,
    n_val: nVal,
    noise_std: NOISE,
    num_workers: args.num_workers,
    output_dim: O,
    seed: args.seed,
  };

  // Logger: lightning_logs/version_N under the output folder.
  /** @type {CsvLogger | null} */
  let logger = null;
  let version = null;
  if (args.logger === 'csv') {
    const root = path.join(outputDir, 'lightning_logs');
    version = nextVersion(root);
    const dir = path.join(root, `version_${version}`);
    fs.mkdirSync(dir, { recursive: true });
    logger = new CsvLogger(dir);
    fs.writeFileSync(path.join(dir, 'hparams.yaml'), yamlDump(hparams));
  }

  const ckptDir = path.join(outputDir, 'checkpoints');
  fs.mkdirSync(ckptDir, { recursive: true });
  const monitor = args.checkpoint_monitor;
  const mode = /** @type {'min' | 'max'} */ (args.checkpoint_mode);
  const checkpoint = new ModelCheckpoint({ dir: ckptDir, monitor, mode, topK: args.checkpoint_save_top_k });
  const early = new EarlyStopping({ monitor, mode, patience: args.early_stop_patience, minDelta: args.early_stop_min_delta });

  err('');
  err(modelSummary(model));
  if (logger && batchesPerEpoch < LOG_EVERY_N_STEPS) {
    err(
      `lightning/pytorch/loops/fit_loop.py:310: The number of training batches (${batchesPerEpoch}) is smaller than the logging interval Trainer(log_every_n_steps=${LOG_EVERY_N_STEPS}). Set a lower value for log_every_n_steps if you want to see logs for the training epoch.`,
    );
  }

  let globalStep = 0; // optimizer steps taken (= _batches_that_stepped)
  let stopped = false;
  let epoch = 0;
  for (; epoch < args.max_epochs && !stopped; epoch++) {
    const t0 = performance.now();
    shuffle(trainIdx, loaderRng); // DataLoader(shuffle=True)
    let weighted = 0;
    let lastStepLoss = NaN;
    for (let b = 0; b < batchesPerEpoch; b++) {
      const from = b * args.batch_size;
      const to = Math.min(nTrain, from + args.batch_size);
      const loss = batchLoss(model, X, Y, trainIdx, from, to, true);
      adamStep(model, args.learning_rate);
      weighted += loss * (to - from);
      lastStepLoss = loss;
      // self.log("train_loss", loss, on_step=True, on_epoch=True) → train_loss_step rows.
      if (logger && (globalStep + 1) % LOG_EVERY_N_STEPS === 0) logger.log({ train_loss_step: loss }, { epoch, step: globalStep });
      globalStep++;
    }
    const trainLossEpoch = Math.fround(weighted / nTrain);

    // Validation (val_loss on_epoch, weighted by batch size), then its row at the epoch's last batch step.
    let vw = 0;
    for (let from = 0; from < nVal; from += args.batch_size) {
      const to = Math.min(nVal, from + args.batch_size);
      vw += batchLoss(model, X, Y, valIdx, from, to, false) * (to - from);
    }
    const valLoss = Math.fround(vw / nVal);
    if (logger) logger.log({ val_loss: valLoss }, { epoch, step: globalStep - 1 });

    const secs = (performance.now() - t0) / 1000;
    const post = [version !== null ? `v_num=${version}` : null, `train_loss_step=${barNum(lastStepLoss)}`, `val_loss=${barNum(valLoss)}`, `train_loss_epoch=${barNum(trainLossEpoch)}`]
      .filter(Boolean)
      .join(', ');
    out(`Epoch ${epoch}: 100%|██████████| ${batchesPerEpoch}/${batchesPerEpoch} [${mmss(secs)}<00:00, ${(batchesPerEpoch / Math.max(secs, 1e-6)).toFixed(2)}it/s, ${post}]`);

    // on_train_epoch_end: monitoring callbacks (EarlyStopping, then ModelCheckpoint) see callback_metrics.
    const callbackMetrics = { val_loss: valLoss, train_loss: trainLossEpoch, train_loss_epoch: trainLossEpoch, train_loss_step: lastStepLoss };
    const current = callbackMetrics[monitor];
    if (early.check(current)) stopped = true; // should_stop: fit ends after this epoch
    checkpoint.onTrainEpochEnd(callbackMetrics, epoch, globalStep, (name) =>
      writeCheckpoint(path.join(ckptDir, name), model, {
        epoch,
        global_step: globalStep,
        hparams,
        callbacks: {
          ModelCheckpoint: { monitor, mode, save_top_k: args.checkpoint_save_top_k, best_k_models: Object.fromEntries(checkpoint.best), last_model_path: checkpoint.lastModelPath },
          EarlyStopping: { monitor, mode, patience: args.early_stop_patience, wait_count: early.wait, best_score: early.best, stopped_epoch: stopped ? epoch : 0 },
        },
      }),
    );

    // The train-epoch row: same step as the validation row, after it.
    if (logger) logger.log({ train_loss_epoch: trainLossEpoch }, { epoch, step: globalStep - 1 });
  }

  // FitLoop.done: max_epochs is checked before should_stop; an early stop only logs at debug level.
  if (epoch >= args.max_epochs) err(`\`Trainer.fit\` stopped: \`max_epochs=${args.max_epochs}\` reached.`);
  out(`✓ Training completed successfully. Outputs saved to ${outputDir}`);
  return 0;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(SELF)) {
  process.exitCode = main(process.argv.slice(2));
}
