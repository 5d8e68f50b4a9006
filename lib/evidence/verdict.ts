/**
 * The verdict: what the evidence shows, kept apart from the status (how the
 * process ended). Pure, over the evidence document; every page, the badge,
 * the copied Markdown, summary.md and the plans pages lead with it.
 *
 *   status   succeeded | failed | cancelled | timed_out | lost | running | queued | unknown
 *   verdict  pass | fail | incomplete | pending
 *
 * The rule reads three columns the runs table already stores (status,
 * checks_fail, checks_pass), so the runs list can sort and filter by it in
 * SQL (`verdictSql()` below is the same rule as a CASE expression):
 *
 *   queued, running               → pending     (nothing judged yet)
 *   cancelled, lost               → incomplete  (stopped from outside: neutral, never a red fail)
 *   failed, timed_out             → fail
 *   any check failed              → fail        (a traceback after the fit's end fails `exit`, whatever the exit code)
 *   succeeded and a check passed  → pass
 *   anything else                 → incomplete  (e.g. imported evidence that shows no end, or nothing judged)
 *
 * What a page shows for the checks depends on the status too (`shownChecks`):
 * a queued or running run's checks are `pending` (never a red failure judged
 * on evidence that does not exist yet); a run that never started skips every
 * check ("never started"); a cancelled or lost run's `exit` check is neutral.
 * These change only what is shown, never the verdict.
 */
import type { Check, CheckId, CheckStatus, Evidence, RunStatus } from './types';

export const VERDICTS = Object.freeze(['pass', 'fail', 'incomplete', 'pending'] as const);
export type Verdict = (typeof VERDICTS)[number];

/** The columns the verdict rule reads (the runs table has them: status, checks_fail, checks_pass). */
export interface VerdictInput {
  status: RunStatus | string;
  checksFail: number;
  checksPass: number;
}

/** The verdict from a run's status and check counts. Keep in step with verdictCase. */
export function verdictOf({ status, checksFail, checksPass }: VerdictInput): Verdict {
  if (status === 'queued' || status === 'running') return 'pending';
  if (status === 'cancelled' || status === 'lost') return 'incomplete';
  if (status === 'failed' || status === 'timed_out' || checksFail > 0) return 'fail';
  if (status === 'succeeded' && checksPass > 0) return 'pass';
  return 'incomplete';
}

/**
 * The same rule as an SQLite expression over the `runs` columns, for
 * filtering and sorting in SQL; `table` qualifies the column names
 * (`verdictSql('r')` → `r.status`, `r.checks_fail`). Tested against
 * `verdictOf` on a real database (verdict.test.ts).
 */
export function verdictSql(table?: string): string {
  return verdictCase(table, { pending: "'pending'", incomplete: "'incomplete'", fail: "'fail'", pass: "'pass'" });
}

/** Sort order, worst first: fail 0, incomplete 1, pending 2, pass 3. */
export const VERDICT_RANK: Record<Verdict, number> = { fail: 0, incomplete: 1, pending: 2, pass: 3 };

/** `VERDICT_RANK` of the rule as an SQLite expression (`ORDER BY <this>, started_at DESC`). */
export function verdictRankSql(table?: string): string {
  return verdictCase(table, { pending: '2', incomplete: '1', fail: '0', pass: '3' });
}

function verdictCase(table: string | undefined, v: Record<Verdict, string>): string {
  if (table !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  const c = (col: string) => (table ? `${table}.${col}` : col);
  return `(CASE WHEN ${c('status')} IN ('queued', 'running') THEN ${v.pending} WHEN ${c('status')} IN ('cancelled', 'lost') THEN ${v.incomplete} WHEN ${c('status')} IN ('failed', 'timed_out') OR ${c('checks_fail')} > 0 THEN ${v.fail} WHEN ${c('status')} = 'succeeded' AND ${c('checks_pass')} > 0 THEN ${v.pass} ELSE ${v.incomplete} END)`;
}

/** A check as shown: `pending` while the run is live. */
export type ShownCheckStatus = CheckStatus | 'pending';
export interface ShownCheck {
  id: CheckId;
  status: ShownCheckStatus;
  detail: string;
  /** What the analysis said, when the page shows something else (pending, never started, a neutral cancel). */
  judged?: CheckStatus;
}

export interface RunJudgement {
  verdict: Verdict;
  status: RunStatus;
  /** The checks as every page shows them. */
  checks: ShownCheck[];
  /** The shown checks that fail (empty unless the verdict is fail). */
  failing: Check[];
  /** The run's process never started (cancelled while queued, refused before its spawn). */
  neverStarted: boolean;
  /** One sentence: the verdict and why (the failing checks with their details, the stop, what is pending). */
  sentence: string;
  /** The same, short, for a page that lists the details below it: `Fail: checkpoints and knobs failed.` */
  short: string;
}

type JudgeInput = Pick<Evidence, 'status' | 'checks'> & Partial<Pick<Evidence, 'launch' | 'epochs' | 'maxEpochs' | 'stop'>>;

const STATUS_WORDS: Record<string, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed out',
  lost: 'lost (its worker died)',
  running: 'running',
  queued: 'queued',
  unknown: 'of unknown outcome',
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? status.replace(/_/g, ' ');
}

