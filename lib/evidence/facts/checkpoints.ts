/**
 * The checkpoint files, explained: which ModelCheckpoint configuration, run
 * hook by hook over the fit's timeline (lib/lightning/replay.ts), leaves
 * exactly the files the listing shows.
 *
 * What the bundle states (runproof.json, the command, Lightning's log lines)
 * is fixed. What it does not state is searched, in the order a user most
 * likely set it: the monitor (a metric the names carry, a val… column, or
 * none), the mode, save_top_k (the number of kept files, or -1), the fields
 * of names that do not spell their key (`ep05_score0.736`), optimizer steps
 * per batch when the names carry a step. Settings users rarely change and
 * no file reveals (every_n_epochs, every_n_train_steps) are taken at
 * Lightning's defaults and said so. The result says which settings were
 * inferred from the files themselves: a verdict that rests on them cannot be
 * more than a warning.
 */
import { DEFAULT_TEMPLATE, mergeShapes, nameShape, parseCheckpointName, resolveShape, templateFromLightning, type FilenameTemplate, type NameShape } from '../../lightning/checkpoints';
import type { ParsedMetrics } from '../../lightning/metrics-csv';
import { replayCheckpointHooks, type CheckpointConfig, type CheckpointReplay, type Hook, type Mode } from '../../lightning/replay';
import { hooksOf, timelineFromMetrics, validationColumns, type Timeline } from '../../lightning/timeline';
import type { ExpectedCheckpoint, FoundCheckpoint } from '../types';
import type { CheckpointSettings, TrainerSettings } from './config';
import type { RunproofJson } from './runproof-json';

/** One setting as the replay used it: stated by the bundle, inferred from the files, or Lightning's default taken. */
export interface UsedSetting<T> {
  value: T;
  how: 'stated' | 'inferred' | 'default';
  /** stated: where; inferred: from what; default: what the bundle does not say. */
  source: string;
  /** Inferred: other values the files also allow (empty: the files decide it). */
  alternatives?: T[];
}

export interface CheckpointAnalysis {
  /** The bundle has a listing, checkpoint files or a tree naming some. */
  evidence: boolean;
  listingFile: string;
  found: FoundCheckpoint[];
  /** There is a timeline (metrics, runproof.json or the log's values) to replay over. */
  canReplay: boolean;
  /** Why there is no replay (no timeline, a name no template explains). */
  reason: string | null;
  used: {
    monitor: UsedSetting<string | null>;
    mode: UsedSetting<Mode>;
    saveTopK: UsedSetting<number>;
    saveLast: UsedSetting<boolean | 'link'>;
    everyNEpochs: UsedSetting<number>;
    everyNTrainSteps: UsedSetting<number>;
    template: UsedSetting<FilenameTemplate>;
    stepsPerBatch: UsedSetting<number>;
    saveOnTrainEpochEnd: UsedSetting<boolean>;
  } | null;
  /** Some configuration in the search leaves exactly the files found. */
  explained: boolean;
  /** Configurations tried. */
  tried: number;
  /** The search stopped at its bound before trying every configuration the bundle leaves open. */
  searchCut: boolean;
  expected: ExpectedCheckpoint[];
  missing: string[];
  unexpected: string[];
  /** Files taken as an earlier run's (a rerun into the same folder, a resumed fit's). */
  prior: string[];
  /** runproof.json: Lightning's own best_k_models and last_model_path against the files. */
  bookkeeping: { source: string; kept: string[]; missing: string[]; unexpected: string[] } | null;
  /** The saves the log printed (verbose ModelCheckpoint) that the closest replay does not make, described; null when they agree or none were printed. */
  logMismatch: string | null;
  /** The replay ran over the log's rounded values and rounding could change its decisions (a tie it cannot see). */
  roundedUndecided: boolean;
  replay: CheckpointReplay | null;
}

/** A save ModelCheckpoint(verbose=True) printed: `Epoch E, global step S: … saving model to 'PATH' as top K`. */
export interface LoggedSave {
  epoch: number;
  globalStep: number;
  path: string;
  line: number;
  monitor?: string;
  value?: number;
}

export interface CheckpointInput {
  found: Array<{ name: string; sizeBytes: number | null }>;
  evidence: boolean;
  listingFile: string;
  settings: CheckpointSettings;
  trainer: TrainerSettings;
  /** Exact per-step values: a metrics.csv or TensorBoard events. */
  metrics: ParsedMetrics | null;
  /** Without those nor runproof.json's validations: the values the log printed (rounded). */
  logTable?: ParsedMetrics | null;
  rp: { value: RunproofJson; file: string } | null;
  /** The fit ended normally (on_train_end ran; the last epoch reached its end). */
  endedNormally: boolean;
  /** Saves the log printed (verbose ModelCheckpoint): a replay must make the same top-k saves, in order. */
  loggedSaves?: LoggedSave[];
  /** With the log's rounded values only: whether rounding cannot change the replay's decisions (log-epochs.ts logValuesDecide). */
  logValuesDecide?: (monitor: string | null) => boolean;
}

const MAX_TRIES = 4000;
/** Hooks replayed across the whole search, at most: a long run's search stops early and says so. */
const WORK_BUDGET = 1_000_000;
const MAXISH = /acc|f1|auc|precision|recall|iou|dice|score|map\b|bleu|psnr|ssim|r2|top\d/i;

/** Mode a metric's name suggests: accuracy-like higher is better, the rest (losses, errors) lower. */
export function modeByName(metric: string): Mode {
  return MAXISH.test(metric) && !/loss|err/i.test(metric) ? 'max' : 'min';
}

