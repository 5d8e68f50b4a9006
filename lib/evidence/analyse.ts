/**
 * One function from a bundle's files to the evidence document. Pure: the
 * caller reads the files (importer, worker, tests) and hands over text.
 */
import { parseMetricsCsv, type ParsedMetrics, type StepSeries } from '../lightning/metrics-csv';
import { parseTfEvents } from '../lightning/tfevents';
import { parseLog, type LogTail, type ParsedLog } from '../lightning/logs';
import { checkpointsInTree, inferTemplate, parseCheckpointName, parseLsListing, DEFAULT_TEMPLATE } from '../lightning/checkpoints';
import { findCommandInMarkdown, getKnob, knobKey, knobNumber, parseCommandLine, type Knobs, type ParsedCommand } from '../lightning/command';
import { replayCheckpoints, replayEarlyStopping, type Mode } from '../lightning/replay';
import type { BundleFile, Check, CheckId, CheckStatus, Evidence, FileRole, FoundCheckpoint, KnobRow, LaunchFacts, Problem, RunStatus } from './types';
import { CHECKPOINTS_LISTED, cutMessage, ERRORS_KEPT, fmtCount, keepEnds, LOG_PARSE_CHARS, nameList, PROBLEMS_PER_FILE, WARNINGS_KEPT } from './caps';

export interface InputFile {
  /** Path relative to the bundle root, `/`-separated. */
  path: string;
  sizeBytes: number;
  /** Text content; null for binary or unread files (checkpoints). For a log read as head and tail: the head. */
  text: string | null;
  /**
   * A log too big to read whole: `text` holds its head and this its end,
   * from line `firstLine` (the reader counts the line feeds it skips);
   * `sizeBytes` is still the whole file's. The analysis parses at most
   * LOG_PARSE_CHARS of a log either way (lib/evidence/caps.ts).
   */
  tail?: LogTail | null;
  /** Raw bytes of a binary file the analysis reads (TensorBoard events files); absent for the rest. */
  bytes?: Uint8Array | null;
}

function countBreaks(text: string, from: number, to: number, sep: string): number {
  let n = 0;
  for (let i = text.indexOf(sep, from); i >= 0 && i < to; i = text.indexOf(sep, i + 1)) n++;
  return n;
}

/** Start of the first whole line at or after `from` (`from` itself when none starts later). */
function lineStartFrom(text: string, from: number, sep: string): number {
  if (from <= 0 || text[from - 1] === sep) return Math.max(0, from);
  const i = text.indexOf(sep, from);
  return i < 0 || i + 1 >= text.length ? from : i + 1;
}

/** End (past the line break) of the last whole line before `to` (`to` itself when none ends earlier). */
function lineEndBefore(text: string, to: number, sep: string): number {
  const i = text.lastIndexOf(sep, to - 1);
  return i < 0 ? to : i + 1;
}

export interface LogParseView {
  head: string;
  tail: LogTail | null;
  /** Lines not parsed (1-based, inclusive), when the log was bigger than the cap. */
  skipped: { fromLine: number; toLine: number } | null;
}

/**
 * What of a log is parsed: all of it up to `cap` characters, else the first
 * and the last `cap / 2`, each cut at a line break, with the line numbers of
 * both parts kept. A caller that read only the head and tail of a file passes
 * the tail (with its first line number); a caller that read it whole passes
 * only the text.
 */
export function logParseView(text: string, tail: LogTail | null | undefined, cap = LOG_PARSE_CHARS): LogParseView {
  const sep = text.indexOf('\n') < 0 && text.indexOf('\r') >= 0 ? '\r' : '\n';
  const half = Math.floor(cap / 2);
  if (!tail && text.length <= cap) return { head: text, tail: null, skipped: null };
  let head = text;
  let rest: LogTail;
  if (tail) {
    if (head.length > half) head = head.slice(0, lineEndBefore(head, half, sep));
    const t = tail.text;
    const start = t.length > half ? lineStartFrom(t, t.length - half, sep) : 0;
    rest = start ? { text: t.slice(start), firstLine: tail.firstLine + countBreaks(t, 0, start, sep) } : tail;
  } else {
    const headEnd = lineEndBefore(text, half, sep);
    const tailStart = Math.max(headEnd, lineStartFrom(text, text.length - half, sep));
    head = text.slice(0, headEnd);
    rest = { text: text.slice(tailStart), firstLine: 1 + countBreaks(text, 0, tailStart, sep) };
  }
  const headLines = countBreaks(head, 0, head.length, sep) + (head.length && !head.endsWith(sep) ? 1 : 0);
  const skipped = rest.firstLine > headLines + 1 ? { fromLine: headLines + 1, toLine: rest.firstLine - 1 } : null;
  return { head, tail: rest, skipped };
}

