/**
 * A shields.io-style SVG badge that leads with the verdict ("runproof | ✗
 * checkpoints", "runproof | ✓ pass"), drawn by hand so it needs no network
 * and no font files. Text widths are estimated from Verdana 11px advance
 * widths, close enough to look right. Its title (and the alt text pages put
 * on it) names the profile and program that produced the evidence.
 */
import type { Check } from './types';
import { provenanceText, type Provenance } from './provenance';
import { listIds, statusWords, type RunJudgement, type Verdict } from './verdict';

export const BADGE_COLORS = { pass: '#2e8540', fail: '#cf222e', warn: '#bf8700', skip: '#6e7781', run: '#0969da', label: '#3b4049' } as const;

const VERDICT_COLOR: Record<Verdict, string> = { pass: BADGE_COLORS.pass, fail: BADGE_COLORS.fail, incomplete: BADGE_COLORS.skip, pending: BADGE_COLORS.run };

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

// Approximate advance widths (px at 11px Verdana) by character class.
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    if (/[ilj.,:;'|!]/.test(ch)) w += 3.4;
    else if (/[ frt()[\]/-]/.test(ch)) w += 4.6;
    else if (/[mwMW]/.test(ch)) w += 10.2;
    else if (/[A-Z]/.test(ch)) w += 7.6;
    else if (/[0-9]/.test(ch)) w += 7;
    else if (ch === '·') w += 4.4;
    else w += 6.6;
  }
  return Math.ceil(w);
}

/** Judged = checks that could pass or fail; warnings and skips are not counted against the run. */
export function badgeCounts(checks: ReadonlyArray<Pick<Check, 'status'> | { status: string }>): { pass: number; judged: number } {
  const pass = checks.filter((c) => c.status === 'pass').length;
  return { pass, judged: pass + checks.filter((c) => c.status === 'fail').length };
}

/** The badge's message: the verdict first, then what it rests on (`✗ checkpoints, knobs`, `✓ pass · 6/6 checks`, `– cancelled`). */
export function badgeMessage(j: RunJudgement): string {
  const ids = j.failing.map((c) => c.id);
  switch (j.verdict) {
    case 'fail':
      return ids.length ? `✗ ${ids.length > 3 ? `${ids.slice(0, 2).join(', ')} +${ids.length - 2}` : ids.join(', ')}` : `✗ ${statusWords(j.status)}`;
    case 'pass': {
      const c = badgeCounts(j.checks);
      return `✓ pass · ${c.pass}/${c.judged} checks`;
    }
    case 'pending':
      return `… ${j.status === 'queued' ? 'queued' : 'running'}`;
    default:
      return `– ${j.neverStarted ? 'never started' : j.status === 'cancelled' || j.status === 'lost' ? statusWords(j.status).replace(/ \(.*\)$/, '') : 'incomplete'}`;
  }
}

/** Alt text and title of the badge: the verdict in words and who produced the evidence. */
export function badgeAlt(j: RunJudgement, prov: Provenance | null): string {
  const what =
    j.verdict === 'fail' && j.failing.length
      ? `fail: ${listIds(j.failing.map((c) => c.id))} failed`
      : j.verdict === 'fail'
        ? `fail: the process ${statusWords(j.status)}`
        : j.verdict === 'incomplete'
          ? `incomplete (${j.neverStarted ? 'never started' : statusWords(j.status)})`
          : j.verdict;
  return `runproof: ${what}${prov ? ` — ${provenanceText(prov)}` : ''}`;
}

export function renderBadgeSvg({ label, message, color, title: titleText }: { label: string; message: string; color: string; title?: string }): string {
  const lw = textWidth(label) + 12;
  const mw = textWidth(message) + 12;
  const w = lw + mw;
  const l = escapeXml(label);
  const m = escapeXml(message);
  const title = escapeXml(titleText ?? `${label}: ${message}`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}">
<title>${title}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${BADGE_COLORS.label}"/><rect x="${lw}" width="${mw}" height="20" fill="${escapeXml(color)}"/><rect width="${w}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${l}</text><text x="${lw / 2}" y="14">${l}</text>
<text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${m}</text><text x="${lw + mw / 2}" y="14">${m}</text>
</g>
</svg>`;
}

export function runBadgeSvg(j: RunJudgement, prov: Provenance | null): string {
  return renderBadgeSvg({ label: 'runproof', message: badgeMessage(j), color: VERDICT_COLOR[j.verdict], title: badgeAlt(j, prov) });
}
