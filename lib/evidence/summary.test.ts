/**
 * summary.md and the PR Markdown with hostile names, log lines and plan rows:
 * whatever the bundle says renders as the same text, never as HTML, a link,
 * an image, a broken table or an escaped code block.
 */
import { describe, expect, it } from 'vitest';
import { analyseBundle } from './analyse';
import { mdCell, mdCode, mdText, renderSummaryMarkdown, safeHref } from './summary';
import type { Evidence } from './types';
import { renderPrMarkdown } from './pr-markdown';
import { readBundleFiles, RUNTIME_SMOKE } from '../../fixtures/test-helpers';

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '![x](data:image/png;base64,AAAA)',
  '[ref]: javascript:alert(1)',
  '<javascript:alert(1)>',
  'see http://evil.example/?q=<b>x</b> or www.evil.example and mail me@evil.example',
  'a | b \\| c \\\\| d',
  '`code` `` two `` ``` three',
  'trailing backslash \\',
  '&lt;already&gt; &amp; <b>',
  'line one\n# Heading\n- list\r\n> quote\r<div>',
  'vbscript:msgbox(1) data:text/html,<h1>',
  '**bold** _em_ ~~strike~~',
];

/** The text a CommonMark/GFM renderer shows for mdText output (entities and escapes undone, code spans opened). */
function shown(md: string, table = false): string {
  let out = '';
  for (let i = 0; i < md.length; ) {
    if (md[i] === '\\' && i + 1 < md.length && /[!-/:-@[-`{-~]/.test(md[i + 1])) {
      out += md[i + 1];
      i += 2;
    } else if (md[i] === '`') {
      let j = i;
      while (md[j] === '`') j++;
      const close = md.indexOf('`'.repeat(j - i), j);
      let body = md.slice(j, close);
      if (body.startsWith(' ') && body.endsWith(' ') && body.trim()) body = body.slice(1, -1);
      out += table ? body.replace(/\\\|/g, '|') : body;
      i = close + (j - i);
    } else if (md[i] === '&') {
      const m = /^&(lt|gt|amp);/.exec(md.slice(i))!;
      out += { lt: '<', gt: '>', amp: '&' }[m[1]];
      i += m[0].length;
    } else out += md[i++];
  }
  return out;
}

/** A line with its code spans blanked out (CommonMark: a backtick run closes at the next run of equal length). */
function outsideSpans(line: string): string {
  let res = '';
  for (let i = 0; i < line.length; ) {
    if (line[i] === '\\' && i + 1 < line.length) {
      res += line.slice(i, i + 2);
      i += 2;
    } else if (line[i] === '`') {
      let j = i;
      while (line[j] === '`') j++;
      const run = j - i;
      let k = j;
      let found = -1;
      while (k < line.length) {
        if (line[k] !== '`') k++;
        else {
          let e = k;
          while (line[e] === '`') e++;
          if (e - k === run) {
            found = k;
            break;
          }
          k = e;
        }
      }
      if (found < 0) {
        res += line.slice(i, j);
        i = j;
      } else {
        res += 'CODE';
        i = found + run;
      }
    } else res += line[i++];
  }
  return res;
}

/** Markdown outside fenced blocks and code spans, checking every fence closes where Runproof closed it. */
function markupOf(md: string): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  for (const l of md.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(l);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && !l.slice(l.indexOf(m[1]) + m[1].length).trim()) fence = null;
      continue;
    }
    if (m) fence = m[1];
    else out.push(outsideSpans(l));
  }
  expect(fence, 'a fenced block left open').toBeNull();
  return out;
}

/** Cells of a table row, split as GFM does (on pipes not escaped by a backslash). */
function cells(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') n++;
  }
  return n - 1;
}

function hostileEvidence(): Evidence {
  const ev = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE });
  const h = (i: number) => HOSTILE[i % HOSTILE.length];
  ev.title = HOSTILE.join(' ');
  ev.bundle.initiative = h(1);
  ev.bundle.phase = h(2);
  ev.checks = ev.checks.map((c, i) => ({ ...c, detail: h(i) }));
  ev.warnings = HOSTILE.map((m, i) => ({ category: i % 2 ? 'Evil|Warning' : null, message: m, file: `/x/${h(i + 3)}.py`, line: i, count: 1 }));
  ev.errors = HOSTILE.map((m, i) => ({ file: h(i + 5), line: i + 1, message: m }));
  ev.problems = HOSTILE.map((m, i) => ({ file: h(i + 7), line: i, message: m }));
  ev.files = HOSTILE.map((m, i) => ({ path: m, role: 'other', sizeBytes: i }));
  ev.checkpoints.found = ev.checkpoints.found.map((c, i) => ({ ...c, name: `${h(i)}.ckpt` }));
  ev.checkpoints.template = '```{epoch}|<b>';
  ev.command = { ...ev.command!, source: 'summary`.md', argv: ['python', '```', '\n```\n<script>alert(1)</script>', '~~~', '````bash'], env: { A: '```\n</x>' } };
  ev.knobTable = [{ knob: 'a|b', requested: '<x>', effective: '[y](javascript:z)', echoed: null, ok: false } as Evidence['knobTable'][number]];
  ev.stop = { ...ev.stop, message: h(11) };
  ev.accelerator = { ...ev.accelerator, device: 'x\r\n<script>' };
  ev.monitor = ev.monitor && { ...ev.monitor, name: ev.monitor.name };
  ev.planRows = [
    { plan: 'plans/<x>|`y`.md', id: 'EB[1]', state: '[ ]', line: 3, source: 'summary' },
    { plan: 'plans/[z](javascript:a).md', id: '<b>', state: null, line: null, source: 'brief', missing: true },
  ];
  return ev;
}

