/**
 * Derive the facts: everything the checks (lib/evidence/checks) judge, read
 * from a bundle's files. Pure: the caller reads the files and hands over text.
 *
 * A config fact (monitor, mode, save_top_k, max_epochs, …) is a `Fact`
 * (./fact.ts): `known` with its source, `assumed` where today's analysis
 * takes a default the bundle does not state, or `unknown`.
 */
import { parseMetricsCsv, type EpochRow, type ParsedMetrics } from '../../lightning/metrics-csv';
import { parseTfEvents } from '../../lightning/tfevents';
import { parseLog, type ParsedLog } from '../../lightning/logs';
import { checkpointsInTree, inferTemplate, parseCheckpointName, parseLsListing, DEFAULT_TEMPLATE, type FilenameTemplate } from '../../lightning/checkpoints';
import { findCommandInMarkdown, knobKey, parseCommandLine, type KnobValue, type Knobs, type ParsedCommand } from '../../lightning/command';
import { replayCheckpoints, replayEarlyStopping, type Mode } from '../../lightning/replay';
import type { BundleFile, Evidence, FileRole, FoundCheckpoint, KnobRow, Problem, RunStatus } from '../types';
import { fmtCount, LOG_PARSE_CHARS, PROBLEMS_PER_FILE } from '../caps';
import { assumed, known, unknown, type Fact, type SureFact } from './fact';
import { classifyFile, logParseView, type AnalyseOptions, type InputFile } from './files';
import { effectiveKnobTable } from './knobs';

export type { Fact, SureFact } from './fact';

/** Where the monitored metric's name came from (Evidence.monitor.source). */
export type MonitorVia = 'command' | 'checkpoint file names' | 'validation loss column';

export interface Facts {
  // --- the files -----------------------------------------------------------------
  files: BundleFile[];
  /** Problems met while reading the files (bad lines, caps, unparsable parts), in the order met. */
  problems: Problem[];

  // --- the launch (launched runs only) -----------------------------------------------
  /** What the worker knows for certain; null for imported bundles. */
  launch: AnalyseOptions['launch'] | null;
  /** How a launched run was stopped from outside (`cancelled`, `timed out`, `lost`); null when it was not. */
  interrupted: 'cancelled' | 'timed out' | 'lost' | null;

  // --- the log ------------------------------------------------------------------------
  /** Path of the log read (the named one, else the biggest); null when none. */
  logFile: string | null;
  /** `logFile`, or `'log'` in messages when there is none. */
  logName: string;
  log: ParsedLog | null;
  /** Error lines of the log (all of them; the document keeps the ends). */
  errors: Evidence['errors'];
  /** Distinct warnings of the log (all of them; the document keeps the ends). */
  warnings: Evidence['warnings'];

  // --- metrics ------------------------------------------------------------------------
  /** The metrics file read: a metrics.csv, else the first TensorBoard events file. */
  metricsFile: { path: string; fromEvents: boolean } | null;
  /** What it parsed to (any kind); null when it had no text. */
  metrics: ParsedMetrics | null;
  /** Per-epoch rows (Lightning metrics only), with `name` filled from `name_epoch` when the monitor was forked. */
  epochs: EpochRow[];
  /** The monitored metric's value per epoch (undefined: not logged that epoch); empty without a monitor. */
  monitorPoints: Array<{ epoch: number; value: number | undefined }>;

  // --- the command and its knobs -------------------------------------------------------------
  command: ParsedCommand | null;
  /** File the command was read from ('' when none). */
  commandSource: string;
  /** Effective knobs: the run's argv. */
  knobs: Knobs;
  /** The command that was asked for (launch form or brief), parsed. */
  requested: ParsedCommand | null;
  knobTable: KnobRow[];
  /** `--logger`. */
  logger: Fact<string>;

  // --- how it ended ----------------------------------------------------------------------
  exitCode: Fact<number>;
  maxEpochs: Fact<number>;
  /** The log's stop reason, or early stopping when the replay stops at the last epoch and the log says nothing. */
  stop: Evidence['stop'];
  status: RunStatus;

  // --- accelerator ------------------------------------------------------------------------
  accelerator: { requested: Fact<string>; resolved: string | null; device: string | null; evidence: string[] };

  // --- the monitored metric -------------------------------------------------------------------
  monitor: Fact<{ name: string; via: MonitorVia }>;
  /** ModelCheckpoint/EarlyStopping mode. */
  mode: SureFact<Mode>;

  // --- EarlyStopping --------------------------------------------------------------------------
  patience: Fact<number>;
  minDelta: SureFact<number>;
  /** The replay of EarlyStopping over `monitorPoints`; null without a monitor or epochs. */
  earlyStop: Evidence['earlyStop'];

