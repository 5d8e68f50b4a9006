/**
 * Checkpoint names and listings.
 *
 * Lightning renders ModelCheckpoint filenames by inserting `name=` before every
 * `{name…}` group (auto_insert_metric_name), so a user template that already
 * says `epoch={epoch:02d}` comes out doubled: `epoch=epoch=05-…`
 * (P:callbacks/model_checkpoint.py L754-835). Collisions get `-v1`, `-v2`…
 * (L883-894). We parse names back into epoch/step/metric values and, from one
 * real name, infer a renderer that reproduces Lightning's names for replay.
 */

export type CheckpointKind = 'top-k' | 'last' | 'other';

export interface CheckpointFile {
  name: string;
  sizeBytes: number | null;
  epoch: number | null;
  step: number | null;
  /** Value of the monitored metric when the name carries one. */
  score: number | null;
  /** Every `key=value` number in the name. */
  values: Record<string, number>;
  kind: CheckpointKind;
  version: number | null;
}

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|nan|inf)`;
const KEY_VALUE = new RegExp(String.raw`([A-Za-z_][\w./]*)=(${NUMBER})(?=$|[-_=])`, 'g');
const VERSION_SUFFIX = /-v(\d+)$/;

function toNumber(text: string): number {
  if (text === 'nan') return NaN;
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

function stem(name: string): { base: string; version: number | null } {
  const withoutExt = name.replace(/\.ckpt$/, '');
  const v = VERSION_SUFFIX.exec(withoutExt);
  return v ? { base: withoutExt.slice(0, v.index), version: Number(v[1]) } : { base: withoutExt, version: null };
}

/**
 * Parse one checkpoint file name (a path relative to the checkpoint folder:
 * `val/loss=0.572` in a name makes a sub-folder). `monitor`, when known,
 * picks the score.
 */
export function parseCheckpointName(name: string, sizeBytes: number | null = null, monitor?: string | null): CheckpointFile {
  const base = name.split('/').pop() ?? name;
  const { base: body, version } = stem(name);
  const values: Record<string, number> = {};
  for (const m of body.matchAll(KEY_VALUE)) values[m[1]] = toNumber(m[2]);
  const metricKeys = Object.keys(values).filter((k) => k !== 'epoch' && k !== 'step');
  let kind: CheckpointKind = 'other';
  if (/^last(-v\d+)?\.ckpt$/.test(base)) kind = 'last';
  else if (name.endsWith('.ckpt') && nameShape(name) !== null) kind = 'top-k';
  const scoreKey = monitor && monitor in values ? monitor : metricKeys.length === 1 ? metricKeys[0] : null;
  return {
    name,
    sizeBytes,
    epoch: values.epoch ?? null,
    step: values.step ?? null,
    score: scoreKey ? values[scoreKey] : null,
    values,
    kind,
    version,
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `27M` → bytes (ls -h uses powers of 1024); plain digits stay as they are. */
export function parseHumanSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([BKMGT]?)i?B?$/i.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()]);
}

export interface ListingProblem {
  line: number;
  message: string;
}

/**
 * Files from an `ls -l` (or `ls -lh`) listing. The `total 53M` header and
 * directories are skipped; names keep their spaces. An `ls -lR` listing
 * (sections headed `./sub:`) names the files of its sub-folders with their
 * path from the first section (`sub/name.ckpt`): a filename template with a
 * `/` in it (`{val/loss:.3f}`) makes such folders.
 */
export function parseLsListing(text: string): { files: Array<{ name: string; sizeBytes: number | null }>; problems: ListingProblem[] } {
  const files: Array<{ name: string; sizeBytes: number | null }> = [];
  const problems: ListingProblem[] = [];
  const lines = text.split(/\r?\n/);
  // perms links owner group size month day time|year name
  const row = /^([-dlbcps])[-rwxsStT.+@]{9,10}\s+\d+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+\S+\s(.+)$/;
  let root: string | null = null;
  let prefix = '';
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!line || /^total\s/.test(line)) return;
    const m = row.exec(line);
    if (!m) {
      const header = /^(.+):$/.exec(line);
      if (header && !line.endsWith('.ckpt:')) {
        const dir = header[1].replace(/\/+$/, '');
        if (root === null) {
          root = dir;
          prefix = '';
        } else if (dir.startsWith(`${root}/`)) prefix = `${dir.slice(root.length + 1)}/`;
        else if (root === '.' && !dir.startsWith('/')) prefix = `${dir.replace(/^\.\//, '')}/`;
        else prefix = `${dir}/`;
        return;
      }
      if (line.endsWith('.ckpt')) files.push({ name: prefix + line.trim(), sizeBytes: null });
      else problems.push({ line: i + 1, message: `not an ls -l line: ${line.slice(0, 120)}` });
      return;
    }
    if (m[1] === 'd') return;
    const name = m[3].replace(/ -> .*$/, '');
    files.push({ name: prefix + name, sizeBytes: parseHumanSize(m[2]) });
  });
  return { files, problems };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An `ls -l` listing of files (what the worker writes as `checkpoints_ls.txt`),
 * as GNU ls prints it under `LC_ALL=C TZ=UTC`: `total N` (1 KiB blocks,
 * assuming 4 KiB filesystem blocks), then one `-rw-r--r-- 1 owner group size
 * Mon dd HH:MM name` line per file in byte order of the names, sizes in bytes
 * right-aligned. The time is always `HH:MM` (ls prints the year instead for
 * files older than six months; a listing written right after a run never
 * has those). A newline in a name is shown as `?`, as `ls -q` does.
 * `parseLsListing` reads the names and sizes back exactly.
 */
