/**
 * The short Markdown a reviewer pastes into a PR. Its first line is the
 * verdict and the failing checks in one sentence; then what ran (profile,
 * program, command), the plan rows it is linked to (and whether it qualifies
 * for each), the check verdicts and the permalink. The full report is
 * summary.md. Names and details go in as text (lib/evidence/summary.ts
 * escapes them); the only links are the permalink and the badge, and only
 * when they are http(s) or a path on this server.
 */
import { badgeAlt } from './badge-svg';
import { provenanceOf } from './provenance';
import { checkTally, mdText, provenanceMarkdown, provesText, renderChecksTable, safeHref, verdictLine } from './summary';
import type { Evidence } from './types';
import { judgeRun, statusWords } from './verdict';

export function renderPrMarkdown(ev: Evidence, opts: { permalink: string; badgeUrl: string; profile?: string | null }): string {
  const judgement = judgeRun(ev);
  const prov = provenanceOf(ev, opts.profile ?? null);
  const where = [ev.bundle.initiative, ev.bundle.phase]
    .filter(Boolean)
    .map((x) => mdText(x!))
    .join(' · ');
  const permalink = safeHref(opts.permalink);
  const badge = safeHref(opts.badgeUrl);
  const title = mdText(ev.title);
  return [
    verdictLine(judgement),
    '',
    `### Run evidence: ${permalink ? `[${title}](${permalink})` : title}`,
    '',
    ...(permalink && badge ? [`[![${mdText(badgeAlt(judgement, prov))}](${badge})](${permalink})`, ''] : []),
    `**Process:** ${mdText(statusWords(ev.status))} · **Checks:** ${checkTally(judgement.checks)}${where ? ` · **Initiative:** ${where}` : ''}`,
    '',
    `**Produced by:** ${provenanceMarkdown(prov)}`,
    ...(ev.planRows?.length ? ['', `**Proves:** ${provesText(ev)}`] : []),
    '',
    ...renderChecksTable(judgement.checks),
    '',
    ...(permalink ? [`Evidence: ${permalink}`, ''] : []),
  ].join('\n');
}

/** The badge as Markdown, with alt text that says the verdict and who produced the evidence. */
export function badgeMarkdown(ev: Evidence, opts: { permalink: string; badgeUrl: string; profile?: string | null }): string {
  const permalink = safeHref(opts.permalink);
  const badge = safeHref(opts.badgeUrl);
  if (!permalink || !badge) return '';
  return `[![${mdText(badgeAlt(judgeRun(ev), provenanceOf(ev, opts.profile ?? null)))}](${badge})](${permalink})`;
}
