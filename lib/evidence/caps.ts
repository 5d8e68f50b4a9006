/**
 * Per-bundle caps. A run can leave tens of thousands of checkpoint files,
 * distinct warnings or error lines, or a log of gigabytes; the evidence
 * document (stored whole, served whole, rendered whole) lists a bounded part
 * of each — the first and the last entries, which is where a reader looks —
 * and says in a problem entry what was cut. Checks are judged on the full
 * sets before the cut.
 */

/** Checkpoint files listed in the evidence (found, missing, unexpected: each). */
export const CHECKPOINTS_LISTED = 1000;
/** Distinct warnings kept. */
export const WARNINGS_KEPT = 1000;
/** Error lines kept. */
export const ERRORS_KEPT = 1000;
/** Problems kept per file (a listing or CSV of garbage is one problem per line otherwise). */
export const PROBLEMS_PER_FILE = 50;
/**
 * Log characters parsed: the first half and the last half of this many; the
 * middle of a bigger log is not parsed (50 MB of mostly-ASCII text).
 */
export const LOG_PARSE_CHARS = 50 * 1024 * 1024;

/** The first ⌈n/2⌉ and the last ⌊n/2⌋ of `xs` when it holds more than `n`, and how many were left out. */
export function keepEnds<T>(xs: readonly T[], n: number): { kept: T[]; cut: number } {
  if (xs.length <= n) return { kept: xs.slice(), cut: 0 };
  const head = Math.ceil(n / 2);
  const tail = n - head;
  return { kept: xs.slice(0, head).concat(xs.slice(xs.length - tail)), cut: xs.length - n };
}

/** `12345` → `12,345` (fixed locale: the evidence reads the same on every host). */
export function fmtCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `What` → `10,000 what: listing the first 500 and last 500; 9,000 not listed`. */
export function cutMessage(total: number, n: number, what: string, verb: 'listing' | 'keeping', note = ''): string {
  const head = Math.ceil(n / 2);
  const tail = n - head;
  const past = verb === 'listing' ? 'listed' : 'kept';
  return `${fmtCount(total)} ${what}: ${verb} the first ${fmtCount(head)} and last ${fmtCount(tail)}; ${fmtCount(total - n)} not ${past}${note}`;
}

/** Names for a check's detail: all of them when few, else the first and last few with the count between. */
export function nameList(names: readonly string[], most = 20): string {
  if (names.length <= most) return names.join(', ');
  const head = Math.ceil(most / 2);
  return `${names.slice(0, head).join(', ')}, … ${fmtCount(names.length - most)} more …, ${names.slice(names.length - (most - head)).join(', ')}`;
}
