/**
 * A shields.io-style SVG badge ("runproof | succeeded · 6/7 checks"), drawn
 * by hand so it needs no network and no font files. Text widths are
 * estimated from Verdana 11px advance widths, close enough to look right.
 */
import type { Check } from '@/lib/evidence/types';

export const BADGE_COLORS = { pass: '#2e8540', fail: '#cf222e', warn: '#bf8700', skip: '#6e7781', label: '#3b4049' } as const;

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

// Approximate advance widths (px at 11px Verdana) by character class.
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    if (/[ilj.,:;'|!]/.test(ch)) w += 3.4;
    else if (/[ frt()\[\]\/-]/.test(ch)) w += 4.6;
    else if (/[mwMW]/.test(ch)) w += 10.2;
    else if (/[A-Z]/.test(ch)) w += 7.6;
    else if (/[0-9]/.test(ch)) w += 7;
    else if (ch === '·') w += 4.4;
    else w += 6.6;
  }
  return Math.ceil(w);
}

export function badgeVerdict(checks: Check[]): { tone: keyof typeof BADGE_COLORS; pass: number; judged: number } {
  const pass = checks.filter((c) => c.status === 'pass').length;
  const fail = checks.filter((c) => c.status === 'fail').length;
  const warn = checks.filter((c) => c.status === 'warn').length;
  // Judged = checks that could pass or fail; warnings and skips are not counted against the run.
  const judged = pass + fail;
  const tone = fail > 0 ? 'fail' : warn > 0 ? 'warn' : pass > 0 ? 'pass' : 'skip';
  return { tone, pass, judged };
}

export function renderBadgeSvg({ label, message, color }: { label: string; message: string; color: string }): string {
  const lw = textWidth(label) + 12;
  const mw = textWidth(message) + 12;
  const w = lw + mw;
  const l = escapeXml(label);
  const m = escapeXml(message);
  const title = escapeXml(`${label}: ${message}`);
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

export function runBadgeSvg(status: string, checks: Check[]): string {
  const v = badgeVerdict(checks);
  const message = v.judged > 0 ? `${status.replace('_', ' ')} · ${v.pass}/${v.judged} checks` : status.replace('_', ' ');
  return renderBadgeSvg({ label: 'runproof', message, color: BADGE_COLORS[v.tone] });
}
