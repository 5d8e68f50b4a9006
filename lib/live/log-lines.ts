/**
 * A live run's log as the database keeps it while the run goes: the worker
 * cuts the text it tails into complete lines (`LiveLogSplitter`), numbered
 * from 0, and stores them (db/queries/live-log.ts); every web server's events
 * stream sends them on by number. Bounded so a chatty trainer cannot fill
 * the database: a line is at most `LIVE_LOG_LINE_MAX_BYTES` (longer ones keep
 * their head and a marker), and a run keeps only its last
 * `LIVE_LOG_KEEP_LINES` lines within `LIVE_LOG_KEEP_BYTES`. Pure.
 */

/** The longest line kept whole (UTF-8 bytes); a longer one keeps this much and the marker. */
export const LIVE_LOG_LINE_MAX_BYTES = 16 * 1024;
/** Lines a run keeps in the database while live (the page shows the last 400). */
export const LIVE_LOG_KEEP_LINES = 1000;
/** And at most this many bytes of them. */
export const LIVE_LOG_KEEP_BYTES = 1024 * 1024;
/** Lines an events stream sends on connect: the page's own window (app/runs/[id]/live-run.tsx). */
export const LIVE_LOG_TAIL_LINES = 400;

/** What a cut line ends with, after its first `LIVE_LOG_LINE_MAX_BYTES`. */
export const LIVE_LOG_CUT_MARK = ` … [line cut: longer than ${LIVE_LOG_LINE_MAX_BYTES / 1024} KiB; the archived train.log has it whole]`;

export interface LiveLogLine {
  /** The line's number in the log, from 0. */
  seq: number;
  /** Without its newline. */
  text: string;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** Longer than the cap: `text` is its head and `LIVE_LOG_CUT_MARK`. */
  cut: boolean;
}

/** UTF-8 length of a string (lone surrogates count as the three bytes of U+FFFD they encode to). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The longest prefix of `s` within `max` UTF-8 bytes, never splitting a surrogate pair. */
export function headBytes(s: string, max: number): string {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (n + w > max) return s.slice(0, i);
    n += w;
    if (pair) i++;
  }
  return s;
}

function cutLine(seq: number, text: string): LiveLogLine {
  const t = headBytes(text, LIVE_LOG_LINE_MAX_BYTES) + LIVE_LOG_CUT_MARK;
  return { seq, text: t, bytes: utf8Bytes(t), cut: true };
}

/**
 * Text in, complete lines out. A line is complete at its `\n`; the part after
 * the last one waits for the next push. A line that grows past the cap is
 * given out cut as soon as it does (a progress bar redrawn with `\r` and no
 * newline still shows), and the rest of it up to its newline is dropped.
 */
export class LiveLogSplitter {
  private seq = 0;
  private part = '';
  /** The current line was already given out cut: drop text up to its newline. */
  private dropping = false;

  /** The number the next line gets. */
  get nextSeq(): number {
    return this.seq;
  }

  push(text: string): LiveLogLine[] {
    const out: LiveLogLine[] = [];
    let at = 0;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      const piece = text.slice(at, nl);
      at = nl + 1;
      if (this.dropping) {
        this.dropping = false;
        continue;
      }
      const line = this.part + piece;
      this.part = '';
      const bytes = utf8Bytes(line);
      out.push(bytes > LIVE_LOG_LINE_MAX_BYTES ? cutLine(this.seq++, line) : { seq: this.seq++, text: line, bytes, cut: false });
    }
    if (!this.dropping && at < text.length) {
      this.part += text.slice(at);
      // Four bytes a character at most: only a part that might be over the cap is measured.
      if (this.part.length * 4 > LIVE_LOG_LINE_MAX_BYTES && utf8Bytes(this.part) > LIVE_LOG_LINE_MAX_BYTES) {
        out.push(cutLine(this.seq++, this.part));
        this.part = '';
        this.dropping = true;
      }
    }
    return out;
  }

  /**
   * Text was skipped (more was written between two reads than is worth
   * reading): what is read next starts mid-line, so drop up to the next newline.
   */
  skipped(): void {
    this.part = '';
    this.dropping = true;
  }
}
