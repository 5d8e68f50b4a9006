/**
 * The short Markdown a reviewer pastes into a PR: what ran, its status, the
 * check verdicts and the permalink. The full report is summary.md.
 */
import { checkTally } from '@/lib/evidence/summary';
import type { Evidence } from '@/lib/evidence/types';

const ICON = { pass: '✅', fail: '❌', warn: '⚠️', skip: '➖' } as const;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderPrMarkdown(ev: Evidence, opts: { permalink: string; badgeUrl: string }): string {
  const out: string[] = [];
  out.push(`### Run evidence: [${cell(ev.title)}](${opts.permalink})`, '');
  out.push(`[![runproof](${opts.badgeUrl})](${opts.permalink})`, '');
  const where = [ev.bundle.initiative, ev.bundle.phase].filter(Boolean).join(' · ');
  out.push(`**Status:** ${ev.status} · **Checks:** ${checkTally(ev.checks)}${where ? ` · **Initiative:** ${where}` : ''}`, '');
  out.push('| check | verdict | detail |', '| --- | --- | --- |');
  for (const c of ev.checks) out.push(`| \`${c.id}\` | ${ICON[c.status]} ${c.status} | ${cell(c.detail)} |`);
  out.push('', `Evidence: ${opts.permalink}`, '');
  return out.join('\n');
}
