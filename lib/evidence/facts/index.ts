/**
 * Derive the facts: everything the checks (lib/evidence/checks) judge, read
 * from a bundle's files. Pure: the caller reads the files and hands over text.
 *
 * A config fact (monitor, mode, save_top_k, max_epochs, …) is a `Fact`
 * (./fact.ts): `known` with its source, `assumed` where today's analysis
 * takes a default the bundle does not state, or `unknown`.
 */
import { nonFiniteMetrics, parseMetricsCsv, type EpochRow, type NonFiniteMetric, type ParsedMetrics } from '../../lightning/metrics-csv';
import { logValuesDecide, type LogMetrics } from '../../lightning/log-epochs';
import { parseTfEvents } from '../../lightning/tfevents';
import { LONG_LINE_CHARS, parseLog, type ParsedLog } from '../../lightning/logs';
import { atLeast, describeVersion, detectLightningVersion, printsFitEndLine, type LightningVersion } from '../../lightning/version';
import { checkpointsInTree, matchName, parseLsListing, DEFAULT_TEMPLATE, type FilenameTemplate } from '../../lightning/checkpoints';
import { findCommandInMarkdown, parseCommandLine, type Knobs, type ParsedCommand } from '../../lightning/command';
import { replayEarlyStoppingHooks, type Hook, type Mode } from '../../lightning/replay';
import { hooksOf, type Timeline } from '../../lightning/timeline';
import type { BundleFile, Evidence, FileRole, KnobRow, Problem, RunStatus } from '../types';
import { fmtCount, LOG_PARSE_CHARS, PROBLEMS_PER_FILE } from '../caps';
import { assumed, known, unknown, type Fact, type SureFact } from './fact';
import { classifyFile, logParseView, type AnalyseOptions, type InputFile } from './files';
import { effectiveKnobTable } from './knobs';
import { deriveSettings, findKnob, hparamsOf, scanLogConfig, type Settings } from './config';
import { parseRunproofJson, type RunproofJson } from './runproof-json';
import { analyseCheckpoints, modeByName, severalSavesAnEpoch, timelineSource, type CheckpointAnalysis } from './checkpoints';
import { analyseEarlyStopping, type EarlyStopAnalysis } from './early-stop';
import { endsWithException, logCutEvidence, type LogCut } from './log-end';
import { analyseAcrossVersions, type StepConvention } from './checkpoint-steps';
import { requestedAccelerator } from './accelerator';

export type { Fact, SureFact } from './fact';

/** Where the monitored metric's name came from (Evidence.monitor.source). */
export type MonitorVia = 'runproof.json' | 'command' | 'log' | 'checkpoint file names' | 'kept checkpoints' | 'validation loss column';

export interface Facts {
  // --- the files -----------------------------------------------------------------
  files: BundleFile[];
  /** Problems met while reading the files (bad lines, caps, unparsable parts), in the order met. */
  problems: Problem[];

  // --- the launch (launched runs only) -----------------------------------------------
  /** What the worker knows for certain; null for imported bundles. */
  launch: AnalyseOptions['launch'] | null;
  /** How the run was stopped from outside (`cancelled`, `timed out`, `lost` by the worker; `killed`, `timed out` by what the log shows: a signal, a scheduler); null when it was not. */
  interrupted: 'cancelled' | 'timed out' | 'lost' | 'killed' | null;

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
  /** Rows of the metrics file with only `test…` values (trainer.test() after the fit), left out of `epochs`. */
  testOnlyRows: number;
  /** `epochs` lists only the epochs a callback printed values in (a log with no progress bar): why, or null when they are every epoch with values. */
  epochsPartial: string | null;
  /** Without a metrics file, the per-epoch table the log printed (progress bar, verbose callbacks): `epochs` come from it. */
  logTable: LogMetrics | null;
  /** Metrics with NaN/inf values, from the metrics file or the log table (`nonFinite === values`: never a finite value). */
  nonFinite: NonFiniteMetric[];
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
  /** The replay of EarlyStopping over the fit's timeline; null without a monitor or epochs. */
  earlyStop: Evidence['earlyStop'];
  /** The same with what the check needs besides: settings taken at defaults, Lightning's own bookkeeping, where a faithful fit ends. */
  earlyStopping: EarlyStopAnalysis;

