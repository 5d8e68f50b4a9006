/**
 * `summary.md` rendered from the evidence document: the same facts a person
 * used to hand-write, with verdicts from the checks instead of prose.
 */
import type { Check, Evidence } from './types';

const ICON: Record<Check['status'], string> = { pass: '✅ pass', fail: '❌ fail', warn: '⚠️ warn', skip: '➖ skip' };

export function fmtNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return v.toExponential(3);
  return v.toFixed(digits).replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m));
}

/** Text safe inside one Markdown table cell. */
export function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The check verdicts as a Markdown table: shared by summary.md and the PR snippet. */
export function renderChecksTable(checks: Check[]): string[] {
  return ['| check | verdict | detail |', '| --- | --- | --- |', ...checks.map((c) => `| ${c.id} | ${ICON[c.status]} | ${mdCell(c.detail)} |`)];
}

/** `EB4.A [ ] (plans/…/plan.md:63), …` — the plan rows a run proves, for summaries and PR text. */
export function provesText(ev: Evidence): string {
  return (ev.planRows ?? []).map((r) => (r.missing ? `${r.id} (not in ${r.plan} any more)` : `${r.id} ${r.state} (${r.plan}:${r.line})`)).join(', ');
}

export function checkTally(checks: Check[]): string {
  const n = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  return `${n('pass')} pass · ${n('fail')} fail · ${n('warn')} warn · ${n('skip')} skip`;
}

export interface SummaryOptions {
  /** Absolute URL of the evidence page, when known. */
  permalink?: string | null;
}

export function renderSummaryMarkdown(ev: Evidence, opts: SummaryOptions = {}): string {
  const out: string[] = [];
  out.push(`# Run evidence — ${ev.title}`, '');
  out.push(`**Status:** ${ev.status} · **Checks:** ${checkTally(ev.checks)}`);
  if (opts.permalink) out.push(`**Evidence:** ${opts.permalink}`);
  if (ev.bundle.initiative) out.push(`**Initiative:** ${ev.bundle.initiative}${ev.bundle.phase ? ` · **Phase:** ${ev.bundle.phase}` : ''}`);
  if (ev.planRows?.length) out.push(`**Proves:** ${provesText(ev)}`);
  out.push('');

  out.push('## Checks', '', ...renderChecksTable(ev.checks), '');

  if (ev.command) {
    out.push('## Command', '', `From \`${ev.command.source}\`:`, '', '```bash');
    const env = Object.entries(ev.command.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    out.push([...env, ...ev.command.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' '), '```', '');
  }
  if (ev.knobTable.some((r) => r.requested !== null || r.echoed !== null)) {
    out.push('## Knobs: requested vs effective', '', '| knob | requested | effective | trainer echo | |', '| --- | --- | --- | --- | --- |');
    for (const r of ev.knobTable) out.push(`| ${r.knob} | ${r.requested ?? '—'} | ${r.effective ?? '—'} | ${r.echoed ?? '—'} | ${r.ok ? '✓' : '✗'} |`);
    out.push('');
  }

  out.push('## Run', '');
  if (ev.runtime) out.push(`- Runtime: real ${ev.runtime.realS} s, user ${ev.runtime.userS} s, sys ${ev.runtime.sysS} s`);
  out.push(`- Accelerator: requested ${ev.accelerator.requested ?? '—'}, resolved ${ev.accelerator.resolved ?? 'unknown'}${ev.accelerator.device ? ` (${ev.accelerator.device})` : ''}`);
  out.push(`- Stop: ${ev.stop.reason}${ev.stop.message ? ` — ${ev.stop.message}` : ''}`);
  out.push(`- Epochs: ${ev.epochs.length}${ev.maxEpochs !== null ? ` of max ${ev.maxEpochs}` : ''}`);
  if (ev.seed !== null) out.push(`- Seed: ${ev.seed}`);
  out.push('');

  if (ev.epochs.length && ev.monitor) {
    const m = ev.monitor.name;
    const trace = new Map(ev.earlyStop?.trace.map((t) => [t.epoch, t]) ?? []);
    out.push(`## Per epoch (monitor \`${m}\`, mode ${ev.monitor.mode})`, '', '| epoch | step | value | best | wait / patience | improved |', '| --- | --- | --- | --- | --- | --- |');
    for (const e of ev.epochs) {
      const t = trace.get(e.epoch);
      out.push(`| ${e.epoch} | ${e.step} | ${fmtNumber(e.metrics[m])} | ${fmtNumber(t?.best)} | ${t ? `${t.wait} / ${ev.earlyStop?.patience ?? '—'}` : '—'} | ${t?.improved ? '✓' : ''} |`);
    }
    if (ev.earlyStop) out.push('', `Early stopping: ${ev.earlyStop.configured ? `patience ${ev.earlyStop.patience}, min_delta ${ev.earlyStop.minDelta}; ${ev.earlyStop.triggered ? `triggered at epoch ${ev.earlyStop.stoppedEpoch}` : 'not triggered'}` : 'not configured'}; best epoch ${ev.earlyStop.bestEpoch} (${fmtNumber(ev.earlyStop.bestScore)}).`);
    out.push('');
  }

  if (ev.checkpoints.found.length || ev.checkpoints.expected.length) {
    out.push('## Checkpoints', '');
    if (ev.checkpoints.template) out.push(`Replay: save_top_k=${ev.checkpoints.saveTopK}, save_last=${ev.checkpoints.saveLast}, filename \`${ev.checkpoints.template}\`.`, '');
    out.push('| file | epoch | score | size | kind | expected by replay |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of ev.checkpoints.found) out.push(`| \`${c.name}\` | ${c.epoch ?? '—'} | ${fmtNumber(c.score, 4)} | ${c.sizeBytes !== null ? fmtBytes(c.sizeBytes) : '—'} | ${c.kind} | ${c.expected ? '✓' : '✗ unexpected'} |`);
    const expectedByName = new Map(ev.checkpoints.expected.map((x) => [x.name, x]));
    for (const name of ev.checkpoints.missing) {
      const e = expectedByName.get(name);
      out.push(`| \`${name}\` | ${e?.epoch ?? '—'} | ${fmtNumber(e?.score, 4)} | — | ${e?.kind ?? ''} | ✗ missing |`);
    }
    out.push('');
  }

  if (ev.warnings.length) {
    out.push('## Warnings', '', '| count | category | message | source |', '| --- | --- | --- | --- |');
    for (const w of ev.warnings) out.push(`| ${w.count} | ${w.category ?? 'Lightning'} | ${mdCell(w.message)} | ${w.file ? `${mdCell(w.file.split('/').slice(-2).join('/'))}:${w.line}` : ''} |`);
    out.push('');
  }
  if (ev.errors.length) {
    out.push('## Errors', '');
    for (const e of ev.errors) out.push(`- \`${e.file}:${e.line}\` ${e.message}`);
    out.push('');
  }
  out.push('## Files', '');
  for (const f of ev.files) out.push(`- \`${f.path}\` (${f.role}, ${fmtBytes(f.sizeBytes)})`);
  if (ev.problems.length) {
    out.push('', '## Problems reading the bundle', '');
    for (const p of ev.problems) out.push(`- \`${p.file}${p.line ? `:${p.line}` : ''}\` ${p.message}`);
  }
  out.push('', '_Generated by Runproof from the bundle files; the checks are computed, not written by hand._', '');
  return out.join('\n');
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v >= 10 ? 0 : 1)} ${units[i]}`;
}
