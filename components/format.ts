/**
 * Pure display helpers shared by server and client components.
 */
import type { CheckStatus, RunStatus } from '@/lib/evidence/types';

export { fmtNumber, fmtBytes } from '@/lib/evidence/number-format';

/** `2025-10-24 06:15 UTC`: sortable, unambiguous, the same for every reader. */
export function fmtDateUTC(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function fmtIsoUTC(ms: number | null | undefined): string | undefined {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString();
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(2).replace(/\.?0+$/, '')} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} m`;
  return `${m} m ${String(sec).padStart(2, '0')} s`;
}

export type Tone = 'pass' | 'fail' | 'warn' | 'skip' | 'run';

export const STATUS_TONE: Record<RunStatus, Tone> = {
  succeeded: 'pass',
  failed: 'fail',
  timed_out: 'fail',
  lost: 'warn',
  running: 'run',
  queued: 'skip',
  cancelled: 'skip',
  unknown: 'skip',
};

export function statusTone(status: string): Tone {
  return (STATUS_TONE as Record<string, Tone>)[status] ?? 'skip';
}

export const CHECK_TONE: Record<CheckStatus, Tone> = { pass: 'pass', fail: 'fail', warn: 'warn', skip: 'skip' };

export const CHECK_ICON: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };

/** `/runs/<id>/files/<a>/<b>` (or the raw API route): each segment URL-encoded. */
export function fileHref(runId: string, relPath: string, opts: { raw?: boolean; download?: boolean; line?: number } = {}): string {
  const segs = relPath.split('/').filter(Boolean).map(encodeURIComponent).join('/');
  const id = encodeURIComponent(runId);
  const base = opts.raw || opts.download ? `/api/runs/${id}/files/${segs}` : `/runs/${id}/files/${segs}`;
  return `${base}${opts.download ? '?download=1' : ''}${opts.line ? `#L${opts.line}` : ''}`;
}

/** Last two path segments: enough to recognise a Python source file without the site-packages prefix. */
export function shortPath(p: string): string {
  return p.split('/').slice(-2).join('/');
}

/** Break opportunities after `/`, `_` and `·` so long bundle paths wrap at their separators, not mid-word. */
export function breakable(s: string): Array<string> {
  return s.split(/(?<=[/·])/);
}

/** Axis ticks: 3–4 significant digits with k/M/G, exponent for tiny values. */
export function compactNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return `${+v.toPrecision(4)}`;
  if (a >= 1e-3) return `${+v.toPrecision(3)}`;
  return v.toExponential(1);
}
