/**
 * Training logs: what Lightning and Python print, matched by substring so the
 * three prefix styles seen in practice (bare, `INFO:pytorch_lightning…:`,
 * `YYYY-MM-DD HH:MM:SS,mmm - INFO - `) all parse, and in any order, because
 * `| tee` often puts the whole stderr block before stdout.
 */

export type Resolved = 'cpu' | 'gpu' | 'tpu' | 'mps' | 'hpu';

export interface LogWarning {
  category: string | null;
  message: string;
  file: string | null;
  line: number | null;
  count: number;
  /** 1-based line of the first occurrence in the log. */
  logLine: number;
}

export interface StopInfo {
  reason: 'max_epochs' | 'max_steps' | 'early_stopping' | 'error' | 'unknown';
  message: string | null;
  line: number | null;
  /** `max_epochs=N` / `max_steps=N` from the stop message. */
  limit: number | null;
}

export interface ParsedLog {
  lineCount: number;
  accelerator: { resolved: Resolved | null; device: string | null; evidence: string[]; gpuAvailable: boolean | null };
  stop: StopInfo;
  /** A normal end was seen (`Trainer.fit` stopped…, or the trainer's own success line). */
  normalEnd: boolean;
  errors: Array<{ line: number; message: string }>;
  warnings: LogWarning[];
  time: { realS: number; userS: number; sysS: number } | null;
  seed: number | null;
  params: { trainable: string | null; total: string | null };
  /** `key=value` pairs the trainer echoed about its own config. */
  echo: Record<string, string>;
  exitCode: number | null;
  truncated: boolean;
  /** Lightning's Trainer spoke (device lines, fit end, model summary): this log is of a training run. */
  lightningSeen: boolean;
  /** The text had carriage returns and no line feed (classic Mac line ends): it was split on the returns. */
  crOnly: boolean;
}

/**
 * The end of a log too big to parse whole: its text from line `firstLine`
 * on. The head given to `parseLog` and this tail are parsed as one log with a
 * gap between them; line numbers stay those of the file.
 */
export interface LogTail {
  text: string;
  firstLine: number;
}

/**
 * Lines of a text: `\n` or `\r\n` ends, or lone `\r` when the text has no
 * `\n` at all (classic Mac). A lone `\r` in a text that has line feeds is a
 * progress bar redrawing its line, and stays inside the line.
 */
