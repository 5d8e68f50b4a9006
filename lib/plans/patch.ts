/**
 * "Propose plan update": a unified diff that sets the rows' State — `[x]`
 * for a row a qualifying run passes, `[P]` with the failing checks for one it
 * fails (`decideRowUpdate`) — and adds the evidence link to their guidance
 * cell. Pure: the plan's text in, a patch `git apply` accepts out. Only the
 * State and guidance cells change; every other byte (padding, CRLF,
 * non-ASCII) is kept.
 */
import type { Verdict } from '../evidence/verdict';
import { parsePlan, splitCells } from './parse';

/** What to do with one row: its new State, and a note after the evidence link. */
export interface RowUpdate {
  id: string;
  state: '[x]' | '[P]';
  /** Written after the link, e.g. `failing: checkpoints, knobs`. */
  note?: string | null;
}

export interface PlanPatchInput {
  /** The plan file's current text. */
  text: string;
  /** Path written in the patch header, relative to where it will be applied (`plans/active/…/plan.md`). */
  path: string;
  /** Rows the run proves, flipped to `[x]` (shorthand for `rows` with state `[x]`). */
  rowIds?: string[];
  /** Rows and the State each gets. */
  rows?: RowUpdate[];
  /** Link to the evidence page. */
  evidenceUrl: string;
  /** Link text, e.g. `Runproof pass · profile ptycho-torch · run 3f2a…`. */
  label: string;
}

/** A row the run is linked to, as `decideRowUpdate` needs it. */
export interface RowDecisionInput {
  id: string;
  /** The row's State now. */
  state: string;
  verdict: Verdict;
  /** Does the run qualify for the row (lib/plans/qualify.ts), and why not. */
  qualifies: boolean;
  why?: string | null;
  /** Ids of the checks that failed. */
  failing: string[];
  /** The process status, for the reason of a pending or incomplete run. */
  status: string;
}

/** What happens to a row, from its State now (`from`), and why. */
export type RowDecision = { id: string; from: string; update: RowUpdate; reason: string } | { id: string; from: string; update: null; reason: string };

/**
 * What "Propose plan update" does with a row, and why. Only a qualifying
 * passing run flips a row to `[x]`; a qualifying failing one proposes `[P]`
 * with the failing checks in the note (never over an `[x]`: the row is
 * flagged instead); a run that does not qualify, is incomplete or is still
 * running proposes nothing.
 */
export function decideRowUpdate(r: RowDecisionInput): RowDecision {
  if (!r.qualifies) return { id: r.id, from: r.state, update: null, reason: `linked, does not qualify: ${r.why ?? 'it ran another command than the row asks for'}` };
  if (r.verdict === 'pending') return { id: r.id, from: r.state, update: null, reason: `the run is still ${r.status === 'queued' ? 'queued' : 'running'}: propose the update when it has a verdict` };
  if (r.verdict === 'incomplete') return { id: r.id, from: r.state, update: null, reason: `the run is incomplete (${r.status.replace('_', ' ')}): it proves nothing either way` };
  if (r.verdict === 'pass') return { id: r.id, from: r.state, update: { id: r.id, state: '[x]' }, reason: 'a qualifying run passes' };
  const note = r.failing.length ? `failing: ${r.failing.join(', ')}` : `the process ${r.status.replace('_', ' ')}`;
  if (r.state === '[x]') return { id: r.id, from: r.state, update: null, reason: `already [x]; a failing run does not un-mark it (the row is flagged: its latest run fails, ${note})` };
  return { id: r.id, from: r.state, update: { id: r.id, state: '[P]', note }, reason: `the run fails (${note}): partial, not done` };
}

export interface PlanPatch {
  /** Unified diff; empty when nothing changes. */
  patch: string;
  /** The plan's text with the patch applied (the input text when nothing changes). */
  after: string;
  changed: string[];
  skipped: Array<{ id: string; reason: string }>;
}

const CONTEXT = 3;

