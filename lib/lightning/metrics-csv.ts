/**
 * Parser for PyTorch Lightning CSVLogger `metrics.csv` files.
 *
 * Implements this recipe (how CSVLogger writes the file: workers/reference-trainer/README.md, "What it writes";
 * checked against real Lightning by the conformance corpus, conformance/README.md):
 *  1. split on `\r?\n`, RFC-4180 fields, header = first line, map by column
 *     name (never position); a later header line switches the mapping;
 *  2. `""` → missing, numbers incl. `nan`/`inf`/exponents, epoch/step ints;
 *  3. epoch-less rows inherit the epoch of the NEXT row that has one (else the
 *     previous one), never across a header line;
 *  4a. per-step series per column, deduplicated on (step, value);
 *  5b. per-epoch table: last defined value among rows carrying their own
 *     epoch; `lr-*` columns take the first value inherited to the epoch;
 *     S_e = max step among rows with own epoch e.
 *
 * Pure: no I/O. Built for speed (1M rows): one char-code pass per line, no
 * per-row allocation, column values kept in growable typed arrays.
 *
 * Quoted fields may not span lines (the recipe splits on newlines first).
 *
 * Odd input is named as a problem with its line and the rest read on: a
 * column name repeated in a header (the repeat is kept as `name (2)`), an
 * epoch that is negative, above MAX_EPOCH or not an integer (treated as
 * missing), carriage returns without line feeds (classic Mac: read as line
 * breaks).
 */

export interface Problem {
  file: string;
  line: number | null;
  message: string;
}

export interface StepSeries {
  metric: string;
  length: number;
  steps: Float64Array;
  /** effective (possibly inherited) epoch, NaN when unknown */
  epochs: Float64Array;
  /** NaN allowed, ±Infinity allowed */
  values: Float64Array;
}

export interface EpochRow {
  epoch: number;
  /** S_e = max step seen among rows carrying this epoch */
  step: number;
  metrics: Record<string, number>;
}

export interface ParsedMetrics {
  kind: 'lightning' | 'not-lightning' | 'empty';
  /** why not-lightning / empty, human readable */
  reason: string | null;
  /** all metric columns seen (excluding epoch, step), sorted */
  columns: string[];
  /** data records accepted */
  rowCount: number;
  /** per-step series, one per metric column that has values (sorted by name) */
  series: StepSeries[];
  /** per-epoch table, ascending epoch */
  epochs: EpochRow[];
  /** metric names classified epoch-level (recipe 5b), sorted */
  epochLevel: string[];
  /** bad lines etc, with 1-based line numbers */
  problems: Problem[];
  /**
   * Several fits appended to one file (the epoch or step counter goes back
   * to where a fit starts: a second Trainer sharing the logger, Lightning
   * 2.1–2.2 appending to a reused version folder, files concatenated): each
   * of them, in file order. The rest of this result describes the last one
   * only. Absent when the file holds one fit.
   */
  fits?: FitSegment[];
  /**
   * Rows logged after the (last) fit by `trainer.test()`: epoch = epochs
   * trained, step = batches trained (P:trainer/connectors/logger_connector),
   * holding only metrics the fit never logged (`test_*`). Not a training
   * epoch: left out of `epochs`.
   */
  afterFit?: Array<EpochRow & { line: number }>;
  /**
   * The file is TestTubeLogger's (Lightning 1.0–1.6, test_tube's `Experiment.log`): a `created_at`
   * timestamp column and no `step` column. Not read (no steps), but not a foreign file either.
   */
  writer?: 'test-tube';
}

/** One fit's rows in a metrics.csv that holds several. */
export interface FitSegment {
  fromLine: number;
  toLine: number;
  rows: number;
  /** own-epoch rows' first and last epoch (null when it has none) */
  firstEpoch: number | null;
  lastEpoch: number | null;
  lastStep: number;
}

const DEFAULT_FILE = 'metrics.csv';
const MAX_PROBLEMS = 50;
const MAX_FIELDS = 100_000;
/** Epochs above this are not believed (a corrupted or hand-edited cell): treated as missing. */
export const MAX_EPOCH = 10_000_000;

const ID_EPOCH = -1;
const ID_STEP = -2;
const ID_IGNORE = -3;

const ST_AWAIT = 0;
const ST_LIGHTNING = 1;
const ST_NOT = 2;

// ---------------------------------------------------------------------------
// Number scanning (hot path). Results are returned through module state to
// avoid allocating a result object per cell.

const K_EMPTY = 0;
const K_NUM = 1;
const K_BAD = 2;

let cEnd = 0; // index of the ',' that ended the cell, or `end`
let cKind = K_EMPTY;

const P10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

function scanBad(t: string, i: number, end: number): number {
  while (i < end && t.charCodeAt(i) !== 44) i++;
  cEnd = i;
  cKind = K_BAD;
  return 0;
}

/** nan / inf / infinity (case-insensitive) starting at i, already past any sign. */
function scanSpecial(t: string, start: number, i: number, end: number, neg: boolean): number {
  let j = i;
  while (j < end && j - i < 9) {
    const c = t.charCodeAt(j);
    if (c === 44) break;
    j++;
  }
  if (j < end && t.charCodeAt(j) !== 44) return scanBad(t, j, end);
  const w = t.substring(i, j).toLowerCase();
  cEnd = j;
  if (w === 'nan') {
    cKind = K_NUM;
    return NaN;
  }
  if (w === 'inf' || w === 'infinity') {
    cKind = K_NUM;
    return neg ? -Infinity : Infinity;
  }
  return scanBad(t, start, end);
}

