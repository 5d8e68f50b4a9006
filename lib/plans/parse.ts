/**
 * Finds plan tables in markdown: tables whose header has an ID column and a
 * State column. Pure: text in, rows and problems out.
 *
 * What real plan files contain and this handles: escaped pipes (`\|`), pipes
 * inside code spans, `<br>` line breaks, rows that run over several source
 * lines (a row is complete once it has all its cells), data rows written above
 * the delimiter row, rows without a trailing pipe, tables inside code fences
 * (ignored), CRLF, a BOM, and any non-ASCII text. A broken row is reported with
 * its line and skipped; the rest of the file still indexes.
 */
import type { Problem } from '../evidence/types';
import type { ParsedPlan, PlanRow, PlanTable } from './types';

export interface Cell {
  /** Unescaped, `<br>` as newline, trimmed. */
  text: string;
  /** Span of the cell's raw content in the row's source text (between its pipes). */
  start: number;
  end: number;
}

/**
 * Split one table row (possibly spanning lines) into cells. Pipes escaped as
 * `\|` or inside a closed code span do not split.
 */
export function splitCells(raw: string): { cells: Cell[]; closed: boolean } {
  let i = 0;
  while (i < raw.length && (raw[i] === ' ' || raw[i] === '\t')) i++;
  if (raw[i] === '|') i++;
  const cells: Cell[] = [];
  let start = i;
  let buf = '';
  let closed = false;
  const push = (end: number) => cells.push({ text: cleanCell(buf), start, end });
  const special = /[\\`|]/g;
  const end = raw.trimEnd().length;
  while (i < raw.length) {
    // Copy plain text up to the next character that matters in one slice.
    special.lastIndex = i;
    const next = special.exec(raw);
    if (!next) {
      buf += raw.slice(i);
      i = raw.length;
      break;
    }
    if (next.index > i) {
      buf += raw.slice(i, next.index);
      i = next.index;
    }
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length && /[!-/:-@[-`{-~]/.test(raw[i + 1])) {
      // A backslash escape: `\|` is a pipe inside the cell; `\`` is a backtick that opens no code span.
      buf += raw[i + 1] === '|' ? '|' : raw.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '`') {
      let n = 1;
      while (raw[i + n] === '`') n++;
      const fence = '`'.repeat(n);
      let close = raw.indexOf(fence, i + n);
      // A closing run must be exactly n backticks long.
      while (close !== -1 && raw[close + n] === '`') {
        let m = close;
        while (raw[m] === '`') m++;
        close = raw.indexOf(fence, m);
      }
      if (close !== -1) {
        buf += raw.slice(i, close + n).replace(/\\\|/g, '|');
        i = close + n;
        continue;
      }
      buf += fence;
      i += n;
      continue;
    }
    if (c === '|') {
      push(i);
      buf = '';
      i++;
      start = i;
      if (i >= end) {
        closed = true;
        return { cells, closed };
      }
      continue;
    }
    buf += c;
    i++;
  }
  if (buf.trim() !== '' || cells.length === 0) push(raw.length);
  return { cells, closed };
}

function cleanCell(s: string): string {
  return s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/[ \t]*\n[ \t]*/g, '\n')
    .trim();
}

/** Strip emphasis and code marks around a short value (`**EB4.A**` → `EB4.A`). */
function bare(s: string): string {
  return s.replace(/^[*_`~\s]+|[*_`~\s]+$/g, '');
}

export function normalizeState(cell: string): string {
  const s = bare(cell);
  if (/^\[\s?\]$/.test(s)) return '[ ]';
  if (/^\[[xX]\]$/.test(s)) return '[x]';
  if (/^\[[pP]\]$/.test(s)) return '[P]';
  return cell.trim();
}

const isDelimiterRow = (cells: Cell[]) => cells.length > 0 && cells.every((c) => /^:?-+:?$/.test(c.text));
const headerName = (s: string) => bare(s).toLowerCase().replace(/\s+/g, ' ');
const isIdHeader = (s: string) => /^(?:[a-z]+ )?id$/.test(headerName(s));
const isStateHeader = (s: string) => headerName(s) === 'state';

interface Columns {
  id: number;
  state: number;
  description: number;
  guidance: number;
}

