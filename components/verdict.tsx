/**
 * The verdict as every page shows it (lib/evidence/verdict.ts): a badge that
 * leads, the status of the process beside it in smaller type, and the
 * provenance of the evidence (profile, program). Server components.
 */
import type { Provenance } from '@/lib/evidence/provenance';
import type { RunJudgement, Verdict } from '@/lib/evidence/verdict';
import { statusWords, VERDICT_ICON } from '@/lib/evidence/verdict';
import styles from './verdict.module.css';

const TONE: Record<Verdict, string> = { pass: 'pass', fail: 'fail', incomplete: 'skip', pending: 'run' };
const WORD: Record<Verdict, string> = { pass: 'Pass', fail: 'Fail', incomplete: 'Incomplete', pending: 'Pending' };

export function verdictTone(v: Verdict): string {
  return TONE[v];
}

/** The verdict as a badge: `✗ Fail`. */
export function VerdictBadge({ verdict, size = 'md', testId = 'verdict' }: { verdict: Verdict; size?: 'sm' | 'md' | 'lg'; testId?: string }) {
  return (
    <span
      className={`badge badge-${size === 'lg' ? 'md' : size} tone-${TONE[verdict]}${size === 'lg' ? ` ${styles.large}` : ''}`}
      data-testid={testId}
      data-verdict={verdict}
      title={`verdict: ${verdict}`}
    >
      <span className={styles.icon} aria-hidden="true">
        {VERDICT_ICON[verdict]}
      </span>
      {WORD[verdict]}
    </span>
  );
}

/** How the process ended, as secondary text: `process succeeded`. */
export function ProcessStatus({ status }: { status: string }) {
  return (
    <span className={styles.status} data-testid="status-badge" data-status={status}>
      process {statusWords(status)}
    </span>
  );
}

/**
 * The header's lead: the verdict badge and its one sentence, then how the
 * process ended. The sentence names the failing checks (or what is pending,
 * or why the evidence is incomplete).
 */
export function VerdictLead({ judgement, provenance, live = false }: { judgement: RunJudgement; provenance?: Provenance | null; live?: boolean }) {
  const { verdict, status } = judgement;
  // A live run's page is rendered once and then follows the run in the browser: say nothing that goes stale.
  // The short sentence: the failing checks' details follow in the failure summary and the checks table.
  const sentence = live ? 'Pending: its checks are judged when the run ends; nothing is failed or passed before that.' : judgement.short;
  const rest = sentence.replace(/^[A-Za-z]+: /, '');
  return (
    <div className={`${styles.lead} ${styles[`lead_${TONE[verdict]}`] ?? ''}`} data-testid="verdict-lead" data-verdict={verdict}>
      <VerdictBadge verdict={verdict} size="lg" />
      <p className={styles.sentence} data-testid="verdict-sentence">
        {rest}
      </p>
      <div className={styles.sub}>
        {live ? null : <ProcessStatus status={status} />}
        {provenance ? (
          <span className={styles.prov} data-testid="provenance">
            {provenance.profile ? (
              <>
                profile <strong>{provenance.profile}</strong>
                {provenance.program ? ' · ' : ''}
              </>
            ) : null}
            {provenance.program ? <code>{provenance.program}</code> : provenance.profile ? null : <span className="subtle">command not recorded</span>}
          </span>
        ) : null}
      </div>
    </div>
  );
}

/** Linked to a plan row but not proving it: the run ran another command than the row asks for. */
export function NotQualifying({ why, compact = false }: { why: string | null; compact?: boolean }) {
  return (
    <span className={styles.noq} data-testid="not-qualifying" title={why ?? undefined}>
      linked, does not qualify{!compact && why ? <span className={styles.noqWhy}>: {why}</span> : null}
    </span>
  );
}
