/**
 * TensorBoard event files (`events.out.tfevents.*`), the files Lightning's
 * default logger writes when tensorboard is installed, read into the same
 * per-step series and per-epoch table as a CSVLogger `metrics.csv`.
 *
 * Framing is TFRecord: u64 length, u32 masked CRC-32C of the length, the
 * data, u32 masked CRC-32C of the data (all little-endian). Each record's data
 * is a `tensorflow.Event` protobuf; only the fields scalars use are decoded:
 *
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
 *   SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1; } }
 *   TensorProto { DataType dtype = 1; bytes tensor_content = 4; repeated float float_val = 5;
 *                 repeated double double_val = 6; repeated int32 int_val = 7; repeated int64 int64_val = 10;
 *                 repeated int32 half_val = 13; }
 *
 * `torch.utils.tensorboard` (Lightning's TensorBoardLogger) and tensorboardX
 * write `simple_value`; TF2's `tf.summary.scalar` and `add_scalar(new_style=True)`
 * write a one-element tensor under the `scalars` plugin. Both are read.
 *
 * A record whose data CRC fails is reported and skipped (its length was
 * vouched for by the length CRC, so the next record is still found); a bad
 * length CRC ends the file (nothing after it can be framed); a last record
 * cut short — a writer killed mid-write — is reported with its byte offset
 * and every record before it is kept.
 *
 * Pure: bytes in, data and problems out.
 */
import { parseMetricsCsv, type ParsedMetrics, type Problem } from './metrics-csv';

export type { Problem };

/** Scalar points of one events file, in file order, column-wise. */
export interface TfEventsScalars {
  file: string;
  /** whole records framed (CRC-good or not), including the leading `file_version` event */
  records: number;
  /** `brain.Event:2` from the first event, when present */
  fileVersion: string | null;
  /** distinct tags in first-seen order; `tag[i]` indexes into it */
  tags: string[];
  length: number;
  tag: Uint32Array;
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
  /** byte offset of the record that holds each point */
  offsets: Float64Array;
  /** bytes up to the end of the last whole record */
  validBytes: number;
  problems: Problem[];
}

const DEFAULT_FILE = 'events.out.tfevents';
const MAX_PROBLEMS = 50;

/** `events.out.tfevents.<time>.<host>[.<pid>.<n>][suffix]`, as every TensorBoard writer names them. */
export function isTfEventsFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.startsWith('events.out.tfevents.');
}

// ---------------------------------------------------------------------------
// CRC-32C (Castagnoli), slicing by 8.

const CRC_TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  t.push(t0);
  for (let k = 1; k < 8; k++) {
    const prev = t[k - 1];
    const cur = new Uint32Array(256);
    for (let n = 0; n < 256; n++) cur[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
    t.push(cur);
  }
  return t;
})();

export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES;
  let c = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24] ^ t3[b[i + 4]] ^ t2[b[i + 5]] ^ t1[b[i + 6]] ^ t0[b[i + 7]];
  }
  for (; i < end; i++) c = t0[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add a constant (tensorflow/core/lib/hash/crc32c.h). */
export function maskedCrc32c(b: Uint8Array, start = 0, end = b.length): number {
  const c = crc32c(b, start, end);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// ---------------------------------------------------------------------------
// Minimal protobuf reading. Positions are passed explicitly; a decoding
// error throws ProtoError, which the record loop turns into a problem.

class ProtoError extends Error {}

let vEnd = 0; // position after the last varint read (module state: no allocation per field)

function varint(b: Uint8Array, p: number, end: number): number {
  let lo = 0;
  let shift = 0;
  let byte = 0;
  // low 28 bits fast
  while (shift < 28) {
    if (p >= end) throw new ProtoError('varint runs past the end');
    byte = b[p++];
    lo |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      vEnd = p;
      return lo >>> 0;
    }
    shift += 7;
  }
  // the rest: hi bits as a float multiple (int64 steps beyond 2^53 lose precision, like JSON)
  let value = lo >>> 0;
  let mul = 2 ** 28;
  for (let k = 0; k < 6; k++) {
    if (p >= end) throw new ProtoError('varint runs past the end');
    byte = b[p++];
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) {
      vEnd = p;
      // a negative int64 is 10 bytes with the top bit set: value ≥ 2^63
      return value >= 2 ** 63 ? value - 2 ** 64 : value;
    }
    mul *= 128;
  }
  throw new ProtoError('varint longer than 10 bytes');
}

