/**
 * `summary.md` rendered from the evidence document: the same facts a person
 * used to hand-write, with verdicts from the checks instead of prose.
 */
import type { Check, Evidence } from './types';
import { fmtBytes, fmtNumber } from './number-format';

export { fmtBytes, fmtNumber };
import { provenanceOf, provenanceText, type Provenance } from './provenance';
import { judgeRun, statusWords, VERDICT_ICON, type RunJudgement, type ShownCheck } from './verdict';

const ICON: Record<ShownCheck['status'], string> = { pass: '✅ pass', fail: '❌ fail', warn: '⚠️ warn', skip: '➖ skip', pending: '⏳ pending' };

/*
 * Text from logs, plans, file and run names goes into summary.md and the PR
 * Markdown as text, never as markup: no raw HTML (`<` `>` `&` as entities),
 * no link or image (`[` `]` escaped, anything a renderer would autolink set
 * in a code span), no code span or fence it could close (fences longer than
 * any backtick run inside), no line break that starts a block, no pipe that
 * splits a table cell. Links are only the ones Runproof makes, to http(s) or
 * a relative path.
 */

/** One line: CR, LF and CRLF become spaces. */
function oneLine(s: string): string {
  return s.replace(/\r\n?|\n/g, ' ');
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let cur = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ch) best = Math.max(best, ++cur);
    else cur = 0;
  }
  return best;
}

/**
 * Text as a code span, whatever backticks it holds: the fence is one
 * backtick longer than the longest run inside, padded with a space where
 * the text starts or ends with one. In a table cell (`table`), pipes are
 * escaped: GFM splits cells before it reads code spans.
 */
