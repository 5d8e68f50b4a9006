/**
 * The failure headline: one line that says why a run failed, quoting the
 * line of the log it links to. Pure, over the evidence document, so the
 * evidence page, the file viewer's error filter and any other reader agree.
 *
 * The cause is `Evidence.cause` (lib/evidence/cause.ts): the root of a
 * chained traceback, argparse's `error:` line, the first error line, the kill
 * the log shows. The `exit` check cites the same line, so the headline and the
 * checks table never disagree about where to look. Documents stored before
 * `cause` existed fall back to the error that the stop names.
 */
import type { Evidence, FailureCause } from './types';

export interface Headline {
  kind: FailureCause['kind'];
  /** What happened, before the quote: "Failed with", "The trainer refused its arguments", … */
  lead: string;
  /** The log line's text, as quoted. */
  quote: string;
  file: string;
  line: number;
  /** The wrapper raised from the cause (`RuntimeError: … See logs for details.`), when there is one. */
  raisedAs: { line: number; message: string } | null;
  /** The process's exit code when it is not 0 (a launched run's, or one the log printed). */
  exitCode: number | null;
}

const LEAD: Record<FailureCause['kind'], string> = {
  exception: 'Failed with',
  usage: 'The trainer refused its arguments',
  'error-line': 'Failed with',
  'bare-exception': 'Failed with',
  killed: 'Stopped from outside',
  'severe-line': 'Exited without an error message; its first error-level line',
};

type HeadlineInput = Pick<Evidence, 'status' | 'stop' | 'errors' | 'bundle'> & Partial<Pick<Evidence, 'cause' | 'launch' | 'checks'>>;

/** The cause of a document stored before `cause` existed: the error the stop quotes (the last such line), else the line the exit check cites. */
function legacyCause(ev: HeadlineInput): FailureCause | null {
  if (ev.stop.reason === 'error' && ev.stop.message) {
    const e = ev.errors.findLast((x) => x.message === ev.stop.message);
    if (e) return { kind: 'exception', file: e.file, line: e.line, message: e.message };
  }
  const exit = ev.checks?.find((c) => c.id === 'exit' && c.status === 'fail');
  const m = exit ? /^(.*) \(([^():]+):(\d+)\)(?:;|$)/.exec(exit.detail) : null;
  if (m) return { kind: 'error-line', file: m[2], line: Number(m[3]), message: m[1] };
  return null;
}

/** The headline of a finished run that failed (or whose log shows an error); null when there is none to give. */
export function failureHeadline(ev: HeadlineInput): Headline | null {
  if (ev.status === 'queued' || ev.status === 'running') return null;
  const cause = ev.cause === undefined ? legacyCause(ev) : ev.cause;
  if (!cause) return null;
  const code = ev.launch?.exitCode ?? null;
  return {
    kind: cause.kind,
    lead: LEAD[cause.kind],
    quote: cause.message,
    file: cause.file,
    line: cause.line,
    raisedAs: cause.raisedAs ?? null,
    exitCode: code !== null && code !== 0 ? code : null,
  };
}

/**
 * The log lines the evidence cites, as the page's "errors and warnings only"
 * filter shows them: every error line (`errors`), each warning's first line
 * (`warnings[].logLine`) and the cause. Nothing else: a line that merely
 * looks alarming is not counted by any check, so the filter leaves it out.
 */
export function citedLogLines(
  ev: Pick<Evidence, 'errors' | 'warnings' | 'bundle'> & Partial<Pick<Evidence, 'cause'>>,
  file: string,
  /** The lines at hand, for documents stored before warnings carried `logLine`: a warning is then found by its `file:line:` prefix. */
  lines: Array<{ n: number; text: string }> = [],
): Map<number, 'error' | 'warn'> {
  const out = new Map<number, 'error' | 'warn'>();
  if (file === ev.bundle.log) {
    for (const w of ev.warnings) {
      if (w.logLine) out.set(w.logLine, 'warn');
      else if (w.logLine === undefined && w.file) {
        const prefix = `${w.file}:${w.line ?? ''}:`;
        const hit = lines.find((l) => l.text.includes(prefix) && l.text.includes(w.message.slice(0, 40)));
        if (hit) out.set(hit.n, 'warn');
      }
    }
  }
  for (const e of ev.errors) if (e.file === file) out.set(e.line, 'error');
  if (ev.cause && ev.cause.file === file) out.set(ev.cause.line, 'error');
  return out;
}