const stated = <T>(value: T, source: string): UsedSetting<T> => ({ value, how: 'stated', source });
const dflt = <T>(value: T, source: string): UsedSetting<T> => ({ value, how: 'default', source });

export function analyseCheckpoints(input: CheckpointInput): CheckpointAnalysis {
  const { settings: s, trainer: t, rp } = input;
  const parsed = input.found.map((f) => parseCheckpointName(f.name, f.sizeBytes));
  const base: CheckpointAnalysis = {
    evidence: input.evidence,
    listingFile: input.listingFile,
    found: parsed.map((c) => ({ name: c.name, sizeBytes: c.sizeBytes, epoch: c.epoch, step: c.step, score: c.score, kind: c.kind, expected: false })),
    canReplay: false,
    reason: null,
    used: null,
    explained: false,
    tried: 0,
    searchCut: false,
    expected: [],
    missing: [],
    unexpected: [],
    prior: [],
    bookkeeping: null,
    logMismatch: null,
    roundedUndecided: false,
    replay: null,
  };
  if (!input.evidence) return { ...base, reason: 'no checkpoint listing in the bundle' };

  // --- runproof.json: Lightning's own bookkeeping against the files -------------------------------
  // best_k_models (a monitor) or best_model_path (none, save_top_k=1) name files that must be there. The `end`
  // record is written in on_train_end before ModelCheckpoint's own (which may still write last.ckpt), so
  // last.ckpt is left to the replay.
  const rpState = rp ? (rp.value.end ?? rp.value.validations[rp.value.validations.length - 1] ?? null) : null;
  const rpSet = rp?.value.checkpoints[0] ?? null;
  if (rp && rpSet && rpState?.checkpoints[0]) {
    const st = rpState.checkpoints[0];
    const kept = rpSet.monitor !== null ? st.bestK.map((b) => b.name) : rpSet.saveTopK === 1 && st.bestModelPath ? [st.bestModelPath] : [];
    if (st.lastModelPath) kept.push(st.lastModelPath);
    const names = new Set(parsed.map((c) => c.name));
    const missing = kept.filter((n) => !names.has(n));
    base.bookkeeping = {
      source: `${rp.file}: ${rp.value.end ? 'end' : 'last validation'} ${rpSet.monitor !== null ? 'best_k_models' : 'best_model_path'}${st.lastModelPath ? ' and last_model_path' : ''}`,
      kept,
      missing,
      unexpected: [],
    };
  }

  // --- the timeline ------------------------------------------------------------------------------
  const knownMonitor = s.monitor.state === 'known' ? s.monitor.value : null;
  const named = parsed.filter((c) => c.kind === 'top-k' && c.epoch !== null).map((c) => ({ epoch: c.epoch!, step: c.step, values: c.values }));
  const source = timelineSource({
    metrics: input.metrics,
    logTable: input.logTable ?? null,
    rp: rp?.value ?? null,
    endedNormally: input.endedNormally,
    monitors: [knownMonitor],
    loggedSaves: input.loggedSaves,
    named,
  });
  const m = source.table;
  const valCols = source.valColumns;
  const rpVals = rp?.value.validations ?? [];
  const timelineFor = source.at;
  // A log prints one value per epoch: validations run several times an epoch are not all in it (a replay that does not
  // explain the files then proves nothing).
  // (as do two kept files named for one epoch: saves at two of its steps)
  const epochsNamed = parsed.filter((c) => c.kind !== 'last' && c.epoch !== null).map((c) => c.epoch!);
  const perEpochOnly =
    source.kind === 'log' && ((t.valCheckInterval.value !== null && t.valCheckInterval.value !== 1) || severalSavesAnEpoch(input.loggedSaves ?? []) || new Set(epochsNamed).size < epochsNamed.length);
  const tl1 = timelineFor(1);
  if (!tl1 || (!tl1.validations.length && !tl1.epochs.length))
    return { ...base, reason: 'no per-epoch metrics (metrics.csv, TensorBoard events, runproof.json or values in the log) to replay ModelCheckpoint over' };
  base.canReplay = true;

  // --- what the found names say ----------------------------------------------------------------------
  const lastFiles = parsed.filter((c) => c.kind === 'last').map((c) => c.name);
  const topFiles = parsed.filter((c) => c.kind !== 'last');
  const shapes = new Map<string, Array<{ name: string; shape: NameShape }>>();
  const fieldless: string[] = [];
  for (const c of topFiles) {
    const sh = nameShape(c.name);
    if (!sh) {
      fieldless.push(c.name);
      continue;
    }
    const g = shapes.get(sh.skeleton) ?? [];
    g.push({ name: c.name, shape: sh });
    shapes.set(sh.skeleton, g);
  }
  const groups = [...shapes.values()].sort((a, b) => b.length - a.length);
  const main = groups[0] ?? [];

  const resumed = t.resumedFrom.state === 'known';
  const priorPossible = resumed || t.folderNotEmpty.value === true || lastFiles.some((n) => /-v\d+\.ckpt$/.test(n)) || (rp?.value.start?.globalStep ?? 0) > 0;
  const columns = m?.columns ?? Object.keys(rpVals[0]?.metrics ?? {});
  const epochLevel = m?.epochLevel ?? columns;

  // --- candidates per setting ---------------------------------------------------------------------------
  // template
  let templates: Array<{ t: FilenameTemplate; how: UsedSetting<FilenameTemplate> }>;
  if (s.template.state === 'known') templates = [{ t: s.template.value, how: stated(s.template.value, s.template.source) }];
  else if (main.length) {
    const merged = mergeShapes(main.map((x) => x.shape));
    const open = merged.parts.filter((p) => 'key' in p && p.key === null) as Array<{ key: null; spec: string; text: string; int: boolean }>;
    const sameText = open.map((_, i) => main.every((x) => (x.shape.parts.filter((p) => 'key' in p && p.key === null)[i] as { text: string }).text === (open[i] as { text: string }).text));
    // What the validations log first (once per epoch or, with val_check_interval, several times), then other epoch-level columns.
    const metricKeys = [...valCols.filter((c) => epochLevel.includes(c)), ...valCols.filter((c) => !epochLevel.includes(c)), ...epochLevel.filter((c) => !valCols.includes(c))];
    const options = open.map((o, i) => [...(o.int ? ['epoch', 'step'] : metricKeys), ...(sameText[i] ? [null] : [])] as Array<string | null>);
    const combos: Array<Array<string | null>> = [[]];
    for (const opts of options) {
      const next: Array<Array<string | null>> = [];
      for (const c of combos) for (const o of opts) if (next.length < 64) next.push([...c, o]);
      combos.splice(0, combos.length, ...next);
    }
    templates = combos.map((keys) => {
      const tt = resolveShape(merged, keys);
      return { t: tt, how: { value: tt, how: 'inferred' as const, source: `checkpoint file names (${main[0].name}${main.length > 1 ? ` and ${main.length - 1} more` : ''})` } };
    });
  } else if (fieldless.length) {
    const body = fieldless[0].replace(/(-v\d+)?\.ckpt$/, '');
    const tt = templateFromLightning(
      body.replace(/[{}]/g, (c) => c + c),
      false,
    )!;
    templates = [{ t: tt, how: { value: tt, how: 'inferred', source: `checkpoint file name ${fieldless[0]}` } }];
  } else templates = [{ t: DEFAULT_TEMPLATE, how: dflt(DEFAULT_TEMPLATE, "no top-k file to read the filename template from: Lightning's default '{epoch}-{step}'") }];

  // steps per batch: stated, else read from a name carrying epoch and step against the logged step of that epoch
  let fs: Array<UsedSetting<number>> = [];
  if (t.stepsPerBatch.state === 'known') fs = [stated(t.stepsPerBatch.value, t.stepsPerBatch.source)];
  else if (rp && m && rpVals.length && tl1.validations.length) {
    const r = rpVals[0].globalStep / tl1.validations[0].step;
    if (Number.isInteger(r) && r >= 1) fs = [stated(r, `${rp.file}: validations' global_step against the logged steps`)];
  }
  if (!fs.length) {
    const ratios = new Set<number>();
    for (const c of topFiles) {
      if (c.epoch === null || c.step === null) continue;
      const ends = [...tl1.validations.filter((v) => v.epoch === c.epoch).map((v) => v.step), ...tl1.epochs.filter((e) => e.epoch === c.epoch).map((e) => e.endStep)];
      for (const g of ends) if (g > 0 && c.step % g === 0) ratios.add(c.step / g);
    }
    const r = [...ratios].filter((x) => x >= 1 && x <= 8).sort((a, b) => a - b);
    if (r.length) fs = r.map((x) => ({ value: x, how: 'inferred' as const, source: 'the steps in the checkpoint names against the logged steps' }));
    else fs = [dflt(1, 'one optimizer step per batch (the names carry no step to tell otherwise)')];
  }

  const monitors: Array<UsedSetting<string | null>> = [];
  if (s.monitor.state === 'known') monitors.push(stated(s.monitor.value, s.monitor.source));
  else {
    const seen = new Set<string | null>();
    const add = (v: string | null, why: string) => {
      if (!seen.has(v)) {
        seen.add(v);
        monitors.push({ value: v, how: 'inferred', source: why });
      }
    };
    for (const tt of templates) for (const k of tt.t.metrics) if (columns.includes(k) || !m) add(k, 'the metric the checkpoint names carry');
    for (const c of [...valCols].sort((a, b) => Number(/loss/i.test(b)) - Number(/loss/i.test(a)))) add(c, 'a metric the validations log');
    add(null, "no monitor (Lightning's default callback saves the latest)");
  }
  const modesFor = (mon: string | null): Array<UsedSetting<Mode>> => {
    if (s.mode.state === 'known') return [stated(s.mode.value, s.mode.source)];
    if (mon === null) return [dflt('min' as Mode, 'no monitor: mode unused')];
    const first = modeByName(mon);
    return [first, first === 'min' ? 'max' : 'min'].map((v) => ({ value: v as Mode, how: 'inferred' as const, source: 'which epochs were kept' }));
  };
  const nMain = main.length + (main.length ? 0 : fieldless.length);
  const ksFor = (mon: string | null): Array<UsedSetting<number>> => {
    if (s.saveTopK.state === 'known') return [stated(s.saveTopK.value, s.saveTopK.source)];
    const how = (v: number, why: string): UsedSetting<number> => ({ value: v, how: 'inferred', source: why });
    const out: Array<UsedSetting<number>> = [];
    if (priorPossible) {
      for (let v = nMain; v >= 0; v--) if (mon !== null || v <= 1) out.push(how(v, 'the number of files kept'));
      out.push(how(-1, 'every save kept'));
      return out;
    }
    if (nMain === 0) return [how(0, 'no top-k file kept')];
    if (mon === null) return nMain === 1 ? [how(1, 'one file kept'), how(-1, 'every save kept')] : [how(-1, 'every save kept')];
    return [how(nMain, `${nMain} file${nMain === 1 ? '' : 's'} kept`), how(-1, 'every save kept')];
  };
  const saveLasts: Array<UsedSetting<boolean | 'link'>> =
    s.saveLast.state === 'known'
      ? [stated(s.saveLast.value, s.saveLast.source)]
      : lastFiles.length
        ? [
            { value: true, how: 'inferred', source: `checkpoint file ${lastFiles[0]}` },
            ...(priorPossible ? [{ value: false as const, how: 'inferred' as const, source: 'last.ckpt from an earlier run' }] : []),
          ]
        : [{ value: false, how: 'inferred', source: 'no last.ckpt among the files' }];
  const ene: UsedSetting<number> =
    s.everyNEpochs.state === 'known' ? stated(s.everyNEpochs.value, s.everyNEpochs.source) : dflt(1, "every_n_epochs: the bundle does not say; Lightning's default 1 taken");
  const ents: UsedSetting<number> =
    s.everyNTrainSteps.state === 'known' ? stated(s.everyNTrainSteps.value, s.everyNTrainSteps.source) : dflt(0, "every_n_train_steps: the bundle does not say; Lightning's default 0 taken");
  let soTEE: UsedSetting<boolean>;
  if (s.saveOnTrainEpochEnd.state === 'known') soTEE = stated(s.saveOnTrainEpochEnd.value, s.saveOnTrainEpochEnd.source);
  else {
    // Lightning's None: at train-epoch end iff validation runs once per epoch at its end.
    const perEpoch = new Map<number, number>();
    for (const v of tl1.validations) perEpoch.set(v.epoch, (perEpoch.get(v.epoch) ?? 0) + 1);
    const ended = tl1.epochs.filter((e) => e.ended);
    const lastEpoch = ended.length ? ended[ended.length - 1].epoch : null;
    const sparse =
      [...perEpoch.values()].some((n) => n > 1) ||
      ended.some((e) => e.epoch !== lastEpoch && !perEpoch.has(e.epoch)) ||
      tl1.validations.some((v) => {
        const ep = tl1.epochs.find((e) => e.epoch === v.epoch);
        return !!ep && v.step !== ep.endStep;
      });
    soTEE = { value: !sparse, how: 'inferred', source: sparse ? 'validations not once per epoch at its end' : 'one validation per epoch, at its end' };
  }
  const versionCounter = s.versionCounter.value ?? true;

  // --- resumed fits: the restored best_k_models --------------------------------------------------------
  const rpRestored = (() => {
    if (!resumed || !rp) return null;
    const first = rp.value.validations[0];
    return first ? null : null;
  })();
  void rpRestored;

  // --- search --------------------------------------------------------------------------------------------------
  const foundNames = new Set(parsed.map((c) => c.name));
  const hooksCache = new Map<string, Hook[] | null>();
  // A crash seen only through the log's progress bar: whether its last epoch reached its end is not told.
  const endedOptions = source.kind === 'log' && !input.endedNormally ? [false, true] : [input.endedNormally];
  const hooksFor = (f: number, e: number, ended: boolean): Hook[] | null => {
    const key = `${f}:${e}:${ended}`;
    if (!hooksCache.has(key)) {
      const tl = f === 1 && ended === input.endedNormally ? tl1 : timelineFor(f, ended);
      hooksCache.set(key, tl ? hooksOf(input.endedNormally ? tl : pastLastRow(tl), { everyNTrainSteps: e }) : null);
    }
    return hooksCache.get(key)!;
  };
  // A fit that crashed may have trained past its last logged row (log_every_n_steps) and saved there: a checkpoint name
  // spelling a later epoch and step shows how far it got.
  const namedEnd = topFiles
    .filter((c) => c.epoch !== null && c.step !== null)
    .reduce<{ epoch: number; step: number } | null>((a, c) => (!a || c.step! > a.step ? { epoch: c.epoch!, step: c.step! } : a), null);
  const pastLastRow = (tl: Timeline): Timeline => {
    const last = tl.epochs[tl.epochs.length - 1];
    if (!namedEnd || !last || namedEnd.step <= last.endStep || namedEnd.epoch < last.epoch) return tl;
    const epochs =
      namedEnd.epoch === last.epoch
        ? [...tl.epochs.slice(0, -1), { ...last, endStep: namedEnd.step, ended: false }]
        : [...tl.epochs.slice(0, -1), { ...last, ended: true }, { epoch: namedEnd.epoch, startStep: last.endStep, endStep: namedEnd.step, ended: false, metrics: {} }];
    return { ...tl, epochs };
  };
  const resumedName = t.resumedFrom.value
    ? relativeTo(
        t.resumedFrom.value,
        parsed.map((c) => c.name),
      )
    : null;

  type Attempt = {
    cfg: CheckpointConfig;
    r: CheckpointReplay;
    missing: string[];
    unexpected: string[];
    prior: string[];
    used: NonNullable<CheckpointAnalysis['used']>;
    order: number;
    logDiff: number;
  };
  // The saves the log printed, against a replay's top-k saves: the names must end the printed paths, in order.
  const logged = input.loggedSaves ?? [];
  const logDiff = (r: CheckpointReplay): number => {
    if (!logged.length) return 0;
    const saves = r.events.flatMap((e) =>
      e.saved
        ? e.saved
            .split(', ')
            .filter((n) => !/^last(-v\d+)?\.ckpt$/.test(n))
            .map((n) => ({ n, step: e.step }))
        : [],
    );
    let diff = Math.abs(saves.length - logged.length);
    for (let i = 0; i < Math.min(saves.length, logged.length); i++) {
      const p = logged[i].path;
      if (!(p === saves[i].n || p.endsWith(`/${saves[i].n}`))) diff++;
    }
    return diff;
  };
  let best: Attempt | null = null;
  const explanations: Attempt[] = [];
  let tried = 0;
  let order = 0;
  let work = 0;

  const run = (cfgBase: Omit<CheckpointConfig, 'prior' | 'restored'>, hooks: Hook[]): { r: CheckpointReplay; missing: string[]; unexpected: string[]; prior: string[] } => {
    if (!priorPossible) {
      const r = replayCheckpointHooks(hooks, cfgBase);
      const exp = new Set(r.expected.map((e) => e.name));
      return { r, missing: r.expected.filter((e) => !foundNames.has(e.name)).map((e) => e.name), unexpected: parsed.filter((c) => !exp.has(c.name)).map((c) => c.name), prior: [] };
    }
    // Files an earlier run left: those this fit does not explain; they make this fit's names take -vN.
    // A resumed fit restored best_k_models from the checkpoint: the earlier run's kept files, scores unknown —
    // tried as better than every value here, worse than every one, or absent.
    const restoredOptions: Array<CheckpointConfig['restored']> = [null];
    if (resumed && cfgBase.monitor !== null && cfgBase.saveTopK > 0) {
      // A restored file whose name carries the monitored value has that score; the others are tried as better than every value here, or worse.
      const others = parsed.filter((c) => c.kind !== 'last');
      const min = cfgBase.mode === 'min';
      const mon = cfgBase.monitor;
      for (const sc of [min ? -Infinity : Infinity, min ? Infinity : -Infinity]) {
        const n = Math.min(cfgBase.saveTopK, 3);
        for (let r = 1; r <= n; r++)
          restoredOptions.push({
            bestK: Array.from({ length: r }, (_, i) => ({ name: others[i]?.name ?? `(restored ${i + 1})`, score: others[i] && mon in others[i].values ? others[i].values[mon] : sc })),
            lastModelPath: resumedName,
            resumedFrom: resumedName,
          });
      }
      // A restored file this fit deleted is not in the listing: one kept file of unknown name, its score one of the values
      // validated here (a tie decides whether the first one replaces it).
      if (mon !== null) {
        const vals = [
          ...new Set(
            hooks
              .filter((h) => h.kind === 'val' || h.kind === 'epoch')
              .map((h) => h.metrics[mon])
              .filter((v): v is number => v !== undefined && Number.isFinite(v)),
          ),
        ].slice(0, 20);
        for (const sc of vals) restoredOptions.push({ bestK: [{ name: '(restored 1)', score: sc }], lastModelPath: resumedName, resumedFrom: resumedName });
      }
    }
    let bestRun: { r: CheckpointReplay; missing: string[]; unexpected: string[]; prior: string[] } | null = null;
    let bestLd = Infinity;
    // The earlier run's: what this fit does not make, and of a name and its `-vN` siblings all but the newest.
    const fresh = replayCheckpointHooks(hooks, cfgBase);
    const freshOwn = new Set(fresh.expected.map((e) => e.name));
    const family = (n: string) => n.replace(/(-v\d+)?\.ckpt$/, '');
    const versionOf = (n: string) => Number(/-v(\d+)\.ckpt$/.exec(n)?.[1] ?? 0);
    const newest = new Map<string, number>();
    for (const n of foundNames) newest.set(family(n), Math.max(newest.get(family(n)) ?? -1, versionOf(n)));
    const freshFamilies = new Set([...freshOwn].map(family));
    // This fit's newest saves of a name are the highest versions; how many of them are its own is tried (one, two,
    // three: a save every n steps writes one name more than once per epoch).
    const versionsOf = new Map<string, number[]>();
    for (const n of foundNames)
      versionsOf.set(
        family(n),
        [...(versionsOf.get(family(n)) ?? []), versionOf(n)].sort((a, b) => b - a),
      );
    const firstPriors: string[][] = [];
    // First, per name: as many of its newest versions are this fit's as the fit without an earlier run's files keeps of it.
    const ownPerFamily = new Map<string, number>();
    for (const e of fresh.expected) ownPerFamily.set(family(e.name), (ownPerFamily.get(family(e.name)) ?? 0) + 1);
    firstPriors.push(
      [...foundNames].filter(
        (n) =>
          !versionsOf
            .get(family(n))!
            .slice(0, ownPerFamily.get(family(n)) ?? 0)
            .includes(versionOf(n)),
      ),
    );
    for (let d = 1; d <= 3; d++) {
      const p = [...foundNames].filter((n) => !freshFamilies.has(family(n)) || !versionsOf.get(family(n))!.slice(0, d).includes(versionOf(n)));
      if (!firstPriors.some((q) => q.length === p.length)) firstPriors.push(p);
    }
    replayed: for (const restored of restoredOptions)
      for (const firstPrior of firstPriors) {
        let prior = firstPrior;
        let r = replayCheckpointHooks(hooks, { ...cfgBase, prior, restored });
        for (let i = 0; i < 3; i++) {
          const own = new Set(r.expected.map((e) => e.name));
          const next = [...foundNames].filter((n) => !own.has(n));
          if (next.length === prior.length && next.every((n, j) => n === prior[j])) break;
          prior = next;
          r = replayCheckpointHooks(hooks, { ...cfgBase, prior, restored });
        }
        const own = new Set(r.expected.map((e) => e.name));
        const kept = new Set(r.folder);
        const missing = [...kept].filter((n) => !foundNames.has(n) && !n.startsWith('(restored'));
        const restoredKept = r.bestK.filter((b) => b.name.startsWith('(restored')).length;
        const res = {
          r,
          missing: restoredKept ? [...missing, `${restoredKept} restored file${restoredKept > 1 ? 's' : ''}`] : missing,
          unexpected: [] as string[],
          prior: [...foundNames].filter((n) => !own.has(n)),
        };
        // (the saves the log printed decide between restored states that leave the same files)
        const ld = logDiff(r);
        if (!bestRun || res.missing.length < bestRun.missing.length || (res.missing.length === bestRun.missing.length && ld < bestLd)) {
          bestRun = res;
          bestLd = ld;
        }
        if (!res.missing.length && !ld) break replayed;
      }
    return bestRun!;
  };

  const search = (fList: Array<UsedSetting<number>>, triggers: Array<[UsedSetting<number>, UsedSetting<number>]>) => {
    for (const f of fList) {
      for (const [eneU, entsU] of triggers) {
        for (const tmpl of templates)
          for (const ended of endedOptions) {
            const hooks = hooksFor(f.value, entsU.value, ended);
            if (!hooks) continue;
            for (const mon of monitors) {
              for (const mode of modesFor(mon.value)) {
                for (const k of ksFor(mon.value)) {
                  if (mon.value === null && k.value > 1) continue;
                  for (const sl of saveLasts) {
                    if (tried >= MAX_TRIES || explanations.length >= 24 || work > WORK_BUDGET) return;
                    tried++;
                    work += hooks.length * (priorPossible ? 3 : 1);
                    const cfg: Omit<CheckpointConfig, 'prior' | 'restored'> = {
                      monitor: mon.value,
                      mode: mode.value,
                      saveTopK: k.value,
                      saveLast: sl.value,
                      everyNEpochs: eneU.value,
                      everyNTrainSteps: entsU.value,
                      saveOnTrainEpochEnd: soTEE.value,
                      template: tmpl.t,
                      versionCounter,
                    };
                    const res = run(cfg, hooks);
                    const used = { monitor: mon, mode, saveTopK: k, saveLast: sl, everyNEpochs: eneU, everyNTrainSteps: entsU, template: tmpl.how, stepsPerBatch: f, saveOnTrainEpochEnd: soTEE };
                    const a: Attempt = { cfg, ...res, used, order: order++, logDiff: logDiff(res.r) };
                    const costOf = (x: Attempt) => x.missing.length + x.unexpected.length + (x.r.renderError ? 1 : 0) + x.logDiff;
                    const cost = costOf(a);
                    if (!best || cost < costOf(best)) best = a;
                    if (cost === 0) explanations.push(a);
                  }
                }
              }
            }
          }
      }
    }
  };
  search(fs, [[ene, ents]]);
  // Not explained with Lightning's defaults for what the bundle does not say: the rarer settings the files can show —
  // optimizer steps per batch when the names carry a step, every_n_epochs / every_n_train_steps when at least two
  // kept files show a period, or a kept file is one the defaults never leave (saved in an epoch they save nothing
  // better in, or where they do not save at all): files do not appear from nowhere, so the defaults are not what ran.
  // One file the defaults would keep, with another they keep missing, shows no period: the default is not given up
  // for it (a lost file fails).
  const stepInNames = templates.some((x) => x.t.parts.some((p) => 'key' in p && p.key === 'step'));
  const moreFs = fs.length === 1 && fs[0].how === 'default' && stepInNames ? [2, 3, 4].map((v) => ({ value: v, how: 'inferred' as const, source: 'the steps in the checkpoint names' })) : [];
  if (!explanations.length && moreFs.length) search(moreFs, [[ene, ents]]);
  // (So is a save the log printed that the defaults do not make, or one they make that a verbose ModelCheckpoint did not print.)
  const strayFile = !!best && ((best as Attempt).unexpected.length > 0 || (logged.length >= 1 && (best as Attempt).logDiff > 0));
  // Where the bundle does not state save_top_k either, nothing of ModelCheckpoint's is stated to hold the defaults to:
  // one kept file is searched as well. (A stated save_top_k with one of its files lost fails, PtychoPINN's epoch=04.)
  const nothingStated = s.saveTopK.state !== 'known' && nMain >= 1;
  if (!explanations.length && (nMain >= 2 || logged.length >= 2 || strayFile || nothingStated) && (ene.how === 'default' || ents.how === 'default')) {
    const lastEpoch = tl1.epochs.length ? tl1.epochs[tl1.epochs.length - 1].epoch : 0;
    const lastStep = Math.max(0, ...tl1.epochs.map((e) => e.endStep), ...tl1.validations.map((v) => v.step));
    const triggers: Array<[UsedSetting<number>, UsedSetting<number>]> = [];
    const inf = (v: number, what: string): UsedSetting<number> => ({ value: v, how: 'inferred', source: `the kept files (${what})` });
    if (ene.how === 'default') for (let v = 2; v <= Math.min(lastEpoch + 1, 50); v++) triggers.push([inf(v, `saved every ${v} epochs`), ents]);
    // every_n_train_steps candidates that leave a bounded number of batch hooks
    if (ents.how === 'default')
      for (let v = Math.max(1, Math.ceil(lastStep / 20_000)); v <= Math.min(lastStep * 4, 200); v++)
        triggers.push([{ value: 0, how: 'inferred', source: 'every_n_train_steps is set' }, inf(v, `saved every ${v} training steps`)]);
    search([...fs, ...moreFs], triggers);
  }
  const chosen = explanations[0] ?? best;
  if (!chosen) return { ...base, reason: 'no configuration could be replayed' };

  // Inferred settings the files decide vs. those any value would do for.
  const used = chosen.used;
  if (explanations.length) {
    const alt = <K extends keyof typeof used>(key: K) => {
      const vals = new Set(explanations.map((e) => JSON.stringify(e.used[key].value)));
      if (used[key].how === 'inferred' && vals.size > 1)
        (used[key] as UsedSetting<unknown>).alternatives = [...vals].map((v) => JSON.parse(v)).filter((v) => JSON.stringify(v) !== JSON.stringify(used[key].value));
    };
    alt('monitor');
    alt('mode');
    alt('saveTopK');
    alt('saveLast');
  }

  // The folder at the end: this fit's files, and an earlier run's it left alone.
  const expected: ExpectedCheckpoint[] = chosen.r.expected.map((e) => ({ name: e.name, epoch: e.epoch, score: e.score, kind: e.kind }));
  for (const n of chosen.prior) {
    const p = parsed.find((x) => x.name === n);
    if (p && !expected.some((e) => e.name === n)) expected.push({ name: n, epoch: p.epoch ?? -1, score: p.score, kind: p.kind === 'last' ? 'last' : 'top-k' });
  }
  const expSet = new Set(expected.map((e) => e.name));
  const priorSet = new Set(chosen.prior);
  const found = base.found.map((c) => {
    const mon = chosen.cfg.monitor;
    const p = parsed.find((x) => x.name === c.name)!;
    return { ...c, score: mon !== null && mon in p.values ? p.values[mon] : c.score, expected: expSet.has(c.name) || priorSet.has(c.name) };
  });
  if (base.bookkeeping && rpSet && (rpSet.monitor !== null || rpSet.saveTopK === 1)) {
    // Top-k files Lightning no longer holds, that no earlier run left: deleted by Lightning, yet listed.
    const keptSet = new Set(base.bookkeeping.kept);
    base.bookkeeping.unexpected = parsed.filter((c) => c.kind !== 'last' && !keptSet.has(c.name) && !priorSet.has(c.name)).map((c) => c.name);
  }
  let logMismatch: string | null = null;
  if (chosen.logDiff) {
    const saves = chosen.r.events.flatMap((e) => (e.saved ? e.saved.split(', ').filter((n) => !/^last(-v\d+)?\.ckpt$/.test(n)) : []));
    const i = logged.findIndex((l, j) => !(saves[j] && (l.path === saves[j] || l.path.endsWith(`/${saves[j]}`))));
    const at = i >= 0 ? i : Math.min(saves.length, logged.length);
    logMismatch = logged[at]
      ? `the log (line ${logged[at].line}) says it saved ${logged[at].path.split('/').pop()} at epoch ${logged[at].epoch}, step ${logged[at].globalStep}; the replay ${saves[at] ? `saves ${saves[at]}` : 'saves nothing more'}`
      : `the replay saves ${saves[at]}, which the log's ModelCheckpoint lines do not print`;
  }
  // A log's values are placed by the epoch its callback lines print: a save between validations (every_n_train_steps)
  // prints the last validation's value under the next epoch, so such a log's timeline cannot decide the replay either.
  const betweenValidations = source.kind === 'log' && (chosen.cfg.everyNTrainSteps ?? 0) > 0 && chosen.cfg.monitor !== null;
  const roundedUndecided = perEpochOnly || betweenValidations || (source.kind === 'log' && !!input.logValuesDecide && !input.logValuesDecide(chosen.cfg.monitor));
  return {
    ...base,
    found,
    used,
    logMismatch,
    roundedUndecided,
    explained: explanations.length > 0,
    tried,
    searchCut: tried >= MAX_TRIES || work > WORK_BUDGET,
    expected,
    missing: chosen.missing,
    unexpected: chosen.unexpected,
    prior: chosen.prior,
    replay: chosen.r,
  };
}

