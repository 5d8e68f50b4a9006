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

/** Parse one checkpoint file name. `monitor`, when known, picks the score. */
export function parseCheckpointName(name: string, sizeBytes: number | null = null, monitor?: string | null): CheckpointFile {
  const base = name.split('/').pop() ?? name;
  const { base: body, version } = stem(base);
  const values: Record<string, number> = {};
  for (const m of body.matchAll(KEY_VALUE)) values[m[1]] = toNumber(m[2]);
  const metricKeys = Object.keys(values).filter((k) => k !== 'epoch' && k !== 'step');
  let kind: CheckpointKind = 'other';
  if (/^last$/.test(body)) kind = 'last';
  else if (base.endsWith('.ckpt') && Object.keys(values).length > 0) kind = 'top-k';
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

export interface ListingProblem { line: number; message: string }

/**
 * Files from an `ls -l` (or `ls -lh`) listing. The `total 53M` header and
 * directories are skipped; names keep their spaces.
 */
export function parseLsListing(text: string): { files: Array<{ name: string; sizeBytes: number | null }>; problems: ListingProblem[] } {
  const files: Array<{ name: string; sizeBytes: number | null }> = [];
  const problems: ListingProblem[] = [];
  const lines = text.split(/\r?\n/);
  // perms links owner group size month day time|year name
  const row = /^([-dlbcps])[-rwxsStT.+@]{9,10}\s+\d+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+\S+\s(.+)$/;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!line || /^total\s/.test(line)) return;
    const m = row.exec(line);
    if (!m) {
      if (line.endsWith('.ckpt')) files.push({ name: line.trim(), sizeBytes: null });
      else problems.push({ line: i + 1, message: `not an ls -l line: ${line.slice(0, 120)}` });
      return;
    }
    if (m[1] === 'd') return;
    const name = m[3].replace(/ -> .*$/, '');
    files.push({ name, sizeBytes: parseHumanSize(m[2]) });
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
// Filename templates

type Part = { literal: string } | { key: string; format: NumberFormat };
type NumberFormat = { kind: 'int'; width: number } | { kind: 'fixed'; digits: number } | { kind: 'repr' };

export interface FilenameTemplate {
  parts: Part[];
  /** Metric keys the template uses besides epoch/step. */
  metrics: string[];
  /** Source of the template, for display: `epoch={epoch:02d}-…` style. */
  pattern: string;
}

/** Lightning's default filename `'{epoch}-{step}'`, rendered as `epoch=0-step=1719`. */
export const DEFAULT_TEMPLATE: FilenameTemplate = {
  parts: [{ literal: 'epoch=' }, { key: 'epoch', format: { kind: 'int', width: 0 } }, { literal: '-step=' }, { key: 'step', format: { kind: 'int', width: 0 } }],
  metrics: [],
  pattern: '{epoch}-{step}',
};

function formatOf(text: string, key: string): NumberFormat {
  if (key === 'epoch' || key === 'step' || /^[-+]?\d+$/.test(text)) {
    return { kind: 'int', width: text.startsWith('0') && text.length > 1 ? text.length : 0 };
  }
  const dot = /\.(\d+)$/.exec(text);
  if (dot) return { kind: 'fixed', digits: dot[1].length };
  return { kind: 'repr' };
}

/**
 * Infer the template from one top-k name. Each `key=<number>` becomes a field
 * whose format matches the digits seen (`05` → `02d`, `17732.7363` → `.4f`);
 * everything else is literal, so doubled prefixes survive.
 */
export function inferTemplate(name: string): FilenameTemplate | null {
  const { base: body } = stem(name.split('/').pop() ?? name);
  const parts: Part[] = [];
  const metrics: string[] = [];
  let last = 0;
  let pattern = '';
  for (const m of body.matchAll(KEY_VALUE)) {
    const valueStart = m.index! + m[1].length + 1;
    parts.push({ literal: body.slice(last, valueStart) });
    const format = formatOf(m[2], m[1]);
    parts.push({ key: m[1], format });
    if (m[1] !== 'epoch' && m[1] !== 'step') metrics.push(m[1]);
    const spec = format.kind === 'int' ? (format.width ? `:0${format.width}d` : '') : format.kind === 'fixed' ? `:.${format.digits}f` : '';
    pattern += body.slice(last, m.index!) + `{${m[1]}${spec}}`;
    last = valueStart + m[2].length;
  }
  if (!parts.some((p) => 'key' in p)) return null;
  parts.push({ literal: body.slice(last) });
  pattern += body.slice(last);
  return { parts, metrics, pattern };
}

/**
 * Python's `format(x, '.Nf')`: exact binary value, ties to even. JS toFixed
 * rounds exact ties away from zero, so exact ties are corrected here.
 */
export function pythonFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const plain = x.toFixed(digits);
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 25));
  const frac = exact.split('.')[1] ?? '';
  if (frac.length > digits && frac[digits] === '5' && /^0*$/.test(frac.slice(digits + 1))) {
    const down = (Math.sign(x) * (Math.floor(Math.abs(x) * 10 ** digits) / 10 ** digits)).toFixed(digits);
    const lastDigit = Number(down.replace(/\D/g, '').slice(-1));
    return lastDigit % 2 === 0 ? down : plain;
  }
  return plain;
}

/** Python's repr of a float, close enough for names: `0.5`, `1e-05`, `nan`. */
function pythonRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const s = String(x);
  return s.replace(/e([-+])(\d)$/, 'e$10$2');
}

function formatValue(x: number, f: NumberFormat): string {
  if (f.kind === 'int') {
    const s = String(Math.trunc(x));
    return f.width ? s.padStart(f.width, '0') : s;
  }
  if (f.kind === 'fixed') return pythonFixed(x, f.digits);
  return pythonRepr(x);
}

/** Render a name; a missing key renders as `tensor(0)` / 0 like Lightning. */
export function renderTemplate(t: FilenameTemplate, values: Record<string, number>): string {
  let out = '';
  for (const p of t.parts) {
    if ('literal' in p) out += p.literal;
    else out += p.key in values ? formatValue(values[p.key], p.format) : '0';
  }
  return `${out}.ckpt`;
}
