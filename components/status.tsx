import type { CheckStatus } from '@/lib/evidence/types';
import type { ShownCheck, ShownCheckStatus } from '@/lib/evidence/verdict';
import { CHECK_ICON, CHECK_TONE, statusTone, type Tone } from './format';

/** A check's tone and icon as shown: `pending` (a live run's checks) is neither red nor green. */
const SHOWN_TONE: Record<ShownCheckStatus, Tone> = { ...CHECK_TONE, pending: 'run' };
const SHOWN_ICON: Record<ShownCheckStatus, string> = { ...CHECK_ICON, pending: '…' };

export function StatusBadge({ status, size = 'md' }: { status: string; size?: 'sm' | 'md' }) {
  const tone = statusTone(status);
  return (
    <span className={`badge badge-${size} tone-${tone}`} data-testid="status-badge" data-status={status}>
      <span className="dot" aria-hidden="true" />
      {status.replace('_', ' ')}
    </span>
  );
}

/** One check as a compact pill: id and verdict; the detail is the hover title. */
export function CheckPill({ check, href }: { check: ShownCheck; href?: string }) {
  const tone = SHOWN_TONE[check.status];
  const body = (
    <>
      <span className="pill-icon" aria-hidden="true">
        {SHOWN_ICON[check.status]}
      </span>
      <span className="pill-id">{check.id}</span>
      <span className="sr-only">: {check.status}</span>
    </>
  );
  return href ? (
    <a className={`pill tone-${tone}`} href={href} title={`${check.status}: ${check.detail}`} data-testid={`check-${check.id}`} data-status={check.status}>
      {body}
    </a>
  ) : (
    <span className={`pill tone-${tone}`} title={`${check.status}: ${check.detail}`} data-testid={`check-${check.id}`} data-status={check.status}>
      {body}
    </span>
  );
}

export function VerdictTag({ status }: { status: ShownCheckStatus }) {
  return (
    <span className={`verdict tone-${SHOWN_TONE[status]}`}>
      <span aria-hidden="true">{SHOWN_ICON[status]}</span> {status}
    </span>
  );
}

/** Small coloured counts (pass / fail / warn / skip) for the runs table. */
export function CheckCounts({ pass, fail, warn, skip }: { pass: number; fail: number; warn: number; skip: number }) {
  const items: Array<[CheckStatus, number]> = [
    ['pass', pass],
    ['fail', fail],
    ['warn', warn],
    ['skip', skip],
  ];
  const label = items.map(([s, n]) => `${n} ${s}`).join(', ');
  return (
    <span className="counts" title={label} role="img" aria-label={label} data-testid="check-counts">
      {items.map(([s, n]) => (
        <span key={s} className={`count tone-${CHECK_TONE[s]}${n === 0 ? ' zero' : ''}`} aria-hidden="true">
          <span className="count-icon">{CHECK_ICON[s]}</span>
          {n}
        </span>
      ))}
    </span>
  );
}