  // --- the configuration and the fit's timeline -------------------------------------------------------
  /** Every setting the checks use, known (with its source) or unknown (saying why): config.ts. */
  settings: Settings;
  /** runproof.json (RunproofCallback), when the bundle has one. */
  runproof: { value: RunproofJson; file: string } | null;
  /** The fit's validations and epochs, and the hooks Lightning called (metrics.csv, events, runproof.json or the log's values). */
  timeline: Timeline | null;
  hooks: Hook[];
  /** Where the timeline's values come from; `log`: rounded as printed. */
  timelineFrom: 'metrics' | 'runproof.json' | 'log' | null;
  /** Last step the fit reached (logged steps + 1: batches), when the timeline tells. */
  lastStep: number | null;
  /** The fit did not end normally: an error, a non-zero exit, a kill or an interruption. */
  crashed: boolean;
  /** What shows the log was cut short (it has no end line, and something says the fit went further); null when nothing does. */
  logCut: LogCut | null;
  /** Which Lightning wrote the log (runproof.json, a version print, or the range its line formats allow): lib/lightning/version.ts. */
  lightningVersion: LightningVersion;
  /**
   * The fit reached max_epochs/max_steps by the other evidence and the log has no `Trainer.fit` stopped line, which
   * the Lightning that wrote it does not print (`no`: before 1.6) or may not (`unknown`: nothing dates the log).
   */
  unprintedEnd: { what: string; from: string; expected: 'no' | 'unknown'; version: string } | null;

  // --- ModelCheckpoint ----------------------------------------------------------------------------
  checkpoints: CheckpointAnalysis & {
    /** As the replay used them (the document's template, save_top_k, save_last). */
    template: SureFact<FilenameTemplate>;
    saveTopK: SureFact<number>;
    saveLast: SureFact<boolean>;
    /** The metric the checkpoint replay ranks by. */
    monitor: Fact<string>;
    /** The names were read with Lightning <1.6's step (one less); null or absent: as named. */
    stepConvention?: StepConvention | null;
  };
}

const MB = 1024 * 1024;
const fmtMB = (bytes: number) => `${bytes >= 10 * MB ? fmtCount(Math.round(bytes / MB)) : (bytes / MB).toFixed(1)} MB`;

