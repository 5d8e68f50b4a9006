/**
 * runproof.json, written by Runproof's Lightning callback
 * (python/runproof_lightning): the exact ModelCheckpoint / EarlyStopping /
 * Trainer settings of the fit, and after each validation the callbacks' own
 * bookkeeping (best_k_models, wait_count, stopped_epoch…). Pure: text in,
 * typed record (or a problem) out. Unknown keys are ignored; a key of the
 * wrong type reads as absent.
 */

export interface RpCheckpointSettings {
  dirpath: string | null;
  filename: string | null;
  monitor: string | null;
  mode: 'min' | 'max';
  saveTopK: number;
  saveLast: boolean | 'link';
  everyNEpochs: number;
  everyNTrainSteps: number;
  trainTimeInterval: number | null;
  saveOnTrainEpochEnd: boolean | null;
  autoInsertMetricName: boolean;
  versionCounter: boolean;
  verbose: boolean;
}

export interface RpEarlyStopSettings {
  monitor: string;
  mode: 'min' | 'max';
  patience: number;
  minDelta: number;
  stoppingThreshold: number | null;
  divergenceThreshold: number | null;
  checkFinite: boolean;
  checkOnTrainEpochEnd: boolean | null;
  strict: boolean;
  verbose: boolean;
}

export interface RpCheckpointState {
  bestK: Array<{ name: string; score: number }>;
  bestModelPath: string | null;
  lastModelPath: string | null;
  kthValue: number | null;
}

export interface RpEarlyStopState {
  waitCount: number;
  bestScore: number | null;
  stoppedEpoch: number;
  stoppingReason: string | null;
}

export interface RpState {
  epoch: number;
  globalStep: number;
  shouldStop: boolean;
  checkpoints: RpCheckpointState[];
  earlyStopping: RpEarlyStopState[];
}

export interface RunproofJson {
  lightning: string | null;
  torch: string | null;
  trainer: {
    maxEpochs: number | null;
    minEpochs: number | null;
    maxSteps: number | null;
    checkValEveryNEpoch: number | null;
    valCheckInterval: number | null;
    numSanityValSteps: number | null;
    batchesPerEpoch: number | null;
    ckptPath: string | null;
    accumulateGradBatches: number | null;
  };
  checkpoints: RpCheckpointSettings[];
  earlyStopping: RpEarlyStopSettings[];
  validations: Array<RpState & { metrics: Record<string, number> }>;
  start: { epoch: number; globalStep: number } | null;
  end: (RpState & { how: string; exception: { type: string; message: string } | null }) | null;
}

type J = Record<string, unknown>;
const obj = (v: unknown): J | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
/** Numbers, with JSON's stand-ins for non-finite values: "nan", "inf", "-inf". */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return null;
}
const int = (v: unknown): number | null => {
  const n = num(v);
  return n !== null && Number.isInteger(n) ? n : null;
};

function state(o: J): RpState {
  return {
    epoch: int(o.epoch) ?? int(o.current_epoch) ?? 0,
    globalStep: int(o.global_step) ?? 0,
    shouldStop: bool(o.should_stop) ?? false,
    checkpoints: arr(o.model_checkpoint).map((c) => {
      const x = obj(c) ?? {};
      const bk = obj(x.best_k_models) ?? {};
      return {
        bestK: Object.entries(bk).map(([name, s]) => ({ name, score: num(s) ?? NaN })),
        bestModelPath: str(x.best_model_path),
        lastModelPath: str(x.last_model_path),
        kthValue: num(x.kth_value),
      };
    }),
    earlyStopping: arr(o.early_stopping).map((e) => {
      const x = obj(e) ?? {};
      return { waitCount: int(x.wait_count) ?? 0, bestScore: num(x.best_score), stoppedEpoch: int(x.stopped_epoch) ?? 0, stoppingReason: str(x.stopping_reason) };
    }),
  };
}

/** Parse runproof.json; null with a reason when it is not one (bad JSON, another schema). */
export function parseRunproofJson(text: string): { value: RunproofJson | null; problem: string | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { value: null, problem: `not JSON: ${(e as Error).message.slice(0, 120)}` };
  }
  const o = obj(raw);
  if (o?.schema !== 1) return { value: null, problem: 'not a runproof.json of schema 1 (written by runproof_lightning)' };
  const t = obj(o.trainer) ?? {};
  const v = obj(o.versions) ?? {};
  const vci = num(t.val_check_interval);
  const value: RunproofJson = {
    lightning: str(v.lightning),
    torch: str(v.torch),
    trainer: {
      maxEpochs: int(t.max_epochs),
      minEpochs: int(t.min_epochs),
      maxSteps: int(t.max_steps),
      checkValEveryNEpoch: t.check_val_every_n_epoch === null ? null : int(t.check_val_every_n_epoch),
      valCheckInterval: vci,
      numSanityValSteps: int(t.num_sanity_val_steps),
      batchesPerEpoch: int(t.num_training_batches),
      ckptPath: str(t.ckpt_path),
      accumulateGradBatches: int(t.accumulate_grad_batches),
    },
    checkpoints: arr(o.model_checkpoint).map((c) => {
      const x = obj(c) ?? {};
      const sl = x.save_last;
      return {
        dirpath: str(x.dirpath),
        filename: str(x.filename),
        monitor: str(x.monitor),
        mode: x.mode === 'max' ? 'max' : 'min',
        saveTopK: int(x.save_top_k) ?? 1,
        saveLast: sl === 'link' ? 'link' : !!sl,
        everyNEpochs: int(x.every_n_epochs) ?? 0,
        everyNTrainSteps: int(x.every_n_train_steps) ?? 0,
        trainTimeInterval: num(x.train_time_interval),
        saveOnTrainEpochEnd: bool(x.save_on_train_epoch_end),
        autoInsertMetricName: bool(x.auto_insert_metric_name) ?? true,
        versionCounter: bool(x.enable_version_counter) ?? true,
        verbose: bool(x.verbose) ?? false,
      };
    }),
    earlyStopping: arr(o.early_stopping).map((e) => {
      const x = obj(e) ?? {};
      return {
        monitor: str(x.monitor) ?? '',
        mode: x.mode === 'max' ? 'max' : 'min',
        patience: int(x.patience) ?? 3,
        minDelta: num(x.min_delta) ?? 0,
        stoppingThreshold: num(x.stopping_threshold),
        divergenceThreshold: num(x.divergence_threshold),
        checkFinite: bool(x.check_finite) ?? true,
        checkOnTrainEpochEnd: bool(x.check_on_train_epoch_end),
        strict: bool(x.strict) ?? true,
        verbose: bool(x.verbose) ?? false,
      };
    }),
    validations: arr(o.validations).map((r) => {
      const x = obj(r) ?? {};
      const m = obj(x.metrics) ?? {};
      const metrics: Record<string, number> = {};
      for (const [k, val] of Object.entries(m)) {
        const n = num(val);
        if (n !== null) metrics[k] = n;
      }
      return { ...state(x), epoch: int(x.epoch) ?? 0, metrics };
    }),
    start: obj(o.start) ? { epoch: int(obj(o.start)!.current_epoch) ?? 0, globalStep: int(obj(o.start)!.global_step) ?? 0 } : null,
    end: obj(o.end)
      ? (() => {
          const x = obj(o.end)!;
          const ex = obj(x.exception);
          return { ...state(x), epoch: int(x.current_epoch) ?? 0, how: str(x.how) ?? '', exception: ex ? { type: str(ex.type) ?? '', message: str(ex.message) ?? '' } : null };
        })()
      : null,
  };
  return { value, problem: null };
}