/**
 * Scan one cell starting at i, stopping at ',' or end. Sets cEnd / cKind.
 * Accepts [+-]digits[.digits][(e|E)[+-]digits], nan, inf, infinity.
 * Exact: uses the Clinger fast path (≤15 significant digits, |exp| ≤ 22),
 * parseFloat on the validated substring otherwise.
 */
function scanCell(t: string, i: number, end: number): number {
  if (i >= end) {
    cEnd = i;
    cKind = K_EMPTY;
    return 0;
  }
  const start = i;
  let c = t.charCodeAt(i);
  if (c === 44) {
    cEnd = i;
    cKind = K_EMPTY;
    return 0;
  }
  let neg = false;
  if (c === 45 || c === 43) {
    neg = c === 45;
    if (++i >= end) return scanBad(t, i, end);
    c = t.charCodeAt(i);
  }
  let m = 0;
  let nd = 0;
  let frac = 0;
  let digits = 0;
  let slow = false;
  while (c >= 48 && c <= 57) {
    digits++;
    if (nd < 15) {
      if (m !== 0 || c !== 48) {
        m = m * 10 + (c - 48);
        nd++;
      }
    } else slow = true;
    if (++i >= end) break;
    c = t.charCodeAt(i);
  }
  if (i < end && c === 46) {
    // '.'
    i++;
    c = i < end ? t.charCodeAt(i) : 44;
    while (c >= 48 && c <= 57) {
      digits++;
      if (!slow) {
        if (nd < 15) {
          if (m !== 0 || c !== 48) nd++;
          m = m * 10 + (c - 48);
          frac++;
        } else slow = true;
      }
      if (++i >= end) break;
      c = t.charCodeAt(i);
    }
  }
  if (digits === 0) {
    if (c === 110 || c === 78 || c === 105 || c === 73) return scanSpecial(t, start, i, end, neg);
    return scanBad(t, i, end);
  }
  let ex = 0;
  if (i < end && (c === 101 || c === 69)) {
    // 'e' | 'E'
    if (++i >= end) return scanBad(t, i, end);
    c = t.charCodeAt(i);
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      if (++i >= end) return scanBad(t, i, end);
      c = t.charCodeAt(i);
    }
    let ed = 0;
    while (c >= 48 && c <= 57) {
      ed++;
      if (ex < 100000) ex = ex * 10 + (c - 48);
      if (++i >= end) break;
      c = t.charCodeAt(i);
    }
    if (ed === 0) return scanBad(t, i, end);
    if (eneg) ex = -ex;
  }
  if (i < end && c !== 44) return scanBad(t, i, end);
  cEnd = i;
  cKind = K_NUM;
  if (!slow) {
    if (m === 0) return neg ? -0 : 0;
    const e10 = ex - frac;
    let v: number;
    if (e10 === 0) v = m;
    else if (e10 > 0 && e10 <= 22) v = m * P10[e10];
    else if (e10 < 0 && e10 >= -22) v = m / P10[-e10];
    else return parseFloat(t.substring(start, i));
    return neg ? -v : v;
  }
  return parseFloat(t.substring(start, i));
}

/** Parse a whole string as a number cell (slow path). */
function parseNumberString(s: string): { kind: number; value: number } {
  const v = scanCell(s, 0, s.length);
  if (cEnd !== s.length) return { kind: K_BAD, value: 0 };
  return { kind: cKind, value: v };
}

// ---------------------------------------------------------------------------
// RFC-4180 field splitting for one line (slow path only). All scans are
// bounded by the line end so junk lines stay linear.

/** Number of fields in [s, e), -1 on an unterminated quoted field. Stops counting above MAX_FIELDS. */
function countFields(t: string, s: number, e: number): number {
  let n = 0;
  let i = s;
  for (;;) {
    n++;
    if (n > MAX_FIELDS) return n;
    if (i < e && t.charCodeAt(i) === 34) {
      i = skipQuoted(t, i + 1, e);
      if (i < 0) return -1;
    }
    while (i < e && t.charCodeAt(i) !== 44) i++;
    if (i >= e) return n;
    i++;
  }
}

/** i is just past an opening quote; returns index just past the closing quote, or -1. */
function skipQuoted(t: string, i: number, e: number): number {
  for (;;) {
    while (i < e && t.charCodeAt(i) !== 34) i++;
    if (i >= e) return -1;
    if (i + 1 < e && t.charCodeAt(i + 1) === 34) {
      i += 2;
      continue;
    }
    return i + 1;
  }
}

/** Split [s, e) into fields; caller guarantees countFields() >= 0 and small. */
function splitFields(t: string, s: number, e: number): string[] {
  const out: string[] = [];
  let i = s;
  for (;;) {
    let field = '';
    if (i < e && t.charCodeAt(i) === 34) {
      const q = skipQuoted(t, i + 1, e);
      field = t.substring(i + 1, q - 1).replace(/""/g, '"');
      i = q;
      const j = i;
      while (i < e && t.charCodeAt(i) !== 44) i++;
      if (i > j) field += t.substring(j, i); // lenient, like Python's csv
    } else {
      const j = i;
      while (i < e && t.charCodeAt(i) !== 44) i++;
      field = t.substring(j, i);
    }
    out.push(field);
    if (i >= e) return out;
    i++;
  }
}

function preview(s: string, max = 60): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  // JSON.stringify escapes control characters; drop lone surrogates' noise
  return JSON.stringify(cut);
}

