/**
 * Training logs: what Lightning and Python print, matched by substring so the
 * three prefix styles seen in practice (bare, `INFO:pytorch_lightning…:`,
 * `YYYY-MM-DD HH:MM:SS,mmm - INFO - `) all parse, and in any order, because
 * `| tee` often puts the whole stderr block before stdout.
 */

import { LogEpochCollector, readNumber, type LogMetrics } from './log-epochs';

export type Resolved = 'cpu' | 'gpu' | 'tpu' | 'mps' | 'hpu' | 'ipu';

export interface LogWarning {
  category: string | null;
  message: string;
  file: string | null;
  line: number | null;
  count: number;
  /** 1-based line of the first occurrence in the log. */
  logLine: number;
  /**
   * The category was not printed but is Lightning's for that message:
   * Lightning ≥2.1 prints its own warnings as `path:line: message`
   * (F:utilities/warnings.py `_custom_format_warning`).
   */
  categoryInferred?: boolean;
}

export interface StopInfo {
  reason: 'max_epochs' | 'max_steps' | 'early_stopping' | 'error' | 'killed' | 'time_limit' | 'unknown';
  message: string | null;
  line: number | null;
  /** `max_epochs=N` / `max_steps=N` from the `Trainer.fit` stopped line, kept when early stopping fired in that last epoch. */
  limit: number | null;
  /** Which limit `limit` is (parseLog always sets it). */
  limitKind?: 'max_epochs' | 'max_steps' | null;
}

/**
 * EarlyStopping's stop message (printed only with `verbose=True`,
 * P:callbacks/early_stopping.py `_evaluate_stopping_criteria`, logged at INFO
 * by `_log_info`). A quiet EarlyStopping prints nothing, and Lightning prints
 * no `Trainer.fit` stopped line when it stops the fit.
 */
export interface EarlyStopLine {
  kind: 'patience' | 'stopping_threshold' | 'divergence_threshold' | 'non_finite' | 'other';
  monitor: string | null;
  /** The value that stopped it (threshold and non-finite messages; the patience message prints the best score instead). */
  value: number | null;
  /** Patience message: the best score; the others: the previous best where printed. */
  best: number | null;
  message: string;
  line: number;
  /** No later epoch shows in the log after it: the run ended in the epoch it fired (else `min_epochs` kept it going). */
  final: boolean;
}

/** The run was stopped from outside: a scheduler, a signal, the OOM killer, Ctrl+C. */
export interface KillInfo {
  kind: 'time_limit' | 'cancelled' | 'preempted' | 'node_failure' | 'oom' | 'signal' | 'interrupt';
  signal: string | null;
  message: string;
  line: number;
}

export interface LogError {
  line: number;
  message: string;
  /**
   * This exception was raised from the one before it (`cause`: "The above
   * exception was the direct cause…") or while handling it (`context`:
   * "During handling of the above exception…").
   */
  chained?: 'cause' | 'context';
}

/** How the crash was found: a traceback's exception, argparse refusing its arguments, an error line. */
export type CrashKind = 'exception' | 'usage' | 'error-line';

export interface ParsedLog {
  lineCount: number;
  accelerator: { resolved: Resolved | null; device: string | null; evidence: string[]; gpuAvailable: boolean | null };
  stop: StopInfo;
  /** A normal end was seen (`Trainer.fit` stopped…, EarlyStopping's stop message in the last epoch, or the trainer's own success line). */
  normalEnd: boolean;
  errors: LogError[];
  /**
   * What crashed the run, its root cause: the first exception of the last
   * chained traceback (not the wrapper raised from it, nor a KeyboardInterrupt
   * raised while shutting down); without a traceback, argparse's `prog: error:`
   * line; else the first error line (`ERROR`, Hydra's message).
   */
  crash: { line: number; message: string; chain: string[]; kind: CrashKind /** The log lines of `chain`. */; chainLines: number[] } | null;
  /**
   * The first glog/absl line of severity E or F (`E0000 00:00:… file.cc:12] …`,
   * as TensorFlow and XLA print them). Not an error by itself (TensorFlow
   * prints such lines on healthy runs): the cause of a failed run only when
   * nothing better says why.
   */
  firstSevere: { line: number; message: string } | null;
  /** EarlyStopping's last stop message. */
  earlyStopping: EarlyStopLine | null;
  /** The first line EarlyStopping(verbose=True) printed (an improvement): it is verbose, so it prints its stop too. */
  earlyStoppingVerboseLine?: number | null;
  /** A stop from outside (a scheduler's own line wins over the bare signal); `stop` names it when the fit did not end normally and no crash came first. */
  killed: KillInfo | null;
  /** Per-epoch values from the progress bar and the callbacks' verbose lines (for bundles without metrics.csv). */
  epochs: LogMetrics;
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
  /** Lines longer than LONG_LINE_CHARS (the first 20): only their first LONG_LINE_CHARS characters were read. */
  longLines: Array<{ line: number; chars: number }>;
}