  // --- ModelCheckpoint ----------------------------------------------------------------------------
  checkpoints: {
    /** The bundle has a listing, checkpoint files or a tree naming some. */
    evidence: boolean;
    /** The file the names were read from, for problem entries. */
    listingFile: string;
    template: SureFact<FilenameTemplate>;
    saveTopK: SureFact<number>;
    saveLast: SureFact<boolean>;
    /** The metric the checkpoint replay ranks by. */
    monitor: Fact<string>;
    /** There is checkpoint evidence and there are epochs to replay over. */
    canReplay: boolean;
    found: FoundCheckpoint[];
    expected: Evidence['checkpoints']['expected'];
    /** Expected names not found, found names not expected (all of them; empty when not replayed). */
    missing: string[];
    unexpected: string[];
  };
}

const MB = 1024 * 1024;
const fmtMB = (bytes: number) => `${bytes >= 10 * MB ? fmtCount(Math.round(bytes / MB)) : (bytes / MB).toFixed(1)} MB`;

/** The first knob (in argv order) spelt as any of `names`, with the spelling used: `getKnob` plus its key. */
function findKnob(knobs: Knobs, ...names: string[]): { key: string; value: KnobValue } | undefined {
  const wanted = new Set(names.map(knobKey));
  for (const [key, value] of Object.entries(knobs)) if (wanted.has(knobKey(key))) return { key, value };
  return undefined;
}