function stripDataloaderSuffix(name: string): string {
  return name.replace(/\/dataloader_idx_\d+$/, '');
}

function setMetric(rec: Record<string, number>, name: string, v: number): void {
  if (name === '__proto__') Object.defineProperty(rec, name, { value: v, enumerable: true, writable: true, configurable: true });
  else rec[name] = v;
}

// ---------------------------------------------------------------------------

class Column {
  rows: Uint32Array = new Uint32Array(64);
  vals: Float64Array = new Float64Array(64);
  n = 0;
  constructor(readonly name: string) {}
  grow(): void {
    const cap = this.rows.length * 2;
    const r = new Uint32Array(cap);
    r.set(this.rows);
    const v = new Float64Array(cap);
    v.set(this.vals);
    this.rows = r;
    this.vals = v;
  }
}

interface RawProblem {
  line: number | null;
  message: string;
}

class Parser {
  state = ST_AWAIT;
  notReason = '';
  testTube = false;
  /** Field of a `created_at` timestamp column (-1: none). */
  timestampF = -1;
  lineNo = 0;
  lineReported = false;

  cols: Column[] = [];
  colIndex = new Map<string, number>();

  nf = 0;
  map: Int32Array = new Int32Array(0);
  stepF = -1;
  epochF = -1;
  tmpVals: Float64Array = new Float64Array(0);
  tmpHas: Uint8Array = new Uint8Array(0);

  rows = 0;
  rowStep: Float64Array = new Float64Array(1024);
  rowEpoch: Float64Array = new Float64Array(1024);
  rowLine: Float64Array = new Float64Array(1024);
  /** row indices where a header line started a new segment (no epoch inheritance across) */
  segStarts: number[] = [];

  problems: RawProblem[] = [];
  problemCount = 0;
  /** Header lines whose repeated column names were already reported (a header repeated down the file is said once). */
  dupHeaders = new Set<string>();