/** ModelCheckpoint's verbose lines show saves at two global steps of one epoch: validations (or saves) inside epochs, which a log's one value per epoch cannot tell apart. */
export function severalSavesAnEpoch(saves: Array<{ epoch: number; globalStep: number }>): boolean {
  const steps = new Map<number, number>();
  for (const s of saves) {
    const seen = steps.get(s.epoch);
    if (seen !== undefined && seen !== s.globalStep) return true;
    steps.set(s.epoch, s.globalStep);
  }
  return false;
}

/**
 * Where a fit's timeline is read from: a metrics.csv or TensorBoard events
 * (exact), else runproof.json's validations (exact, monitored values only),
 * else the values the log printed (rounded). `at(f)`: the timeline with f
 * optimizer steps per logged step.
 */
export function timelineSource(input: {
  metrics: ParsedMetrics | null;
  logTable: ParsedMetrics | null;
  rp: RunproofJson | null;
  endedNormally: boolean;
  monitors: Array<string | null | undefined>;
  loggedSaves?: LoggedSave[];
  named?: Array<{ epoch: number; step: number | null; values: Record<string, number> }>;
}): {
  kind: 'metrics' | 'runproof.json' | 'log' | null;
  table: ParsedMetrics | null;
  valColumns: string[];
  /** The timeline with f optimizer steps per logged step; `lastEnded` overrides whether the last epoch reached its end. */
  at: (f: number, lastEnded?: boolean) => Timeline | null;
} {
  const { rp } = input;
  // Rows holding only trainer.test()'s values are no timeline of the fit.
  const testOnly = (r: { metrics: Record<string, number> }) => {
    const k = Object.keys(r.metrics);
    return k.length > 0 && k.every((c) => /^test(_|\/|$)/i.test(c));
  };
  const fitRows = input.metrics && input.metrics.kind === 'lightning' ? input.metrics.epochs.filter((r) => !testOnly(r)) : [];
  const exact = input.metrics && input.metrics.kind === 'lightning' && fitRows.length ? { ...input.metrics, epochs: fitRows } : null;
  const rpVals = rp?.validations ?? [];
  const m = exact ?? (!rpVals.length && input.logTable?.kind === 'lightning' ? input.logTable : null);
  const valCols = m ? validationColumns(m.columns, input.monitors) : [];
  const kind = exact ? 'metrics' : rpVals.length ? 'runproof.json' : m ? 'log' : null;
  const at = (f: number, lastEnded = input.endedNormally): Timeline | null => {
    // A progress bar's values for an epoch cut short are the previous ones, still shown: they tell no end.
    if (m && (m.epochs.length || valCols.length)) {
      const tl = timelineFromMetrics(m, { valColumns: valCols, stepsPerBatch: f, lastEnded, startStep: rp?.start ? rp.start.globalStep : undefined, epochLevelShowsEnd: m === exact });
      // The log's values: a ModelCheckpoint save line prints the monitored value the validation just logged
      // (`reached 0.75000`), where a progress bar may still show the one before.
      if (m !== exact)
        for (const s of input.loggedSaves ?? []) {
          if (s.monitor === undefined || s.value === undefined || s.value === null) continue;
          // ModelCheckpoint prints a NaN score as the worst infinity of its mode (`reached -inf`), while the file name
          // renders the metric itself (`val_acc=nan`): the name tells which it was.
          const value = !Number.isFinite(s.value) && /(^|[=_-])nan([^a-z]|$)/i.test(s.path.split('/').pop() ?? '') ? NaN : s.value;
          const v = tl.validations.find((x) => x.epoch === s.epoch && x.step === s.globalStep);
          if (v) v.metrics = { ...v.metrics, [s.monitor]: value };
        }
      // A checkpoint name spelling a metric (`val/loss=1.0110`) prints it finer than the progress bar's 3 digits: where
      // it agrees with the epoch's one validation to the bar's rounding, it is the value.
      if (m !== exact)
        for (const n of input.named ?? []) {
          const vs = tl.validations.filter((x) => x.epoch === n.epoch && (n.step === null || x.step === n.step));
          if (vs.length !== 1) continue;
          const v = vs[0];
          for (const [k, val] of Object.entries(n.values)) {
            const cur = v.metrics[k];
            if (k === 'epoch' || k === 'step' || cur === undefined || !Number.isFinite(cur) || !Number.isFinite(val)) continue;
            if (Math.abs(cur - val) <= (cur === 0 ? 5e-4 : 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(cur))) - 2) * 1.0001)) v.metrics = { ...v.metrics, [k]: val };
          }
        }
      return tl;
    }
    if (rp && rpVals.length) return timelineFromRunproof(rp, lastEnded, input.endedNormally, f);
    return null;
  };
  return { kind, table: m, valColumns: valCols, at };
}