const MB = 1024 * 1024;
const fmtMB = (bytes: number) => `${bytes >= 10 * MB ? fmtCount(Math.round(bytes / MB)) : (bytes / MB).toFixed(1)} MB`;

export interface AnalyseOptions {
  /** Display root of the bundle (folder path). */
  root: string;
  /** The log of this run when the folder holds several. */
  logFile?: string | null;
  /** The command line that was asked for (launch form or brief). */
  requested?: { text: string; source: string } | null;
  /** Launched runs: what the worker knows for certain. */
  launch?: { exitCode: number | null; signal: string | null; cleanedUp: boolean | null; status?: RunStatus; facts?: LaunchFacts; wallS?: number | null } | null;
  /** Title to use instead of one derived from the bundle path (launched runs). */
  title?: string;
}

export function classifyFile(path: string): FileRole {
  const name = path.split('/').pop()!.toLowerCase();
  if (name.endsWith('.ckpt')) return 'checkpoint';
  if (name === 'metrics.csv') return 'metrics';
  if (name.startsWith('events.out.tfevents.')) return 'tfevents';
  if (name === 'hparams.yaml') return 'hparams';
  if (name === 'evidence.json') return 'evidence';
  if (name === 'command.txt') return 'command';
  if (name.endsWith('.log')) return 'log';
  if (/checkpoints?_ls\.txt$|^ls_checkpoints|checkpoint.*listing/.test(name)) return 'checkpoint-listing';
  if (/tree\.txt$/.test(name)) return 'tree';
  if (/(^|_)summary\.md$|^readme\.md$/.test(name)) return 'summary';
  return 'other';
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d{6}Z$/;

export function describeBundlePath(root: string): Evidence['bundle'] & { title: string } {
  const parts = root.split('/').filter(Boolean);
  const active = parts.lastIndexOf('active');
  const plansIdx = parts.lastIndexOf('plans');
  const initiative = active >= 0 ? parts[active + 1] ?? null : plansIdx >= 0 ? parts[plansIdx + 1] ?? null : null;
  const stamps = parts.filter((p) => TIMESTAMP.test(p));
  const reports = parts.lastIndexOf('reports');
  let phase: string | null = null;
  if (reports >= 0) phase = parts.slice(reports + 1).find((p) => !TIMESTAMP.test(p)) ?? null;
  const tail = reports >= 0 ? parts.slice(reports + 1) : parts.slice(-3);
  return { root, log: null, initiative, phase, timestamp: stamps.length ? stamps[stamps.length - 1] : null, title: tail.join('/') || root };
}

/** `2025-10-24T061500Z` → epoch ms. */
export function timestampToMs(ts: string | null): number | null {
  if (!ts) return null;
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(ts);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : null;
}

function check(id: CheckId, status: CheckStatus, detail: string): Check {
  return { id, status, detail };
}

/** The trainer's own echo names knobs its own way; map the common ones. */
const ECHO_ALIASES: Record<string, string> = { epochs: 'max-epochs', max_epochs: 'max-epochs', gridsize: 'gridsize', deterministic: 'deterministic', learning_rate: 'learning-rate', batch_size: 'batch-size', n_images: 'n-images', num_workers: 'num-workers' };

function normaliseValue(v: string | boolean | null | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const t = v.trim();
  const tuple = /^\((\d+),\s*\d+\)$/.exec(t); // gridsize=(2, 2)
  if (tuple) return tuple[1];
  if (/^(true|false)$/i.test(t)) return t.toLowerCase();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? String(n) : t;
}

function effectiveKnobTable(knobs: Knobs, echo: Record<string, string>, requested: Knobs | null): KnobRow[] {
  const rows = new Map<string, KnobRow>();
  for (const [k, v] of Object.entries(knobs)) rows.set(knobKey(k), { knob: k, requested: null, effective: v, echoed: null, ok: true });
  for (const [k, v] of Object.entries(requested ?? {})) {
    const row = rows.get(knobKey(k)) ?? { knob: k, requested: null, effective: null, echoed: null, ok: true };
    row.requested = v;
    rows.set(knobKey(k), row);
  }
  for (const [k, v] of Object.entries(echo)) {
    const alias = ECHO_ALIASES[k];
    if (!alias) continue;
    const row = rows.get(alias);
    if (row) row.echoed = `${k}=${v}`;
  }
  for (const row of rows.values()) {
    const eff = normaliseValue(row.effective);
    const echoKey = row.echoed?.split('=')[0];
    const echoed = row.echoed ? normaliseValue(echo[echoKey!]) : null;
    const reqOk = row.requested === null || normaliseValue(row.requested) === eff;
    const echoOk = echoed === null || eff === null || echoed === eff;
    row.ok = reqOk && echoOk;
  }
  return [...rows.values()];
}

export function analyseBundle(files: InputFile[], opts: AnalyseOptions): Evidence {
  return analyseBundleWithSeries(files, opts).evidence;
}

/** The evidence plus the per-step series of its metrics.csv (for storage and charts). */
export function analyseBundleWithSeries(files: InputFile[], opts: AnalyseOptions): { evidence: Evidence; series: StepSeries[] } {
  const problems: Problem[] = [];
  const bundleFiles: BundleFile[] = files.map((f) => ({ path: f.path, role: classifyFile(f.path), sizeBytes: f.sizeBytes }));
  const byRole = (role: FileRole) => files.filter((f) => classifyFile(f.path) === role);
  const desc = describeBundlePath(opts.root);

  // --- the log --------------------------------------------------------------
  const logs = byRole('log');
  const logFile = opts.logFile ? logs.find((f) => f.path === opts.logFile) ?? null : logs.length ? [...logs].sort((a, b) => b.sizeBytes - a.sizeBytes)[0] : null;
  const view = logFile?.text != null ? logParseView(logFile.text, logFile.tail) : null;
  const log: ParsedLog | null = view ? parseLog(view.head, view.tail) : null;
  if (logFile && logFile.text == null) problems.push({ file: logFile.path, line: null, message: 'log could not be read as text' });
  if (logFile && view?.skipped) {
    const { fromLine, toLine } = view.skipped;
    const parsed = view.head.length + (view.tail?.text.length ?? 0);
    problems.push({
      file: logFile.path,
      line: fromLine,
      message: `${fmtMB(logFile.sizeBytes)} log, over the ${fmtMB(LOG_PARSE_CHARS)} parse cap: parsed its first and last ${fmtMB(parsed / 2)}; lines ${fmtCount(fromLine)}–${fmtCount(toLine)} not parsed (warnings, errors and config echoes there are not counted)`,
    });
  }
  if (logFile && log?.crOnly) problems.push({ file: logFile.path, line: 1, message: 'carriage returns without line feeds (classic Mac line ends): read as line breaks' });

  // --- metrics.csv ------------------------------------------------------------
  // Without a metrics.csv, the TensorBoard events files the reader handed over (one logger folder's,
  // read in name order): Lightning's default logger when tensorboard is installed.
  const eventsFiles = byRole('tfevents').filter((f) => f.bytes != null);
  const metricsFile = byRole('metrics')[0] ?? eventsFiles[0] ?? null;
  const fromEvents = metricsFile !== null && classifyFile(metricsFile.path) === 'tfevents';
  let metrics: ParsedMetrics | null = null;
  if (fromEvents) {
    metrics = parseTfEvents(eventsFiles.map((f) => ({ path: f.path, bytes: f.bytes as Uint8Array })));
    for (const p of metrics.problems) problems.push(p);
    if (metrics.kind !== 'lightning') problems.push({ file: metricsFile.path, line: null, message: metrics.reason ?? 'no scalars' });
  } else if (metricsFile?.text != null) {
    metrics = parseMetricsCsv(metricsFile.text, metricsFile.path);
    for (const p of metrics.problems) problems.push(p);
    if (metrics.kind !== 'lightning') problems.push({ file: metricsFile.path, line: 1, message: metrics.reason ?? 'not a Lightning metrics.csv' });
  }
  const lightningMetrics = metrics?.kind === 'lightning' ? metrics : null;

  // --- the command ------------------------------------------------------------
  let command: ParsedCommand | null = null;
  let commandSource = '';
  const cmdFile = byRole('command')[0];
  if (cmdFile?.text) { command = parseCommandLine(cmdFile.text); commandSource = cmdFile.path; }
  if (!command) {
    for (const f of byRole('summary')) {
      if (!f.text) continue;
      command = findCommandInMarkdown(f.text);
      if (command) { commandSource = f.path; break; }
    }
  }
  const knobs: Knobs = command?.knobs ?? {};
  const requestedCmd = opts.requested ? parseCommandLine(opts.requested.text) : null;
  if (opts.requested && !requestedCmd) problems.push({ file: opts.requested.source, line: null, message: 'requested command could not be parsed' });

  // --- checkpoints found --------------------------------------------------------
  const foundRaw: Array<{ name: string; sizeBytes: number | null }> = [];
  for (const f of byRole('checkpoint-listing')) {
    if (!f.text) continue;
    const l = parseLsListing(f.text);
    for (const x of l.files) if (x.name.endsWith('.ckpt')) foundRaw.push(x);
    for (const p of l.problems.slice(0, PROBLEMS_PER_FILE)) problems.push({ file: f.path, line: p.line, message: p.message });
    if (l.problems.length > PROBLEMS_PER_FILE) problems.push({ file: f.path, line: null, message: `${fmtCount(l.problems.length - PROBLEMS_PER_FILE)} more lines not understood` });
  }
  for (const f of byRole('checkpoint')) foundRaw.push({ name: f.path.split('/').pop()!, sizeBytes: f.sizeBytes });
  if (foundRaw.length === 0) for (const f of byRole('tree')) if (f.text) for (const n of checkpointsInTree(f.text)) foundRaw.push({ name: n, sizeBytes: null });
  const checkpointEvidence = byRole('checkpoint-listing').length > 0 || byRole('checkpoint').length > 0 || foundRaw.length > 0;

  // --- monitored metric -----------------------------------------------------------
  const monitorKnob = getKnob(knobs, 'checkpoint-monitor', 'monitor', 'early-stop-monitor');
  const parsedFound = foundRaw.map((f) => parseCheckpointName(f.name, f.sizeBytes));
  const fromNames = parsedFound.flatMap((c) => Object.keys(c.values).filter((k) => k !== 'epoch' && k !== 'step'));
  let monitor: Evidence['monitor'] = null;
  const modeKnob = getKnob(knobs, 'checkpoint-mode', 'mode', 'early-stop-mode');
  const mode: Mode = modeKnob === 'max' ? 'max' : 'min';
  if (typeof monitorKnob === 'string') monitor = { name: monitorKnob, mode, source: 'command' };
  else if (fromNames.length) monitor = { name: fromNames[0], mode, source: 'checkpoint file names' };
  else if (lightningMetrics) {
    const val = lightningMetrics.epochLevel.find((c) => /val.*loss|loss.*val/i.test(c)) ?? lightningMetrics.columns.find((c) => /val.*loss|loss.*val/i.test(c));
    if (val) monitor = { name: val, mode, source: 'validation loss column' };
  }

  // `self.log(name, on_step=True, on_epoch=True)` writes only `name_step`/`name_epoch` columns, yet callbacks
  // monitor the bare name, which Lightning's callback_metrics holds as the epoch value (lightning-artifacts.md §1).
  const forked = monitor && lightningMetrics && !lightningMetrics.columns.includes(monitor.name) && lightningMetrics.columns.includes(`${monitor.name}_epoch`) ? monitor.name : null;
  const epochs = (lightningMetrics?.epochs ?? []).map((e) => (forked && e.metrics[`${forked}_epoch`] !== undefined ? { ...e, metrics: { ...e.metrics, [forked]: e.metrics[`${forked}_epoch`] } } : e));
  const monitorPoints = monitor ? epochs.map((e) => ({ epoch: e.epoch, value: e.metrics[monitor!.name] as number | undefined })) : [];

  // --- early stopping replay -----------------------------------------------------------
  const patience = knobNumber(knobs, 'early-stop-patience', 'patience', 'early-stopping-patience');
  const minDelta = knobNumber(knobs, 'early-stop-min-delta', 'min-delta') ?? 0;
  let earlyStop: Evidence['earlyStop'] = null;
  if (monitor && epochs.length) {
    const configured = patience !== null;
    const r = replayEarlyStopping(monitorPoints, { monitor: monitor.name, mode: monitor.mode, patience: patience ?? Infinity, minDelta });
    earlyStop = {
      configured,
      monitor: monitor.name,
      mode: monitor.mode,
      patience,
      minDelta,
      bestEpoch: r.bestEpoch,
      bestScore: r.bestScore,
      wait: r.wait,
      triggered: configured && r.triggered,
      stoppedEpoch: configured ? r.stoppedEpoch : null,
      trace: r.trace,
    };
  }

  // --- checkpoint replay ----------------------------------------------------------------
  const topKKnob = knobNumber(knobs, 'checkpoint-save-top-k', 'save-top-k', 'top-k');
  const saveLastKnob = getKnob(knobs, 'checkpoint-save-last', 'save-last');
  const topKFound = parsedFound.find((c) => c.kind === 'top-k');
  const template = topKFound ? inferTemplate(topKFound.name) ?? DEFAULT_TEMPLATE : DEFAULT_TEMPLATE;
  const saveLast = saveLastKnob !== undefined ? saveLastKnob !== 'false' && saveLastKnob !== false : parsedFound.some((c) => c.kind === 'last');
  const saveTopK = topKKnob ?? 1;
  const ckMonitor = template.metrics[0] ?? (typeof monitorKnob === 'string' ? monitorKnob : null);
  let expected: Evidence['checkpoints']['expected'] = [];
  const canReplayCheckpoints = checkpointEvidence && epochs.length > 0;
  if (canReplayCheckpoints) {
    expected = replayCheckpoints(epochs, { monitor: ckMonitor, mode, saveTopK, saveLast, template }).expected;
  }
  const expectedNames = new Set(expected.map((e) => e.name));
  const found: FoundCheckpoint[] = parsedFound.map((c) => ({
    name: c.name,
    sizeBytes: c.sizeBytes,
    epoch: c.epoch,
    step: c.step,
    score: ckMonitor && ckMonitor in c.values ? c.values[ckMonitor] : c.score,
    kind: c.kind,
    expected: expectedNames.has(c.name),
  }));
  const foundNames = new Set(found.map((c) => c.name));
  const missing = canReplayCheckpoints ? expected.filter((e) => !foundNames.has(e.name)).map((e) => e.name) : [];
  const unexpected = canReplayCheckpoints ? found.filter((c) => !expectedNames.has(c.name)).map((c) => c.name) : [];

  // --- accelerator ---------------------------------------------------------------------------
  const accRequested = getKnob(knobs, 'accelerator', 'device');
  const accelerator: Evidence['accelerator'] = {
    requested: typeof accRequested === 'string' ? accRequested : null,
    resolved: log?.accelerator.resolved ?? null,
    device: log?.accelerator.device ?? null,
    evidence: log?.accelerator.evidence.slice(0, 5) ?? [],
  };

  // --- stop and status ---------------------------------------------------------------------------
  const echoedEpochs = Number(log?.echo.max_epochs ?? log?.echo.epochs);
  const maxEpochs = knobNumber(knobs, 'max-epochs', 'epochs') ?? (log?.stop.reason === 'max_epochs' ? log.stop.limit : null) ?? (Number.isInteger(echoedEpochs) ? echoedEpochs : null);
  let stop: Evidence['stop'] = log ? { reason: log.stop.reason, message: log.stop.message } : { reason: 'unknown', message: null };
  if (stop.reason === 'unknown' && earlyStop?.triggered && epochs.length && earlyStop.stoppedEpoch === epochs[epochs.length - 1].epoch && (maxEpochs === null || epochs.length < maxEpochs)) {
    stop = { reason: 'early_stopping', message: `EarlyStopping replay stops at epoch ${earlyStop.stoppedEpoch}` };
  }
  const errors = (log?.errors ?? []).map((e) => ({ file: logFile!.path, line: e.line, message: e.message }));
  const exitCode = opts.launch?.exitCode ?? log?.exitCode ?? null;
  let status: RunStatus;
  if (opts.launch?.status) status = opts.launch.status;
  else if (errors.length && !log?.normalEnd) status = 'failed';
  else if (exitCode !== null && exitCode !== 0) status = 'failed';
  else if (log?.normalEnd) status = 'succeeded';
  else status = 'unknown';

  // --- knobs ----------------------------------------------------------------------------------------
  const knobTable = effectiveKnobTable(knobs, log?.echo ?? {}, requestedCmd?.knobs ?? null);

  // --- checks ----------------------------------------------------------------------------------------
  const checks: Check[] = [];
  // A launched run stopped from outside (cancel, timeout, its worker lost): its last epoch may be cut short.
  const interrupted = opts.launch?.status === 'cancelled' || opts.launch?.status === 'timed_out' || opts.launch?.status === 'lost';
  const interruptedHow = opts.launch?.status === 'timed_out' ? 'timed out' : opts.launch?.status ?? '';
  const logName = logFile?.path ?? 'log';
  // exit
  if (!log && opts.launch?.exitCode == null) checks.push(check('exit', 'skip', 'no training log in the bundle'));
  else if (exitCode !== null && exitCode !== 0) checks.push(check('exit', 'fail', `exit code ${exitCode}${opts.launch?.signal ? ` (signal ${opts.launch.signal})` : ''}`));
  else if (errors.length) checks.push(check('exit', 'fail', `${errors[errors.length - 1].message} (${logName}:${errors[errors.length - 1].line})`));
  else if (opts.launch?.signal && !log?.normalEnd) checks.push(check('exit', 'fail', `terminated by ${opts.launch.signal}${interrupted ? ` (${interruptedHow})` : ''}`));
  else if (interrupted && !log?.normalEnd) checks.push(check('exit', 'fail', `${interruptedHow}: ${opts.launch?.facts?.note ?? 'stopped before the end'}`));
  else if (log?.normalEnd) checks.push(check('exit', 'pass', `${log.stop.message ?? 'training completed'}${exitCode === null ? ' (exit code not recorded)' : ', exit code 0'}`));
  else if (!log?.lightningSeen && !epochs.length) checks.push(check('exit', 'skip', `${logName} shows no Lightning training (no \`GPU available\` or \`Trainer.fit\` lines) and no error: nothing to judge`));
  else checks.push(check('exit', 'fail', `${logName} has no normal end (no \`Trainer.fit\` stopped line): the run did not finish or the log is truncated`));

  // accelerator
  if (!accelerator.resolved) checks.push(check('accelerator', 'skip', 'the log has no accelerator lines (`GPU available: …`)'));
  else {
    const req = accelerator.requested?.toLowerCase() ?? null;
    const want = req === 'cuda' ? 'gpu' : req;
    if (!want) checks.push(check('accelerator', 'pass', `ran on ${accelerator.resolved}; nothing requested`));
    else if (want === 'auto' || want === accelerator.resolved) checks.push(check('accelerator', 'pass', `requested ${req}, ran on ${accelerator.resolved}${accelerator.device ? ` (${accelerator.device})` : ''}`));
    else checks.push(check('accelerator', 'fail', `requested ${req} but ran on ${accelerator.resolved}`));
  }

  // metrics
  const loggerKnob = getKnob(knobs, 'logger');
  if (!metricsFile) checks.push(check('metrics', loggerKnob === 'csv' ? 'fail' : 'skip', loggerKnob === 'csv' ? 'asked for --logger csv but the bundle has no metrics.csv' : 'no metrics.csv in the bundle'));
  else if (fromEvents && loggerKnob === 'csv') checks.push(check('metrics', 'fail', 'asked for --logger csv but the bundle has no metrics.csv, only TensorBoard events files'));
  else if (!lightningMetrics) checks.push(check('metrics', 'fail', `${metricsFile.path}: ${metrics?.reason ?? 'not readable'}`));
  else if (!epochs.length) checks.push(check('metrics', 'fail', `${metricsFile.path} has no per-epoch rows`));
  else if (!monitor) checks.push(check('metrics', 'pass', `${epochs.length} epochs; no monitored metric identified`));
  else {
    const gaps = monitorPoints.filter((p) => p.value === undefined).map((p) => p.epoch);
    // A run stopped from outside mid-epoch has a last epoch without validation: that is the interruption, not a logging gap.
    const cut = interrupted && gaps.length && gaps[gaps.length - 1] === epochs[epochs.length - 1].epoch ? gaps.pop() : undefined;
    if (cut !== undefined && !gaps.length) {
      checks.push(check('metrics', 'pass', `${monitor.name} logged for every completed epoch; epoch ${cut} was interrupted (${interruptedHow})`));
    } else checks.push(gaps.length ? check('metrics', 'fail', `${monitor.name} missing for epoch${gaps.length > 1 ? 's' : ''} ${gaps.join(', ')}`) : check('metrics', 'pass', epochs.length === 1 ? `${monitor.name} logged for the one epoch` : `${monitor.name} logged for all ${epochs.length} epochs`));
  }

  // epochs
  const ran = epochs.length;
  if (!ran) checks.push(check('epochs', 'skip', 'no per-epoch metrics to count epochs'));
  else if (interrupted && !(earlyStop?.triggered && earlyStop.stoppedEpoch === epochs[ran - 1].epoch)) checks.push(check('epochs', 'skip', `${ran} epoch${ran === 1 ? '' : 's'}${maxEpochs !== null ? ` of max_epochs=${maxEpochs}` : ''}: the run was ${interruptedHow} before it could finish`));
  else if (maxEpochs === null) checks.push(check('epochs', 'skip', `${ran} epoch${ran === 1 ? '' : 's'} ran; max_epochs unknown`));
  else if (ran === maxEpochs) checks.push(check('epochs', 'pass', `${ran} of max_epochs=${maxEpochs}`));
  else if (ran < maxEpochs && earlyStop?.triggered && earlyStop.stoppedEpoch === epochs[ran - 1].epoch) checks.push(check('epochs', 'pass', `${ran} of max_epochs=${maxEpochs}, stopped early at epoch ${earlyStop.stoppedEpoch}`));
  else checks.push(check('epochs', 'fail', `${ran} of max_epochs=${maxEpochs}${ran < maxEpochs ? ', not explained by early stopping' : ''}`));

  // early-stop
  if (interrupted && earlyStop?.configured) {
    // Stopped from outside: the replay must not have stopped before the last completed epoch.
    const done = monitorPoints.filter((p) => p.value !== undefined);
    const lastDone = done.length ? done[done.length - 1].epoch : null;
    const what = `patience ${earlyStop.patience}, best epoch ${earlyStop.bestEpoch}, wait ${earlyStop.wait}`;
    if (lastDone === null) checks.push(check('early-stop', 'skip', `no completed epoch before the run was ${interruptedHow}`));
    else if (earlyStop.triggered && earlyStop.stoppedEpoch !== null && earlyStop.stoppedEpoch < lastDone) checks.push(check('early-stop', 'fail', `replay stops at epoch ${earlyStop.stoppedEpoch} but the run went on to epoch ${lastDone} before it was ${interruptedHow} (${what})`));
    else checks.push(check('early-stop', 'pass', `not triggered in the ${done.length} completed epoch${done.length === 1 ? '' : 's'} before the run was ${interruptedHow}, as the replay agrees (${what})`));
  } else if (!earlyStop || !earlyStop.configured) checks.push(check('early-stop', 'skip', !earlyStop ? 'no monitored metric per epoch to replay' : 'EarlyStopping not configured (no patience knob)'));
  else {
    const lastEpoch = epochs[epochs.length - 1].epoch;
    const runStopped = stop.reason === 'early_stopping' || (stop.reason !== 'max_epochs' && maxEpochs !== null && ran < maxEpochs);
    const replayStopsHere = earlyStop.triggered && earlyStop.stoppedEpoch === lastEpoch;
    const what = `patience ${earlyStop.patience}, best epoch ${earlyStop.bestEpoch}, wait ${earlyStop.wait}`;
    if (runStopped && replayStopsHere) checks.push(check('early-stop', 'pass', `run and replay both stop at epoch ${lastEpoch} (${what})`));
    else if (!runStopped && (!earlyStop.triggered || replayStopsHere)) checks.push(check('early-stop', 'pass', `not triggered, as the replay agrees (${what})`));
    else if (runStopped) checks.push(check('early-stop', 'fail', `run stopped at epoch ${lastEpoch}; replay ${earlyStop.triggered ? `stops at epoch ${earlyStop.stoppedEpoch}` : 'does not stop'} (${what})`));
    else checks.push(check('early-stop', 'fail', `replay stops at epoch ${earlyStop.stoppedEpoch} but the run went on to epoch ${lastEpoch} (${what})`));
  }

  // checkpoints
  if (!checkpointEvidence) checks.push(check('checkpoints', 'skip', 'no checkpoint listing in the bundle'));
  else if (!canReplayCheckpoints) checks.push(check('checkpoints', 'skip', 'no per-epoch metrics to replay ModelCheckpoint'));
  else if (missing.length || unexpected.length) {
    const parts = [];
    if (missing.length) parts.push(`missing${missing.length > 20 ? ` ${fmtCount(missing.length)}` : ''}: ${nameList(missing)}`);
    if (unexpected.length) parts.push(`unexpected${unexpected.length > 20 ? ` ${fmtCount(unexpected.length)}` : ''}: ${nameList(unexpected)}`);
    checks.push(check('checkpoints', 'fail', `replay of save_top_k=${saveTopK}${saveLast ? ' + last' : ''} expects ${fmtCount(expected.length)} file${expected.length === 1 ? '' : 's'}, found ${fmtCount(found.length)}; ${parts.join('; ')}`));
  } else checks.push(check('checkpoints', 'pass', `${found.length} file${found.length === 1 ? '' : 's'} exactly as the replay of save_top_k=${saveTopK}${saveLast ? ' + last' : ''} expects`));

  // knobs
  const compared = knobTable.filter((r) => (r.requested !== null) || r.echoed !== null);
  const bad = knobTable.filter((r) => !r.ok);
  if (!compared.length) checks.push(check('knobs', 'skip', requestedCmd ? 'no knobs in common between request and run' : 'no requested command and no config echo to compare with'));
  else if (bad.length) {
    checks.push(check('knobs', 'fail', bad.map((r) => r.requested !== null && normaliseValue(r.requested) !== normaliseValue(r.effective) ? `${r.knob}: requested ${r.requested}, ran ${r.effective ?? '(not set)'}` : `${r.knob}: argv ${r.effective}, trainer echoed ${r.echoed}`).join('; ')));
  } else checks.push(check('knobs', 'pass', `${compared.length} knob${compared.length === 1 ? '' : 's'} agree${requestedCmd ? ' with the request' : ' with the trainer\'s echo'}`));

  // warnings
  const warnings = (log?.warnings ?? []).map(({ category, message, file, line, count }) => ({ category, message, file, line, count }));
  if (!log) checks.push(check('warnings', 'skip', 'no training log in the bundle'));
  else {
    const dep = warnings.filter((w) => w.category && /DeprecationWarning$/.test(w.category));
    if (dep.length) checks.push(check('warnings', 'fail', `${fmtCount(dep.length)} deprecation warning${dep.length === 1 ? '' : 's'}: ${dep.slice(0, 20).map((w) => w.message).join('; ').slice(0, 300)}`));
    else if (warnings.length) checks.push(check('warnings', 'warn', `${fmtCount(warnings.length)} distinct warning${warnings.length === 1 ? '' : 's'} (${fmtCount(warnings.reduce((a, w) => a + w.count, 0))} in all)`));
    else checks.push(check('warnings', 'pass', 'no warnings'));
  }

  // cleanup
  if (opts.launch?.cleanedUp == null) checks.push(check('cleanup', 'skip', 'imported run: cleanup is checked on launched runs'));
  else checks.push(check('cleanup', opts.launch.cleanedUp ? 'pass' : 'fail', opts.launch.cleanedUp ? 'temporary output folder removed after archiving' : 'temporary output folder left behind'));

  // --- caps: the checks above judged the full sets; the document lists the first and the last of each ---------
  const listedFound = keepEnds(found, CHECKPOINTS_LISTED);
  const listedMissing = keepEnds(missing, CHECKPOINTS_LISTED);
  const listedUnexpected = keepEnds(unexpected, CHECKPOINTS_LISTED);
  const listingFile = byRole('checkpoint-listing')[0]?.path ?? byRole('tree')[0]?.path ?? 'checkpoints';
  if (listedFound.cut) problems.push({ file: listingFile, line: null, message: cutMessage(found.length, CHECKPOINTS_LISTED, 'checkpoint files', 'listing', '; the checkpoints check compared all of them with the replay') });
  if (listedMissing.cut) problems.push({ file: listingFile, line: null, message: cutMessage(missing.length, CHECKPOINTS_LISTED, 'missing checkpoint files', 'listing') });
  if (listedUnexpected.cut) problems.push({ file: listingFile, line: null, message: cutMessage(unexpected.length, CHECKPOINTS_LISTED, 'unexpected checkpoint files', 'listing') });
  const keptWarnings = keepEnds(warnings, WARNINGS_KEPT);
  if (keptWarnings.cut) problems.push({ file: logName, line: null, message: cutMessage(warnings.length, WARNINGS_KEPT, 'distinct warnings', 'keeping', '; the warnings check counted all of them') });
  const keptErrors = keepEnds(errors, ERRORS_KEPT);
  if (keptErrors.cut) problems.push({ file: logName, line: null, message: cutMessage(errors.length, ERRORS_KEPT, 'error lines', 'keeping') });

  const evidence: Evidence = {
    schema: 1,
    title: opts.title ?? desc.title + (opts.logFile ? ` · ${opts.logFile}` : ''),
    status,
    bundle: { root: opts.root, log: logFile?.path ?? null, initiative: desc.initiative, phase: desc.phase, timestamp: desc.timestamp },
    command: command ? { text: command.text, argv: command.argv, env: command.env, source: commandSource } : null,
    knobs,
    requested: requestedCmd && opts.requested ? { text: requestedCmd.text, knobs: requestedCmd.knobs, source: opts.requested.source } : null,
    knobTable,
    runtime: log?.time ? { ...log.time, source: 'time -p' } : opts.launch?.wallS != null ? { realS: opts.launch.wallS, userS: null, sysS: null, source: 'worker' } : null,
    accelerator,
    stop,
    maxEpochs,
    seed: log?.seed ?? null,
    params: log?.params ?? { trainable: null, total: null },
    monitor,
    metricColumns: lightningMetrics?.columns ?? [],
    epochs: epochs.map((e) => ({ epoch: e.epoch, step: e.step, metrics: Object.fromEntries(Object.entries(e.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null])) })),
    earlyStop,
    checkpoints: { template: checkpointEvidence ? template.pattern : null, saveTopK: checkpointEvidence ? saveTopK : null, saveLast: checkpointEvidence ? saveLast : null, found: listedFound.kept, expected, missing: listedMissing.kept, unexpected: listedUnexpected.kept },
    warnings: keptWarnings.kept,
    errors: keptErrors.kept,
    checks,
    files: bundleFiles,
    problems,
    launch: opts.launch?.facts ?? null,
  };
  return { evidence, series: lightningMetrics?.series ?? [] };
}