export function splitLines(text: string, crOnly = text.indexOf('\n') < 0 && text.indexOf('\r') >= 0): { lines: string[]; crOnly: boolean } {
  const lines = text.split(crOnly ? '\r' : /\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return { lines, crOnly };
}

const PREFIX = /^(?:\[[a-z]+\]\s*)?(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?\s*-\s*(?:[\w.]+\s*-\s*)?[A-Z]+\s*-\s*|(?:INFO|WARNING|ERROR|DEBUG):[\w.]+:|(?:INFO|WARNING):\s)/;

/** Strip a logging prefix so the Lightning text can be matched. */
export function stripPrefix(line: string): string {
  return line.replace(PREFIX, '');
}

// Python's warnings.formatwarning: `{file}:{line}: {Category}: {message}`; Lightning's
// short form for its own files drops the category (F:utilities/warnings.py L40-59).
// Besides `.py`, JavaScript/TypeScript sources are accepted: the bundled reference
// trainer (workers/reference-trainer/train.mjs) prints Python-format warnings.
const WARNING = /^(?<file>\S.*?\.(?:py|mjs|cjs|js|ts)):(?<line>\d+): (?:(?<cat>[A-Za-z_][\w.]*Warning): )?(?<msg>.*)$/;

/**
 * Parse a log. `tail`, when given, is the end of a log whose middle was not
 * read: `text` is then its head, and the tail's lines are numbered from
 * `tail.firstLine`.
 */
export function parseLog(text: string, tail: LogTail | null = null): ParsedLog {
  const head = splitLines(text);
  const after = tail ? splitLines(tail.text, head.crOnly) : null;
  const headCount = head.lines.length;
  const lines = after ? head.lines.concat(after.lines) : head.lines;
  const lineNo = (i: number) => (i < headCount || !tail ? i + 1 : tail.firstLine + (i - headCount));
  const out: ParsedLog = {
    lineCount: tail && after ? tail.firstLine - 1 + after.lines.length : lines.length,
    accelerator: { resolved: null, device: null, evidence: [], gpuAvailable: null },
    stop: { reason: 'unknown', message: null, line: null, limit: null },
    normalEnd: false,
    errors: [],
    warnings: [],
    time: null,
    seed: null,
    params: { trainable: null, total: null },
    echo: {},
    exitCode: null,
    truncated: false,
    lightningSeen: false,
    crOnly: head.crOnly,
  };
  const warningIndex = new Map<string, LogWarning>();
  let real: number | null = null, user: number | null = null, sys: number | null = null;
  let inTraceback = false;
  let tracebackStart = 0;

  const setResolved = (r: Resolved, evidence: string, strong: boolean) => {
    if (strong || out.accelerator.resolved === null) out.accelerator.resolved = r;
    out.accelerator.evidence.push(evidence);
  };

  for (let i = 0; i < lines.length; i++) {
    if (i === headCount && tail && inTraceback) {
      // The traceback runs into the part of the log that was not parsed.
      out.errors.push({ line: tracebackStart, message: 'Traceback (its end lies in the part of the log not parsed)' });
      inTraceback = false;
    }
    const raw = lines[i];
    const line = stripPrefix(raw.replace(/\s+$/, ''));
    const n = lineNo(i);

    // Tracebacks: the last non-indented line after `Traceback` is the exception.
    if (/^Traceback \(most recent call last\):/.test(line)) {
      inTraceback = true;
      tracebackStart = n;
      continue;
    }
    if (inTraceback) {
      if (/^\s/.test(line) || line === '') continue;
      if (/^(During handling|The above exception)/.test(line)) continue;
      if (/^[\w.]+(Error|Exception|Interrupt|Exit)\b/.test(line) || /^[\w.]+: /.test(line)) {
        out.errors.push({ line: n, message: line.slice(0, 500) });
        inTraceback = false;
        continue;
      }
      inTraceback = false;
      out.errors.push({ line: tracebackStart, message: 'Traceback (exception line not captured)' });
    }

    let m: RegExpExecArray | null;
    if ((m = /^(real|user|sys)\s+(\d+(?:\.\d+)?)$/.exec(line))) {
      const v = Number(m[2]);
      if (m[1] === 'real') { real = v; user = null; sys = null; }
      else if (m[1] === 'user') user = v;
      else sys = v;
      if (real !== null && user !== null && sys !== null) out.time = { realS: real, userS: user, sysS: sys };
      continue;
    }

    if (/^\s*\|\s*Name\s*\|\s*Type\s*\|\s*Params/.test(line)) out.lightningSeen = true; // ModelSummary table
    if ((m = /GPU available: (True|False)(?: \((\w+)\))?, used: (True|False)/.exec(line))) {
      out.lightningSeen = true;
      out.accelerator.gpuAvailable = m[1] === 'True';
      const used = m[3] === 'True';
      setResolved(used ? (m[2] === 'mps' ? 'mps' : 'gpu') : 'cpu', line.trim(), true);
      continue;
    }
    if ((m = /TPU available: (True|False), using: (\d+) TPU cores/.exec(line))) {
      if (Number(m[2]) > 0) setResolved('tpu', line.trim(), true);
      continue;
    }
    if (/No GPU found, using CPU instead/.test(line)) { setResolved('cpu', line.trim(), false); continue; }
    if ((m = /You are using a CUDA device \('([^']+)'\)/.exec(line))) {
      out.accelerator.device = m[1];
      setResolved('gpu', line.trim().slice(0, 120), false);
      continue;
    }

    if ((m = /`Trainer\.fit` stopped: `(max_epochs|max_steps)=(\d+)` reached\./.exec(line))) {
      out.stop = { reason: m[1] as 'max_epochs' | 'max_steps', message: line.trim(), line: n, limit: Number(m[2]) };
      out.normalEnd = true;
      out.lightningSeen = true;
      continue;
    }
    if (/`Trainer\.fit` stopped: No training batches\./.test(line)) {
      out.stop = { reason: 'unknown', message: line.trim(), line: n, limit: null };
      out.normalEnd = true;
      continue;
    }
    // EarlyStopping's verbose message (P:callbacks/early_stopping.py L289-305).
    if (/Monitored metric \S+ did not improve in the last \d+ records|Signaling Trainer to stop\./.test(line)) {
      if (out.stop.reason !== 'max_epochs' && out.stop.reason !== 'max_steps') out.stop = { reason: 'early_stopping', message: line.trim(), line: n, limit: null };
      continue;
    }
    if (/^✓? ?Training completed successfully|^Training (finished|completed|complete)\b/i.test(line.trim())) {
      out.normalEnd = true;
      continue;
    }

    if (/^(?:ERROR|FATAL|CRITICAL)\b/.test(line) || /^(?:ERROR|CRITICAL):[\w.]+:| - (?:ERROR|CRITICAL) - /.test(raw)) {
      out.errors.push({ line: n, message: line.trim().slice(0, 500) });
      continue;
    }
    if ((m = /^(?:Seed set to|Global seed set to) (\d+)/.exec(line))) { out.seed = Number(m[1]); continue; }
    if ((m = /^(\S+(?: \S)?)\s+Trainable params$/.exec(line.trim()))) { out.params.trainable = m[1]; continue; }
    if ((m = /^(\S+(?: \S)?)\s+Total params$/.exec(line.trim()))) { out.params.total = m[1]; continue; }
    if ((m = /exit(?:ed)?(?: with)?(?: status| code)[: =]+(-?\d+)/i.exec(line))) { out.exitCode = Number(m[1]); continue; }

    if ((m = WARNING.exec(line))) {
      const g = m.groups!;
      // Short form only counts when the file is Lightning's own, as its formatter requires.
      if (!g.cat && !/lightning/.test(g.file)) continue;
      const category = g.cat ?? null;
      const message = g.msg.trim();
      const key = `${category ?? ''}\u0000${message}`;
      const seen = warningIndex.get(key);
      if (seen) seen.count++;
      else {
        const w: LogWarning = { category, message, file: g.file, line: Number(g.line), count: 1, logLine: n };
        warningIndex.set(key, w);
        out.warnings.push(w);
      }
      if (i + 1 < lines.length && i + 1 !== headCount && /^  \S/.test(lines[i + 1])) i++; // the source line Python prints after it
      continue;
    }

    // Trainer config echoes: `✓ Execution config: accelerator=cpu, deterministic=True, …`.
    if (/(config|Config)[^=]*:.*\w=\S/.test(line) && !/^\s*\|/.test(line)) {
      for (const kv of line.matchAll(/\b([A-Za-z_][\w]*)=(\([^)]*\)|[^\s,]+)/g)) {
        if (!(kv[1] in out.echo)) out.echo[kv[1]] = kv[2];
      }
      const acc = out.echo.accelerator;
      if (acc && out.accelerator.resolved === null) {
        const r = acc === 'cuda' ? 'gpu' : acc;
        if (['cpu', 'gpu', 'tpu', 'mps', 'hpu'].includes(r)) {
          out.accelerator.resolved = r as Resolved;
          out.accelerator.evidence.push(line.trim().slice(0, 160));
        }
      }
    }
  }
  if (inTraceback) out.errors.push({ line: tracebackStart, message: 'Traceback (log ends inside it)' });

  if (out.errors.length && !out.normalEnd) {
    out.stop = { reason: 'error', message: out.errors[out.errors.length - 1].message, line: out.errors[out.errors.length - 1].line, limit: null };
  }
  out.truncated = !out.normalEnd && out.errors.length === 0;
  return out;
}