/**
 * runproof.json alone: its validations (monitored values, exact global steps) and its end record. With the
 * batches per epoch it records, every epoch is laid out (those without a validation too, and a last one cut by
 * max_steps or a crash); without, one epoch end per validated epoch.
 */
function timelineFromRunproof(rp: RunproofJson, lastEnded: boolean, endedNormally: boolean, f: number): Timeline {
  const validations = rp.validations.map((v) => ({ epoch: v.epoch, step: v.globalStep, metrics: v.metrics }));
  const start = rp.start?.globalStep ?? 0;
  const startEpoch = rp.start?.epoch ?? 0;
  const end = rp.end;
  const B = rp.trainer.batchesPerEpoch;
  // global steps per epoch: batches × optimizer steps per batch, the one that puts each validation inside its epoch
  let per: number | null = null;
  if (B) {
    for (const k of [1, 2, 3, 4]) {
      const S = B * k;
      if (validations.every((v) => v.step > v.epoch * S && v.step <= (v.epoch + 1) * S)) {
        per = S;
        break;
      }
    }
  }
  const lastVal = validations[validations.length - 1];
  const endStep = end ? end.globalStep : lastVal.step;
  // the epoch the fit was in at its end: current_epoch was raised past a finished one
  const endEpoch = end ? (end.how === 'exception' ? end.epoch : Math.max(lastVal.epoch, end.epoch - 1)) : lastVal.epoch;
  const epochs: Timeline['epochs'] = [];
  if (per) {
    for (let e = startEpoch; e <= endEpoch; e++) {
      const s0 = Math.max(start, e * per);
      const s1 = Math.min(endStep, (e + 1) * per);
      if (s1 <= s0 && e !== endEpoch) continue;
      const isLast = e === endEpoch;
      epochs.push({ epoch: e, startStep: s0, endStep: s1, ended: !isLast || lastEnded || (end ? end.how === 'train_end' : false), metrics: {} });
    }
  } else {
    const byEpoch = new Map<number, number>();
    for (const v of validations) byEpoch.set(v.epoch, v.step);
    if (end && endStep > lastVal.step && endEpoch > lastVal.epoch) byEpoch.set(endEpoch, endStep);
    [...byEpoch].forEach(([epoch, s1], i, all) => {
      epochs.push({ epoch, startStep: i ? all[i - 1][1] : start, endStep: s1, ended: i < all.length - 1 || lastEnded || end?.how === 'train_end' || (end?.epoch ?? -1) > epoch, metrics: {} });
    });
  }
  return { validations, epochs, stepsPerBatch: per && B ? per / B : f, batchesPerEpoch: B, ended: endedNormally, startStep: start };
}

/** A checkpoint path as the listing names it (relative to the checkpoint folder), when it is one of them. */
function relativeTo(path: string, names: string[]): string | null {
  for (const n of names) if (path === n || path.endsWith(`/${n}`)) return n;
  const base = path.split('/').pop() ?? path;
  return base;
}