describe('Markdown from hostile evidence', () => {
  it('mdText shows exactly the text it was given, on one line', () => {
    const flat = (s: string) => s.replace(/\r\n?|\n/g, ' ');
    for (const s of HOSTILE) {
      expect(shown(mdText(s))).toBe(flat(s));
      expect(shown(mdCell(s), true)).toBe(flat(s));
      expect(shown(mdCode(s))).toBe(flat(s));
      expect(shown(mdCode(s, { table: true }), true)).toBe(flat(s));
    }
  });

  it('summary.md has no raw HTML, no link but the permalink, whole tables and closed fences', () => {
    const md = renderSummaryMarkdown(hostileEvidence(), { permalink: 'http://runproof.example/runs/abc' });
    const markup = markupOf(md);
    for (const l of markup) {
      expect(l, l).not.toMatch(/</);
      expect(l.replace(/\\[[\]]/g, ''), l).not.toMatch(/[[\]]/);
      if (!l.startsWith('**Evidence:** http://runproof.example/runs/abc')) expect(l, l).not.toMatch(/\b(?:https?:\/\/|www\.)|@evil/);
    }
    expect(markup).toContain('**Evidence:** http://runproof.example/runs/abc');
    // Every row of a table has its header's cell count.
    const lines = md.split('\n');
    for (let i = 0; i < lines.length; i++)
      if (lines[i].startsWith('|') && lines[i + 1]?.startsWith('| ---')) for (let j = i + 1; lines[j]?.startsWith('|'); j++) expect(cells(lines[j]), lines[j]).toBe(cells(lines[i]));
    // The command is still there, in one fenced block.
    expect(md).toContain("'\n```\n<script>alert(1)</script>'");
  });

  it('the PR Markdown links only to the permalink and the badge', () => {
    const md = renderPrMarkdown(hostileEvidence(), { permalink: 'https://runproof.example/runs/abc', badgeUrl: 'https://runproof.example/api/runs/abc/badge.svg' });
    const markup = markupOf(md);
    const links = markup
      .join('\n')
      .replace(/\\[[\]]/g, '')
      .match(/\]\([^)]*\)/g);
    expect(links).toEqual(['](https://runproof.example/runs/abc)', '](https://runproof.example/api/runs/abc/badge.svg)', '](https://runproof.example/runs/abc)']);
    for (const l of markup) expect(l, l).not.toMatch(/</);
  });

  it('refuses javascript:, data:, vbscript: and other-host permalinks; keeps http(s) and paths', () => {
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'data:text/html,<script>',
      'vbscript:msgbox',
      '//evil.example/x',
      '/\\evil.example',
      'ftp://x.example/',
      'file:///etc/passwd',
      'https://',
      '',
    ]) {
      expect(safeHref(bad), bad).toBeNull();
      const ev = hostileEvidence();
      expect(renderSummaryMarkdown(ev, { permalink: bad })).not.toContain('**Evidence:**');
      const pr = renderPrMarkdown(ev, { permalink: bad, badgeUrl: bad });
      expect(
        markupOf(pr)
          .join('\n')
          .replace(/\\[[\]]/g, ''),
      ).not.toMatch(/\]\(/);
    }
    expect(safeHref('http://127.0.0.1:3000/runs/abc')).toBe('http://127.0.0.1:3000/runs/abc');
    expect(safeHref('/runs/abc')).toBe('/runs/abc');
    expect(safeHref('https://x.example/a b)(<c>')).toBe('https://x.example/a%20b%29%28%3Cc%3E');
  });

  it('a log with hostile warning lines gives the same safe summary through the real analysis', () => {
    const files = readBundleFiles(RUNTIME_SMOKE).map((f) =>
      f.path.endsWith('.log') ? { ...f, text: `${f.text}/x/evil.py:1: UserWarning: <img src=x onerror=alert(1)> [x](javascript:alert(1)) | \`\`\`\n` } : f,
    );
    const md = renderSummaryMarkdown(analyseBundle(files, { root: '/reports/<b>[x](javascript:y)' }), {});
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\[x\\](javascript:alert(1)) \\| \\`\\`\\`');
    for (const l of markupOf(md)) expect(l, l).not.toMatch(/</);
  });
});