/** Position after the field whose value starts at p. */
function skipField(b: Uint8Array, p: number, end: number, wire: number): number {
  switch (wire) {
    case 0:
      varint(b, p, end);
      return vEnd;
    case 1:
      p += 8;
      break;
    case 2: {
      const n = varint(b, p, end);
      p = vEnd + n;
      break;
    }
    case 5:
      p += 4;
      break;
    default:
      throw new ProtoError(`unsupported wire type ${wire}`);
  }
  if (p > end) throw new ProtoError('field runs past the end of its message');
  return p;
}

/** Length-delimited field at p: sets lStart / returns the end. */
let lStart = 0;
function lenField(b: Uint8Array, p: number, end: number): number {
  const n = varint(b, p, end);
  lStart = vEnd;
  const e = lStart + n;
  if (e > end) throw new ProtoError('length-delimited field runs past the end of its message');
  return e;
}

const utf8 = new TextDecoder('utf-8');

function str(b: Uint8Array, s: number, e: number): string {
  if (e - s <= 64) {
    let ascii = true;
    for (let i = s; i < e; i++)
      if (b[i] >= 0x80) {
        ascii = false;
        break;
      }
    if (ascii) return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
  }
  return utf8.decode(b.subarray(s, e));
}

// TensorFlow DataType enum values used by scalar summaries.
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_UINT8 = 4;
const DT_INT16 = 5;
const DT_INT8 = 6;
const DT_INT64 = 9;
const DT_BOOL = 10;
const DT_BFLOAT16 = 14;
const DT_UINT16 = 17;
const DT_HALF = 19;
const DT_UINT32 = 22;
const DT_UINT64 = 23;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The value of a one-element numeric tensor, or undefined when the tensor is
 * not a numeric scalar (text, histograms, several elements).
 */