export function formatLsListing(entries: Array<{ name: string; sizeBytes: number; mtimeMs: number }>, owner = 'runproof', group = owner): string {
  const rows = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const blocks = rows.reduce((sum, e) => sum + Math.ceil(e.sizeBytes / 4096) * 4, 0);
  const width = rows.reduce((w, e) => Math.max(w, String(e.sizeBytes).length), 1);
  const lines = [`total ${blocks}`];
  for (const e of rows) {
    const d = new Date(e.mtimeMs);
    const when = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    lines.push(`-rw-r--r-- 1 ${owner} ${group} ${String(e.sizeBytes).padStart(width, ' ')} ${when} ${e.name.replace(/[\r\n]/g, '?')}`);
  }
  return lines.join('\n') + '\n';
}

/** Checkpoint names mentioned in a `tree` or `ls -R` listing (sizes unknown). */
export function checkpointsInTree(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /([^\s│├└─]+\.ckpt)\s*$/.exec(raw);
    if (m) names.push(m[1]);
  }
  return names;
}

// ---------------------------------------------------------------------------
// Python's format(): what Lightning's names are made with

/**
 * Python's `format(x, '.Nf')`: exact binary value, ties to even. JS toFixed
 * rounds exact ties away from zero, so exact ties are corrected here.
 */
export function pythonFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const plain = x.toFixed(Math.min(100, digits));
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 25));
  const frac = exact.split('.')[1] ?? '';
  if (frac.length > digits && frac[digits] === '5' && /^0*$/.test(frac.slice(digits + 1))) {
    const down = (Math.sign(x) * (Math.floor(Math.abs(x) * 10 ** digits) / 10 ** digits)).toFixed(digits);
    const lastDigit = Number(down.replace(/\D/g, '').slice(-1));
    return lastDigit % 2 === 0 ? down : plain;
  }
  return plain;
}

