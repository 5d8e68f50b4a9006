/**
 * "Propose plan update": a unified diff that flips the proven rows' State to
 * `[x]` and adds the evidence link to their guidance cell. Pure: the plan's
 * text in, a patch `git apply` accepts out. Only the State and guidance
 * cells change; every other byte (padding, CRLF, non-ASCII) is kept.
 */
import { parsePlan, splitCells } from './parse';

export interface PlanPatchInput {
  /** The plan file's current text. */
  text: string;
  /** Path written in the patch header, relative to where it will be applied (`plans/active/…/plan.md`). */
  path: string;
  /** Rows the run proves. */
  rowIds: string[];
  /** Link to the evidence page. */
  evidenceUrl: string;
  /** Link text, e.g. `Runproof run 3f2a…`. */
  label: string;
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

/** Markdown for the link, safe inside a table cell. */
function linkText(label: string, url: string): string {
  const safeLabel = label.replace(/[|[\]\\]/g, ' ').replace(/\s+/g, ' ').trim();
  const safeUrl = url.replace(/[|\s()]/g, encodeURIComponent);
  return `Evidence: [${safeLabel}](${safeUrl})`;
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
  const link = linkText(input.label, input.evidenceUrl);

  for (const id of input.rowIds) {
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
    if (row.state === '[x]' && hasLink) {
      skipped.push({ id, reason: 'already [x] with this evidence' });
      continue;
    }
    // Edit the later cell first so the earlier cell's offsets stay valid.
    const edits: Array<{ col: number; fn: (c: string) => string }> = [];
    if (row.state !== '[x]') edits.push({ col: table.stateColumn, fn: () => '[x]' });
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
      skipped.push({ id, reason: row.state === '[x]' ? 'already [x]; the row has no guidance cell for the link' : 'the row has no State cell to change' });
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