function columnsOf(header: string[]): Columns | null {
  const id = header.findIndex(isIdHeader);
  const state = header.findIndex(isStateHeader);
  if (id < 0 || state < 0) return null;
  const others = header.map((_, i) => i).filter((i) => i !== id && i !== state);
  const pick = (re: RegExp, not: number) => others.find((i) => i !== not && re.test(headerName(header[i])));
  const namedGuidance = pick(/guidance|how|why|note|comment|detail|evidence/, -1);
  const description = pick(/description|task|title|summary|what|item/, namedGuidance ?? -1) ?? others.find((i) => i !== namedGuidance) ?? -1;
  const guidance = namedGuidance ?? others.filter((i) => i !== description).at(-1) ?? -1;
  return { id, state, description, guidance };
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
/** `# title`, `### Phase EB4 — …` (closing `#`s are stripped in code: a regex for them backtracks badly on long lines). */
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/;
const INITIATIVE = /^\s*[-*+]?\s*\**Initiative\**\s*:\s*\**\s*`?([A-Za-z0-9][\w.-]*)/;
/** No spaces, and none of `#`, `:` and `,`, which name rows in URLs, forms and `--row` (`<plan>#ID`). */
const VALID_ID = /^[^\s|#:,]{1,64}$/;

/** A logical table row: one or more source lines. */
interface SourceRow {
  line: number;
  endLine: number;
  raw: string;
  cells: Cell[];
}

function headingText(s: string): string {
  let t = s.trimEnd();
  // An optional closing sequence of #s, preceded by a space.
  let k = t.length;
  while (k > 0 && t[k - 1] === '#') k--;
  if (k < t.length && (k === 0 || t[k - 1] === ' ' || t[k - 1] === '\t')) t = t.slice(0, k);
  return t.trim();
}

export function phaseIdOf(heading: string | null): string | null {
  const m = heading?.match(/^Phase\s+([A-Za-z0-9][\w.-]*?)(?=[\s:—–-]|$)/i);
  return m ? m[1] : null;
}

export function parsePlan(text: string, file: string): ParsedPlan {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const problems: Problem[] = [];
  const tables: PlanTable[] = [];
  let title: string | null = null;
  let initiative: string | null = null;
  let heading: string | null = null;
  let fence: string | null = null;
  const isPipeLine = (s: string | undefined) => s !== undefined && /^\s*\|/.test(s);

  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const f = line.match(FENCE);
    if (fence) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && line.trim() === f[1]) fence = null;
      i++;
      continue;
    }
    if (f) {
      fence = f[1];
      i++;
      continue;
    }
    const h = line.match(HEADING);
    if (h) {
      heading = headingText(h[2] ?? '');
      if (h[1] === '#' && title === null) title = heading;
      i++;
      continue;
    }
    if (initiative === null) {
      const m = line.match(INITIATIVE);
      if (m) initiative = m[1];
    }
    if (!isPipeLine(line)) {
      i++;
      continue;
    }

    // The header: the first row of the block with an ID and a State column.
    const first = splitCells(line);
    const headerCells = first.cells.map((c) => c.text);
    const cols = columnsOf(headerCells);
    if (!cols) {
      // Not a plan table: skip the block.
      while (i < lines.length && isPipeLine(lines[i])) i++;
      continue;
    }
    const table: PlanTable = { line: i + 1, header: headerCells, idColumn: cols.id, stateColumn: cols.state, descriptionColumn: cols.description, guidanceColumn: cols.guidance, rows: [] };
    const width = headerCells.length;
    i++;

    // Collect rows: a row that has fewer cells than the header and is not
    // closed by a pipe absorbs the following non-table lines (a multi-line row).
    const rows: SourceRow[] = [];
    let sawDelimiter = false;
    while (i < lines.length && isPipeLine(lines[i])) {
      const startLine = i + 1;
      let raw = lines[i];
      let split = splitCells(raw);
      i++;
      while (split.cells.length < width && !split.closed && i < lines.length && lines[i].trim() !== '' && !isPipeLine(lines[i]) && !HEADING.test(lines[i]) && !FENCE.test(lines[i])) {
        raw += `\n${lines[i]}`;
        split = splitCells(raw);
        i++;
      }
      if (isDelimiterRow(split.cells)) {
        if (sawDelimiter) problems.push({ file, line: startLine, message: 'a second delimiter row in one table (ignored)' });
        sawDelimiter = true;
        continue;
      }
      rows.push({ line: startLine, endLine: i, raw, cells: split.cells });
    }
    if (!sawDelimiter) problems.push({ file, line: table.line, message: 'plan table has no delimiter row (| --- |); its rows are indexed anyway' });

    for (const r of rows) {
      const cell = (k: number) => (k >= 0 && k < r.cells.length ? r.cells[k].text : '');
      if (r.cells.length <= Math.max(cols.id, cols.state)) {
        problems.push({ file, line: r.line, message: `broken table row: ${r.cells.length} of ${width} cells, no ${r.cells.length <= cols.id ? 'ID' : 'State'} cell (row skipped)` });
        continue;
      }
      const id = bare(cell(cols.id));
      if (!id) {
        problems.push({ file, line: r.line, message: 'table row without an ID (row skipped)' });
        continue;
      }
      if (!VALID_ID.test(id)) {
        problems.push({ file, line: r.line, message: `row ID "${id.slice(0, 80)}" has spaces, # : or , or is too long (row skipped)` });
        continue;
      }
      if (r.cells.length !== width) problems.push({ file, line: r.line, message: `row ${id} has ${r.cells.length} cells, the header has ${width}` });
      const state = normalizeState(cell(cols.state));
      if (!state) problems.push({ file, line: r.line, message: `row ${id} has an empty State cell` });
      table.rows.push({
        id,
        phase: heading,
        phaseId: phaseIdOf(heading),
        description: cell(cols.description),
        state,
        guidance: cell(cols.guidance),
        line: r.line,
        endLine: r.endLine,
        tableLine: table.line,
      });
    }
    tables.push(table);
  }

  const rows: PlanRow[] = [];
  const seen = new Map<string, number>();
  for (const t of tables)
    for (const r of t.rows) {
      const prev = seen.get(r.id);
      if (prev !== undefined) {
        problems.push({ file, line: r.line, message: `row ID ${r.id} already used on line ${prev} (this row is not indexed)` });
        continue;
      }
      seen.set(r.id, r.line);
      rows.push(r);
    }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { title, initiative, tables, rows, problems };
}

/** Source lines of one row (1-based, inclusive), for patching. */
export function rowSource(text: string, row: Pick<PlanRow, 'line' | 'endLine'>): string {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .slice(row.line - 1, row.endLine)
    .join('\n');
}