export function mdCode(s: string, opts: { table?: boolean } = {}): string {
  let t = oneLine(s);
  if (opts.table) t = t.replace(/\|/g, '\\|');
  if (!t) return '';
  const fence = '`'.repeat(longestRun(t, '`') + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** What GFM (and CommonMark autolinks) would turn into a link: scheme://…, www.…, e-mail addresses. */
const LINKISH = /((?:\b[A-Za-z][A-Za-z0-9+.-]*:\/\/|\bwww\.)\S*|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/;

/** Plain Markdown text: escaped so it can only ever render as the same text (`table`: inside a table cell). */
export function mdText(s: string, opts: { table?: boolean } = {}): string {
  return oneLine(s)
    .split(LINKISH)
    .map((part, i) =>
      i % 2
        ? mdCode(part, opts)
        : part
            .replace(/[\\`[\]|]/g, '\\$&')
            .replace(/&/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;'),
    )
    .join('');
}

/** Text safe inside one Markdown table cell. */
export function mdCell(s: string): string {
  return mdText(s, { table: true });
}

/**
 * A link destination Runproof may write: an absolute http(s) URL or a path
 * on this server (`/runs/…`), with the characters that could end or bend a
 * Markdown destination percent-encoded; null for anything else
 * (`javascript:`, `data:`, `vbscript:`, `//host`, `/\\host`, …).
 */
export function safeHref(u: string | null | undefined): string | null {
  if (!u) return null;
  const t = u.trim();
  const enc = (x: string) => x.replace(/[\s()<>"'`[\]\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  if (/^\/(?![/\\])/.test(t)) return /[\u0000-\u001f\u007f\\]/.test(t) ? null : enc(t);
  try {
    const url = new URL(t);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return enc(url.href);
  } catch {
    /* not a URL */
  }
  return null;
}

/** The check verdicts as a Markdown table (the checks as shown: `judgeRun`): shared by summary.md and the PR snippet. */
export function renderChecksTable(checks: ReadonlyArray<Check | ShownCheck>): string[] {
  return ['| check | verdict | detail |', '| --- | --- | --- |', ...checks.map((c) => `| ${mdCell(c.id)} | ${ICON[c.status] ?? mdCell(String(c.status))} | ${mdCell(c.detail)} |`)];
}

/**
 * ``EB4.A `[ ]` (`plans/…/plan.md:63`), …`` — the plan rows a run is linked
 * to, for summaries and PR text; a row the run does not qualify for says so
 * and why (lib/plans/qualify.ts).
 */
export function provesText(ev: Evidence): string {
  return (ev.planRows ?? [])
    .map((r) => {
      if (r.missing) return `${mdText(r.id)} (not in ${mdCode(r.plan)} any more)`;
      const at = `${mdText(r.id)} ${mdCode(r.state ?? '')} (${mdCode(`${r.plan}:${r.line}`)})`;
      return r.qualifies === false ? `${at} — linked, does not qualify: ${mdText(r.why ?? 'another command than the row asks for')}` : at;
    })
    .join(', ');
}

/** The verdict as a Markdown line: ``**✗ Fail:** checkpoints failed — checkpoints: …`` (the verdict and the failing checks in one sentence). */
export function verdictLine(j: RunJudgement): string {
  const [word, ...rest] = j.sentence.split(': ');
  return `**${VERDICT_ICON[j.verdict]} ${mdText(word)}:** ${mdText(rest.join(': '))}`;
}

/** ``profile `reference`, `node …/train.mjs`; command: `node … --max-epochs 3` ``: who produced the evidence. */
export function provenanceMarkdown(p: Provenance): string {
  const who = [p.profile ? `profile ${mdCode(p.profile)}` : null, p.program ? mdCode(p.program) : null].filter(Boolean).join(', ') || 'command not recorded';
  return `${who}${p.command ? `; command${p.source && p.source !== 'launch' ? ` (from ${mdCode(p.source)})` : ''}: ${mdCode(p.command)}` : ''}`;
}

export { provenanceText };

/** `6 pass · 1 fail · 1 warn · 1 skip`; a live run's shown checks: `9 pending`. */
export function checkTally(checks: ReadonlyArray<{ status: string }>): string {
  const n = (s: string) => checks.filter((c) => c.status === s).length;
  const pending = n('pending');
  if (pending && pending === checks.length) return `${pending} pending`;
  return `${n('pass')} pass · ${n('fail')} fail · ${n('warn')} warn · ${n('skip')} skip${pending ? ` · ${pending} pending` : ''}`;
}

export interface SummaryOptions {
  /** Absolute URL of the evidence page, when known. */
  permalink?: string | null;
}

export function renderSummaryMarkdown(ev: Evidence, opts: SummaryOptions = {}): string {
  const out: string[] = [];
  const judgement = judgeRun(ev);
  out.push(`# Run evidence — ${mdText(ev.title)}`, '');
  out.push(verdictLine(judgement), '');
  out.push(`**Process:** ${mdText(statusWords(ev.status))} · **Checks:** ${checkTally(judgement.checks)}`);
  out.push(`**Produced by:** ${provenanceMarkdown(provenanceOf(ev))}`);
  const permalink = safeHref(opts.permalink);
  if (permalink) out.push(`**Evidence:** ${permalink}`);
  if (ev.bundle.initiative) out.push(`**Initiative:** ${mdText(ev.bundle.initiative)}${ev.bundle.phase ? ` · **Phase:** ${mdText(ev.bundle.phase)}` : ''}`);
  if (ev.planRows?.length) out.push(`**Proves:** ${provesText(ev)}`);
  out.push('');

  out.push('## Checks', '', ...renderChecksTable(judgement.checks), '');

  if (ev.command) {
    const env = Object.entries(ev.command.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    const line = [...env, ...ev.command.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ');
    // A fence longer than any backtick run in the command, so no line of it can close the block.
    const fence = '`'.repeat(Math.max(3, longestRun(line, '`') + 1));
    out.push('## Command', '', `From ${mdCode(ev.command.source)}:`, '', `${fence}bash`, line, fence, '');
  }
  if (ev.knobTable.some((r) => r.requested !== null || r.echoed !== null)) {
    out.push('## Knobs: requested vs effective', '', '| knob | requested | effective | trainer echo | |', '| --- | --- | --- | --- | --- |');
    const v = (x: string | boolean | null) => (x === null ? '—' : mdCell(String(x)));
    for (const r of ev.knobTable) out.push(`| ${mdCell(r.knob)} | ${v(r.requested)} | ${v(r.effective)} | ${v(r.echoed)} | ${r.ok ? '✓' : '✗'} |`);
    out.push('');
  }

  out.push('## Run', '');
  if (ev.runtime) out.push(`- Runtime: real ${ev.runtime.realS} s, user ${ev.runtime.userS} s, sys ${ev.runtime.sysS} s`);
  out.push(
    `- Accelerator: requested ${mdText(ev.accelerator.requested ?? '—')}, resolved ${mdText(ev.accelerator.resolved ?? 'unknown')}${ev.accelerator.device ? ` (${mdText(ev.accelerator.device)})` : ''}`,
  );
  out.push(`- Stop: ${mdText(ev.stop.reason)}${ev.stop.message ? ` — ${mdText(ev.stop.message)}` : ''}`);
  out.push(`- Epochs: ${ev.epochs.length}${ev.maxEpochs !== null ? ` of max ${ev.maxEpochs}` : ''}`);
  if (ev.seed !== null) out.push(`- Seed: ${ev.seed}`);
  out.push('');

  if (ev.epochs.length && ev.monitor) {
    const m = ev.monitor.name;
    const trace = new Map(ev.earlyStop?.trace.map((t) => [t.epoch, t]) ?? []);
    out.push(`## Per epoch (monitor ${mdCode(m)}, mode ${mdText(ev.monitor.mode)})`, '', '| epoch | step | value | best | wait / patience | improved |', '| --- | --- | --- | --- | --- | --- |');
    for (const e of ev.epochs) {
      const t = trace.get(e.epoch);
      out.push(`| ${e.epoch} | ${e.step} | ${fmtNumber(e.metrics[m])} | ${fmtNumber(t?.best)} | ${t ? `${t.wait} / ${ev.earlyStop?.patience ?? '—'}` : '—'} | ${t?.improved ? '✓' : ''} |`);
    }
    if (ev.earlyStop)
      out.push(
        '',
        `Early stopping: ${ev.earlyStop.configured ? `patience ${ev.earlyStop.patience}, min_delta ${ev.earlyStop.minDelta}; ${ev.earlyStop.triggered ? `triggered at epoch ${ev.earlyStop.stoppedEpoch}` : 'not triggered'}` : 'not configured'}; best epoch ${ev.earlyStop.bestEpoch} (${fmtNumber(ev.earlyStop.bestScore)}).`,
      );
    out.push('');
  }

  if (ev.checkpoints.found.length || ev.checkpoints.expected.length) {
    out.push('## Checkpoints', '');
    if (ev.checkpoints.template) out.push(`Replay: save_top_k=${ev.checkpoints.saveTopK}, save_last=${ev.checkpoints.saveLast}, filename ${mdCode(ev.checkpoints.template)}.`, '');
    out.push('| file | epoch | score | size | kind | expected by replay |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of ev.checkpoints.found)
      out.push(
        `| ${mdCode(c.name, { table: true })} | ${c.epoch ?? '—'} | ${fmtNumber(c.score, 4)} | ${c.sizeBytes !== null ? fmtBytes(c.sizeBytes) : '—'} | ${mdCell(c.kind)} | ${c.expected ? '✓' : '✗ unexpected'} |`,
      );
    const expectedByName = new Map(ev.checkpoints.expected.map((x) => [x.name, x]));
    for (const name of ev.checkpoints.missing) {
      const e = expectedByName.get(name);
      out.push(`| ${mdCode(name, { table: true })} | ${e?.epoch ?? '—'} | ${fmtNumber(e?.score, 4)} | — | ${mdCell(e?.kind ?? '')} | ✗ missing |`);
    }
    out.push('');
  }

  if (ev.warnings.length) {
    out.push('## Warnings', '', '| count | category | message | source |', '| --- | --- | --- | --- |');
    for (const w of ev.warnings)
      out.push(`| ${w.count} | ${mdCell(w.category ?? 'Lightning')} | ${mdCell(w.message)} | ${w.file ? `${mdCell(w.file.split('/').slice(-2).join('/'))}:${w.line}` : ''} |`);
    out.push('');
  }
  if (ev.errors.length) {
    out.push('## Errors', '');
    for (const e of ev.errors) out.push(`- ${mdCode(`${e.file}:${e.line}`)} ${mdText(e.message)}`);
    out.push('');
  }
  out.push('## Files', '');
  for (const f of ev.files) out.push(`- ${mdCode(f.path)} (${mdText(f.role)}, ${fmtBytes(f.sizeBytes)})`);
  if (ev.problems.length) {
    out.push('', '## Problems reading the bundle', '');
    for (const p of ev.problems) out.push(`- ${mdCode(`${p.file}${p.line ? `:${p.line}` : ''}`)} ${mdText(p.message)}`);
  }
  out.push('', '_Generated by Runproof from the bundle files; the checks are computed, not written by hand._', '');
  return out.join('\n');
}
