/**
 * The run's configuration, each setting a Fact with where it was read:
 * runproof.json (the callback's exact settings) first, then the command's
 * knobs, then what Lightning's own log lines state, then hparams.yaml. What
 * none of them says stays `unknown` here; the checks that need it either
 * infer it from the files (lib/evidence/facts/checkpoints.ts) or say what they
 * could not know.
 */
import { knobKey, type KnobValue, type Knobs } from '../../lightning/command';
import { templateFromLightning, type FilenameTemplate } from '../../lightning/checkpoints';
import type { ParsedLog } from '../../lightning/logs';
import type { Mode } from '../../lightning/replay';
import { known, unknown, type Fact } from './fact';
import type { RunproofJson } from './runproof-json';

export interface TrainerSettings {
  maxEpochs: Fact<number>;
  maxSteps: Fact<number>;
  minEpochs: Fact<number>;
  checkValEveryNEpoch: Fact<number>;
  /** 1.0 (the default): once per epoch; < 1: a fraction of the epoch; > 1 (an int): every that many batches. */
  valCheckInterval: Fact<number>;
  /** Optimizer steps per batch (global_step per logged step). */
  stepsPerBatch: Fact<number>;
  /** The checkpoint the fit resumed from (its path as the log or runproof.json names it). */
  resumedFrom: Fact<string>;
  /** The checkpoint folder held files before the fit (Lightning's "exists and is not empty" warning). */
  folderNotEmpty: Fact<boolean>;
}

export interface CheckpointSettings {
  /** A ModelCheckpoint is configured (runproof.json lists one, or a checkpoint knob is given). */
  monitor: Fact<string | null>;
  mode: Fact<Mode>;
  saveTopK: Fact<number>;
  saveLast: Fact<boolean | 'link'>;
  everyNEpochs: Fact<number>;
  everyNTrainSteps: Fact<number>;
  template: Fact<FilenameTemplate>;
  saveOnTrainEpochEnd: Fact<boolean>;
  versionCounter: Fact<boolean>;
}

export interface EarlyStopSettings {
  configured: Fact<boolean>;
  monitor: Fact<string>;
  mode: Fact<Mode>;
  patience: Fact<number>;
  minDelta: Fact<number>;
  stoppingThreshold: Fact<number | null>;
  divergenceThreshold: Fact<number | null>;
  checkFinite: Fact<boolean>;
  checkOnTrainEpochEnd: Fact<boolean>;
}

export interface Settings {
  trainer: TrainerSettings;
  checkpoint: CheckpointSettings;
  earlyStop: EarlyStopSettings;
}

/** A knob by any of its spellings, with the spelling used. */
export function findKnob(knobs: Knobs, ...names: string[]): { key: string; value: KnobValue } | undefined {
  const wanted = new Set(names.map(knobKey));
  for (const [key, value] of Object.entries(knobs)) if (wanted.has(knobKey(key))) return { key, value };
  return undefined;
}

const numberOf = (v: KnobValue | undefined): number | null => {
  if (typeof v !== 'string') return null;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : null;
};
const boolOf = (v: KnobValue | undefined): boolean | null => {
  if (v === true || v === false) return v;
  if (typeof v !== 'string') return null;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off|none)$/i.test(v)) return false;
  return null;
};

/** `key: value` pairs at the top level of hparams.yaml (flow values as text). */
export function hparamsOf(text: string): Knobs {
  const out: Knobs = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z_][\w.-]*):\s*(.*?)\s*$/.exec(line);
    if (!m || m[2] === '' || m[2].startsWith('#')) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** What Lightning's own lines say about the config (scanned from the log text). */
export interface LogConfig {
  minEpochs: { value: number; line: number } | null;
  resumedFrom: { path: string; line: number } | null;
  folderNotEmpty: { path: string; line: number } | null;
  minDelta: { value: number; monitor: string; line: number } | null;
  stoppingThreshold: { value: number; monitor: string; mode: Mode; line: number } | null;
  divergenceThreshold: { value: number; monitor: string; mode: Mode; line: number } | null;
  /** `Monitored metric m did not improve in the last N records`: wait when it stopped (= patience, or 1 for patience 0). */
  patienceWait: { value: number; monitor: string; line: number } | null;
  nonFinite: { monitor: string; line: number } | null;
  /** EarlyStopping named its monitor in an `improved` line. */
  esMonitor: { monitor: string; line: number } | null;
  /**
   * ModelCheckpoint(verbose=True)'s saves, in order: `Epoch E, global step S: 'm' reached V (best B), saving model
   * to 'PATH' as top K` (P:callbacks/model_checkpoint.py `_update_best_and_save`), found anywhere in a line (a
   * progress bar's redraws may share it).
   */
  saves: Array<{ epoch: number; globalStep: number; monitor: string; value: number; path: string; topK: number; line: number }>;
}