  problem(line: number | null, message: string): void {
    if (line !== null && line === this.lineNo) {
      if (this.lineReported) return;
      this.lineReported = true;
    }
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, message });
  }

  /** Report a rejected line. */
  bad(trailing: boolean, message: string): void {
    this.problem(this.lineNo, trailing ? `truncated last line (${message}); dropped` : message);
  }

  /** Feed complete lines: [start, end) must end right after a '\n' (or be empty). */
  feed(t: string, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const nl = t.indexOf('\n', pos);
      if (nl < 0 || nl >= end) break;
      let le = nl;
      if (le > pos && t.charCodeAt(le - 1) === 13) le--;
      this.line(t, pos, le, false);
      pos = nl + 1;
    }
  }

  /** A final line without newline (parseMetricsCsv only). */
  trailing(t: string, start: number, end: number): void {
    let le = end;
    if (le > start && t.charCodeAt(le - 1) === 13) le--;
    if (le <= start) return;
    this.line(t, start, le, true);
  }

  line(t: string, s: number, e: number, trailing: boolean): void {
    const ln = ++this.lineNo;
    this.lineReported = false;
    if (ln === 1 && s < e && t.charCodeAt(s) === 0xfeff) s++;
    const state = this.state;
    if (state === ST_NOT) return;
    if (state === ST_AWAIT) {
      let blank = true;
      for (let i = s; i < e; i++) {
        const c = t.charCodeAt(i);
        if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) {
          blank = false;
          break;
        }
      }
      if (!blank) this.readHeader(t, s, e);
      return;
    }
    if (s === e) return; // blank line

    // fast path: unquoted, all cells numeric/empty, right field count
    const nf = this.nf;
    const vals = this.tmpVals;
    const has = this.tmpHas;
    let f = 0;
    let pos = s;
    for (;;) {
      const v = scanCell(t, pos, e);
      if (cKind === K_BAD || f >= nf) {
        this.slowLine(t, s, e, trailing);
        return;
      }
      vals[f] = v;
      has[f] = cKind;
      f++;
      if (cEnd >= e) break;
      pos = cEnd + 1;
    }
    if (f !== nf) {
      this.slowLine(t, s, e, trailing);
      return;
    }
    this.commit(trailing);
  }

  readHeader(t: string, s: number, e: number): void {
    const n = countFields(t, s, e);
    const hdrPreview = preview(t.substring(s, Math.min(e, s + 200)), 200);
    if (n < 0 || n > MAX_FIELDS) {
      this.state = ST_NOT;
      this.notReason = `first line is not a CSV header (${n < 0 ? 'unterminated quote' : 'too many fields'}): not a Lightning CSVLogger metrics.csv (header: ${hdrPreview})`;
      return;
    }
    const fields = splitFields(t, s, e);
    if (fields.indexOf('step') < 0) {
      this.state = ST_NOT;
      // test_tube's Experiment.log adds `created_at` to each row and writes no step (TestTubeLogger, Lightning 1.0–1.6).
      if (fields.indexOf('created_at') >= 0) {
        this.testTube = true;
        this.notReason = `TestTubeLogger's metrics.csv (Lightning 1.0–1.6: a \`created_at\` column and no \`step\`): its rows carry no step, and Runproof reads CSVLogger's (header: ${hdrPreview})`;
        return;
      }
      this.notReason = `no \`step\` column: not a Lightning CSVLogger metrics.csv (header: ${hdrPreview})`;
      return;
    }
    this.state = ST_LIGHTNING;
    this.setHeader(fields);
  }

  setHeader(fields: string[]): void {
    fields = this.renameDuplicates(fields);
    const nf = fields.length;
    this.nf = nf;
    this.map = new Int32Array(nf);
    this.tmpVals = new Float64Array(nf);
    this.tmpHas = new Uint8Array(nf);
    this.stepF = -1;
    this.timestampF = -1;
    this.epochF = -1;
    for (let f = 0; f < nf; f++) {
      const name = fields[f];
      if (name === 'step') {
        this.map[f] = ID_STEP;
        this.stepF = f;
      } else if (name === 'epoch') {
        this.map[f] = ID_EPOCH;
        this.epochF = f;
      } else if (name === '') {
        this.map[f] = ID_IGNORE;
      } else if (name === 'created_at') {
        // A row's timestamp (test_tube's), not a metric: its text is no bad cell.
        this.map[f] = ID_IGNORE;
        this.timestampF = f;
      } else {
        let id = this.colIndex.get(name);
        if (id === undefined) {
          id = this.cols.length;
          this.cols.push(new Column(name));
          this.colIndex.set(name, id);
        }
        this.map[f] = id;
      }
    }
    if (this.rows > 0 && this.segStarts[this.segStarts.length - 1] !== this.rows) this.segStarts.push(this.rows);
  }

  /**
   * CSVLogger writes each name once (its header is a dict's keys); a repeat
   * comes from a hand-merged file. Mapping both fields to one column would mix
   * two series, so the repeat is kept apart as `name (2)`, `name (3)`….
   */
  renameDuplicates(fields: string[]): string[] {
    const seen = new Map<string, number>();
    const names = new Set(fields);
    let out: string[] | null = null;
    const dups: string[] = [];
    for (let f = 0; f < fields.length; f++) {
      const name = fields[f];
      if (name === '') continue;
      const first = seen.get(name);
      if (first === undefined) {
        seen.set(name, f);
        continue;
      }
      out ??= fields.slice();
      let k = 2;
      while (seen.has(`${name} (${k})`) || names.has(`${name} (${k})`)) k++;
      const renamed = `${name} (${k})`;
      seen.set(renamed, f);
      out[f] = renamed;
      dups.push(`${JSON.stringify(name)} (fields ${first + 1} and ${f + 1}: the repeat is read as ${JSON.stringify(renamed)})`);
    }
    if (!out) return fields;
    const key = fields.join('\u0000');
    if (!this.dupHeaders.has(key)) {
      this.dupHeaders.add(key);
      this.problem(this.lineNo, `header repeats column name${dups.length > 1 ? 's' : ''} ${dups.slice(0, 5).join('; ')}${dups.length > 5 ? `; and ${dups.length - 5} more` : ''}`);
    }
    return out;
  }

  slowLine(t: string, s: number, e: number, trailing: boolean): void {
    const nf = this.nf;
    const n = countFields(t, s, e);
    if (n < 0) {
      this.bad(trailing, 'unterminated quoted field');
      return;
    }
    if (n > MAX_FIELDS) {
      this.bad(trailing, `expected ${nf} fields, got more than ${MAX_FIELDS}`);
      return;
    }
    const fields = splitFields(t, s, e);
    if (fields.indexOf('step') >= 0) {
      // identical header (dropped silently) or a new header: switch mapping
      this.setHeader(fields);
      return;
    }
    if (fields.length !== nf) {
      this.bad(trailing, `expected ${nf} fields, got ${fields.length}`);
      return;
    }
    const vals = this.tmpVals;
    const has = this.tmpHas;
    let firstBad = -1;
    let badCount = 0;
    for (let f = 0; f < nf; f++) {
      const str = fields[f].trim();
      const r = parseNumberString(str);
      if (r.kind === K_BAD && f === this.timestampF) {
        has[f] = K_EMPTY;
        vals[f] = 0;
      } else if (r.kind === K_BAD) {
        if (firstBad < 0) firstBad = f;
        badCount++;
        has[f] = K_EMPTY;
        vals[f] = 0;
      } else {
        has[f] = r.kind;
        vals[f] = r.value;
      }
    }
    if (firstBad >= 0) {
      const col = fields[firstBad] === undefined ? '' : this.headerName(firstBad);
      const msg = `non-numeric value ${preview(fields[firstBad])} in column ${JSON.stringify(col)}${badCount > 1 ? ` (and ${badCount - 1} more cells)` : ''}`;
      if (trailing) {
        this.bad(true, msg);
        return;
      }
      this.problem(this.lineNo, msg);
    }
    this.commit(trailing);
  }

  headerName(f: number): string {
    const id = this.map[f];
    if (id === ID_STEP) return 'step';
    if (id === ID_EPOCH) return 'epoch';
    if (id >= 0) return this.cols[id].name;
    return '';
  }

  commit(trailing: boolean): void {
    const vals = this.tmpVals;
    const has = this.tmpHas;
    const sf = this.stepF;
    if (has[sf] !== K_NUM) {
      this.bad(trailing, 'missing step');
      return;
    }
    const step = vals[sf];
    if (!Number.isInteger(step)) {
      this.bad(trailing, `non-integer step ${step}`);
      return;
    }
    let epoch = NaN;
    const ef = this.epochF;
    if (ef >= 0 && has[ef] === K_NUM) {
      epoch = vals[ef];
      const bad = !Number.isInteger(epoch) ? `non-integer epoch ${epoch}` : epoch < 0 ? `negative epoch ${epoch}` : epoch > MAX_EPOCH ? `epoch ${epoch} above 10,000,000` : null;
      if (bad) {
        if (trailing) {
          this.bad(true, bad);
          return;
        }
        this.problem(this.lineNo, `${bad}; treated as missing`);
        epoch = NaN;
      }
    }
    const r = this.rows;
    if (r === this.rowStep.length) {
      const cap = r * 2;
      const a = new Float64Array(cap);
      a.set(this.rowStep);
      this.rowStep = a;
      const b = new Float64Array(cap);
      b.set(this.rowEpoch);
      this.rowEpoch = b;
      const l = new Float64Array(cap);
      l.set(this.rowLine);
      this.rowLine = l;
    }
    this.rowStep[r] = step;
    this.rowEpoch[r] = epoch;
    this.rowLine[r] = this.lineNo;
    const map = this.map;
    const cols = this.cols;
    const nf = this.nf;
    for (let f = 0; f < nf; f++) {
      if (has[f] !== K_NUM) continue;
      const id = map[f];
      if (id < 0) continue;
      const c = cols[id];
      if (c.n === c.rows.length) c.grow();
      c.rows[c.n] = r;
      c.vals[c.n] = vals[f];
      c.n++;
    }
    this.rows = r + 1;
  }

  // -------------------------------------------------------------------------

  finalize(file: string): ParsedMetrics {
    const problems: Problem[] = this.problems.map((p) => ({ file, line: p.line, message: p.message }));
    if (this.problemCount > this.problems.length) {
      const more = this.problemCount - this.problems.length;
      problems.push({ file, line: null, message: `${more} more problem${more === 1 ? '' : 's'}` });
    }
    const base: ParsedMetrics = {
      kind: 'empty',
      reason: null,
      columns: [],
      rowCount: 0,
      series: [],
      epochs: [],
      epochLevel: [],
      problems,
    };
    if (this.state === ST_AWAIT) {
      base.reason = this.lineNo === 0 ? 'file is empty' : 'file has no header line';
      return base;
    }
    if (this.state === ST_NOT) {
      base.kind = 'not-lightning';
      base.reason = this.notReason;
      if (this.testTube) base.writer = 'test-tube';
      return base;
    }
    const names = this.cols.map((c) => c.name);
    base.columns = names.slice().sort();
    if (this.rows === 0) {
      base.reason = this.problemCount > 0 ? `no valid data rows (header only, ${this.problemCount} problem${this.problemCount === 1 ? '' : 's'})` : 'header only: no data rows yet';
      return base;
    }
    base.kind = 'lightning';
    base.rowCount = this.rows;

    const nRows = this.rows;
    const rowStep = this.rowStep;
    let rowEpoch = this.rowEpoch;

    // Several fits in one file: only the last is read; the others are named.
    const fits = this.fitStarts(nRows);
    const from = fits[fits.length - 1];
    const segStarts = this.segStarts.slice();
    if (fits.length > 1) {
      for (const f of fits) if (f > 0 && !segStarts.includes(f)) segStarts.push(f);
      segStarts.sort((a, b) => a - b);
      base.fits = fits.map((start, k) => this.describeFit(start, k + 1 < fits.length ? fits[k + 1] : nRows));
      const last = base.fits[base.fits.length - 1];
      const earlier = base.fits.slice(0, -1).map(fitText).join('; ');
      problems.push({
        file,
        line: last.fromLine,
        message: `${fits.length} fits appended to one file (epochs or steps start again at line ${last.fromLine}): the last, ${fitText(last)}, is analysed; not analysed: ${earlier}`,
      });
    }
    const cols = fits.length > 1 ? this.cols.map((c) => restrict(c, from)) : this.cols;
    const eff = inheritEpochs(rowEpoch, nRows, segStarts);

    // `trainer.test()` after the fit: its rows are not an epoch of training.
    const after = this.afterFitRows(cols, from, nRows);
    if (after.length || from > 0) {
      rowEpoch = rowEpoch.slice(0, nRows);
      for (let r = 0; r < from; r++) rowEpoch[r] = NaN;
      base.afterFit = [];
      for (const r of after) {
        const metrics: Record<string, number> = {};
        for (const c of cols) {
          const k = findRow(c, r);
          if (k >= 0) setMetric(metrics, c.name, c.vals[k]);
        }
        base.afterFit.push({ epoch: rowEpoch[r], step: rowStep[r], metrics, line: this.rowLine[r] });
        rowEpoch[r] = NaN;
      }
      if (!base.afterFit.length) delete base.afterFit;
    }

    const order = cols
      .map((_c, i) => i)
      .filter((i) => cols[i].n > 0)
      .sort((a, b) => {
        const x = cols[a].name;
        const y = cols[b].name;
        return x < y ? -1 : x > y ? 1 : 0;
      });

    base.series = order.map((i) => buildSeries(cols[i], rowStep, eff));
    const { epochs, byEpoch } = buildEpochTable(cols, order, rowStep, rowEpoch, eff, nRows);
    base.epochs = epochs;
    base.epochLevel = classify(cols, order, base.series, nRows, byEpoch.size > 0);
    return base;
  }

  /**
   * Row indices where a fit starts. Within one fit the rows that carry an
   * epoch never go back: epoch and step only grow (a train-epoch row repeats
   * its validation row's step). A row whose epoch is at or below the first
   * epoch of the fit so far, after a later one, or whose step falls below the
   * last, starts another fit, from the row after the previous epoch row (so
   * the new fit's epoch-less LR rows go with it). A fall to a later epoch
   * than the fit began at is a resume into the same file: kept in this fit
   * (later rows win an epoch's values).
   */
  fitStarts(nRows: number): number[] {
    const starts = [0];
    const rowEpoch = this.rowEpoch;
    const rowStep = this.rowStep;
    let firstE = NaN;
    let lastE = NaN;
    let lastS = -Infinity;
    let prevOwn = -1;
    for (let r = 0; r < nRows; r++) {
      const e = rowEpoch[r];
      if (e !== e) continue;
      const s = rowStep[r];
      const back = lastE === lastE && (e < lastE || (e === lastE && s < lastS));
      if (back && e <= firstE) {
        starts.push(prevOwn + 1);
        firstE = e;
      } else if (firstE !== firstE) firstE = e;
      lastE = e;
      lastS = s;
      prevOwn = r;
    }
    return starts;
  }

  describeFit(start: number, end: number): FitSegment {
    let firstEpoch: number | null = null;
    let lastEpoch: number | null = null;
    let lastStep = -Infinity;
    for (let r = start; r < end; r++) {
      const e = this.rowEpoch[r];
      if (e === e) {
        firstEpoch ??= e;
        lastEpoch = e;
      }
      if (this.rowStep[r] > lastStep) lastStep = this.rowStep[r];
    }
    return { fromLine: this.rowLine[start], toLine: this.rowLine[end - 1], rows: end - start, firstEpoch, lastEpoch, lastStep };
  }

  /**
   * Trailing rows of the fit logged by `trainer.test()`: at the end of the
   * file, carrying an epoch no earlier than the fit's last and the step right
   * after the fit's last batch, and only metrics that no earlier row of the
   * fit has (the test loop's own names).
   */
  afterFitRows(cols: Column[], from: number, nRows: number): number[] {
    let lastTrain = -1;
    let r = nRows - 1;
    for (; r >= from; r--) if (this.rowEpoch[r] === this.rowEpoch[r]) break;
    // the trailing block of own-epoch rows sharing one (epoch, step)
    const tail: number[] = [];
    for (; r >= from; r--) {
      const e = this.rowEpoch[r];
      if (e !== e) continue;
      if (tail.length && (e !== this.rowEpoch[tail[0]] || this.rowStep[r] !== this.rowStep[tail[0]])) {
        lastTrain = r;
        break;
      }
      tail.unshift(r);
    }
    if (!tail.length || lastTrain < 0) return [];
    const e = this.rowEpoch[tail[0]];
    const s = this.rowStep[tail[0]];
    let fitEpoch = -Infinity;
    let fitStep = -Infinity;
    for (let q = from; q <= lastTrain; q++) {
      const qe = this.rowEpoch[q];
      if (qe !== qe) continue;
      if (qe > fitEpoch) fitEpoch = qe;
      if (this.rowStep[q] > fitStep) fitStep = this.rowStep[q];
    }
    // trainer.test()/validate() after a fit log at epoch = epochs trained (the last epoch + 1); a row at the fit's own last
    // epoch is that epoch's end (its first validation, in a one-epoch fit), not a test row.
    if (e !== fitEpoch + 1 || s !== fitStep + 1) return [];
    const tailSet = new Set(tail);
    for (const c of cols) {
      let inTail = false;
      let before = false;
      for (let k = 0; k < c.n; k++) {
        const row = c.rows[k];
        if (row < from) continue;
        if (tailSet.has(row)) inTail = true;
        else if (row <= lastTrain) before = true;
      }
      if (inTail && before) return [];
    }
    return tail;
  }
}