const numberOf = (v: KnobValue | undefined): number | null => {
  if (typeof v !== 'string') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export function deriveFacts(files: InputFile[], opts: AnalyseOptions): Facts {
  const problems: Problem[] = [];
  const bundleFiles: BundleFile[] = files.map((f) => ({ path: f.path, role: classifyFile(f.path), sizeBytes: f.sizeBytes }));
  const byRole = (role: FileRole) => files.filter((f) => classifyFile(f.path) === role);

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
  const logName = logFile?.path ?? 'log';

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
  const requested = opts.requested ? parseCommandLine(opts.requested.text) : null;
  if (opts.requested && !requested) problems.push({ file: opts.requested.source, line: null, message: 'requested command could not be parsed' });
  const fromCommand = (k: { key: string }) => `${commandSource || 'command'}: --${k.key}`;

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
  const listingFile = byRole('checkpoint-listing')[0]?.path ?? byRole('tree')[0]?.path ?? 'checkpoints';

  // --- monitored metric -----------------------------------------------------------
  const monitorKnob = findKnob(knobs, 'checkpoint-monitor', 'monitor', 'early-stop-monitor');
  const parsedFound = foundRaw.map((f) => parseCheckpointName(f.name, f.sizeBytes));
  const namedMetric = parsedFound.flatMap((c) => Object.keys(c.values).filter((k) => k !== 'epoch' && k !== 'step').map((k) => ({ k, file: c.name })))[0];
  const modeKnob = findKnob(knobs, 'checkpoint-mode', 'mode', 'early-stop-mode');
  const mode: SureFact<Mode> =
    modeKnob?.value === 'max' || modeKnob?.value === 'min'
      ? known(modeKnob.value as Mode, fromCommand(modeKnob))
      : assumed('min', modeKnob ? `--${modeKnob.key} ${String(modeKnob.value)} is neither min nor max` : 'no checkpoint or early-stop mode in the command');
  let monitor: Facts['monitor'] = unknown('no monitor knob in the command, no metric in the checkpoint file names and no val…loss column');
  if (typeof monitorKnob?.value === 'string') monitor = known({ name: monitorKnob.value, via: 'command' }, fromCommand(monitorKnob));
  else if (namedMetric) monitor = known({ name: namedMetric.k, via: 'checkpoint file names' }, `checkpoint file name ${namedMetric.file}`);
  else if (lightningMetrics) {
    const val = lightningMetrics.epochLevel.find((c) => /val.*loss|loss.*val/i.test(c)) ?? lightningMetrics.columns.find((c) => /val.*loss|loss.*val/i.test(c));
    if (val) monitor = assumed({ name: val, via: 'validation loss column' }, `no monitor knob in the command and no metric in the checkpoint file names: took ${val}, a val…loss column`);
  }
  const monitorName = monitor.value?.name ?? null;

  // `self.log(name, on_step=True, on_epoch=True)` writes only `name_step`/`name_epoch` columns, yet callbacks
  // monitor the bare name, which Lightning's callback_metrics holds as the epoch value (lightning-artifacts.md §1).
  const forked = monitorName !== null && lightningMetrics && !lightningMetrics.columns.includes(monitorName) && lightningMetrics.columns.includes(`${monitorName}_epoch`) ? monitorName : null;
  const epochs = (lightningMetrics?.epochs ?? []).map((e) => (forked && e.metrics[`${forked}_epoch`] !== undefined ? { ...e, metrics: { ...e.metrics, [forked]: e.metrics[`${forked}_epoch`] } } : e));
  const monitorPoints = monitorName !== null ? epochs.map((e) => ({ epoch: e.epoch, value: e.metrics[monitorName] as number | undefined })) : [];

  // --- early stopping replay -----------------------------------------------------------
  const patienceKnob = findKnob(knobs, 'early-stop-patience', 'patience', 'early-stopping-patience');
  const patienceN = numberOf(patienceKnob?.value);
  const patience: Fact<number> = patienceKnob && patienceN !== null ? known(patienceN, fromCommand(patienceKnob)) : unknown('no patience knob in the command: EarlyStopping taken as not configured');
  const minDeltaKnob = findKnob(knobs, 'early-stop-min-delta', 'min-delta');
  const minDeltaN = numberOf(minDeltaKnob?.value);
  const minDelta: SureFact<number> = minDeltaKnob && minDeltaN !== null ? known(minDeltaN, fromCommand(minDeltaKnob)) : assumed(0, 'no min_delta knob in the command');
  let earlyStop: Evidence['earlyStop'] = null;
  if (monitorName !== null && epochs.length) {
    const configured = patience.value !== null;
    const r = replayEarlyStopping(monitorPoints, { monitor: monitorName, mode: mode.value, patience: patience.value ?? Infinity, minDelta: minDelta.value });
    earlyStop = {
      configured,
      monitor: monitorName,
      mode: mode.value,
      patience: patience.value,
      minDelta: minDelta.value,
      bestEpoch: r.bestEpoch,
      bestScore: r.bestScore,
      wait: r.wait,
      triggered: configured && r.triggered,
      stoppedEpoch: configured ? r.stoppedEpoch : null,
      trace: r.trace,
    };
  }

  // --- checkpoint replay ----------------------------------------------------------------
  const topKKnob = findKnob(knobs, 'checkpoint-save-top-k', 'save-top-k', 'top-k');
  const topKN = numberOf(topKKnob?.value);
  const saveTopK: SureFact<number> = topKKnob && topKN !== null ? known(topKN, fromCommand(topKKnob)) : assumed(1, 'no save_top_k knob in the command (ModelCheckpoint\'s default is 1)');
  const saveLastKnob = findKnob(knobs, 'checkpoint-save-last', 'save-last');
  const lastFound = parsedFound.find((c) => c.kind === 'last');
  const saveLast: SureFact<boolean> = saveLastKnob
    ? known(saveLastKnob.value !== 'false' && saveLastKnob.value !== false, fromCommand(saveLastKnob))
    : lastFound
      ? known(true, `checkpoint file ${lastFound.name}`)
      : checkpointEvidence
        ? known(false, 'no last.ckpt among the checkpoint files')
        : assumed(false, 'no save_last knob in the command and no checkpoint files');
  const topKFound = parsedFound.find((c) => c.kind === 'top-k');
  const inferred = topKFound ? inferTemplate(topKFound.name) : null;
  const template: SureFact<FilenameTemplate> = inferred && topKFound
    ? known(inferred, `checkpoint file name ${topKFound.name}`)
    : assumed(DEFAULT_TEMPLATE, topKFound ? `no filename template could be read from ${topKFound.name}` : 'no top-k checkpoint file to read the filename template from');
  const ckMonitor: Fact<string> = template.value.metrics[0] !== undefined
    ? known(template.value.metrics[0], template.source)
    : typeof monitorKnob?.value === 'string'
      ? known(monitorKnob.value, fromCommand(monitorKnob))
      : unknown('no metric in the checkpoint file names and no monitor knob in the command');
  let expected: Evidence['checkpoints']['expected'] = [];
  const canReplay = checkpointEvidence && epochs.length > 0;
  if (canReplay) {
    expected = replayCheckpoints(epochs, { monitor: ckMonitor.value, mode: mode.value, saveTopK: saveTopK.value, saveLast: saveLast.value, template: template.value }).expected;
  }
  const expectedNames = new Set(expected.map((e) => e.name));
  const found: FoundCheckpoint[] = parsedFound.map((c) => ({
    name: c.name,
    sizeBytes: c.sizeBytes,
    epoch: c.epoch,
    step: c.step,
    score: ckMonitor.value !== null && ckMonitor.value in c.values ? c.values[ckMonitor.value] : c.score,
    kind: c.kind,
    expected: expectedNames.has(c.name),
  }));
  const foundNames = new Set(found.map((c) => c.name));
  const missing = canReplay ? expected.filter((e) => !foundNames.has(e.name)).map((e) => e.name) : [];
  const unexpected = canReplay ? found.filter((c) => !expectedNames.has(c.name)).map((c) => c.name) : [];

  // --- accelerator ---------------------------------------------------------------------------
  const accKnob = findKnob(knobs, 'accelerator', 'device');
  const accelerator: Facts['accelerator'] = {
    requested: typeof accKnob?.value === 'string' ? known(accKnob.value, fromCommand(accKnob)) : unknown('no accelerator knob in the command'),
    resolved: log?.accelerator.resolved ?? null,
    device: log?.accelerator.device ?? null,
    evidence: log?.accelerator.evidence.slice(0, 5) ?? [],
  };

  // --- stop and status ---------------------------------------------------------------------------
  const maxEpochsKnob = findKnob(knobs, 'max-epochs', 'epochs');
  const maxEpochsN = numberOf(maxEpochsKnob?.value);
  const echoKey = log?.echo.max_epochs !== undefined ? 'max_epochs' : 'epochs';
  const echoedEpochs = Number(log?.echo[echoKey]);
  let maxEpochs: Fact<number>;
  if (maxEpochsKnob && maxEpochsN !== null) maxEpochs = known(maxEpochsN, fromCommand(maxEpochsKnob));
  else if (log?.stop.reason === 'max_epochs' && log.stop.limit != null) maxEpochs = known(log.stop.limit, `${logName}${log.stop.line != null ? `:${log.stop.line}` : ''}: stop line`);
  else if (Number.isInteger(echoedEpochs)) maxEpochs = known(echoedEpochs, `${logName}: trainer echo ${echoKey}=${log!.echo[echoKey]}`);
  else maxEpochs = unknown('no max_epochs in the command, the log\'s stop line or the trainer\'s echo');

  let stop: Evidence['stop'] = log ? { reason: log.stop.reason, message: log.stop.message } : { reason: 'unknown', message: null };
  if (stop.reason === 'unknown' && earlyStop?.triggered && epochs.length && earlyStop.stoppedEpoch === epochs[epochs.length - 1].epoch && (maxEpochs.value === null || epochs.length < maxEpochs.value)) {
    stop = { reason: 'early_stopping', message: `EarlyStopping replay stops at epoch ${earlyStop.stoppedEpoch}` };
  }
  const errors = (log?.errors ?? []).map((e) => ({ file: logFile!.path, line: e.line, message: e.message }));
  const exitCode: Fact<number> =
    opts.launch?.exitCode != null ? known(opts.launch.exitCode, 'worker')
    : log?.exitCode != null ? known(log.exitCode, logName)
    : unknown('no exit code from the worker or the log');
  let status: RunStatus;
  if (opts.launch?.status) status = opts.launch.status;
  else if (errors.length && !log?.normalEnd) status = 'failed';
  else if (exitCode.value !== null && exitCode.value !== 0) status = 'failed';
  else if (log?.normalEnd) status = 'succeeded';
  else status = 'unknown';
  const launchStatus = opts.launch?.status;
  const interrupted = launchStatus === 'cancelled' || launchStatus === 'lost' ? launchStatus : launchStatus === 'timed_out' ? 'timed out' : null;

  const loggerKnob = findKnob(knobs, 'logger');
  return {
    files: bundleFiles,
    problems,
    launch: opts.launch ?? null,
    interrupted,
    logFile: logFile?.path ?? null,
    logName,
    log,
    errors,
    warnings: (log?.warnings ?? []).map(({ category, message, file, line, count }) => ({ category, message, file, line, count })),
    metricsFile: metricsFile ? { path: metricsFile.path, fromEvents } : null,
    metrics,
    epochs,
    monitorPoints,
    command,
    commandSource,
    knobs,
    requested,
    knobTable: effectiveKnobTable(knobs, log?.echo ?? {}, requested?.knobs ?? null),
    logger: typeof loggerKnob?.value === 'string' ? known(loggerKnob.value, fromCommand(loggerKnob)) : unknown('no logger knob in the command'),
    exitCode,
    maxEpochs,
    stop,
    status,
    accelerator,
    monitor,
    mode,
    patience,
    minDelta,
    earlyStop,
    checkpoints: { evidence: checkpointEvidence, listingFile, template, saveTopK, saveLast, monitor: ckMonitor, canReplay, found, expected, missing, unexpected },
  };
}