export function scanLogConfig(text: string | null): LogConfig {
  const out: LogConfig = {
    minEpochs: null,
    resumedFrom: null,
    folderNotEmpty: null,
    minDelta: null,
    stoppingThreshold: null,
    divergenceThreshold: null,
    patienceWait: null,
    nonFinite: null,
    esMonitor: null,
    saves: [],
  };
  if (!text) return out;
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 4000) continue;
    let m: RegExpExecArray | null;
    // 1.6 on: `… but the required \`min_epochs=5\` or …`; up to 1.5 (loops/fit_loop.py): `… but required minimum epochs (5) or minimum steps (None) has not been met`.
    if (!out.minEpochs && (m = /Trainer was signaled to stop but (?:the required `min_epochs=(\d+)`|required minimum epochs \((\d+)\))/.exec(l)))
      out.minEpochs = { value: Number(m[1] ?? m[2]), line: i + 1 };
    // 1.5 on: `Restoring states from the checkpoint path at P`; 1.3–1.4 (checkpoint_connector.py): `Restored all states from the checkpoint file at P`.
    else if (!out.resumedFrom && (m = /(?:Restoring states from the checkpoint path|Restored all states from the checkpoint file) at (.+?)\s*$/.exec(l))) out.resumedFrom = { path: m[1], line: i + 1 };
    else if (!out.folderNotEmpty && (m = /Checkpoint directory (.+) exists and is not empty\./.exec(l))) out.folderNotEmpty = { path: m[1], line: i + 1 };
    else if (!out.minDelta && (m = /Metric (.+) improved by \S+ >= min_delta = (\S+)\. New best score/.exec(l))) out.minDelta = { value: Number(m[2]), monitor: m[1], line: i + 1 };
    else if ((m = /Stopping threshold reached: (.+) = (\S+) ([<>]) (\S+)\. Signaling Trainer to stop/.exec(l)))
      out.stoppingThreshold ??= { value: Number(m[4]), monitor: m[1], mode: m[3] === '<' ? 'min' : 'max', line: i + 1 };
    else if ((m = /Divergence threshold reached: (.+) = (\S+) ([<>]) (\S+)\. Signaling Trainer to stop/.exec(l)))
      out.divergenceThreshold ??= { value: Number(m[4]), monitor: m[1], mode: m[3] === '<' ? 'min' : 'max', line: i + 1 };
    else if ((m = /Monitored metric (.+) did not improve in the last (\d+) records\./.exec(l))) out.patienceWait ??= { value: Number(m[2]), monitor: m[1], line: i + 1 };
    else if ((m = /Monitored metric (.+) = \S+ is not finite\./.exec(l))) out.nonFinite ??= { monitor: m[1], line: i + 1 };
    if (!out.esMonitor && (m = /Metric (.+) improved(?: by|\. New best score)/.exec(l))) out.esMonitor = { monitor: m[1], line: i + 1 };
    if (l.includes('saving model to')) {
      for (const s of l.matchAll(/Epoch (\d+), global step (\d+): '((?:[^'\\]|\\.)*)' reached (\S+) \(best \S+\), saving model to '((?:[^'\\]|\\.)*)' as top (-?\d+)/g)) {
        // A notebook's or Hydra's second copy of the line (`INFO: …` then `INFO:lightning.pytorch…:…`) is the same save.
        const last = out.saves[out.saves.length - 1];
        if (last && last.line >= i && last.epoch === Number(s[1]) && last.globalStep === Number(s[2]) && last.path === s[5]) continue;
        out.saves.push({ epoch: Number(s[1]), globalStep: Number(s[2]), monitor: s[3], value: Number(s[4]), path: s[5], topK: Number(s[6]), line: i + 1 });
      }
    }
  }
  return out;
}

/**
 * Derive the settings. `knobs`: the command's; `source(k)`: how to name a
 * knob as a source; `names`: the checkpoint files found (for what the names
 * themselves state is left to the checkpoint analysis).
 */