export function deriveFacts(files: InputFile[], opts: AnalyseOptions): Facts {
  const problems: Problem[] = [];
  const bundleFiles: BundleFile[] = files.map((f) => ({ path: f.path, role: classifyFile(f.path), sizeBytes: f.sizeBytes }));
  const byRole = (role: FileRole) => files.filter((f) => classifyFile(f.path) === role);

  // --- the log --------------------------------------------------------------
  const logs = byRole('log');
  const logFile = opts.logFile ? (logs.find((f) => f.path === opts.logFile) ?? null) : logs.length ? [...logs].sort((a, b) => b.sizeBytes - a.sizeBytes)[0] : null;
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
  for (const l of logFile && log ? log.longLines : [])
    problems.push({ file: logFile!.path, line: l.line, message: `line of ${l.chars.toLocaleString('en-US')} characters: only its first ${LONG_LINE_CHARS.toLocaleString('en-US')} were read` });
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
  // Without one, the values the log printed: rounded, so the replays below use them only where the rounding cannot matter.
  // Which Lightning wrote the log, by its own lines (runproof.json's version, when there is one, wins below).
  const logVersion = detectLightningVersion({ text: view ? `${view.head}${view.tail ? `\n${view.tail.text}` : ''}` : null, logName });
  // Up to 1.x the epoch's progress bar counts the validation batches too (`Epoch 0: …| 1100/1100` for 1000 training
  // batches): its batch counts are steps only where the log dates itself 2.x.
  const barCountsSteps = atLeast(logVersion, [2, 0]) === 'yes';
  const logTable = !metrics && log?.epochs.kind === 'lightning' ? (barCountsSteps || !log.epochs.sources.progressBar ? log.epochs : { ...log.epochs, stepsKnown: false }) : null;
  const lightningMetrics = metrics?.kind === 'lightning' ? metrics : logTable;

  // --- the command ------------------------------------------------------------
  let command: ParsedCommand | null = null;
  let commandSource = '';
  const cmdFile = byRole('command')[0];
  if (cmdFile?.text) {
    command = parseCommandLine(cmdFile.text);
    commandSource = cmdFile.path;
  }
  if (!command) {
    for (const f of byRole('summary')) {
      if (!f.text) continue;
      command = findCommandInMarkdown(f.text);
      if (command) {
        commandSource = f.path;
        break;
      }
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

  // --- what states the config: runproof.json, hparams.yaml, the log's own lines -----------------------
  let runproof: Facts['runproof'] = null;
  for (const f of files) {
    if (f.path.split('/').pop() !== 'runproof.json' || f.text == null) continue;
    const r = parseRunproofJson(f.text);
    if (r.value) {
      runproof = { value: r.value, file: f.path };
      break;
    }
    problems.push({ file: f.path, line: null, message: r.problem ?? 'not a runproof.json' });
  }
  const hp = byRole('hparams')[0];
  const logText = view ? `${view.head}${view.tail ? `\n${view.tail.text}` : ''}` : null;
  const logConfig = scanLogConfig(logText);
  const lightningVersion = runproof?.value.lightning ? detectLightningVersion({ text: null, logName, runproof: { version: runproof.value.lightning, file: runproof.file } }) : logVersion;
  const endLineExpected = printsFitEndLine(lightningVersion);
  const settings = deriveSettings({
    knobs,
    knobSource: (key) => `${commandSource || 'command'}: --${key}`,
    hparams: hp?.text ? { knobs: hparamsOf(hp.text), file: hp.path } : null,
    rp: runproof,
    log,
    logName,
    logConfig,
  });

  // --- how the fit ended, as far as the log and runproof.json tell (before any replay) ---------------------
  const errors = (log?.errors ?? []).map((e) => ({ file: logFile!.path, line: e.line, message: e.message }));
  const exitCode: Fact<number> =
    opts.launch?.exitCode != null ? known(opts.launch.exitCode, 'worker') : log?.exitCode != null ? known(log.exitCode, logName) : unknown('no exit code from the worker or the log');
  const launchStatus = opts.launch?.status;
  const interrupted =
    launchStatus === 'cancelled' || launchStatus === 'lost'
      ? launchStatus
      : launchStatus === 'timed_out'
        ? 'timed out'
        : log?.stop.reason === 'killed'
          ? 'killed'
          : log?.stop.reason === 'time_limit'
            ? 'timed out'
            : null;
  // A last line that is an exception, with no traceback the log parser would have named: a crash too.
  const bareException = !errors.length && !log?.normalEnd ? endsWithException(logText) : null;
  const crashed =
    !!bareException ||
    (errors.length > 0 && !log?.normalEnd) ||
    (exitCode.value !== null && exitCode.value !== 0) ||
    interrupted !== null ||
    (launchStatus != null && launchStatus !== 'succeeded') ||
    runproof?.value.end?.how === 'exception';

  // --- the fit's timeline ------------------------------------------------------------------------------------
  const ckS = settings.checkpoint;
  const esS = settings.earlyStop;
  const statedMonitors = [ckS.monitor.value, esS.monitor.value];
  const source = timelineSource({ metrics: metrics?.kind === 'lightning' ? metrics : null, logTable, rp: runproof?.value ?? null, endedNormally: !crashed, monitors: statedMonitors });
  const timeline = source.at(1);
  const hooks = timeline ? hooksOf(timeline) : [];

  // --- ModelCheckpoint: which configuration leaves exactly these files -------------------------------------------
  const loggedSaves = logConfig.saves.map((c) => ({ epoch: c.epoch, globalStep: c.globalStep, path: c.path, line: c.line, monitor: c.monitor, value: c.value }));
  // Through the version adapter: before 1.6 Lightning names a checkpoint with a step one less (./checkpoint-steps.ts).
  const { ck, stepConvention } = analyseAcrossVersions(foundRaw, lightningVersion, (found) =>
    analyseCheckpoints({
      found,
      evidence: checkpointEvidence,
      listingFile,
      settings: ckS,
      trainer: settings.trainer,
      metrics: metrics?.kind === 'lightning' ? metrics : null,
      logTable,
      rp: runproof,
      endedNormally: !crashed,
      loggedSaves,
      logValuesDecide: logTable ? (m) => logValuesDecide(logTable, m, { steps: true }) : undefined,
    }),
  );

  // --- monitored metric and mode ---------------------------------------------------------------------------
  const viaOf = (src: string): MonitorVia => (src.startsWith(runproof?.file ?? '\u0000') ? 'runproof.json' : src.startsWith(logName) ? 'log' : 'command');
  const used = ck.used;
  const decided = <T>(u: { how: string; alternatives?: T[] } | undefined) => !!u && u.how === 'inferred' && ck.explained && !u.alternatives?.length;
  // Which files a monitor and mode keep depends on when ModelCheckpoint saves: an inference from the kept files holds
  // only where every_n_epochs and every_n_train_steps are stated (with other periods other monitors or modes may explain them).
  const triggersStated = !!used && used.everyNEpochs.how === 'stated' && used.everyNTrainSteps.how === 'stated';
  let monitor: Facts['monitor'] = unknown('no monitor in runproof.json, the command or the log, no metric in the checkpoint file names and no val…loss column');
  if (ckS.monitor.state === 'known' && ckS.monitor.value !== null) monitor = known({ name: ckS.monitor.value, via: viaOf(ckS.monitor.source) }, ckS.monitor.source);
  else if (esS.monitor.state === 'known') monitor = known({ name: esS.monitor.value, via: viaOf(esS.monitor.source) }, esS.monitor.source);
  else if (used && used.monitor.value !== null && decided(used.monitor) && triggersStated)
    monitor = known({ name: used.monitor.value, via: 'kept checkpoints' }, `inferred from the kept checkpoints (${used.monitor.source})`);
  else if (used?.template.value.metrics.length && (used.monitor.value === null || used.template.value.metrics.includes(used.monitor.value) || !triggersStated)) {
    const name = used.template.value.metrics[0];
    const file = ck.found.find((c) => c.kind === 'top-k' && c.name.includes(`${name}=`));
    // A name that spells the metric (`val_acc=0.7`) states it; one whose field was matched to a column (`score0.736`) does not.
    monitor = file
      ? known({ name, via: 'checkpoint file names' }, `checkpoint file name ${file.name}`)
      : assumed(
          { name, via: 'checkpoint file names' },
          `no monitor in runproof.json, the command or the log: ${name} matched to the value the checkpoint names carry unlabelled (${ck.found.find((c) => c.kind === 'top-k')?.name ?? used.template.value.pattern})`,
        );
  } else if (used && used.monitor.value !== null && decided(used.monitor)) {
    monitor = assumed(
      { name: used.monitor.value, via: 'kept checkpoints' },
      `inferred from the kept checkpoints (${used.monitor.source}) with every_n_epochs/every_n_train_steps at Lightning's defaults, which the bundle does not state`,
    );
  } else if (lightningMetrics) {
    const val = lightningMetrics.epochLevel.find((c) => /val.*loss|loss.*val/i.test(c)) ?? lightningMetrics.columns.find((c) => /val.*loss|loss.*val/i.test(c));
    if (val)
      monitor = assumed({ name: val, via: 'validation loss column' }, `no monitor in runproof.json, the command or the log and no metric in the checkpoint file names: took ${val}, a val…loss column`);
  }
  const monitorName = monitor.value?.name ?? null;
  // EarlyStopping's own message prints the best score: the max or the min of the values before it says which way is better.
  const esBest = (() => {
    const es = log?.earlyStopping;
    const lc = es && es.kind === 'patience' && es.best !== null && es.monitor && esS.minDelta.state === 'known' ? es : null;
    if (!lc || !hooks.length) return null;
    const near = (x: number | null) => x !== null && Math.abs(x - lc.best!) <= 0.0005 + 1e-9;
    const bestOf = (m: Mode) =>
      replayEarlyStoppingHooks(hooks, { monitor: lc.monitor!, mode: m, patience: Infinity, minDelta: esS.minDelta.value ?? 0, checkFinite: false, checkOnTrainEpochEnd: true }).bestScore;
    const hi = near(bestOf('max'));
    const lo = near(bestOf('min'));
    if (hi === lo) return null;
    return {
      monitor: lc.monitor!,
      mode: (hi ? 'max' : 'min') as Mode,
      source: `${logName}:${lc.line}: EarlyStopping's best score ${lc.best} is the ${hi ? 'highest' : 'lowest'} ${lc.monitor} (min_delta ${esS.minDelta.value})`,
    };
  })();
  let mode: SureFact<Mode>;
  if (ckS.mode.state === 'known' && (ckS.monitor.value === monitorName || ckS.monitor.state !== 'known')) mode = ckS.mode;
  else if (esS.mode.state === 'known' && (esS.monitor.value === monitorName || esS.monitor.state !== 'known')) mode = esS.mode;
  else if (ckS.mode.state === 'known') mode = ckS.mode;
  else if (esBest && monitorName === esBest.monitor) mode = known(esBest.mode, esBest.source);
  else if (used && used.monitor.value === monitorName && monitorName !== null && decided(used.mode) && triggersStated)
    mode = known(used.mode.value, `inferred from the kept checkpoints: ${used.mode.value === 'max' ? 'the highest' : 'the lowest'} ${monitorName} kept`);
  // (Which files were kept says the mode only where every_n_epochs/every_n_train_steps are stated: with other periods the
  // other mode may keep them; the metric's name is the guess then.)
  else
    mode = assumed(
      monitorName ? modeByName(monitorName) : 'min',
      monitorName ? `no mode in runproof.json, the command or the log: ${modeByName(monitorName)} taken from the name ${monitorName}` : 'no checkpoint or early-stop mode in the command',
    );

  // `self.log(name, on_step=True, on_epoch=True)` writes only `name_step`/`name_epoch` columns, yet callbacks
  // monitor the bare name, which Lightning's callback_metrics holds as the epoch value (conformance/README.md: the corpus logs such metrics).
  const forked = monitorName !== null && lightningMetrics && !lightningMetrics.columns.includes(monitorName) && lightningMetrics.columns.includes(`${monitorName}_epoch`) ? monitorName : null;
  // Rows holding only `test…` values are trainer.test()'s (an events file keeps no after-fit marker): not a training epoch.
  const isTestOnly = (e: EpochRow) => {
    const k = Object.keys(e.metrics);
    return k.length > 0 && k.every((c) => /^test(_|\/|$)/i.test(c));
  };
  // runproof.json's validations are exact and complete; the log's values without a progress bar are only what the
  // callbacks printed (a ModelCheckpoint that saves every n epochs prints every n-th): the epochs come from runproof.json then.
  const rpEpochs: EpochRow[] | null =
    !metrics && source.kind === 'runproof.json' && timeline && (!logTable || logTable.sources.progressBar === 0)
      ? timeline.epochs.map((e) => ({
          epoch: e.epoch,
          step: Math.round(e.endStep / (timeline.stepsPerBatch || 1)) - 1,
          metrics: Object.assign({}, ...timeline.validations.filter((v) => v.epoch === e.epoch).map((v) => v.metrics)) as Record<string, number>,
        }))
      : null;
  const epochs = (rpEpochs ?? lightningMetrics?.epochs ?? [])
    .filter((e) => !isTestOnly(e))
    .map((e) => (forked && e.metrics[`${forked}_epoch`] !== undefined ? { ...e, metrics: { ...e.metrics, [forked]: e.metrics[`${forked}_epoch`] } } : e));
  const monitorPoints = monitorName !== null ? epochs.map((e) => ({ epoch: e.epoch, value: e.metrics[monitorName] as number | undefined })) : [];

  // --- early stopping replay -----------------------------------------------------------
  const patience: Fact<number> =
    esS.configured.value === false
      ? unknown(`${esS.configured.source}: no EarlyStopping`)
      : esS.patience.state === 'known'
        ? esS.patience
        : esS.configured.value
          ? assumed(3, "no patience in runproof.json or the command: EarlyStopping's default 3")
          : unknown('no patience knob in the command: EarlyStopping taken as not configured');
  const minDelta: SureFact<number> = esS.minDelta.state === 'known' ? esS.minDelta : assumed(0, 'no min_delta in runproof.json, the command or the log');
  const esMonitorName = esS.monitor.value ?? monitorName;
  const esHooks =
    forked && esMonitorName === forked ? hooks.map((h) => (h.metrics[`${forked}_epoch`] !== undefined ? { ...h, metrics: { ...h.metrics, [forked]: h.metrics[`${forked}_epoch`] } } : h)) : hooks;
  const logDecides = !(source.kind === 'log' && logTable) || (esMonitorName !== null && logValuesDecide(logTable, esMonitorName, { minDelta: minDelta.value }));
  // How the fit ended, for the replay to agree with: the log's stop line or EarlyStopping's message, else the epochs against max_epochs.
  const lastLogged = epochs.length ? epochs[epochs.length - 1].epoch : timeline?.epochs.length ? timeline.epochs[timeline.epochs.length - 1].epoch : null;
  const maxE = settings.trainer.maxEpochs.value;
  const logStop = log?.stop.reason ?? 'unknown';
  const observed =
    lastLogged === null
      ? null
      : {
          lastEpoch: lastLogged,
          stopped: logStop === 'early_stopping' ? true : logStop === 'max_epochs' ? false : maxE !== null && maxE >= 0 ? lastLogged + 1 < maxE : null,
          cut: crashed || logStop === 'max_steps',
          said: log?.earlyStopping?.final ? { kind: log.earlyStopping.kind, best: log.earlyStopping.kind === 'patience' ? log.earlyStopping.best : null } : null,
        };
  // Validations inside an epoch cannot be told apart in the log's per-epoch values: no replay over them.
  const perEpochOnly = source.kind === 'log' && ((settings.trainer.valCheckInterval.value ?? 1) !== 1 || severalSavesAnEpoch(loggedSaves));
  const earlyStopping = analyseEarlyStopping({
    settings: esS,
    trainer: settings.trainer,
    monitor,
    mode,
    timeline,
    hooks: logDecides && !perEpochOnly ? esHooks : [],
    withheld: !logDecides || perEpochOnly,
    rp: runproof,
    observed,
  });
  const earlyStop = earlyStopping.doc;

  // --- checkpoint facts as the document shows them -------------------------------------------------------------
  const tmplU = ck.used?.template;
  const template: SureFact<FilenameTemplate> =
    tmplU && tmplU.how !== 'default' ? known(tmplU.value, tmplU.source) : assumed(tmplU?.value ?? DEFAULT_TEMPLATE, tmplU?.source ?? 'no top-k checkpoint file to read the filename template from');
  const kU = ck.used?.saveTopK;
  const saveTopK: SureFact<number> = kU
    ? kU.how === 'stated'
      ? known(kU.value, kU.source)
      : assumed(kU.value, `save_top_k not stated: ${kU.value} inferred from ${kU.source}`)
    : ckS.saveTopK.state === 'known'
      ? ckS.saveTopK
      : assumed(1, "no save_top_k in runproof.json or the command (ModelCheckpoint's default is 1)");
  const slU = ck.used?.saveLast;
  const lastFound = ck.found.find((c) => c.kind === 'last');
  const saveLast: SureFact<boolean> = slU
    ? slU.how === 'default'
      ? assumed(slU.value !== false, slU.source)
      : known(slU.value !== false, slU.source)
    : ckS.saveLast.state === 'known'
      ? known(ckS.saveLast.value !== false, ckS.saveLast.source)
      : lastFound
        ? known(true, `checkpoint file ${lastFound.name}`)
        : checkpointEvidence
          ? known(false, 'no last.ckpt among the checkpoint files')
          : assumed(false, 'no save_last knob in the command and no checkpoint files');
  const ckMonitor: Fact<string> =
    ck.used && ck.used.monitor.value !== null
      ? known(ck.used.monitor.value, ck.used.monitor.source)
      : ckS.monitor.state === 'known' && ckS.monitor.value !== null
        ? known(ckS.monitor.value, ckS.monitor.source)
        : unknown('no checkpoint monitor stated or inferred');

  // --- accelerator ---------------------------------------------------------------------------
  const accelerator: Facts['accelerator'] = {
    // As each version spells it: 1.x's `gpus`/`tpu_cores`/`ipus`, and its `accelerator=ddp` that names no device (./accelerator.ts).
    requested: requestedAccelerator(knobs, (key) => fromCommand({ key })),
    resolved: log?.accelerator.resolved ?? null,
    device: log?.accelerator.device ?? null,
    evidence: log?.accelerator.evidence.slice(0, 5) ?? [],
  };

  // --- stop and status ---------------------------------------------------------------------------
  const maxEpochs = settings.trainer.maxEpochs;
  const lastTrained = lastLogged;
  let stop: Evidence['stop'] = log ? { reason: log.stop.reason as Evidence['stop']['reason'], message: log.stop.message } : { reason: 'unknown', message: null };
  if (stop.reason === 'unknown' && bareException) stop = { reason: 'error', message: bareException.message };
  // runproof.json: EarlyStopping's own state says it stopped the fit (Lightning prints nothing for a quiet one).
  // (A resumed fit restores stopped_epoch and the reason from its checkpoint: a stop before this fit's first epoch was the earlier fit's.)
  const rpStart = runproof?.value.start?.epoch ?? 0;
  const rpEs = runproof?.value.end?.how === 'train_end' ? runproof.value.end.earlyStopping.find((e) => e.stoppingReason && e.stoppingReason !== 'not_stopped' && e.stoppedEpoch >= rpStart) : undefined;
  if (rpEs && (stop.reason === 'unknown' || stop.reason === 'max_epochs'))
    stop = { reason: 'early_stopping', message: `${runproof!.file}: EarlyStopping stopped the fit at epoch ${rpEs.stoppedEpoch} (${rpEs.stoppingReason})` };
  const esEnd = earlyStopping.replay?.lastEpoch ?? null;
  // EarlyStopping that fires in the last epoch ends the fit as max_epochs does; Lightning prints only the max_epochs line.
  // (the settings that decide a stop in the last epoch: monitor, mode, patience, min_delta; thresholds and the rest at their defaults)
  const esExact = !earlyStopping.assumed.some((a) => /^(patience|min_delta)=/.test(a)) && !earlyStopping.borrowed.length;
  if (stop.reason === 'max_epochs' && earlyStop?.configured && esExact && esEnd !== null && esEnd === lastTrained) {
    stop = { reason: 'early_stopping', message: `EarlyStopping replay stops at epoch ${earlyStop.stoppedEpoch}, the last epoch${log?.stop.message ? ` (${log.stop.message})` : ''}` };
  }
  if (stop.reason === 'unknown' && !crashed && earlyStop?.configured && esEnd !== null && esEnd === lastTrained && (maxEpochs.value === null || lastTrained! + 1 < maxEpochs.value)) {
    stop = {
      reason: 'early_stopping',
      message: `EarlyStopping replay stops at epoch ${earlyStop.stoppedEpoch}${esEnd !== earlyStop.stoppedEpoch ? `, the fit ends after epoch ${esEnd} (min_epochs)` : ''}`,
    };
  }
  const lastStep = timeline ? Math.max(0, ...timeline.epochs.map((e) => e.endStep), ...timeline.validations.map((v) => v.step)) : null;
  // Is the log cut short: what other evidence says the fit did, against what the log shows.
  // Epochs the checkpoint names show: spelt (`epoch=3`), or read with the template the analysis resolved (`3.ckpt`).
  const namedEpochs = ck.found
    .map((c) => c.epoch ?? (ck.used && c.kind === 'top-k' ? (matchName(ck.used.template.value, c.name)?.epoch ?? null) : null))
    .filter((e): e is number => e !== null && e !== undefined);
  const tlLast = timeline && (timeline.epochs.length || timeline.validations.length) ? Math.max(...timeline.epochs.map((e) => e.epoch), ...timeline.validations.map((v) => v.epoch)) : null;
  const lastElsewhere =
    tlLast !== null && (!namedEpochs.length || tlLast >= Math.max(...namedEpochs))
      ? {
          epoch: tlLast,
          validated: !!timeline?.validations.some((v) => v.epoch === tlLast),
          from: source.kind === 'runproof.json' ? `${runproof!.file}'s validations` : metricsFile && source.kind === 'metrics' ? `${metricsFile.path}'s rows` : 'the values',
        }
      : namedEpochs.length
        ? { epoch: Math.max(...namedEpochs), validated: false, from: 'the checkpoint names' }
        : null;
  const rpEnd = runproof?.value.end;
  const rpEsStop = rpEnd?.earlyStopping.find((e) => e.stoppingReason && e.stoppingReason !== 'not_stopped' && e.stoppedEpoch >= rpStart);
  const rpRan = rpEnd && rpEnd.how === 'train_end' && !rpEsStop && !rpEnd.shouldStop ? { file: runproof!.file } : null;
  // runproof.json: EarlyStopping(verbose=True) stopped the fit, and prints its reason when it does.
  const rpVerboseStop =
    rpEsStop && runproof!.value.earlyStopping[0]?.verbose && !(log?.earlyStopping && log.earlyStopping.kind !== 'other') ? { file: runproof!.file, reason: rpEsStop.stoppingReason! } : null;
  // max_epochs or max_steps reached, by the timeline: Lightning prints its stop line there, EarlyStopping or not.
  const spb = ck.used?.stepsPerBatch.value ?? 1;
  const maxStepsS = settings.trainer.maxSteps.value;
  const limitReached =
    source.kind && source.kind !== 'log' && lastLogged !== null
      ? maxE !== null && maxE > 0 && lastLogged + 1 >= maxE && timeline?.epochs.find((e) => e.epoch === lastLogged)?.ended
        ? { what: `max_epochs=${maxE}`, from: lastElsewhere?.from ?? 'the values' }
        : maxStepsS !== null && maxStepsS > 0 && lastStep !== null && lastStep * spb >= maxStepsS
          ? { what: `max_steps=${maxStepsS}`, from: lastElsewhere?.from ?? 'the values' }
          : null
      : // no values: a checkpoint named for the last epoch was saved at its end
        maxE !== null && maxE > 0 && namedEpochs.length && Math.max(...namedEpochs) + 1 >= maxE
        ? { what: `max_epochs=${maxE}`, from: 'the checkpoint names' }
        : null;
  // The log shows EarlyStopping verbose (an improvement line) and the replay, on stated settings and exact values, stops the fit.
  const verboseEsStop =
    log?.earlyStoppingVerboseLine != null && !log.earlyStopping && earlyStop?.triggered && esExact && source.kind !== 'log' && earlyStopping.replay?.lastEpoch != null
      ? { line: log.earlyStoppingVerboseLine, epoch: earlyStop.stoppedEpoch }
      : null;
  const logCut =
    rpVerboseStop && log
      ? { evidence: `${rpVerboseStop.file} says a verbose EarlyStopping stopped the fit (${rpVerboseStop.reason}), which prints its reason; ${logName} has no such line`, line: null }
      : bareException
        ? { evidence: `it ends with ${bareException.message} (line ${bareException.line}), an exception with no traceback`, line: bareException.line }
        : log && !crashed
          ? logCutEvidence({
              text: logText,
              logName,
              lightningSeen: log.lightningSeen,
              hasEndLine: log.normalEnd,
              lastEpochElsewhere: source.kind === 'log' ? (namedEpochs.length ? { epoch: Math.max(...namedEpochs), validated: false, from: 'the checkpoint names' } : null) : lastElsewhere,
              rpRanToLimit: rpRan,
              limitReached,
              verboseEsStop,
              endLineExpected,
              summaryTotalsExpected: atLeast(lightningVersion, [1, 5]),
            })
          : null;
  // Reached its limit, by the values or runproof.json, with no end line a Lightning before 1.6 would not print anyway.
  const unprintedEnd: Facts['unprintedEnd'] =
    log && !crashed && !log.normalEnd && !logCut && endLineExpected !== 'yes' && (limitReached || rpRan)
      ? { what: limitReached?.what ?? 'its end', from: limitReached?.from ?? `${rpRan!.file}'s end record`, expected: endLineExpected, version: describeVersion(lightningVersion) }
      : null;
  if (unprintedEnd?.expected === 'no' && stop.reason === 'unknown' && limitReached) {
    stop = {
      reason: limitReached.what.startsWith('max_steps') ? 'max_steps' : 'max_epochs',
      message: `${limitReached.from} show the fit reached ${limitReached.what}; ${unprintedEnd.version} prints no end line`,
    };
  }
  let status: RunStatus;
  if (opts.launch?.status) status = opts.launch.status;
  else if ((errors.length || bareException) && !log?.normalEnd) status = 'failed';
  else if (exitCode.value !== null && exitCode.value !== 0) status = 'failed';
  else if (log?.normalEnd) status = 'succeeded';
  else if (unprintedEnd?.expected === 'no' && stop.reason !== 'unknown') status = 'succeeded';
  else if (stop.reason === 'early_stopping' && !crashed) status = 'succeeded';
  else status = 'unknown';

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
    testOnlyRows: (lightningMetrics?.epochs ?? []).filter(isTestOnly).length,
    epochsPartial:
      !metrics && !rpEpochs && logTable && logTable.sources.progressBar === 0 && epochs.length
        ? `${logName} has no progress bar: its values are those ModelCheckpoint and EarlyStopping printed, in the epochs they printed in`
        : null,
    logTable,
    nonFinite: lightningMetrics ? nonFiniteMetrics(lightningMetrics) : [],
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
    earlyStopping,
    settings,
    runproof,
    timeline,
    hooks,
    timelineFrom: source.kind,
    lastStep,
    crashed,
    logCut,
    lightningVersion,
    unprintedEnd,
    checkpoints: { ...ck, template, saveTopK, saveLast, monitor: ckMonitor, stepConvention },
  };
}