function tensorScalar(b: Uint8Array, dv: DataView, p: number, end: number): number | undefined {
  let dtype = 0;
  let count = 0;
  let value = NaN;
  let contentS = -1;
  let contentE = -1;
  while (p < end) {
    const key = varint(b, p, end);
    p = vEnd;
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) {
      dtype = varint(b, p, end);
      p = vEnd;
    } else if (field === 4 && wire === 2) {
      contentE = lenField(b, p, end);
      contentS = lStart;
      p = contentE;
    } else if ((field === 5 || field === 6 || field === 7 || field === 10 || field === 13) && (wire === 2 || wire === (field === 5 ? 5 : field === 6 ? 1 : 0))) {
      // repeated numeric: packed (wire 2) or one element per field
      let s = p;
      let e: number;
      if (wire === 2) {
        e = lenField(b, p, end);
        s = lStart;
      } else e = end;
      let q = s;
      do {
        if (field === 5) {
          if (q + 4 > e) throw new ProtoError('float_val runs past the end');
          value = dv.getFloat32(q, true);
          q += 4;
        } else if (field === 6) {
          if (q + 8 > e) throw new ProtoError('double_val runs past the end');
          value = dv.getFloat64(q, true);
          q += 8;
        } else {
          const v = varint(b, q, e);
          q = vEnd;
          if (field === 13) value = dtype === DT_BFLOAT16 ? bf16(v) : halfToFloat(v & 0xffff);
          else if (field === 7 && (dtype === DT_INT32 || dtype === DT_INT16 || dtype === DT_INT8)) value = v | 0;
          else value = v;
        }
        count++;
      } while (wire === 2 && q < e);
      p = wire === 2 ? e : q;
    } else p = skipField(b, p, end, wire);
  }
  if (contentS >= 0) {
    const n = contentE - contentS;
    const size =
      dtype === DT_DOUBLE || dtype === DT_INT64 || dtype === DT_UINT64
        ? 8
        : dtype === DT_FLOAT || dtype === DT_INT32 || dtype === DT_UINT32
          ? 4
          : dtype === DT_HALF || dtype === DT_BFLOAT16 || dtype === DT_INT16 || dtype === DT_UINT16
            ? 2
            : dtype === DT_INT8 || dtype === DT_UINT8 || dtype === DT_BOOL
              ? 1
              : 0;
    if (size === 0 || n !== size) return undefined;
    const q = contentS;
    switch (dtype) {
      case DT_FLOAT:
        return dv.getFloat32(q, true);
      case DT_DOUBLE:
        return dv.getFloat64(q, true);
      case DT_INT32:
        return dv.getInt32(q, true);
      case DT_UINT32:
        return dv.getUint32(q, true);
      case DT_INT64:
        return Number(dv.getBigInt64(q, true));
      case DT_UINT64:
        return Number(dv.getBigUint64(q, true));
      case DT_HALF:
        return halfToFloat(dv.getUint16(q, true));
      case DT_BFLOAT16:
        return bf16(dv.getUint16(q, true));
      case DT_INT16:
        return dv.getInt16(q, true);
      case DT_UINT16:
        return dv.getUint16(q, true);
      case DT_INT8:
        return dv.getInt8(q);
      default:
        return b[q];
    }
  }
  if (count !== 1) return undefined;
  if (
    dtype !== DT_FLOAT &&
    dtype !== DT_DOUBLE &&
    dtype !== DT_INT32 &&
    dtype !== DT_INT64 &&
    dtype !== DT_HALF &&
    dtype !== DT_BFLOAT16 &&
    dtype !== DT_INT16 &&
    dtype !== DT_INT8 &&
    dtype !== DT_UINT8 &&
    dtype !== DT_UINT16 &&
    dtype !== DT_UINT32 &&
    dtype !== DT_UINT64
  )
    return undefined;
  return value;
}