/** Text safe inside a table cell and outside a link: no pipe, bracket, backslash, backtick or line break. */
function cellSafe(s: string): string {
  return s
    .replace(/[|[\]\\`<>]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Markdown for the link (and its note), safe inside a table cell. */
function linkText(label: string, url: string, note?: string | null): string {
  const safeUrl = url.replace(/[|\s()]/g, encodeURIComponent);
  return `Evidence: [${cellSafe(label)}](${safeUrl})${note ? ` — ${cellSafe(note)}` : ''}`;
}

/** Replace the cell content in [start, end) keeping its padding. */
function replaceCell(raw: string, start: number, end: number, fn: (content: string) => string): string {
  const cell = raw.slice(start, end);
  const lead = cell.match(/^\s*/)![0];
  const trail = cell.slice(lead.length).match(/\s*$/)![0];
  const content = cell.slice(lead.length, cell.length - trail.length);
  const next = fn(content);
  return raw.slice(0, start) + (lead || ' ') + next + (trail || ' ') + raw.slice(end);
}

export function proposePlanPatch(input: PlanPatchInput): PlanPatch {
  const plan = parsePlan(input.text, input.path);
  const bom = input.text.startsWith('\uFEFF');
  const body = bom ? input.text.slice(1) : input.text;
  const endsWithNewline = body.endsWith('\n');
  const lines = (endsWithNewline ? body.slice(0, -1) : body).split('\n');
  const next = [...lines];
  const changed: string[] = [];
  const skipped: PlanPatch['skipped'] = [];
  const updates: RowUpdate[] = [...(input.rowIds ?? []).map((id) => ({ id, state: '[x]' as const })), ...(input.rows ?? [])];

  for (const { id, state, note } of updates) {
    const link = linkText(input.label, input.evidenceUrl, note);
    const row = plan.rows.find((r) => r.id === id);
    if (!row) {
      skipped.push({ id, reason: 'the plan has no such row' });
      continue;
    }
    const table = plan.tables.find((t) => t.line === row.tableLine)!;
    const idx = Array.from({ length: row.endLine - row.line + 1 }, (_, k) => row.line - 1 + k);
    const cr = idx.map((k) => next[k].endsWith('\r'));
    let raw = idx.map((k, j) => (cr[j] ? next[k].slice(0, -1) : next[k])).join('\n');
    const hasLink = raw.includes(input.evidenceUrl);
    if (row.state === state && hasLink) {
      skipped.push({ id, reason: `already ${state} with this evidence` });
      continue;
    }
    if (state === '[P]' && row.state === '[x]') {
      skipped.push({ id, reason: 'already [x]; a failing run does not un-mark it' });
      continue;
    }
    // Edit the later cell first so the earlier cell's offsets stay valid.
    const edits: Array<{ col: number; fn: (c: string) => string }> = [];
    if (row.state !== state) edits.push({ col: table.stateColumn, fn: () => state });
    if (!hasLink && table.guidanceColumn >= 0) edits.push({ col: table.guidanceColumn, fn: (c) => (c ? `${c}<br>${link}` : link) });
    edits.sort((a, b) => b.col - a.col);
    const original = raw;
    for (const e of edits) {
      const cells = splitCells(raw).cells;
      if (e.col >= cells.length) continue;
      raw = replaceCell(raw, cells[e.col].start, cells[e.col].end, e.fn);
    }
    if (raw === original) {
      // E.g. already [x] and the row has no guidance cell to hold the link.
      skipped.push({ id, reason: row.state === state ? `already ${state}; the row has no guidance cell for the link` : 'the row has no State cell to change' });
      continue;
    }
    const out = raw.split('\n');
    idx.forEach((k, j) => {
      next[k] = out[j] + (cr[j] ? '\r' : '');
    });
    changed.push(id);
  }

  const after = (bom ? '\uFEFF' : '') + next.join('\n') + (endsWithNewline ? '\n' : '');
  return { patch: unifiedDiff(lines, next, input.path, bom, endsWithNewline), after, changed, skipped };
}

/** A unified diff between two line arrays of equal length (only replacements). */
function unifiedDiff(a: string[], b: string[], path: string, bom: boolean, endsWithNewline: boolean): string {
  const diff: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) diff.push(k);
  if (!diff.length) return '';
  const hunks: Array<[number, number]> = [];
  for (const k of diff) {
    const from = Math.max(0, k - CONTEXT);
    const to = Math.min(a.length - 1, k + CONTEXT);
    const last = hunks.at(-1);
    if (last && from <= last[1] + 1) last[1] = to;
    else hunks.push([from, to]);
  }
  const out = [`--- a/${path}`, `+++ b/${path}`];
  const shown = (k: number, s: string) => (k === 0 && bom ? `\uFEFF${s}` : s);
  const noEol = (k: number) => (!endsWithNewline && k === a.length - 1 ? ['\\ No newline at end of file'] : []);
  for (const [from, to] of hunks) {
    const n = to - from + 1;
    out.push(`@@ -${from + 1},${n} +${from + 1},${n} @@`);
    let k = from;
    while (k <= to) {
      if (a[k] === b[k]) {
        out.push(` ${shown(k, a[k])}`, ...noEol(k));
        k++;
        continue;
      }
      let e = k;
      while (e <= to && a[e] !== b[e]) e++;
      for (let j = k; j < e; j++) out.push(`-${shown(j, a[j])}`, ...noEol(j));
      for (let j = k; j < e; j++) out.push(`+${shown(j, b[j])}`, ...noEol(j));
      k = e;
    }
  }
  return `${out.join('\n')}\n`;
}