/** A launched run whose process never started: no start time, and it is over. */
export function neverStarted(ev: JudgeInput): boolean {
  return !!ev.launch && ev.launch.startedAt === null && ev.status !== 'queued' && ev.status !== 'running';
}

/** The checks as shown for this status (see the header comment). */
export function shownChecks(ev: JudgeInput): ShownCheck[] {
  if (ev.status === 'queued' || ev.status === 'running')
    return ev.checks.map((c) => ({ id: c.id, status: 'pending', detail: ev.status === 'queued' ? 'waiting for the run to start' : 'judged when the run ends', judged: c.status }));
  if (neverStarted(ev)) {
    const why = ev.launch?.note ? `never started: ${ev.launch.note}` : 'never started';
    return ev.checks.map((c) => ({ id: c.id, status: 'skip', detail: why, judged: c.status }));
  }
  if (ev.status === 'cancelled' || ev.status === 'lost')
    return ev.checks.map((c) =>
      c.id === 'exit' && c.status === 'fail'
        ? {
            id: c.id,
            status: 'skip',
            detail: `${ev.status === 'cancelled' ? 'cancelled on request' : 'lost: its worker stopped'}${ev.launch?.note ? ` (${ev.launch.note})` : ''}; ${c.detail}`,
            judged: c.status,
          }
        : { ...c },
    );
  return ev.checks.map((c) => ({ ...c }));
}

const DETAIL_CHARS = 140;

function cut(s: string, n = DETAIL_CHARS): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function epochsRun(ev: JudgeInput): string {
  const n = ev.epochs?.length ?? 0;
  if (!n) return '';
  return ` after ${n} epoch${n === 1 ? '' : 's'}${ev.maxEpochs != null && ev.maxEpochs > 0 ? ` of ${ev.maxEpochs}` : ''}`;
}

/** `checkpoints and knobs`, `exit, metrics and knobs`. */
export function listIds(ids: string[]): string {
  if (ids.length <= 1) return ids.join('');
  return `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}

/** The verdict with the checks as shown and one sentence that says why. */
export function judgeRun(ev: JudgeInput): RunJudgement {
  const count = (s: CheckStatus) => ev.checks.filter((c) => c.status === s).length;
  const verdict = verdictOf({ status: ev.status, checksFail: count('fail'), checksPass: count('pass') });
  const checks = shownChecks(ev);
  const failing = verdict === 'fail' ? checks.filter((c): c is Check => c.status === 'fail').map(({ id, status, detail }) => ({ id, status, detail })) : [];
  const never = neverStarted(ev);
  let sentence: string;
  if (verdict === 'pending')
    sentence =
      ev.status === 'queued'
        ? 'Pending: the run is queued; its checks are judged when it ends.'
        : `Pending: the run is running${epochsRun(ev).replace(' after', ',')}; its checks are judged when it ends.`;
  else if (verdict === 'fail') {
    if (failing.length) {
      const what = failing.map((c) => `${c.id}: ${cut(c.detail)}`);
      sentence = `Fail: ${listIds(failing.map((c) => c.id))} failed — ${what.join('; ')}.`;
      if (ev.status === 'failed' || ev.status === 'timed_out') sentence = sentence.replace(/\.$/, `; the process ${statusWords(ev.status)}.`);
    } else sentence = `Fail: the process ${statusWords(ev.status)}${never ? ' before it started' : epochsRun(ev)}${ev.launch?.note ? ` — ${cut(ev.launch.note)}` : ''}.`;
  } else if (verdict === 'incomplete') {
    if (never) sentence = `Incomplete: ${ev.status === 'cancelled' ? 'cancelled while queued' : statusWords(ev.status)}, never started; nothing was judged.`;
    else if (ev.status === 'cancelled' || ev.status === 'lost')
      sentence = `Incomplete: ${ev.status === 'cancelled' ? 'cancelled on request' : 'lost: its worker stopped'}${epochsRun(ev)}; the evidence stops there.`;
    else if (!count('pass')) sentence = 'Incomplete: no check could be judged from this evidence.';
    else sentence = `Incomplete: the evidence shows neither a normal end nor a failure (status ${statusWords(ev.status)}).`;
  } else {
    const judged = count('pass') + count('fail');
    const warn = count('warn');
    const skip = count('skip');
    sentence = `Pass: ${judged === 1 ? 'the one judged check passes' : `all ${judged} judged checks pass`}${warn ? `, ${warn} warn${warn === 1 ? 's' : ''}` : ''}${skip ? `, ${skip} skipped` : ''}.`;
  }
  const short =
    verdict === 'fail' && failing.length
      ? `Fail: ${listIds(failing.map((c) => c.id))} failed${ev.status === 'failed' || ev.status === 'timed_out' ? `; the process ${statusWords(ev.status)}` : ''}.`
      : sentence;
  return { verdict, status: ev.status, checks, failing, neverStarted: never, sentence, short };
}

/** Short words for a verdict as a label (`✗ fail`). */
export const VERDICT_ICON: Record<Verdict, string> = { pass: '✓', fail: '✗', incomplete: '–', pending: '…' };