function bf16(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** plugin_name inside SummaryMetadata at [p, end), or '' */
function pluginName(b: Uint8Array, p: number, end: number): string {
  let name = '';
  while (p < end) {
    const key = varint(b, p, end);
    p = vEnd;
    if (key === ((1 << 3) | 2)) {
      const e = lenField(b, p, end);
      let q = lStart;
      while (q < e) {
        const k2 = varint(b, q, e);
        q = vEnd;
        if (k2 === ((1 << 3) | 2)) {
          const e2 = lenField(b, q, e);
          name = str(b, lStart, e2);
          q = e2;
        } else q = skipField(b, q, e, k2 & 7);
      }
      p = e;
    } else p = skipField(b, p, end, key & 7);
  }
  return name;
}

/**
 * Tags repeat on every record: look them up by their bytes (FNV-1a, then a
 * byte compare) instead of decoding a new string each time.
 */
class TagCache {
  private byHash = new Map<number, Array<{ bytes: Uint8Array; tag: string }>>();
  get(b: Uint8Array, s: number, e: number): string {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const list = this.byHash.get(h);
    if (list !== undefined) {
      outer: for (const c of list) {
        if (c.bytes.length !== e - s) continue;
        for (let i = s, j = 0; i < e; i++, j++) if (c.bytes[j] !== b[i]) continue outer;
        return c.tag;
      }
    }
    const tag = str(b, s, e);
    const entry = { bytes: b.slice(s, e), tag };
    if (list === undefined) this.byHash.set(h, [entry]);
    else if (list.length < 8) list.push(entry);
    return tag;
  }
}

// ---------------------------------------------------------------------------

class Points {
  n = 0;
  tag = new Uint32Array(256);
  steps = new Float64Array(256);
  values = new Float64Array(256);
  wall = new Float64Array(256);
  offs = new Float64Array(256);
  push(tag: number, step: number, value: number, wall: number, off: number): void {
    if (this.n === this.tag.length) {
      const cap = this.n * 2;
      const t = new Uint32Array(cap);
      t.set(this.tag);
      this.tag = t;
      const s = new Float64Array(cap);
      s.set(this.steps);
      this.steps = s;
      const v = new Float64Array(cap);
      v.set(this.values);
      this.values = v;
      const w = new Float64Array(cap);
      w.set(this.wall);
      this.wall = w;
      const o = new Float64Array(cap);
      o.set(this.offs);
      this.offs = o;
    }
    const i = this.n++;
    this.tag[i] = tag;
    this.steps[i] = step;
    this.values[i] = value;
    this.wall[i] = wall;
    this.offs[i] = off;
  }
}

/** Read every scalar point of one events file. Never throws on bad input. */
export function readTfEvents(bytes: Uint8Array, file: string = DEFAULT_FILE): TfEventsScalars {
  const b = bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = b.length;
  const problems: Problem[] = [];
  let problemCount = 0;
  const problem = (message: string) => {
    problemCount++;
    if (problems.length < MAX_PROBLEMS) problems.push({ file, line: null, message });
  };
  const tags: string[] = [];
  const tagIndex = new Map<string, number>();
  /** plugin named by a tag's first metadata: TF2 writers may send it only once per tag */
  const tagPlugin = new Map<string, string>();
  const pts = new Points();
  const tagCache = new TagCache();
  let records = 0;
  let fileVersion: string | null = null;
  let pos = 0;

  while (pos < len) {
    const rem = len - pos;
    if (rem < 12) {
      problem(`torn last record at byte ${pos}: only ${rem} of its 12 header bytes were written (the writer stopped mid-record); the ${records} record${records === 1 ? '' : 's'} before it are kept`);
      break;
    }
    if (maskedCrc32c(b, pos, pos + 8) !== dv.getUint32(pos + 8, true)) {
      problem(`record at byte ${pos}: length CRC mismatch, so no later record can be found; the last ${rem} bytes are ignored, the ${records} record${records === 1 ? '' : 's'} before are kept`);
      break;
    }
    const lo = dv.getUint32(pos, true);
    const hi = dv.getUint32(pos + 4, true);
    const n = hi * 2 ** 32 + lo;
    if (12 + n + 4 > rem) {
      problem(`torn last record at byte ${pos}: ${rem} of its ${12 + n + 4} bytes were written (the writer stopped mid-record); the ${records} record${records === 1 ? '' : 's'} before it are kept`);
      break;
    }
    const ds = pos + 12;
    const de = ds + n;
    const recOff = pos;
    pos = de + 4;
    records++;
    if (maskedCrc32c(b, ds, de) !== dv.getUint32(de, true)) {
      problem(`record at byte ${recOff} (${n} bytes): data CRC mismatch; record skipped`);
      continue;
    }
    try {
      let wall = NaN;
      let step = 0;
      let p = ds;
      let sumS = -1;
      let sumE = -1;
      while (p < de) {
        const key = varint(b, p, de);
        p = vEnd;
        const field = key >>> 3;
        const wire = key & 7;
        if (field === 1 && wire === 1) {
          if (p + 8 > de) throw new ProtoError('wall_time runs past the end');
          wall = dv.getFloat64(p, true);
          p += 8;
        } else if (field === 2 && wire === 0) {
          step = varint(b, p, de);
          p = vEnd;
        } else if (field === 3 && wire === 2) {
          const e = lenField(b, p, de);
          fileVersion ??= str(b, lStart, e);
          p = e;
        } else if (field === 5 && wire === 2) {
          sumE = lenField(b, p, de);
          sumS = lStart;
          p = sumE;
        } else p = skipField(b, p, de, wire);
      }
      if (sumS < 0) continue;
      // Summary: repeated Value value = 1
      let q = sumS;
      while (q < sumE) {
        const key = varint(b, q, sumE);
        q = vEnd;
        if (key !== ((1 << 3) | 2)) {
          q = skipField(b, q, sumE, key & 7);
          continue;
        }
        const ve = lenField(b, q, sumE);
        let r = lStart;
        q = ve;
        let tag = '';
        let simple = NaN;
        let hasSimple = false;
        let tS = -1;
        let tE = -1;
        let plugin: string | null = null;
        while (r < ve) {
          const k = varint(b, r, ve);
          r = vEnd;
          const field = k >>> 3;
          const wire = k & 7;
          if (field === 1 && wire === 2) {
            const e = lenField(b, r, ve);
            tag = tagCache.get(b, lStart, e);
            r = e;
          } else if (field === 2 && wire === 5) {
            if (r + 4 > ve) throw new ProtoError('simple_value runs past the end');
            simple = dv.getFloat32(r, true);
            hasSimple = true;
            r += 4;
          } else if (field === 8 && wire === 2) {
            tE = lenField(b, r, ve);
            tS = lStart;
            r = tE;
          } else if (field === 9 && wire === 2) {
            const e = lenField(b, r, ve);
            plugin = pluginName(b, lStart, e);
            r = e;
          } else r = skipField(b, r, ve, wire);
        }
        if (plugin !== null && !tagPlugin.has(tag)) tagPlugin.set(tag, plugin);
        let value: number | undefined;
        if (hasSimple) value = simple;
        else if (tS >= 0 && (plugin ?? tagPlugin.get(tag)) === 'scalars') value = tensorScalar(b, dv, tS, tE);
        if (value === undefined) continue;
        let ti = tagIndex.get(tag);
        if (ti === undefined) {
          ti = tags.length;
          tags.push(tag);
          tagIndex.set(tag, ti);
        }
        pts.push(ti, step, value, wall, recOff);
      }
    } catch (e) {
      if (!(e instanceof ProtoError)) throw e;
      problem(`record at byte ${recOff} (${n} bytes): not a readable Event (${e.message}); record skipped`);
    }
  }
  if (problemCount > problems.length) {
    const more = problemCount - problems.length;
    problems.push({ file, line: null, message: `${more} more problem${more === 1 ? '' : 's'}` });
  }
  const k = pts.n;
  return {
    file,
    records,
    fileVersion,
    tags,
    length: k,
    tag: pts.tag.slice(0, k),
    steps: pts.steps.slice(0, k),
    values: pts.values.slice(0, k),
    wallTimes: pts.wall.slice(0, k),
    offsets: pts.offs.slice(0, k),
    validBytes: pos,
    problems,
  };
}

// ---------------------------------------------------------------------------
// Events → the metrics.csv structures.

function csvField(name: string): string {
  return /[",\r\n]/.test(name) || name.trim() !== name ? `"${name.replace(/"/g, '""')}"` : name;
}

/**
 * The points of one or more events files (in write order: sort files by
 * name, which starts with the writer's start time) as the `ParsedMetrics`
 * that CSVLogger's `metrics.csv` of the same run parses to.
 *
 * Lightning hands every logger the same `log_metrics(metrics, step)` calls;
 * CSVLogger writes each call as one row, TensorBoardLogger writes each key as
 * a scalar event at that step, in the dict's order, and the trainer appends
 * `epoch` last (`scalar_metrics.setdefault("epoch", …)`). So the rows come
 * back as: consecutive points at one step, up to and including an `epoch`
 * point; a repeated tag or a new step also starts a row. Those rows then go
 * through the metrics.csv recipe itself, so epoch inheritance, `_step`/
 * `_epoch` forks, dedupe and epoch-level classification are the same code.
 *
 * TensorBoardLogger's `hp_metric` placeholder (−1 at step 0, written with the
 * hyperparameters; CSVLogger has no such row) is left out unless it was
 * logged with real values. Points whose tag is `step` (never a metric in
 * Lightning: the trainer pops it) or holds a line break are reported and
 * dropped.
 */
export function tfEventsToMetrics(inputs: TfEventsScalars[]): ParsedMetrics {
  const problems: Problem[] = [];
  for (const f of inputs) for (const p of f.problems) problems.push(p);

  // all tags, and those to drop
  const colIndex = new Map<string, number>();
  const names: string[] = [];
  const drop = new Set<string>();
  const hpReal = inputs.some((f) => {
    const hp = f.tags.indexOf('hp_metric');
    if (hp < 0) return false;
    for (let i = 0; i < f.length; i++) if (f.tag[i] === hp && f.values[i] !== -1) return true;
    return false;
  });
  if (!hpReal) drop.add('hp_metric');
  for (const f of inputs) {
    for (const t of f.tags) {
      if (drop.has(t) || colIndex.has(t) || t === 'epoch') continue;
      if (t === 'step' || /[\r\n]/.test(t)) {
        drop.add(t);
        problems.push({ file: f.file, line: null, message: `scalar tag ${JSON.stringify(t)} cannot be a metric column; its points are left out` });
        continue;
      }
      colIndex.set(t, names.length + 2);
      names.push(t);
    }
  }

  const width = names.length + 2; // epoch, step, metrics…
  const lines: string[] = ['epoch,step' + names.map((n) => ',' + csvField(n)).join('')];
  const rowFile: number[] = [];
  const rowOffset: number[] = [];
  const cells: string[] = new Array(width).fill('');
  let open = false;
  let rowStep = 0;
  const inRow = new Set<number>();

  const flush = () => {
    if (!open) return;
    lines.push(cells.join(','));
    cells.fill('');
    inRow.clear();
    open = false;
  };

  inputs.forEach((f, fi) => {
    // per-file column of each tag (-1 dropped, 0 epoch)
    const col = f.tags.map((t) => (t === 'epoch' ? 0 : drop.has(t) ? -1 : (colIndex.get(t) as number)));
    for (let i = 0; i < f.length; i++) {
      const c = col[f.tag[i]];
      if (c < 0) continue;
      const step = f.steps[i];
      if (open && (step !== rowStep || inRow.has(c))) flush();
      if (!open) {
        open = true;
        rowStep = step;
        cells[1] = String(step);
        rowFile.push(fi);
        rowOffset.push(f.offsets[i]);
      }
      cells[c] = String(f.values[i]);
      inRow.add(c);
      if (c === 0) flush();
    }
    flush(); // a row never spans two files
  });

  const file = inputs.length ? inputs[inputs.length - 1].file : DEFAULT_FILE;
  if (lines.length === 1) {
    return {
      kind: 'empty',
      reason: inputs.length ? 'no scalar summaries in the events file' + (inputs.length > 1 ? 's' : '') : 'no events files',
      columns: names.slice().sort(),
      rowCount: 0,
      series: [],
      epochs: [],
      epochLevel: [],
      problems,
    };
  }
  const parsed = parseMetricsCsv(lines.join('\n') + '\n', file);
  // problems of the rebuilt rows point at the record that began the row
  for (const p of parsed.problems) {
    const row = p.line !== null ? p.line - 2 : -1;
    if (row >= 0 && row < rowFile.length) problems.push({ file: inputs[rowFile[row]].file, line: null, message: `record at byte ${rowOffset[row]}: ${p.message}` });
    else problems.push({ file: p.file, line: null, message: p.message });
  }
  return { ...parsed, problems };
}

/** One call for a set of events files: read each, in name order, and build the metrics. */
export function parseTfEvents(files: Array<{ path: string; bytes: Uint8Array }>): ParsedMetrics & { scalars: TfEventsScalars[] } {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const scalars = sorted.map((f) => readTfEvents(f.bytes, f.path));
  return { ...tfEventsToMetrics(scalars), scalars };
}
