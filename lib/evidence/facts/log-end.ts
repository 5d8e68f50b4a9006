/**
 * Is the log cut short? Lightning prints no end line when EarlyStopping or
 * any callback's `should_stop` ends the fit, so a log without one is not
 * cut by that alone. These are the signs that it is: the model summary (one
 * print) broken off; runproof.json saying the fit ran to a limit, where
 * Lightning prints `Trainer.fit` stopped; the progress bar ending before
 * the epochs the metrics or the checkpoint names show, or in the middle of
 * an epoch they show finished.
 */

export interface LogCut {
  /** What shows the log was cut, for the exit check. */
  evidence: string;
  line: number | null;
}

export function logCutEvidence(input: {
  text: string | null;
  logName: string;
  /** The log shows Lightning spoke (device lines, summary, stop line). */
  lightningSeen: boolean;
  /** The log has a `Trainer.fit` stopped line, or EarlyStopping's own stop message. */
  hasEndLine: boolean;
  /** The last epoch other evidence shows trained (metrics, events, runproof.json, checkpoint names), with where from. */
  lastEpochElsewhere: { epoch: number; validated: boolean; from: string } | null;
  /** runproof.json's end record: the fit ran to its end (`train_end`) without EarlyStopping stopping it. */
  rpRanToLimit: { file: string } | null;
  /** Other evidence shows the fit reached max_epochs or max_steps, where Lightning always prints its stop line (before EarlyStopping's). */
  limitReached?: { what: string; from: string } | null;
  /** EarlyStopping printed its improvements (verbose) and the replay says it stopped the fit: it prints its reason there. */
  verboseEsStop?: { line: number; epoch: number | null } | null;
  /**
   * Does the Lightning that wrote the log print `Trainer.fit` stopped (1.6 on; lib/lightning/version.ts)?
   * Only `yes` lets a limit reached, or a progress bar stopping part-way (a max_steps stop), show a cut:
   * before 1.6 the fit ends silently there. Absent: `yes`.
   */
  endLineExpected?: 'yes' | 'no' | 'unknown';
  /** Does it print the model summary's totals (`Total estimated model params size`)? Not `yes`: the summary is cut only where the log ends inside it. */
  summaryTotalsExpected?: 'yes' | 'no' | 'unknown';
}): LogCut | null {
  const { text, logName } = input;
  if (!text || !input.lightningSeen || input.hasEndLine) return null;
  const lines = text.split(/\r?\n/);
  // 1. The model summary is printed whole; its last line depends on the table's columns.
  const header = lines.findIndex((l) => /\|\s*Name\s*\|\s*Type\b/.test(l));
  if (header >= 0) {
    const h = lines[header];
    const end = /FLOPs/.test(h) ? /Total Flops\s*$/ : /\|\s*Mode\s*(\||$)/.test(h) ? /Modules in eval mode\s*$/ : /Total estimated model params size/;
    // An older Lightning prints the table alone: the summary is cut only where nothing but its rows follows it.
    const endsInside =
      (input.summaryTotalsExpected ?? 'yes') === 'yes' ||
      lines
        .slice(header + 1)
        .every(
          (l) => !l.trim() || /^\s*(?:\d+\s*)?\||^-{3,}\s*$|^\s*\S+(?: \S)?\s+(?:Trainable|Non-trainable|Total) params\s*$|Total estimated model params size|Modules in (?:train|eval) mode/.test(l),
        );
    if (endsInside && !lines.slice(header).some((l) => end.test(l)))
      return { evidence: `${logName} ends inside the model summary (from line ${header + 1}), which Lightning prints whole`, line: header + 1 };
  }
  const endLine = input.endLineExpected ?? 'yes';
  // 2. runproof.json: the fit ran to max_epochs/max_steps, where Lightning prints its stop line.
  if (input.rpRanToLimit && endLine === 'yes')
    return { evidence: `${input.rpRanToLimit.file} says the fit ran to its end with no EarlyStopping stop, where Lightning prints \`Trainer.fit\` stopped; ${logName} has no such line`, line: null };
  if (input.limitReached && endLine === 'yes')
    return {
      evidence: `${input.limitReached.from} show the fit reached ${input.limitReached.what}, where Lightning prints \`Trainer.fit\` stopped: \`${input.limitReached.what}\` reached.; ${logName} has no such line`,
      line: null,
    };
  if (input.verboseEsStop)
    return {
      evidence: `EarlyStopping is verbose (it printed its improvement at line ${input.verboseEsStop.line}) and the replay stops the fit${input.verboseEsStop.epoch !== null ? ` at epoch ${input.verboseEsStop.epoch}` : ''}, where it prints \`Signaling Trainer to stop\`; ${logName} has no such line`,
      line: null,
    };
  // 3./4. The progress bar against the epochs other evidence shows.
  const other = input.lastEpochElsewhere;
  let lastBar: { epoch: number; i: number; n: number; pct: number; at: number } | null = null;
  let lastValAt = -1;
  /** The bar as it stood when the last validation began: redraws at its batch after it are that validation's end. */
  let barAtVal: { epoch: number; i: number } | null = null;
  let lineNo = 0;
  let barLine = 0;
  for (const l of lines) {
    lineNo++;
    if (l.indexOf('Epoch ') < 0 && l.indexOf('Validati') < 0) continue;
    // `Validation DataLoader 0:` (1.6 on), `Validating:` (1.x before it).
    for (const m of l.matchAll(/(?:^|\r|\])Epoch (\d+):\s*(?:(\d+)%)?(?:\|[^|\r]*\|\s*(\d+)\/(\d+|\?))?|(Validation|Validating)/g)) {
      const at = lineNo * 1e6 + (m.index ?? 0);
      if (m[5]) {
        lastValAt = at;
        barAtVal = lastBar;
      } else {
        lastBar = { epoch: Number(m[1]), pct: m[2] !== undefined ? Number(m[2]) : NaN, i: m[3] !== undefined ? Number(m[3]) : NaN, n: m[4] === undefined || m[4] === '?' ? NaN : Number(m[4]), at };
        barLine = lineNo;
      }
    }
  }
  if (!lastBar) return null;
  // A fit stops inside an epoch only after a validation (EarlyStopping there), an error or a max_steps line: a log whose last
  // progress bar is part-way through an epoch, with nothing after it, was cut.
  // (A bar redrawn at the batch a validation inside the epoch ran after, with no batch since, stopped there: EarlyStopping
  // checked at that validation, val_check_interval < 1.)
  const afterVal = !!barAtVal && barAtVal.epoch === lastBar.epoch && barAtVal.i === lastBar.i;
  const partWay = !afterVal && (Number.isFinite(lastBar.n) && Number.isFinite(lastBar.i) ? lastBar.i < lastBar.n : Number.isFinite(lastBar.pct) && lastBar.pct < 100);
  if (partWay && lastValAt < lastBar.at && endLine === 'yes')
    return {
      evidence: `${logName}'s last progress bar is part-way through epoch ${lastBar.epoch}${Number.isFinite(lastBar.n) ? ` (batch ${lastBar.i} of ${lastBar.n})` : ` (${lastBar.pct}%)`}, line ${barLine}, with no validation, error or stop line after it`,
      line: barLine,
    };
  if (!other) return null;
  if (lastBar.epoch < other.epoch) return { evidence: `${logName}'s progress bar stops in epoch ${lastBar.epoch} (line ${barLine}); ${other.from} go on to epoch ${other.epoch}`, line: barLine };
  if (lastBar.epoch === other.epoch && other.validated && Number.isFinite(lastBar.n) && lastBar.i < lastBar.n && lastValAt < lastBar.at && !afterVal) {
    return {
      evidence: `${logName}'s progress bar stops at batch ${lastBar.i} of ${lastBar.n} in epoch ${lastBar.epoch} (line ${barLine}), before its validation; ${other.from} show epoch ${other.epoch} validated`,
      line: barLine,
    };
  }
  return null;
}

/**
 * The log's last line is a Python exception (`RuntimeError: …`) with no
 * traceback before it (stderr kept only its end, or a wrapper printed the
 * exception alone): the fit crashed there.
 */
export function endsWithException(text: string | null): { message: string; line: number } | null {
  if (!text) return null;
  const lines = text.split(/\r?\n/);
  let i = lines.length - 1;
  while (i >= 0 && !lines[i].trim()) i--;
  if (i < 0) return null;
  const last = lines[i].split('\r').pop()!.trim();
  return /^(?:[A-Za-z_][\w]*\.)*[A-Z][\w]*(?:Error|Exception|Interrupt)(?::(?:\s.*)?)?$/.test(last) ? { message: last.slice(0, 300), line: i + 1 } : null;
}