/** A line past this is no line a trainer prints on purpose (a binary blob, a runaway progress bar): read its start only. */
export const LONG_LINE_CHARS = 1 << 20;

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

// Hydra's job logging (`[2021-09-29 13:32:57,696][lightning][INFO] - GPU available: …`, the lightning-hydra-template's too) among them.
const PREFIX =
  /^(?:\[[a-z]+\]\s*)?(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?\s*-\s*(?:[\w.]+\s*-\s*)?[A-Z]+\s*-\s*|\[\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?\]\[[\w.]+\]\[[A-Z]+\] - |(?:INFO|WARNING|ERROR|DEBUG):[\w.]+:|(?:INFO|WARNING):\s)/;
// Lightning's rank_prefixed_message (F:utilities/rank_zero.py): `[rank: 0] Received SIGTERM: 15`.
const RANK = /^\[rank: ?\d+\]\s*/;
/** A traceback frame inside `trainer.fit` (its loops, or Trainer.fit itself): the exception ended the fit. */
const FIT_FRAME = /^\s+File "[^"]*[\\/](?:lightning[\\/]pytorch|pytorch_lightning)[\\/](?:loops[\\/](?:fit_loop|training_epoch_loop)\.py"|trainer[\\/]trainer\.py", line \d+, in (?:fit|_fit_impl)\b)/;

/** Strip a logging prefix (and Lightning's `[rank: N]`) so the Lightning text can be matched. */
export function stripPrefix(line: string): string {
  const s = line.replace(PREFIX, '');
  return s.charCodeAt(0) === 91 ? s.replace(RANK, '') : s; // '['
}

// Python's warnings.formatwarning: `{file}:{line}: {Category}: {message}`; Lightning's
// short form for its own files drops the category (F:utilities/warnings.py L40-59).
// Besides `.py`, JavaScript/TypeScript sources are accepted: the bundled reference
// trainer (workers/reference-trainer/train.mjs) prints Python-format warnings.
// A message that starts with a newline leaves `…Warning:` at the end of the line.
const WARNING = /^(?<file>\S.*?\.(?:py|mjs|cjs|js|ts)):(?<line>\d+): (?:(?<cat>[A-Za-z_][\w.]*Warning):(?: |$))?(?<msg>.*)$/;

/**
 * Lightning's own warnings whose category its short form does not print,
 * read from Lightning 2.6.6's source: every `rank_zero_deprecation` call
 * (LightningDeprecationWarning) and every warning issued with
 * `category=PossibleUserWarning`. Matched on the message's fixed start. A
 * warning Lightning merely relays (torch's `…is deprecated…` FutureWarning
 * attributed to lightning/pytorch/utilities/_pytree.py) is not in the list:
 * its category stays unknown.
 */