export function deriveSettings(input: {
  knobs: Knobs;
  knobSource: (key: string) => string;
  hparams: { knobs: Knobs; file: string } | null;
  rp: { value: RunproofJson; file: string } | null;
  log: ParsedLog | null;
  logName: string;
  logConfig: LogConfig;
}): Settings {
  const { knobs, rp, log, logName, logConfig: lc } = input;
  const hp = input.hparams;
  const rpc = rp?.value.checkpoints[0] ?? null;
  const rpe = rp?.value.earlyStopping[0] ?? null;
  const rpt = rp?.value.trainer ?? null;
  const rpFile = rp?.file ?? 'runproof.json';
  const at = (line: number | null | undefined) => `${logName}${line != null ? `:${line}` : ''}`;

  type Known<T> = { state: 'known'; value: T; source: string };
  /** A number knob from the command, else hparams.yaml. */
  const knobNum = (names: string[]): Known<number> | null => {
    const k = findKnob(knobs, ...names);
    const n = numberOf(k?.value);
    if (k && n !== null) return known(n, input.knobSource(k.key));
    if (hp) {
      const h = findKnob(hp.knobs, ...names.map((x) => x.replace(/-/g, '_')));
      const hn = numberOf(h?.value);
      if (h && hn !== null) return known(hn, `${hp.file}: ${h.key}`);
    }
    return null;
  };
  const knobStr = (names: string[]): Known<string> | null => {
    const k = findKnob(knobs, ...names);
    if (k && typeof k.value === 'string') return known(k.value, input.knobSource(k.key));
    if (hp) {
      const h = findKnob(hp.knobs, ...names.map((x) => x.replace(/-/g, '_')));
      if (h && typeof h.value === 'string' && h.value !== 'null') return known(h.value, `${hp.file}: ${h.key}`);
    }
    return null;
  };
  const knobBool = (names: string[]): Known<boolean> | null => {
    const k = findKnob(knobs, ...names);
    const b = boolOf(k?.value);
    if (k && b !== null) return known(b, input.knobSource(k.key));
    return null;
  };
  const modeOf = (f: Known<string> | null): Fact<Mode> | null => (f && (f.value === 'min' || f.value === 'max') ? (f as Known<Mode>) : null);

  // --- trainer -------------------------------------------------------------------------------
  let maxEpochs: Fact<number> =
    rpt?.maxEpochs != null
      ? known(rpt.maxEpochs, `${rpFile}: trainer.max_epochs`)
      : (knobNum(['max-epochs', 'epochs']) ?? unknown("no max_epochs in runproof.json, the command, the log's stop line or the trainer's echo"));
  if (maxEpochs.state === 'unknown' && log?.stop.limitKind === 'max_epochs' && log.stop.limit != null) maxEpochs = known(log.stop.limit, `${at(log.stop.line)}: stop line`);
  if (maxEpochs.state === 'unknown' && log) {
    const echoKey = log.echo.max_epochs !== undefined ? 'max_epochs' : 'epochs';
    const n = Number(log.echo[echoKey]);
    if (log.echo[echoKey] !== undefined && Number.isInteger(n)) maxEpochs = known(n, `${logName}: trainer echo ${echoKey}=${log.echo[echoKey]}`);
  }
  let maxSteps: Fact<number> =
    rpt?.maxSteps != null ? known(rpt.maxSteps, `${rpFile}: trainer.max_steps`) : (knobNum(['max-steps']) ?? unknown('no max_steps in runproof.json, the command or the log'));
  if (maxSteps.state === 'unknown' && log?.stop.limitKind === 'max_steps' && log.stop.limit != null) maxSteps = known(log.stop.limit, `${at(log.stop.line)}: stop line`);
  let minEpochs: Fact<number> = rpt?.minEpochs != null ? known(rpt.minEpochs, `${rpFile}: trainer.min_epochs`) : (knobNum(['min-epochs']) ?? unknown('no min_epochs in runproof.json or the command'));
  if (minEpochs.state === 'unknown' && lc.minEpochs) minEpochs = known(lc.minEpochs.value, `${at(lc.minEpochs.line)}: "required min_epochs" line`);
  const cve: Fact<number> =
    rpt && rpt.checkValEveryNEpoch != null
      ? known(rpt.checkValEveryNEpoch, `${rpFile}: trainer.check_val_every_n_epoch`)
      : (knobNum(['check-val-every-n-epoch']) ?? unknown('no check_val_every_n_epoch in runproof.json or the command'));
  const vci: Fact<number> =
    rpt?.valCheckInterval != null
      ? known(rpt.valCheckInterval, `${rpFile}: trainer.val_check_interval`)
      : (knobNum(['val-check-interval']) ?? unknown('no val_check_interval in runproof.json or the command'));
  const opt = knobNum(['optimizers', 'num-optimizers']);
  const stepsPerBatch: Fact<number> = opt && opt.value >= 1 ? opt : unknown('optimizer steps per batch: not in the command (read from runproof.json or the names when they carry a step)');
  const resumedFrom: Fact<string> = rpt?.ckptPath
    ? known(rpt.ckptPath, `${rpFile}: trainer.ckpt_path`)
    : lc.resumedFrom
      ? known(lc.resumedFrom.path, `${at(lc.resumedFrom.line)}: "Restoring states" line`)
      : (() => {
          const k = findKnob(knobs, 'ckpt-path', 'resume-from-checkpoint', 'resume');
          return k && typeof k.value === 'string' ? known(k.value, input.knobSource(k.key)) : unknown('no ckpt_path: the fit did not resume, as far as the bundle says');
        })();
  const folderNotEmpty: Fact<boolean> = lc.folderNotEmpty
    ? known(true, `${at(lc.folderNotEmpty.line)}: "exists and is not empty" warning`)
    : unknown('no "Checkpoint directory … exists and is not empty" warning in the log');

  // --- ModelCheckpoint ------------------------------------------------------------------------------
  const ckLines = log?.epochs.checkpoints ?? [];
  let ckMonitor: Fact<string | null> = rpc
    ? known(rpc.monitor, `${rpFile}: model_checkpoint.monitor`)
    : ((knobStr(['checkpoint-monitor', 'monitor']) as Fact<string | null> | null) ?? unknown('no checkpoint monitor in runproof.json or the command'));
  if (ckMonitor.state === 'unknown' && ckLines.length) ckMonitor = known(ckLines[0].monitor, `${at(ckLines[0].line)}: ModelCheckpoint line`);
  const ckMode: Fact<Mode> = rpc
    ? known(rpc.mode, `${rpFile}: model_checkpoint.mode`)
    : (modeOf(knobStr(['checkpoint-mode', 'mode'])) ?? unknown('no checkpoint mode in runproof.json or the command'));
  let saveTopK: Fact<number> = rpc
    ? known(rpc.saveTopK, `${rpFile}: model_checkpoint.save_top_k`)
    : (knobNum(['checkpoint-save-top-k', 'save-top-k', 'top-k']) ?? unknown('no save_top_k in runproof.json or the command'));
  if (saveTopK.state === 'unknown' && ckLines.length) {
    // `as top {k}` / `was not in top {k}`: k itself, except with save_top_k=-1 where a save says `as top {len+1}`, growing.
    const ks = ckLines.map((c) => c.topK);
    const notIn = ckLines.find((c) => !c.saved);
    if (notIn) saveTopK = known(notIn.topK, `${at(notIn.line)}: "was not in top ${notIn.topK}"`);
    else if (new Set(ks).size === 1 && ckLines.length > ks[0]) saveTopK = known(ks[0], `${at(ckLines[0].line)}: "as top ${ks[0]}"`);
    else if (ks.every((k, i) => i === 0 || k === ks[i - 1] + 1) && ks.length > 1) saveTopK = known(-1, `${at(ckLines[0].line)}: "as top N" growing with every save (save_top_k=-1)`);
  }
  const saveLast: Fact<boolean | 'link'> = rpc
    ? known(rpc.saveLast, `${rpFile}: model_checkpoint.save_last`)
    : ((knobBool(['checkpoint-save-last', 'save-last']) as Fact<boolean | 'link'> | null) ?? unknown('no save_last in runproof.json or the command'));
  const everyNEpochsKnob = knobNum(['checkpoint-every-n-epochs', 'every-n-epochs']);
  const everyNTrainStepsKnob = knobNum(['checkpoint-every-n-train-steps', 'every-n-train-steps']);
  // Lightning: neither given → every_n_epochs=1, every_n_train_steps=0; one given → the other 0.
  const everyNEpochs: Fact<number> = rpc
    ? known(rpc.everyNEpochs, `${rpFile}: model_checkpoint.every_n_epochs`)
    : (everyNEpochsKnob ??
      (everyNTrainStepsKnob && everyNTrainStepsKnob.value > 0 ? known(0, `${everyNTrainStepsKnob.source} (every_n_epochs is then 0)`) : unknown('no every_n_epochs in runproof.json or the command')));
  const everyNTrainSteps: Fact<number> = rpc
    ? known(rpc.everyNTrainSteps, `${rpFile}: model_checkpoint.every_n_train_steps`)
    : (everyNTrainStepsKnob ?? (everyNEpochsKnob ? known(0, `${everyNEpochsKnob.source} (every_n_train_steps is then 0)`) : unknown('no every_n_train_steps in runproof.json or the command')));
  let template: Fact<FilenameTemplate> = unknown('no filename template in runproof.json or the command');
  if (rpc) {
    const t = templateFromLightning(rpc.filename, rpc.autoInsertMetricName);
    if (t) template = known(t, `${rpFile}: model_checkpoint.filename ${JSON.stringify(rpc.filename)}${rpc.autoInsertMetricName ? '' : ', auto_insert_metric_name=False'}`);
  } else {
    const fk = knobStr(['checkpoint-filename', 'filename']);
    const ai = knobBool(['checkpoint-auto-insert-metric-name', 'auto-insert-metric-name']);
    if (fk) {
      const t = templateFromLightning(fk.value, ai?.value ?? true);
      if (t && (ai || !/\{/.test(fk.value) || true)) template = known(t, `${fk.source}${ai ? ` and ${ai.source}` : ''}`);
    }
  }
  let saveOnTrainEpochEnd: Fact<boolean> = unknown('save_on_train_epoch_end: not in runproof.json; Lightning decides it from how often validation runs');
  if (rpc?.saveOnTrainEpochEnd != null) saveOnTrainEpochEnd = known(rpc.saveOnTrainEpochEnd, `${rpFile}: model_checkpoint.save_on_train_epoch_end`);
  else if (cve.state === 'known' || vci.state === 'known') {
    const sparse = (cve.value !== null && cve.value !== 1) || (vci.value !== null && vci.value !== 1);
    if (sparse || (cve.state === 'known' && vci.state === 'known'))
      saveOnTrainEpochEnd = known(
        !sparse,
        `${[cve, vci]
          .filter((x) => x.state === 'known')
          .map((x) => (x as { source: string }).source)
          .join(', ')} (Lightning saves at train-epoch end iff validation runs once per epoch)`,
      );
  }
  const versionCounter: Fact<boolean> = rpc
    ? known(rpc.versionCounter, `${rpFile}: model_checkpoint.enable_version_counter`)
    : unknown("enable_version_counter: not in runproof.json (Lightning's default is on)");

  // --- EarlyStopping -------------------------------------------------------------------------------
  const patienceKnob = knobNum(['early-stop-patience', 'patience', 'early-stopping-patience']);
  const es = log?.earlyStopping ?? null;
  const esLogMonitor = es?.monitor ?? lc.esMonitor?.monitor ?? lc.stoppingThreshold?.monitor ?? lc.divergenceThreshold?.monitor ?? lc.patienceWait?.monitor ?? lc.nonFinite?.monitor ?? null;
  const configured: Fact<boolean> = rp
    ? known(!!rpe, `${rpFile}: early_stopping${rpe ? '' : ' (none)'}`)
    : patienceKnob
      ? known(true, patienceKnob.source)
      : esLogMonitor
        ? known(true, `${logName}: EarlyStopping's own lines`)
        : unknown('no EarlyStopping in runproof.json, no patience knob in the command and no EarlyStopping line in the log');
  let esMonitor: Fact<string> = rpe
    ? known(rpe.monitor, `${rpFile}: early_stopping.monitor`)
    : (knobStr(['early-stop-monitor', 'early-stopping-monitor']) ?? unknown('no early-stopping monitor in runproof.json or the command'));
  if (esMonitor.state === 'unknown' && esLogMonitor) esMonitor = known(esLogMonitor, `${logName}: EarlyStopping line`);
  let esMode: Fact<Mode> = rpe
    ? known(rpe.mode, `${rpFile}: early_stopping.mode`)
    : (modeOf(knobStr(['early-stop-mode', 'early-stopping-mode'])) ?? unknown('no early-stopping mode in runproof.json or the command'));
  const thrLine = lc.stoppingThreshold ?? lc.divergenceThreshold;
  if (esMode.state === 'unknown' && thrLine) esMode = known(thrLine.mode, `${at(thrLine.line)}: threshold line`);
  let patience: Fact<number> = rpe ? known(rpe.patience, `${rpFile}: early_stopping.patience`) : (patienceKnob ?? unknown('no patience in runproof.json or the command'));
  if (patience.state === 'unknown' && lc.patienceWait && lc.patienceWait.value > 1)
    patience = known(lc.patienceWait.value, `${at(lc.patienceWait.line)}: "did not improve in the last ${lc.patienceWait.value} records"`);
  let minDelta: Fact<number> = rpe
    ? known(rpe.minDelta, `${rpFile}: early_stopping.min_delta`)
    : (knobNum(['early-stop-min-delta', 'min-delta']) ?? unknown('no min_delta in runproof.json or the command'));
  if (minDelta.state === 'unknown' && lc.minDelta) minDelta = known(lc.minDelta.value, `${at(lc.minDelta.line)}: "improved by … >= min_delta" line`);
  let stoppingThreshold: Fact<number | null> = rpe
    ? known(rpe.stoppingThreshold, `${rpFile}: early_stopping.stopping_threshold`)
    : ((knobNum(['early-stop-stopping-threshold', 'stopping-threshold']) as Fact<number | null> | null) ?? unknown('no stopping_threshold in runproof.json or the command'));
  if (stoppingThreshold.state === 'unknown' && lc.stoppingThreshold) stoppingThreshold = known(lc.stoppingThreshold.value, `${at(lc.stoppingThreshold.line)}: "Stopping threshold reached"`);
  let divergenceThreshold: Fact<number | null> = rpe
    ? known(rpe.divergenceThreshold, `${rpFile}: early_stopping.divergence_threshold`)
    : ((knobNum(['early-stop-divergence-threshold', 'divergence-threshold']) as Fact<number | null> | null) ?? unknown('no divergence_threshold in runproof.json or the command'));
  if (divergenceThreshold.state === 'unknown' && lc.divergenceThreshold)
    divergenceThreshold = known(lc.divergenceThreshold.value, `${at(lc.divergenceThreshold.line)}: "Divergence threshold reached"`);
  let checkFinite: Fact<boolean> = rpe
    ? known(rpe.checkFinite, `${rpFile}: early_stopping.check_finite`)
    : (knobBool(['early-stop-check-finite', 'check-finite']) ?? unknown('no check_finite in runproof.json or the command'));
  if (checkFinite.state === 'unknown' && lc.nonFinite) checkFinite = known(true, `${at(lc.nonFinite.line)}: "is not finite" line`);
  let checkOnTrainEpochEnd: Fact<boolean> =
    rpe?.checkOnTrainEpochEnd != null
      ? known(rpe.checkOnTrainEpochEnd, `${rpFile}: early_stopping.check_on_train_epoch_end`)
      : (knobBool(['early-stop-check-on-train-epoch-end', 'check-on-train-epoch-end']) ??
        unknown('check_on_train_epoch_end: not in runproof.json or the command; Lightning decides it from how often validation runs'));
  if (checkOnTrainEpochEnd.state === 'unknown' && (cve.state === 'known' || vci.state === 'known')) {
    const sparse = (cve.value !== null && cve.value !== 1) || (vci.value !== null && vci.value !== 1);
    if (sparse || (cve.state === 'known' && vci.state === 'known')) checkOnTrainEpochEnd = known(!sparse, "Lightning's default for how often validation runs");
  }

  return {
    trainer: { maxEpochs, maxSteps, minEpochs, checkValEveryNEpoch: cve, valCheckInterval: vci, stepsPerBatch, resumedFrom, folderNotEmpty },
    checkpoint: { monitor: ckMonitor, mode: ckMode, saveTopK, saveLast, everyNEpochs, everyNTrainSteps, template, saveOnTrainEpochEnd, versionCounter },
    earlyStop: { configured, monitor: esMonitor, mode: esMode, patience, minDelta, stoppingThreshold, divergenceThreshold, checkFinite, checkOnTrainEpochEnd },
  };
}
