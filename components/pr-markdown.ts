/**
 * The short Markdown a reviewer pastes into a PR: what ran, its status, the
 * check verdicts and the permalink. The full report is summary.md. Names and
 * details go in as text (lib/evidence/summary.ts escapes them); the only
 * links are the permalink and the badge, and only when they are http(s) or a
 * path on this server.
 */
import { checkTally, mdText, provesText, renderChecksTable, safeHref } from '@/lib/evidence/summary';
import type { Evidence } from '@/lib/evidence/types';

export function renderPrMarkdown(ev: Evidence, opts: { permalink: string; badgeUrl: string }): string {
  const where = [ev.bundle.initiative, ev.bundle.phase].filter(Boolean).map((x) => mdText(x!)).join(' · ');
  const permalink = safeHref(opts.permalink);
  const badge = safeHref(opts.badgeUrl);
  const title = mdText(ev.title);
  return [
    `### Run evidence: ${permalink ? `[${title}](${permalink})` : title}`,
    '',
    ...(permalink && badge ? [`[![runproof](${badge})](${permalink})`, ''] : []),
    `**Status:** ${mdText(ev.status)} · **Checks:** ${checkTally(ev.checks)}${where ? ` · **Initiative:** ${where}` : ''}`,
    ...(ev.planRows?.length ? ['', `**Proves:** ${provesText(ev)}`] : []),
    '',
    ...renderChecksTable(ev.checks),
    '',
    ...(permalink ? [`Evidence: ${permalink}`, ''] : []),
  ].join('\n');
}