/** Python's `repr(float)`: shortest round-trip digits, `2.0`, `1e-05`, `1e+16`, `nan`, `inf`. */
export function pythonRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp >= 16 || exp < -4) {
    const [m, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = String(x);
  if (/e/.test(s)) {
    // JS switches to exponents at 1e21 / 1e-7; Python at 1e16 / 1e-4 (handled above)
    return x.toFixed(20).replace(/0+$/, '').replace(/\.$/, '.0');
  }
  return s.includes('.') ? s : `${s}.0`;
}

function pythonExp(x: number, p: number, upper: boolean): string {
  const [m, e] = x.toExponential(p).split('e');
  const n = Number(e);
  const out = `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  return upper ? out.toUpperCase() : out;
}

function pythonGeneral(x: number, p: number, alt: boolean, upper: boolean): string {
  if (p === 0) p = 1;
  if (x === 0) return alt ? (0).toFixed(p - 1) : '0';
  const rounded = Number(x.toExponential(p - 1));
  const exp = Math.floor(Math.log10(Math.abs(rounded)));
  let s: string;
  if (exp >= -4 && exp < p) s = pythonFixed(x, p - 1 - exp);
  else s = pythonExp(x, p - 1, upper);
  if (!alt) {
    const [mant, e] = s.split(/(?=[eE])/);
    const m2 = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    s = m2 + (e ?? '');
  }
  return s;
}

/**
 * Python's `format(value, spec)` for the numbers Lightning formats into names
 * (`Tensor.__format__` formats `.item()`): an int (epoch, step, a missing
 * key's `tensor(0)`) or a float. The format-spec mini-language's
 * fill/align/sign/zero/width/grouping/precision and the types d n f F e E g G %.
 * Null where Python would raise (a float with `d`): Lightning would crash.
 */
const SPECS = new Map<string, RegExpExecArray | null>();

export function pythonFormat(value: number, spec: string, isInt: boolean): string | null {
  if (spec === '' && isInt) return String(Math.trunc(value));
  let m = SPECS.get(spec);
  if (m === undefined) {
    m = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
    if (SPECS.size < 1000) SPECS.set(spec, m);
  }
  if (!m) return null;
  let [, fill, align] = m;
  const [, , , sign = '-', , alt, zero, widthText, grouping, precText, type = ''] = m;
  const width = widthText ? Number(widthText) : 0;
  const prec = precText !== undefined ? Number(precText) : null;
  if (zero && !align) {
    fill = '0';
    align = '=';
  }
  let body: string;
  let neg = false;
  const num = isInt ? Math.trunc(value) : value;
  if (isInt && (type === '' || type === 'd' || type === 'n')) {
    if (prec !== null) return null;
    neg = num < 0;
    body = String(Math.abs(num));
  } else if (type === 'd' || type === 'n' || type === 'b' || type === 'o' || type === 'x' || type === 'X' || type === 'c' || type === 's') {
    if (!isInt && type !== 'n') return null;
    if (type === 'n') {
      neg = num < 0;
      body = pythonGeneral(Math.abs(num), prec ?? 6, !!alt, false);
    } else {
      neg = num < 0;
      const radix = type === 'b' ? 2 : type === 'o' ? 8 : 16;
      body = Math.abs(num).toString(radix);
      if (type === 'X') body = body.toUpperCase();
      if (type === 'c' || type === 's') return null;
    }
  } else {
    const x = num;
    neg = x < 0 || Object.is(x, -0);
    const a = Math.abs(x);
    if (Number.isNaN(x)) {
      body = 'nan';
      neg = false;
    } else if (!Number.isFinite(x)) body = 'inf';
    else if (type === 'f' || type === 'F') body = pythonFixed(a, prec ?? 6);
    else if (type === 'e' || type === 'E') body = pythonExp(a, prec ?? 6, type === 'E');
    else if (type === 'g' || type === 'G') body = pythonGeneral(a, prec ?? 6, !!alt, type === 'G');
    else if (type === '%') body = `${pythonFixed(a * 100, prec ?? 6)}%`;
    else if (prec !== null) {
      body = pythonGeneral(a, prec, !!alt, false);
      if (/^\d+$/.test(body) && Number(body) !== 0 && body.length >= prec) body = pythonExp(a, Math.max(0, prec - 1), false).replace(/\.?0+e/, 'e');
    } else body = pythonRepr(a);
    if ((type === 'F' || type === 'E' || type === 'G') && !Number.isFinite(x)) body = body.toUpperCase();
  }
  if (grouping && /^\d/.test(body)) {
    const [int, rest] = body.split(/(?=\.)/);
    body = int.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (rest ?? '');
  }
  const signText = neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  const len = signText.length + body.length;
  if (width <= len) return signText + body;
  const pad = (fill ?? ' ').repeat(width - len);
  const a = align ?? (isInt || type !== 's' ? '>' : '<');
  if (a === '<') return signText + body + pad;
  if (a === '^') {
    const left = pad.slice(0, Math.floor(pad.length / 2));
    return left + signText + body + pad.slice(left.length);
  }
  if (a === '=') return signText + pad + body;
  return pad + signText + body;
}

// ---------------------------------------------------------------------------
// Filename templates

/** A piece of a name: literal text, or a `{key:spec}` field formatted with Python's format(). */
export type TemplatePart = { literal: string } | { key: string; spec: string };

export interface FilenameTemplate {
  parts: TemplatePart[];
  /** Field keys besides epoch/step (the metrics the name carries). */
  metrics: string[];
  /** For display: the template as a Lightning `filename` with auto_insert_metric_name on where the names show it (`epoch={epoch:02d}-…`). */
  pattern: string;
}

/** Keys Lightning fills with an int tensor (P:callbacks/model_checkpoint.py `_monitor_candidates`). */
const INT_KEYS = new Set(['epoch', 'step']);

function patternOf(parts: TemplatePart[]): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if ('literal' in p) {
      // `key=` right before a `{key}` field is what auto_insert_metric_name adds: shown as the field alone.
      const next = parts[i + 1];
      out += next && 'key' in next && p.literal.endsWith(`${next.key}=`) ? p.literal.slice(0, -(next.key.length + 1)) : p.literal;
    } else out += `{${p.key}${p.spec ? `:${p.spec}` : ''}}`;
  }
  return out;
}

function makeTemplate(parts: TemplatePart[]): FilenameTemplate {
  const merged: TemplatePart[] = [];
  for (const p of parts) {
    const prev = merged[merged.length - 1];
    if ('literal' in p && prev && 'literal' in prev) merged[merged.length - 1] = { literal: prev.literal + p.literal };
    else if (!('literal' in p) || p.literal) merged.push(p);
  }
  const metrics = [...new Set(merged.flatMap((p) => ('key' in p && !INT_KEYS.has(p.key) ? [p.key] : [])))];
  return { parts: merged, metrics, pattern: patternOf(merged) };
}

/**
 * A Lightning `filename` (None: `'{epoch}-{step}'`) as ModelCheckpoint
 * renders it (P:callbacks/model_checkpoint.py `_format_checkpoint_name`):
 * the groups `(\{.*?)[:\}]`, longest first; with auto_insert_metric_name each
 * `{name` becomes `name={name`; then `{0[name]` and Python's str.format.
 * Null when Python's format string would not parse.
 */
export function templateFromLightning(filename: string | null, autoInsert = true): FilenameTemplate | null {
  let f = filename || '{epoch}-{step}';
  const groups = [...f.matchAll(/(\{.*?)[:}]/g)].map((m) => m[1]);
  groups.sort((a, b) => b.length - a.length);
  for (const g of groups) {
    const name = g.slice(1);
    if (autoInsert) f = f.split(g).join(`${name}={${name}`);
    f = f.split(g).join(`{0[${name}]`);
  }
  // Python's format string: `{{`/`}}` escapes, `{0[key]!conv:spec}` fields.
  const parts: TemplatePart[] = [];
  let lit = '';
  for (let i = 0; i < f.length; i++) {
    const c = f[i];
    if (c === '{' && f[i + 1] === '{') {
      lit += '{';
      i++;
      continue;
    }
    if (c === '}' && f[i + 1] === '}') {
      lit += '}';
      i++;
      continue;
    }
    if (c === '}') return null;
    if (c !== '{') {
      lit += c;
      continue;
    }
    const end = f.indexOf('}', i);
    if (end < 0) return null;
    const field = f.slice(i + 1, end);
    const fm = /^0\[([^\]]*)\](?:![rsa])?(?::(.*))?$/s.exec(field);
    if (!fm) return null;
    if (lit) parts.push({ literal: lit });
    lit = '';
    parts.push({ key: fm[1], spec: fm[2] ?? '' });
    i = end;
  }
  if (lit) parts.push({ literal: lit });
  return makeTemplate(parts);
}

/** Lightning's default filename `'{epoch}-{step}'`, rendered as `epoch=0-step=1719`. */
export const DEFAULT_TEMPLATE: FilenameTemplate = templateFromLightning(null)!;

/**
 * Render a name (without `.ckpt`-less forms: always `<name>.ckpt`, or
 * `<name>-v<N>.ckpt` with a version). A key missing from `values` renders as
 * Lightning's `tensor(0)`. Null when Python would raise (a float with `:d`).
 */
export function renderName(t: FilenameTemplate, values: Record<string, number | undefined>, version?: number | null, epoch?: number, step?: number): string | null {
  let out = '';
  for (const p of t.parts) {
    if ('literal' in p) {
      out += p.literal;
      continue;
    }
    const v = p.key === 'epoch' && epoch !== undefined ? epoch : p.key === 'step' && step !== undefined ? step : values[p.key];
    const s = v === undefined ? pythonFormat(0, p.spec, true) : pythonFormat(v, p.spec, INT_KEYS.has(p.key) && Number.isInteger(v));
    if (s === null) return null;
    out += s;
  }
  return `${out}${version ? `-v${version}` : ''}.ckpt`;
}

/** Render a name; a missing key renders as `tensor(0)` / 0 like Lightning (`?` where Python would raise). */
export function renderTemplate(t: FilenameTemplate, values: Record<string, number | undefined>): string {
  return renderName(t, values) ?? `${t.pattern}?.ckpt`;
}

// ---------------------------------------------------------------------------
// Reading templates back from names

/** A field of a name whose key the name does not spell (`ep05`, `1.ckpt`): resolved against the run's values. */
export interface OpenField {
  key: null;
  spec: string;
  text: string;
  int: boolean;
}
export type ShapePart = { literal: string } | { key: string; spec: string } | OpenField;

/** A name read as a template that may have fields of unknown key. */
export interface NameShape {
  parts: ShapePart[];
  /** Literal text and field kinds: names made by one template share it. */
  skeleton: string;
  open: number;
}

const NUM = /(?<![A-Za-z])[-+]?(?:nan|inf)(?![A-Za-z])|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

function specOf(text: string, key: string | null): { spec: string; int: boolean } {
  // nan/inf read the same under any float spec: `*` until another name shows the spec
  if (/^[-+]?(?:nan|inf)$/.test(text)) return { spec: '*', int: false };
  if (/[eE]/.test(text)) return { spec: '', int: false };
  const dot = /\.(\d+)$/.exec(text);
  if (dot) return dot[1].length > 6 ? { spec: '', int: false } : { spec: `.${dot[1].length}f`, int: false };
  const digits = text.replace(/^[-+]/, '');
  if (key !== null && !INT_KEYS.has(key)) return { spec: '.0f', int: false };
  return { spec: digits.length > 1 && digits.startsWith('0') ? `0${digits.length}d` : '', int: true };
}

/**
 * Read a name (version suffix and `.ckpt` stripped) as a template: each
 * `key=<number>` a field of that key, each other number a field of unknown
 * key, the rest literal. The spec is read from the digits (`05` → `02d`,
 * `0.736` → `.3f`, many digits → Python's repr).
 */
export function nameShape(name: string): NameShape | null {
  const { base: body } = stem(name);
  const parts: ShapePart[] = [];
  let last = 0;
  const keyed = [...body.matchAll(KEY_VALUE)].map((m) => ({ start: m.index! + m[1].length + 1, end: m.index! + m[0].length, key: m[1], text: m[2] }));
  const fields: Array<{ start: number; end: number; key: string | null; text: string }> = [...keyed];
  // numbers outside key=value pairs
  for (const m of body.matchAll(NUM)) {
    const s = m.index!;
    const e = s + m[0].length;
    if (fields.some((f) => s < f.end && e > f.start)) continue;
    // a sign glued to a literal dash is the dash: `model-5` is `model-` + 5
    const signed = /^[-+]/.test(m[0]) && s > 0;
    fields.push(signed ? { start: s + 1, end: e, key: null, text: m[0].slice(1) } : { start: s, end: e, key: null, text: m[0] });
  }
  fields.sort((a, b) => a.start - b.start);
  if (!fields.length) return null;
  let skeleton = '';
  let open = 0;
  for (const f of fields) {
    const lit = body.slice(last, f.start);
    if (lit) parts.push({ literal: lit });
    const { spec, int } = specOf(f.text, f.key);
    if (f.key !== null) parts.push({ key: f.key, spec });
    else {
      parts.push({ key: null, spec, text: f.text, int });
      open++;
    }
    skeleton += `${lit}\u0000${f.key ?? (int ? '#i' : '#f')}\u0000`;
    last = f.end;
  }
  const tail = body.slice(last);
  if (tail) parts.push({ literal: tail });
  skeleton += tail;
  return { parts, skeleton, open };
}

/**
 * Merge the shapes of names made by one template: a field's spec is the
 * widest seen (`{epoch:02d}` shows `05` and `12`; `{x:.3f}` always 3 digits).
 */
export function mergeShapes(shapes: NameShape[]): NameShape {
  const first = shapes[0];
  const parts = first.parts.map((p, i) => {
    if ('literal' in p) return p;
    let spec = p.spec;
    for (const s of shapes) {
      const q = s.parts[i];
      if (!q || 'literal' in q || q.spec === '*') continue;
      if (spec === '*') {
        spec = q.spec;
        continue;
      }
      if (/^0\d+d$/.test(q.spec) && (spec === '' || Number(q.spec.slice(1, -1)) > Number(spec.slice(1, -1) || 0))) spec = q.spec;
      if (q.spec === '' && /f$/.test(spec) && !('int' in q && q.int)) spec = '';
    }
    return { ...p, spec: spec === '*' ? '' : spec };
  });
  return { parts, skeleton: first.skeleton, open: first.open };
}

/** A shape with every open field given a key (`null`: the field is literal text, the same in every name). */
export function resolveShape(shape: NameShape, keys: Array<string | null>): FilenameTemplate {
  let i = 0;
  const parts: TemplatePart[] = shape.parts.map((p) => {
    if ('literal' in p) return p;
    if (p.key !== null) return { key: p.key, spec: p.spec };
    const k = keys[i++];
    return k === null ? { literal: (p as OpenField).text } : { key: k, spec: p.spec };
  });
  return makeTemplate(parts);
}

/**
 * Infer the template from one top-k name whose fields all carry their key
 * (`epoch=05-val_loss=0.1234`); null when some number has no key.
 */
export function inferTemplate(name: string): FilenameTemplate | null {
  const s = nameShape(name);
  if (!s || s.open) return null;
  return resolveShape(mergeShapes([s]), []);
}

/** Read a name back with a template: each field's number (a `-vN` suffix allowed); null when the name does not fit it. */
export function matchName(t: FilenameTemplate, name: string): Record<string, number> | null {
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const keys: string[] = [];
  let re = '^';
  for (const p of t.parts) {
    if ('literal' in p) re += esc(p.literal);
    else {
      keys.push(p.key);
      re += '([-+]?(?:\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|nan|inf))';
    }
  }
  const m = new RegExp(`${re}(?:-v\\d+)?\\.ckpt$`).exec(name);
  if (!m) return null;
  const out: Record<string, number> = {};
  keys.forEach((k, i) => {
    out[k] = toNumber(m[i + 1]);
  });
  return out;
}