const LIGHTNING_CATEGORIES: Array<[RegExp, string]> = [
  [/^You have overridden `[^`]+\.configure_sharded_model` which is deprecated/, 'LightningDeprecationWarning'],
  [/^`[^`]+\.is_distributed` is deprecated/, 'LightningDeprecationWarning'],
  [/^The `[^`]+` is deprecated(?: and no longer needed)?\./, 'LightningDeprecationWarning'],
  [/^The 'single_tpu' strategy is deprecated/, 'LightningDeprecationWarning'],
  [/^`LightningModule\.to_torchscript` has been deprecated/, 'LightningDeprecationWarning'],
  [/^`Fabric\.sharded_model\(\)` is deprecated/, 'LightningDeprecationWarning'],
  [/^`FSDPStrategy\(activation_checkpointing=/, 'LightningDeprecationWarning'],
  [/^The number of training batches \(\d+\) is smaller than the logging interval/, 'PossibleUserWarning'],
  [/^Found \d+ module\(s\) in eval mode at the start of training/, 'PossibleUserWarning'],
  [/^You're resuming from a checkpoint that ended before the epoch ended/, 'PossibleUserWarning'],
  [/^`max_epochs` was not set\. Setting it to 1000 epochs/, 'PossibleUserWarning'],
  [/^You defined a `validation_step` but have no `val_dataloader`/, 'PossibleUserWarning'],
  [/^You are using the `dataloader_iter` step flavor/, 'PossibleUserWarning'],
  [/^The combination of `DataLoader\(`pin_memory=True`/, 'PossibleUserWarning'],
  [/^The '[^']+' does not have many workers/, 'PossibleUserWarning'],
  [/^Your `\w+_dataloader`'s sampler has shuffling enabled/, 'PossibleUserWarning'],
  [/^Using `DistributedSampler` with the dataloaders/, 'PossibleUserWarning'],
  [/^It is recommended to use `self\.log\(/, 'PossibleUserWarning'],
  [/^GPU available but not used/, 'PossibleUserWarning'],
  [/^`trainer\.init_module` cannot fully support/, 'PossibleUserWarning'],
  [/^You are using a custom batch sampler `/, 'PossibleUserWarning'],
  [/^You have multiple `ModelCheckpoint` callback states in this checkpoint/, 'PossibleUserWarning'],
  [/^The loaded checkpoint was produced with Lightning v/, 'PossibleUserWarning'],
  [/^The `srun` command is available on your system but is not used/, 'PossibleUserWarning'],
  [/^The model passed to `Fabric\.setup\(\)` has /, 'PossibleUserWarning'],
  [/^The `[^`]+` does not support skipping the gradient synchronization/, 'PossibleUserWarning'],
];
/** A file of Lightning's own packages (not merely a path with "lightning" in it, which gets the short form too). */
const LIGHTNING_FILE = /[\\/](?:lightning[\\/](?:pytorch|fabric)|pytorch_lightning|lightning_fabric)[\\/]/;

// How runs are stopped from outside, as their logs show it.
const SLURM_CANCEL = /\*\*\* (?:JOB|STEP) \S+ ON \S+ CANCELLED AT \S+(?: DUE TO ([A-Z][A-Z ]*?))? \*\*\*/;
const KILL_LINES: Array<[RegExp, KillInfo['kind'], string | null]> = [
  // Lightning's SIGTERM handler (P:trainer/connectors/signal_connector.py): it logs, then its loops
  // raise SIGTERMException (a SystemExit: no traceback, and exit status 0).
  [/^Received SIGTERM: (\d+)/, 'signal', 'SIGTERM'],
  [/^Bypassing SIGTERM: (\d+)/, 'signal', 'SIGTERM'],
  [/^Handling auto-requeue signal: (\d+)/, 'signal', null],
  // Lightning's Ctrl+C (P:trainer/call.py `_call_and_handle_interrupt`).
  [/^Detected KeyboardInterrupt, attempting graceful shutdown/, 'interrupt', 'SIGINT'],
  [/oom[-_]kill event|OOM Killed|Out of memory: Killed process/i, 'oom', 'SIGKILL'],
  // The shell's report of its child (`Terminated`, `bash: line 1: 123 Killed  python train.py`).
  [/^(?:.*: line \d+:\s+\d+\s+)?Terminated(?:\s|$)/, 'signal', 'SIGTERM'],
  [/^(?:.*: line \d+:\s+\d+\s+)?Killed(?:\s|$)/, 'signal', 'SIGKILL'],
  [/^srun: error: \S+: tasks? [\d,-]+: (?:Terminated|Killed)/, 'signal', null],
  [/^timeout: sending signal (\w+) to command/, 'time_limit', null],
  // torchrun's agent (torch.distributed.elastic).
  [/Received (?:Signals\.)?(SIG[A-Z]+) death signal, shutting down workers/, 'signal', null],
  [/SignalException: Process \d+ got signal: (\d+)/, 'signal', null],
];

/** Every KILL_LINES and SLURM_CANCEL match has one of these (a cheap test first). */
const KILL_HINT = /SIG|Terminated|Killed|oom|OOM|memory|timeout:|CANCELLED|KeyboardInterrupt|requeue|got signal/;

/** `15` → `SIGTERM`. */
function signalName(s: string): string {
  const names: Record<string, string> = { '1': 'SIGHUP', '2': 'SIGINT', '9': 'SIGKILL', '10': 'SIGUSR1', '12': 'SIGUSR2', '15': 'SIGTERM' };
  return /^\d+$/.test(s) ? (names[s] ?? `signal ${s}`) : s.startsWith('SIG') ? s : `SIG${s}`;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

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
  const epochs = new LogEpochCollector();
  const out: ParsedLog = {
    lineCount: tail && after ? tail.firstLine - 1 + after.lines.length : lines.length,
    accelerator: { resolved: null, device: null, evidence: [], gpuAvailable: null },
    stop: { reason: 'unknown', message: null, line: null, limit: null, limitKind: null },
    normalEnd: false,
    errors: [],
    crash: null,
    firstSevere: null,
    earlyStopping: null,
    earlyStoppingVerboseLine: null,
    killed: null,
    epochs: undefined as unknown as LogMetrics,
    warnings: [],
    time: null,
    seed: null,
    params: { trainable: null, total: null },
    echo: {},
    exitCode: null,
    truncated: false,
    lightningSeen: false,
    crOnly: head.crOnly,
    longLines: [],
  };
  const warningIndex = new Map<string, LogWarning>();
  let real: number | null = null,
    user: number | null = null,
    sys: number | null = null;
  let inTraceback = false;
  let tracebackStart = 0;
  /** A chain line ("The above exception…", "During handling…") was seen: the next exception links to the last one. */
  let chainNext: 'cause' | 'context' | null = null;
  /** Index in out.errors of the last exception line (tracebacks only). */
  let lastException = -1;
  /** errors index → index of the exception it is chained to */
  const chainedTo = new Map<number, number>();
  /** errors indexes of the tracebacks' exception lines, and of argparse's `error:` lines. */
  const exceptions: number[] = [];
  const usageErrors: number[] = [];
  /** argparse's usage line names the program its `error:` line then starts with. */
  const usageProgs = new Set<string>();
  /** Hydra's `Error executing job with overrides: […]`: its message (or a traceback) follows. */
  let hydraPending: number | null = null;
  let hydraMessage: { line: number; parts: string[] } | null = null;
  // Set inside `take` (an object: TypeScript does not follow a closure's assignments to a `let`).
  const st = {
    fitStop: null as { kind: 'max_epochs' | 'max_steps' | 'none'; limit: number | null; message: string; line: number } | null,
    /** The EarlyStopping message seen last was a stop (not an improvement): the epoch it was in. */
    esStopEpoch: null as number | null,
    esFinalAtFitStop: false,
    /** The line of an EarlyStopping stop printed with no progress bar to date it (its epoch is then the next ModelCheckpoint line's). */
    esStopNoBar: null as number | null,
    successLine: null as number | null,
    /** The first sign of a stop from outside (`killed` may be replaced by a more telling later one). */
    killFirstLine: null as number | null,
    /** The last traceback frame inside Lightning's fit loop (an exception raised before the fit ended). */
    fitCrashLine: null as number | null,
  };

  const setResolved = (r: Resolved, evidence: string, strong: boolean) => {
    if (strong || out.accelerator.resolved === null) out.accelerator.resolved = r;
    out.accelerator.evidence.push(evidence);
  };
  const pushException = (n: number, message: string) => {
    const err: LogError = { line: n, message: message.slice(0, 500) };
    if (chainNext && lastException >= 0) {
      err.chained = chainNext;
      chainedTo.set(out.errors.length, lastException);
    }
    chainNext = null;
    lastException = out.errors.length;
    exceptions.push(out.errors.length);
    out.errors.push(err);
    const sig = /got signal: (\d+)/.exec(message);
    if (sig) kill({ kind: 'signal', signal: signalName(sig[1]), message: message.slice(0, 500), line: n });
  };
  const kill = (k: KillInfo) => {
    st.killFirstLine ??= k.line;
    if (!out.killed || (out.killed.kind === 'signal' && k.kind !== 'signal')) out.killed = k;
  };
  const flushHydra = () => {
    if (hydraMessage) {
      out.errors.push({ line: hydraMessage.line, message: hydraMessage.parts.join(' ').slice(0, 500) });
      lastException = -1;
      hydraMessage = null;
    }
  };

  /** One logical line (a line, or the text of one redraw): returns how many following lines it used. */
  /** The line `take` read last, as printed and stripped. */
  let prevTaken: { raw: string; line: string } | null = null;
  const take = (raw: string, n: number, i: number, mayConsume: boolean): number => {
    const line = stripPrefix(raw.replace(/\s+$/, ''));
    // Notebooks and Hydra print each Lightning INFO line twice: Lightning's own handler (`INFO: msg` in 2.x, bare in 1.x)
    // and the root logger's (`INFO:lightning.pytorch.utilities.rank_zero:msg`, `[time][lightning][INFO] - msg`). The
    // second copy is the same line, not a second save, stop or warning.
    const prev = prevTaken;
    prevTaken = { raw, line };
    if (prev && line.length > 0 && line === prev.line && raw !== prev.raw) return 0;

    // Hydra reports a failed job without a traceback: `Error executing job with overrides: […]`,
    // then the message up to a blank line (`Set the environment variable HYDRA_FULL_ERROR=1 …` after it).
    const c0 = line.charCodeAt(0);
    if (hydraMessage) {
      if (line.trim() === '' || /^Set the environment variable HYDRA_FULL_ERROR=1/.test(line) || /^\s*full_key:/.test(line)) flushHydra();
      else {
        hydraMessage.parts.push(line.trim());
        return 0;
      }
    }
    if (hydraPending !== null && line.trim() !== '') {
      if (!/^Traceback \(most recent call last\):/.test(line)) {
        hydraMessage = { line: n, parts: [line.trim()] };
        hydraPending = null;
        return 0;
      }
      hydraPending = null;
    }
    if (c0 === 69 && /^Error executing job with overrides: /.test(line)) {
      // 'E'
      hydraPending = n;
      return 0;
    }
    if (c0 === 83 && /^Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace/.test(line)) {
      // 'S'
      if (!out.errors.length) out.errors.push({ line: n, message: 'Hydra: the job failed (its error was not printed)' });
      return 0;
    }

    // Tracebacks: the last non-indented line after `Traceback` is the exception.
    if (c0 === 84 && /^Traceback \(most recent call last\):/.test(line)) {
      // 'T'
      inTraceback = true;
      tracebackStart = n;
      return 0;
    }
    if (c0 === 84 && /^The above exception was the direct cause of the following exception:/.test(line)) {
      chainNext = 'cause';
      return 0;
    }
    if (c0 === 68 && /^During handling of the above exception, another exception occurred:/.test(line)) {
      chainNext = 'context';
      return 0;
    }
    if (inTraceback) {
      // A frame of Lightning's fit loop: the exception was raised inside `trainer.fit`, before it ended.
      if (FIT_FRAME.test(line)) st.fitCrashLine = n;
      if (/^\s/.test(line) || line === '') return 0;
      if (/^[\w.]+(Error|Exception|Interrupt|Exit)\b/.test(line) || /^[\w.]+: /.test(line)) {
        pushException(n, line);
        inTraceback = false;
        return 0;
      }
      inTraceback = false;
      pushException(tracebackStart, 'Traceback (exception line not captured)');
    }

    let m: RegExpExecArray | null;
    if ((m = /^(real|user|sys)\s+(\d+(?:\.\d+)?)$/.exec(line))) {
      const v = Number(m[2]);
      if (m[1] === 'real') {
        real = v;
        user = null;
        sys = null;
      } else if (m[1] === 'user') user = v;
      else sys = v;
      if (real !== null && user !== null && sys !== null) out.time = { realS: real, userS: user, sysS: sys };
      return 0;
    }

    if (/^\s*\|\s*Name\s*\|\s*Type\s*\|\s*Params/.test(line)) out.lightningSeen = true; // ModelSummary table
    if ((m = /GPU available: (True|False)(?: \((\w+)\))?, used: (True|False)/.exec(line))) {
      out.lightningSeen = true;
      out.accelerator.gpuAvailable = m[1] === 'True';
      const used = m[3] === 'True';
      setResolved(used ? (m[2] === 'mps' ? 'mps' : 'gpu') : 'cpu', line.trim(), true);
      return 0;
    }
    // `TPU available: None, using: 0 TPU cores` in 1.0 (no torch_xla), `True`/`False` later.
    if ((m = /TPU available: (True|False|None), using: (\d+) TPU cores/.exec(line))) {
      if (Number(m[2]) > 0) setResolved('tpu', line.trim(), true);
      return 0;
    }
    // 1.4–1.9 (and 2.x with lightning-graphcore / lightning-habana): `IPU available: False, using: 0 IPUs`,
    // 1.6 on: `HPU available: False, using: 0 HPUs` (P:trainer/trainer.py / trainer/setup.py `_log_device_info`).
    if ((m = /([IH])PU available: (True|False|None), using: (\d+) [IH]PUs/.exec(line))) {
      if (Number(m[3]) > 0) setResolved(m[1] === 'I' ? 'ipu' : 'hpu', line.trim(), true);
      return 0;
    }
    if (/No GPU found, using CPU instead/.test(line)) {
      setResolved('cpu', line.trim(), false);
      return 0;
    }
    if ((m = /You are using a CUDA device \('([^']+)'\)/.exec(line))) {
      out.accelerator.device = m[1];
      setResolved('gpu', line.trim().slice(0, 120), false);
      return 0;
    }

    // The fit loop's end (P:loops/fit_loop.py `done`); a stop by `trainer.should_stop` is logged at debug only.
    if ((m = /`Trainer\.fit` stopped: `(max_epochs|max_steps)=(\d+)` reached\./.exec(line))) {
      st.fitStop = { kind: m[1] as 'max_epochs' | 'max_steps', limit: Number(m[2]), message: line.trim(), line: n };
      // EarlyStopping that fired in this last epoch is what stopped the run; the limit line follows it.
      // (max_steps: the fit loop checks it first; an EarlyStopping signal at that epoch's end came after the limit ended it.)
      st.esFinalAtFitStop = m[1] === 'max_epochs' && st.esStopEpoch !== null && epochs.latestEpoch() <= st.esStopEpoch;
      out.lightningSeen = true;
      return 0;
    }
    if (/`Trainer\.fit` stopped: No training batches\./.test(line)) {
      st.fitStop = { kind: 'none', limit: null, message: line.trim(), line: n };
      st.esFinalAtFitStop = false;
      return 0;
    }

    // EarlyStopping(verbose=True) (P:callbacks/early_stopping.py L246-305).
    const esLine = c0 === 77 || c0 === 83 || c0 === 68 || line.indexOf('Signaling Trainer') >= 0 || (c0 === 69 && line.endsWith('early stopping triggered.')); // 'M', 'S', 'D', 'E'
    if (esLine && (m = /^Metric (\S+) improved(?: by \S+ >= min_delta = \S+)?\. New best score: (\S+)$/.exec(line))) {
      epochs.earlyStopping(m[1], m[2]);
      out.earlyStoppingVerboseLine ??= n;
      st.esStopEpoch = null;
      return 0;
    }
    let es: Omit<EarlyStopLine, 'message' | 'line' | 'final'> | null = null;
    if (!esLine) {
      /* not EarlyStopping's */
    } else if ((m = /^Monitored metric (\S+) did not improve in the last \d+ records\. Best score: (\S+)\. Signaling Trainer to stop\./.exec(line))) {
      es = { kind: 'patience', monitor: m[1], value: null, best: readNumber(m[2]) };
    } else if ((m = /^Monitored metric (\S+) = (\S+) is not finite\. Previous best value was (\S+)\. Signaling Trainer to stop\./.exec(line))) {
      es = { kind: 'non_finite', monitor: m[1], value: readNumber(m[2]), best: readNumber(m[3]) };
      epochs.earlyStopping(m[1], m[2]);
    } else if ((m = /^(Stopping|Divergence) threshold reached: (\S+) = (\S+) [<>] \S+\. Signaling Trainer to stop\./.exec(line))) {
      es = { kind: m[1] === 'Stopping' ? 'stopping_threshold' : 'divergence_threshold', monitor: m[2], value: readNumber(m[3]), best: null };
      epochs.earlyStopping(m[2], m[3]);
    } else if (c0 === 69 && (m = /^Epoch \d+: early stopping triggered\.$/.exec(line))) {
      // 'E'
      // 0.7–0.9 EarlyStopping(verbose=True) at the fit's end (`Epoch {stopped_epoch + 1:05d}: early stopping triggered.`).
      es = { kind: 'other', monitor: null, value: null, best: null };
    } else if (/Signaling Trainer to stop\./.test(line)) {
      es = { kind: /did not improve/.test(line) ? 'patience' : 'other', monitor: /Monitored metric (\S+)/.exec(line)?.[1] ?? null, value: null, best: null };
    }
    if (es) {
      st.esStopEpoch = epochs.currentEpoch();
      st.esStopNoBar = epochs.barShowsEpoch() ? null : n;
      out.earlyStopping = { ...es, message: line.trim(), line: n, final: true };
      return 0;
    }
    if (c0 === 69 && epochs.checkpoint(line, n)) {
      // 'E'
      // Without a progress bar, EarlyStopping's stop line takes the epoch of the ModelCheckpoint line right after it
      // (ModelCheckpoint runs after EarlyStopping in the same hook).
      if (st.esStopNoBar !== null && st.esStopEpoch !== null && n - st.esStopNoBar <= 2) st.esStopEpoch = epochs.checkpoints[epochs.checkpoints.length - 1].epoch;
      st.esStopNoBar = null;
      return 0;
    }

    if (/^✓? ?Training completed successfully|^Training (finished|completed|complete)\b/i.test(line.trim())) {
      st.successLine ??= n;
      return 0;
    }

    // Stops from outside. A scheduler's own line says more than the signal it sent (Lightning's
    // `Received SIGTERM` may come first): it replaces a bare signal.
    if (KILL_HINT.test(line) && (m = SLURM_CANCEL.exec(line))) {
      const why = m[1] ?? '';
      const kind: KillInfo['kind'] = /TIME LIMIT/.test(why) ? 'time_limit' : /PREEMPT/.test(why) ? 'preempted' : /NODE FAIL/.test(why) ? 'node_failure' : 'cancelled';
      kill({ kind, signal: out.killed?.signal ?? null, message: line.trim().slice(0, 500), line: n });
      return 0;
    }
    for (const [re, kind, sig] of KILL_HINT.test(line) ? KILL_LINES : []) {
      if ((m = re.exec(line))) {
        kill({ kind, signal: sig ?? (m[1] ? signalName(m[1]) : null), message: line.trim().slice(0, 500), line: n });
        return 0;
      }
    }

    // argparse refusing the command line (ArgumentParser.error): `usage: prog …`, then `prog: error: message`, exit 2.
    if (c0 === 117 && (m = /^usage: (\S+)/.exec(line))) {
      // 'u'
      usageProgs.add(m[1]);
      return 0;
    }
    if (usageProgs.size && (m = /^([^:\s][^:]{0,120}): error: \S/.exec(line)) && usageProgs.has(m[1].split(' ')[0])) {
      usageErrors.push(out.errors.length);
      out.errors.push({ line: n, message: line.trim().slice(0, 500) });
      lastException = -1;
      return 0;
    }
    // glog/absl severity E or F (`E0000 00:00:1763001648.711696 1735778 cuda_dnn.cc:8579] …`).
    if ((c0 === 69 || c0 === 70) && !out.firstSevere && /^[EF]\d{4} \d\d:\d\d:\d+(?:\.\d+)?\s+\d+\s+\S+:\d+\]/.test(line)) {
      out.firstSevere = { line: n, message: line.trim().slice(0, 500) };
      return 0;
    }
    if (/^(?:ERROR|FATAL|CRITICAL)\b/.test(line) || /^(?:ERROR|CRITICAL):[\w.]+:| - (?:ERROR|CRITICAL) - |^\[[^\]]+\]\[[\w.]+\]\[(?:ERROR|CRITICAL)\] - /.test(raw)) {
      out.errors.push({ line: n, message: line.trim().slice(0, 500) });
      lastException = -1;
      return 0;
    }
    if ((m = /^(?:Seed set to|Global seed set to) (\d+)/.exec(line))) {
      out.seed = Number(m[1]);
      return 0;
    }
    if ((m = /^(\S+(?: \S)?)\s+Trainable params$/.exec(line.trim()))) {
      out.params.trainable = m[1];
      return 0;
    }
    if ((m = /^(\S+(?: \S)?)\s+Total params$/.exec(line.trim()))) {
      out.params.total = m[1];
      return 0;
    }
    if ((m = /exit(?:ed)?(?: with)?(?: status| code)[: =]+(-?\d+)/i.exec(line))) {
      out.exitCode = Number(m[1]);
      return 0;
    }

    if ((m = WARNING.exec(line))) {
      const g = m.groups!;
      // Short form only counts when the file is Lightning's own, as its formatter requires.
      if (!g.cat && !/lightning/.test(g.file)) return 0;
      let used = 0;
      let message = g.msg.trim();
      // `warnings.warn("\n…")`: the message starts on the next line, before the source line.
      if (!message && mayConsume && i + 1 < lines.length && i + 1 !== headCount && /^\S/.test(lines[i + 1]) && !WARNING.test(stripPrefix(lines[i + 1]))) {
        message = lines[i + 1].trim();
        used = 1;
      }
      let category = g.cat ?? null;
      let inferred = false;
      if (!category && LIGHTNING_FILE.test(g.file)) {
        for (const [re, cat] of LIGHTNING_CATEGORIES) {
          if (re.test(message)) {
            category = cat;
            inferred = true;
            break;
          }
        }
      }
      const key = `${category ?? ''}\u0000${message}`;
      const seen = warningIndex.get(key);
      if (seen) seen.count++;
      else {
        const w: LogWarning = { category, message, file: g.file, line: Number(g.line), count: 1, logLine: n };
        if (inferred) w.categoryInferred = true;
        warningIndex.set(key, w);
        out.warnings.push(w);
      }
      const next = i + used + 1;
      if (mayConsume && next < lines.length && next !== headCount && /^ {2}\S/.test(lines[next])) used++; // the source line Python prints after it
      return used;
    }

    // Trainer config echoes: `✓ Execution config: accelerator=cpu, deterministic=True, …`.
    if (/(config|Config)[^=]*:.*\w=\S/.test(line) && !/^\s*\|/.test(line)) {
      for (const kv of line.matchAll(/\b([A-Za-z_][\w]*)=(\([^)]*\)|[^\s,]+)/g)) {
        if (!(kv[1] in out.echo)) out.echo[kv[1]] = kv[2];
      }
      const acc = out.echo.accelerator;
      if (acc && out.accelerator.resolved === null) {
        const r = acc === 'cuda' ? 'gpu' : acc;
        if (['cpu', 'gpu', 'tpu', 'mps', 'hpu', 'ipu'].includes(r)) {
          out.accelerator.resolved = r as Resolved;
          out.accelerator.evidence.push(line.trim().slice(0, 160));
        }
      }
    }
    return 0;
  };

  for (let i = 0; i < lines.length; i++) {
    if (i === headCount && tail && inTraceback) {
      // The traceback runs into the part of the log that was not parsed.
      pushException(tracebackStart, 'Traceback (its end lies in the part of the log not parsed)');
      inTraceback = false;
    }
    let raw = lines[i];
    const n = lineNo(i);
    if (raw.length > LONG_LINE_CHARS) {
      if (out.longLines.length < 20) out.longLines.push({ line: n, chars: raw.length });
      raw = raw.slice(0, LONG_LINE_CHARS);
    }
    // A progress bar redraws its line with `\r` (tqdm in a file: every redraw kept), and other
    // output lands between two redraws: each redraw is read, its bar taken apart from the text after it.
    if (raw.indexOf('\r') < 0 && raw.indexOf('|') < 0 && raw.indexOf('\x1b') < 0) {
      i += take(raw, n, i, true);
      continue;
    }
    const segs = raw.split('\r');
    let used = 0;
    for (let s = 0; s < segs.length; s++) {
      let seg: string | null = epochs.segment(segs[s], n);
      if (seg === '') continue;
      if (seg === null) seg = segs[s].indexOf('\x1b') >= 0 ? segs[s].replace(ANSI, '') : segs[s];
      if (segs.length > 1 && !seg.trim()) continue;
      used = take(seg, n, i, s === segs.length - 1);
    }
    i += used;
  }
  if (inTraceback) pushException(tracebackStart, 'Traceback (log ends inside it)');
  flushHydra();
  out.epochs = epochs.finish();

  // What crashed: the first exception of the last chain (a KeyboardInterrupt while shutting down, or
  // a wrapper raised from the real one — `raise RuntimeError("… failed. See logs for details.") from e` —
  // comes after it). Without a traceback: argparse's `error:` line, else the first error line (the
  // ones after it are mostly its echoes: `An error occurred during execution: …`).
  // `lastChain` keeps the older reading (the last error line's chain) for weighing a kill against the crash.
  let lastChain = -1;
  if (out.errors.length) {
    lastChain = out.errors.length - 1;
    while (chainedTo.has(lastChain)) lastChain = chainedTo.get(lastChain)!;
    let first: number;
    let kind: CrashKind;
    if (exceptions.length) {
      first = exceptions[exceptions.length - 1];
      while (chainedTo.has(first)) first = chainedTo.get(first)!;
      kind = 'exception';
    } else if (usageErrors.length) {
      first = usageErrors[0];
      kind = 'usage';
    } else {
      first = 0;
      kind = 'error-line';
    }
    const links = kind === 'exception' ? [first, ...exceptions.filter((x) => x > first)] : [first];
    out.crash = { line: out.errors[first].line, message: out.errors[first].message, chain: links.map((x) => out.errors[x].message), chainLines: links.map((x) => out.errors[x].line), kind };
  }

  // EarlyStopping's stop ended the run unless a later epoch shows (min_epochs kept it going).
  const es = out.earlyStopping;
  // An exception raised inside the fit loop after EarlyStopping's signal (a SIGTERM, an error in the epoch's end) ended
  // the fit before it could stop as EarlyStopping asked: the signal is no end.
  if (es) es.final = st.esStopEpoch !== null && epochs.latestEpoch() <= st.esStopEpoch && !(st.fitCrashLine !== null && st.fitCrashLine > es.line);
  const fs = st.fitStop;
  if (fs && fs.kind !== 'none') {
    out.stop =
      es && st.esFinalAtFitStop && es.line < fs.line
        ? { reason: 'early_stopping', message: es.message, line: es.line, limit: fs.limit, limitKind: fs.kind }
        : { reason: fs.kind, message: fs.message, line: fs.line, limit: fs.limit, limitKind: fs.kind };
  } else if (fs) out.stop = { reason: 'unknown', message: fs.message, line: fs.line, limit: null, limitKind: null };
  else if (es?.final) out.stop = { reason: 'early_stopping', message: es.message, line: es.line, limit: null, limitKind: null };
  const endLine = Math.min(fs?.line ?? Infinity, es?.final ? es.line : Infinity, st.successLine ?? Infinity);
  out.normalEnd = endLine !== Infinity;

  // A stop from outside names the stop when the fit had not ended before it and no error came first
  // (a DataLoader worker's error after the SIGTERM is its consequence).
  const killLine = st.killFirstLine ?? Infinity;
  if (out.killed && !out.normalEnd && killLine <= (lastChain >= 0 ? out.errors[lastChain].line : Infinity)) {
    out.stop = { reason: out.killed.kind === 'time_limit' ? 'time_limit' : 'killed', message: out.killed.message, line: out.killed.line, limit: null, limitKind: null };
  } else if (out.errors.length && !out.normalEnd) {
    out.stop = { reason: 'error', message: out.crash!.message, line: out.crash!.line, limit: null, limitKind: null };
  }
  out.truncated = !out.normalEnd && out.errors.length === 0 && !out.killed;
  return out;
}