function fitText(f: FitSegment): string {
  const epochs = f.firstEpoch === null ? 'no epochs' : f.firstEpoch === f.lastEpoch ? `epoch ${f.firstEpoch}` : `epochs ${f.firstEpoch}–${f.lastEpoch}`;
  return `lines ${f.fromLine}–${f.toLine} (${epochs}, last step ${f.lastStep})`;
}

/** A column's entries from row `from` on (rows are stored in file order). */
function restrict(c: Column, from: number): Column {
  let k = 0;
  while (k < c.n && c.rows[k] < from) k++;
  const out = new Column(c.name);
  out.rows = c.rows.subarray(k, c.n);
  out.vals = c.vals.subarray(k, c.n);
  out.n = c.n - k;
  return out;
}

/** Index of row r's entry in a column, -1 if it has none. */
function findRow(c: Column, r: number): number {
  let lo = 0;
  let hi = c.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = c.rows[mid];
    if (x === r) return mid;
    if (x < r) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Recipe 3: epoch-less rows take the next row's epoch within the segment, else the previous. */
function inheritEpochs(rowEpoch: Float64Array, n: number, segStarts: number[]): Float64Array {
  const eff = new Float64Array(n);
  let seg = segStarts.length - 1;
  let next = NaN;
  for (let r = n - 1; r >= 0; r--) {
    const e = rowEpoch[r];
    if (e === e) next = e;
    eff[r] = next;
    if (seg >= 0 && segStarts[seg] === r) {
      next = NaN;
      seg--;
    }
  }
  seg = 0;
  let prev = NaN;
  for (let r = 0; r < n; r++) {
    if (seg < segStarts.length && segStarts[seg] === r) {
      prev = NaN;
      seg++;
    }
    const e = eff[r];
    if (e === e) prev = e;
    else eff[r] = prev;
  }
  return eff;
}

function sameValue(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * Set of (step, value) pairs. Steps are normally small non-negative integers:
 * those live in a dense table indexed by step; anything else (and the rare
 * second distinct value at one step) goes to a Map.
 */
class StepValueSet {
  private dense: Float64Array | null = null;
  private state: Uint8Array | null = null; // 0 none, 1 one value in dense, 2 values in `multi`
  private multi = new Map<number, number[]>();
  private sparse = new Map<number, number | number[]>();

  constructor(maxStep: number) {
    if (maxStep >= 0 && maxStep < 50_000_000) {
      this.dense = new Float64Array(maxStep + 1);
      this.state = new Uint8Array(maxStep + 1);
    }
  }

  /** true if (s, v) was already present; otherwise records it */
  seenOrAdd(s: number, v: number): boolean {
    const dense = this.dense;
    if (dense !== null && s >= 0 && s < dense.length && (s | 0) === s) {
      const st = this.state as Uint8Array;
      const k = st[s];
      if (k === 0) {
        st[s] = 1;
        dense[s] = v;
        return false;
      }
      if (k === 1) {
        if (sameValue(dense[s], v)) return true;
        st[s] = 2;
        this.multi.set(s, [dense[s], v]);
        return false;
      }
      const arr = this.multi.get(s) as number[];
      for (let j = 0; j < arr.length; j++) if (sameValue(arr[j], v)) return true;
      arr.push(v);
      return false;
    }
    const map = this.sparse;
    const got = map.get(s);
    if (got === undefined) {
      map.set(s, v);
      return false;
    }
    if (typeof got === 'number') {
      if (sameValue(got, v)) return true;
      map.set(s, [got, v]);
      return false;
    }
    for (let j = 0; j < got.length; j++) if (sameValue(got[j], v)) return true;
    got.push(v);
    return false;
  }
}

/** Recipe 4a with (step, value) dedupe. Fast path while steps are non-decreasing. */
function buildSeries(c: Column, rowStep: Float64Array, eff: Float64Array): StepSeries {
  const n = c.n;
  const rows = c.rows;
  const vals = c.vals;
  let steps = new Float64Array(n);
  let epochs = new Float64Array(n);
  let values = new Float64Array(n);
  let k = 0;
  let last = -Infinity;
  let tail = 0;
  let set: StepValueSet | null = null;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const s = rowStep[r];
    const v = vals[i];
    if (set === null) {
      if (s > last) {
        last = s;
        tail = k;
      } else if (s === last && k - tail < 16) {
        let dup = false;
        for (let j = tail; j < k; j++) {
          if (sameValue(values[j], v)) {
            dup = true;
            break;
          }
        }
        if (dup) continue;
      } else {
        // steps went backwards (val-step counter, appended run): switch to a set
        // dense table over [0, min(maxStep, 2n + 65536)], the rest in a Map
        let maxStep = -1;
        for (let j = 0; j < n; j++) {
          const x = rowStep[rows[j]];
          if (x > maxStep) maxStep = x;
        }
        set = new StepValueSet(Math.min(maxStep, 2 * n + 65536));
        for (let j = 0; j < k; j++) set.seenOrAdd(steps[j], values[j]);
        if (set.seenOrAdd(s, v)) continue;
      }
    } else if (set.seenOrAdd(s, v)) continue;
    steps[k] = s;
    epochs[k] = eff[r];
    values[k] = v;
    k++;
  }
  if (k < n) {
    steps = steps.slice(0, k);
    epochs = epochs.slice(0, k);
    values = values.slice(0, k);
  }
  return { metric: c.name, length: k, steps, epochs, values };
}

function isLrColumn(name: string): boolean {
  return name.startsWith('lr-');
}

/** Recipe 5b table. */
function buildEpochTable(cols: Column[], order: number[], rowStep: Float64Array, rowEpoch: Float64Array, eff: Float64Array, nRows: number): { epochs: EpochRow[]; byEpoch: Map<number, EpochRow> } {
  const byEpoch = new Map<number, EpochRow>();
  let cur: EpochRow | null = null;
  for (let r = 0; r < nRows; r++) {
    const e = rowEpoch[r];
    if (e !== e) continue;
    if (cur === null || cur.epoch !== e) {
      cur = byEpoch.get(e) ?? null;
      if (cur === null) {
        cur = { epoch: e, step: rowStep[r], metrics: {} };
        byEpoch.set(e, cur);
      }
    }
    if (rowStep[r] > cur.step) cur.step = rowStep[r];
  }
  if (byEpoch.size > 0) {
    for (const id of order) {
      const c = cols[id];
      const lr = isLrColumn(c.name);
      const epochOf = lr ? eff : rowEpoch;
      const rows = c.rows;
      const vals = c.vals;
      const n = c.n;
      // per epoch: last defined value (lr-*: first inherited value); written
      // once per run of equal epochs, not per point
      let curE = NaN;
      let runFirst = 0;
      let runLast = 0;
      for (let i = 0; i <= n; i++) {
        const e = i < n ? epochOf[rows[i]] : NaN;
        if (i < n && e !== e) continue;
        if (i < n && e === curE) {
          runLast = vals[i];
          continue;
        }
        if (curE === curE) {
          const row = byEpoch.get(curE);
          if (row !== undefined) {
            if (!lr) setMetric(row.metrics, c.name, runLast);
            else if (!Object.hasOwn(row.metrics, c.name)) setMetric(row.metrics, c.name, runFirst);
          }
        }
        if (i === n) break;
        curE = e;
        runFirst = runLast = vals[i];
      }
    }
  }
  const epochs = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  return { epochs, byEpoch };
}

/**
 * Recipe 5b classification: epoch-level if the name ends `_epoch`, or it has
 * ≤1 value per (effective) epoch — counting (step, value)-deduped points — and
 * never shares a row with a `_step` column or a multi-valued column (`_epoch`
 * columns never count as multi-valued); otherwise step-level.
 */
function classify(cols: Column[], order: number[], series: StepSeries[], nRows: number, haveEpochs: boolean): string[] {
  const out: string[] = [];
  const flagged = new Uint8Array(cols.length);
  const hasEpoch = new Uint8Array(cols.length);
  const isEpochName = new Uint8Array(cols.length);
  for (let k = 0; k < order.length; k++) {
    const id = order[k];
    const base = stripDataloaderSuffix(cols[id].name);
    if (base.endsWith('_epoch')) {
      // `_epoch` forks are epoch-level by name; Lightning may repeat them in the
      // val-epoch and train-epoch rows, which must not flag their row-mates
      isEpochName[id] = 1;
      continue;
    }
    if (base.endsWith('_step')) flagged[id] = 1;
    // count (step, value)-deduped points per effective epoch
    const s = series[k];
    const ep = s.epochs;
    const counts = new Map<number, number>();
    let curE = NaN;
    let cnt = 0;
    for (let i = 0; i < s.length; i++) {
      const e = ep[i];
      if (e !== e) continue;
      hasEpoch[id] = 1;
      if (e === curE) cnt++;
      else {
        if (curE === curE) counts.set(curE, cnt);
        curE = e;
        cnt = (counts.get(e) ?? 0) + 1;
      }
      if (cnt > 1) {
        flagged[id] = 1;
        break;
      }
    }
  }
  const rowFlag = new Uint8Array(nRows);
  for (const id of order) {
    if (!flagged[id]) continue;
    const c = cols[id];
    for (let i = 0; i < c.n; i++) rowFlag[c.rows[i]] = 1;
  }
  for (const id of order) {
    const c = cols[id];
    if (isEpochName[id]) {
      out.push(c.name);
      continue;
    }
    if (!haveEpochs || flagged[id] || !hasEpoch[id]) continue;
    let clean = true;
    for (let i = 0; i < c.n; i++) {
      if (rowFlag[c.rows[i]]) {
        clean = false;
        break;
      }
    }
    if (clean) out.push(c.name);
  }
  return out;
}

// ---------------------------------------------------------------------------

/** Parse a whole metrics.csv text. Never throws on bad input. */
export function parseMetricsCsv(text: string, file: string = DEFAULT_FILE): ParsedMetrics {
  const p = new Parser();
  // Classic Mac line ends: the first line break is a lone CR. Read every lone CR as a line break.
  const firstCr = text.indexOf('\r');
  if (firstCr >= 0 && text.charCodeAt(firstCr + 1) !== 10) {
    const firstLf = text.indexOf('\n');
    if (firstLf < 0 || firstCr < firstLf) {
      p.problem(1, 'carriage returns without line feeds (classic Mac line ends): read as line breaks');
      text = text.replace(/\r(?!\n)/g, '\n');
    }
  }
  const last = text.lastIndexOf('\n');
  p.feed(text, 0, last + 1);
  if (last + 1 < text.length) p.trailing(text, last + 1, text.length);
  return p.finalize(file);
}

/** Per-epoch values of one metric: S_e as step. */
export function metricValuesByEpoch(parsed: ParsedMetrics, metric: string): Array<{ epoch: number; step: number; value: number }> {
  const out: Array<{ epoch: number; step: number; value: number }> = [];
  for (const row of parsed.epochs) {
    if (Object.hasOwn(row.metrics, metric)) {
      out.push({ epoch: row.epoch, step: row.step, value: row.metrics[metric] });
    }
  }
  return out;
}

/**
 * Incremental parser for a growing metrics.csv (live tailing). Complete lines
 * are parsed as they arrive; result() finalizes without consuming state, so
 * it can be called repeatedly between pushes. When Lightning rewrites the
 * file (new column), call reset() and push the new content from the start.
 */
export class MetricsCsvAccumulator {
  private p = new Parser();
  private pending = '';

  push(chunk: string): void {
    if (chunk.length === 0) return;
    const nl = chunk.lastIndexOf('\n');
    if (nl < 0) {
      this.pending += chunk;
      return;
    }
    const text = this.pending.length > 0 ? this.pending + chunk.substring(0, nl + 1) : chunk;
    const end = this.pending.length > 0 ? text.length : nl + 1;
    this.pending = chunk.substring(nl + 1);
    this.p.feed(text, 0, end);
  }

  reset(): void {
    this.p = new Parser();
    this.pending = '';
  }

  /** Parse of all complete lines so far (a trailing line without newline is not included). */
  result(file: string = DEFAULT_FILE): ParsedMetrics {
    return this.p.finalize(file);
  }
}

export interface NonFiniteMetric {
  metric: string;
  /** values that are NaN or ±inf */
  nonFinite: number;
  values: number;
  /** step of the first non-finite value */
  firstStep: number;
}

/**
 * The metrics with NaN or infinite values, from the per-step series (so a
 * metrics.csv, events files and a log's table all answer alike). A metric
 * whose every value is non-finite (`nonFinite === values`: a loss that was NaN
 * from the first step) is a run that learnt nothing, whatever else it logged.
 */
export function nonFiniteMetrics(parsed: ParsedMetrics): NonFiniteMetric[] {
  const out: NonFiniteMetric[] = [];
  for (const s of parsed.series) {
    let bad = 0;
    let firstStep = NaN;
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s.values[i])) {
        if (bad === 0) firstStep = s.steps[i];
        bad++;
      }
    }
    if (bad > 0) out.push({ metric: s.metric, nonFinite: bad, values: s.length, firstStep });
  }
  return out;
}
