/**
 * The short Markdown a reviewer pastes into a PR: what ran, its status, the
 * check verdicts and the permalink. The full report is summary.md.
 */
import { checkTally, mdCell, provesText, renderChecksTable } from '@/lib/evidence/summary';
import type { Evidence } from '@/lib/evidence/types';

export function renderPrMarkdown(ev: Evidence, opts: { permalink: string; badgeUrl: string }): string {
  const where = [ev.bundle.initiative, ev.bundle.phase].filter(Boolean).join(' · ');
  return [
    `### Run evidence: [${mdCell(ev.title)}](${opts.permalink})`,
    '',
    `[![runproof](${opts.badgeUrl})](${opts.permalink})`,
    '',
    `**Status:** ${ev.status} · **Checks:** ${checkTally(ev.checks)}${where ? ` · **Initiative:** ${where}` : ''}`,
    ...(ev.planRows?.length ? ['', `**Proves:** ${provesText(ev)}`] : []),
    '',
    ...renderChecksTable(ev.checks),
    '',
    `Evidence: ${opts.permalink}`,
    '',
  ].join('\n');
}
