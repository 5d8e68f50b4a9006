/**
 * Pieces the plan pages and the evidence page share: a row's state, its
 * flags, the verdict of a run, and plan cell text (with `code` spans and
 * line breaks) rendered without trusting it as HTML.
 */
import Link from 'next/link';
import { FLAG_TITLES, runVerdict, type Flag, type Verdict } from '@/lib/plans/flags';
import { programOf } from '@/lib/plans/qualify';
import { fmtDateUTC } from './format';
import { NotQualifying, VerdictBadge } from './verdict';
import styles from './plan-views.module.css';

const STATE_TONE: Record<string, string> = { '[x]': 'pass', '[ ]': 'skip', '[P]': 'warn' };
const STATE_WORD: Record<string, string> = { '[x]': 'done', '[ ]': 'open', '[P]': 'partial' };

export function StateTag({ state }: { state: string | null }) {
  if (state === null)
    return (
      <span className={`${styles.state} tone-fail`} title="The plan no longer has this row" data-testid="row-state" data-state="missing">
        gone
      </span>
    );
  const tone = STATE_TONE[state] ?? 'skip';
  return (
    <span className={`${styles.state} tone-${tone}`} title={STATE_WORD[state] ?? 'state as written in the plan'} data-testid="row-state" data-state={state}>
      <span className="mono">{state}</span>
      {STATE_WORD[state] ? <span className={styles.word}> {STATE_WORD[state]}</span> : null}
    </span>
  );
}

export function FlagList({ flags, compact = false }: { flags: Flag[]; compact?: boolean }) {
  if (!flags.length) return null;
  return (
    <ul className={compact ? styles.flagsCompact : styles.flags} data-testid="row-flags" style={compact ? undefined : { paddingLeft: 0 }}>
      {flags.map((f) => (
        <li key={f.kind} className={styles.flag} data-flag={f.kind} title={f.message}>
          <span aria-hidden="true">⚑</span> {compact ? FLAG_TITLES[f.kind] : f.message}
        </li>
      ))}
    </ul>
  );
}

export function VerdictTag({ verdict }: { verdict: Verdict }) {
  return <VerdictBadge verdict={verdict} size="sm" />;
}

/** What a linked run needs for the plans pages: its verdict facts, when, what ran, whether it qualifies. */
export interface LinkedRun {
  runId: string;
  title: string;
  status: string;
  checksFail: number;
  checksPass: number;
  startedAt: number | null;
  createdAt: number;
  profile: string | null;
  argv: string[] | null;
  qualifies: boolean;
  why: string | null;
}

/** `reference · node …/reference-trainer/train.mjs`: the trainer behind a piece of evidence (profile, then program). */
export function RunProvenance({ run }: { run: Pick<LinkedRun, 'profile' | 'argv'> }) {
  const prog = run.argv ? programOf(run.argv) : null;
  if (!run.profile && !prog) return <span className={`${styles.prov} subtle`}>command not recorded</span>;
  return (
    <span className={styles.prov} data-testid="run-provenance" title={[run.profile ? `profile ${run.profile}` : null, run.argv ? run.argv.join(' ') : null].filter(Boolean).join(': ')}>
      {run.profile ? <span className={styles.profile}>{run.profile}</span> : null}
      {run.profile && prog ? <span aria-hidden="true"> · </span> : null}
      {prog ? <span className={styles.program}>{prog.display}</span> : null}
    </span>
  );
}

/**
 * The latest evidence of a row: its latest qualifying run (verdict, link,
 * when, what ran), and the newest linked run that does not qualify when one
 * came after it (such runs cannot clear a flag or flip the row).
 */
export function LatestRun({ runs }: { runs: LinkedRun[] }) {
  const at = runs.findIndex((r) => r.qualifies);
  const run = at >= 0 ? runs[at] : undefined;
  const others = at >= 0 ? at : runs.length;
  const other = others ? runs[0] : undefined;
  return (
    <div className={styles.latest}>
      {run ? (
        <>
          <span className={styles.latestTop}>
            <VerdictTag verdict={runVerdict(run)} />
            <Link href={`/runs/${run.runId}`} className="mono small" data-testid="latest-run" title={run.title}>
              {run.runId}
            </Link>
            <span className="subtle small">{fmtDateUTC(run.startedAt ?? run.createdAt)}</span>
          </span>
          <RunProvenance run={run} />
        </>
      ) : (
        <span className="subtle small">no qualifying run</span>
      )}
      {other ? (
        <span className={styles.others} data-testid="newer-not-qualifying" title={other.why ?? undefined}>
          <NotQualifying why={other.why} compact />
          <Link href={`/runs/${other.runId}`} className="mono small">
            {other.runId}
          </Link>
          {others > 1 ? <span className="subtle small">and {others - 1} more</span> : null}
          <RunProvenance run={other} />
        </span>
      ) : null}
    </div>
  );
}

/** Plan cell text: `code` spans as <code>, newlines (from <br>) as line breaks; everything else as text. */
export function CellText({ text }: { text: string }) {
  const lines = text.split('\n');
  return (
    <>
      {lines.map((line, i) => (
        <span key={i}>
          {i > 0 ? <br /> : null}
          {line.split(/(`+[^`]+`+)/).map((part, j) => (/^`+[^`]+`+$/.test(part) ? <code key={j}>{part.replace(/^`+|`+$/g, '')}</code> : <span key={j}>{part.replace(/\*\*/g, '')}</span>))}
        </span>
      ))}
    </>
  );
}

/** Where a row's source line is: the repository (RUNPROOF_REPO_URL) or the local viewer. */
export function sourceHref(repoUrl: string | undefined, plan: { id: string; display: string }, line: number): string {
  if (repoUrl) return `${repoUrl.replace(/\/+$/, '')}/${plan.display.split('/').map(encodeURIComponent).join('/')}#L${line}`;
  return `/plans/${plan.id}/source?line=${line}#L${line}`;
}

export function rowHref(planId: string, rowId: string): string {
  return `/plans/${planId}/${encodeURIComponent(rowId)}`;
}
