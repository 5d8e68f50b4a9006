/**
 * EarlyStopping, replayed over the fit's timeline with the settings the
 * bundle states; what it does not state is taken at Lightning's defaults
 * (min_delta 0, no thresholds, check_finite on, min_epochs 0) and listed, so
 * the check can say that a disagreement may be the unstated setting rather
 * than the run.
 */
import { replayEarlyStoppingHooks, type EarlyStopReplay, type Hook, type Mode } from '../../lightning/replay';
import type { Timeline } from '../../lightning/timeline';
import type { Evidence } from '../types';
import type { Fact } from './fact';
import type { EarlyStopSettings, TrainerSettings } from './config';
import type { RunproofJson } from './runproof-json';

export interface EarlyStopAnalysis {
  /** The evidence document's early-stopping record; null without a monitored metric to replay over. */
  doc: Evidence['earlyStop'];
  replay: EarlyStopReplay | null;
  /** Settings taken at Lightning's defaults because the bundle does not state them (`min_delta`, …). */
  assumed: string[];
  /** Where the monitor and mode came from when EarlyStopping's own were not stated. */
  borrowed: string[];
  checkOnTrainEpochEnd: boolean;
  /** The fit resumed from a checkpoint: EarlyStopping's restored state (wait, best) is not in the bundle unless runproof.json has it. */
  resumedUnknown: boolean;
  /** runproof.json: Lightning's own wait_count, stopped_epoch, best_score at the end. */
  bookkeeping: { waitCount: number; stoppedEpoch: number; bestScore: number | null; reason: string | null; source: string } | null;
}

export function analyseEarlyStopping(input: {
  settings: EarlyStopSettings;
  trainer: TrainerSettings;
  /** The run's monitored metric and mode (used when EarlyStopping's own are not stated). */
  monitor: Fact<{ name: string }>;
  mode: Fact<Mode>;
  timeline: Timeline | null;
  hooks: Hook[];
  rp: { value: RunproofJson; file: string } | null;
}): EarlyStopAnalysis {
  const { settings: s, trainer: t, rp } = input;
  const configured = s.configured.value === true;
  const assumed: string[] = [];
  const borrowed: string[] = [];
  const monitor = s.monitor.value ?? input.monitor.value?.name ?? null;
  if (s.monitor.state !== 'known' && monitor) borrowed.push(`monitor ${monitor} (${input.monitor.state === 'known' ? input.monitor.source : 'a guess: the bundle does not say'})`);
  const mode: Mode = s.mode.value ?? input.mode.value ?? 'min';
  if (s.mode.state !== 'known') borrowed.push(`mode ${mode} (${input.mode.state === 'known' ? input.mode.source : 'a guess from the metric\'s name'})`);
  const take = <T>(f: Fact<T>, dflt: T, name: string): T => {
    if (f.state === 'known') return f.value;
    if (configured) assumed.push(`${name}=${String(dflt)}`);
    return dflt;
  };
  const minDelta = take(s.minDelta, 0, 'min_delta');
  const stoppingThreshold = take(s.stoppingThreshold, null, 'stopping_threshold');
  const divergenceThreshold = take(s.divergenceThreshold, null, 'divergence_threshold');
  const checkFinite = take(s.checkFinite, true, 'check_finite');
  const minEpochs = t.minEpochs.value ?? 0;
  if (t.minEpochs.state !== 'known' && configured) assumed.push('min_epochs=0');
  // Lightning's None: at train-epoch end iff validation runs once per epoch, at its end.
  let onEpochEnd: boolean;
  if (s.checkOnTrainEpochEnd.state === 'known') onEpochEnd = s.checkOnTrainEpochEnd.value;
  else {
    const tl = input.timeline;
    const perEpoch = new Map<number, number>();
    for (const v of tl?.validations ?? []) perEpoch.set(v.epoch, (perEpoch.get(v.epoch) ?? 0) + 1);
    const ended = (tl?.epochs ?? []).filter((e) => e.ended);
    const lastEpoch = ended.length ? ended[ended.length - 1].epoch : null;
    const sparse = [...perEpoch.values()].some((n) => n > 1) || ended.some((e) => e.epoch !== lastEpoch && !perEpoch.has(e.epoch)) || (t.checkValEveryNEpoch.value ?? 1) !== 1 || (t.valCheckInterval.value ?? 1) !== 1;
    onEpochEnd = !sparse;
  }
  const rpEnd = rp ? rp.value.end ?? rp.value.validations[rp.value.validations.length - 1] ?? null : null;
  const rpEs = rpEnd?.earlyStopping[0] ?? null;
  const bookkeeping = rp && rpEs ? { waitCount: rpEs.waitCount, stoppedEpoch: rpEs.stoppedEpoch, bestScore: rpEs.bestScore, reason: rpEs.stoppingReason, source: `${rp.file}: ${rp.value.end ? 'end' : 'last validation'}` } : null;
  const resumedUnknown = t.resumedFrom.state === 'known' && !rp;
  if (!monitor || !input.hooks.length) return { doc: null, replay: null, assumed, borrowed, checkOnTrainEpochEnd: onEpochEnd, resumedUnknown, bookkeeping };
  const patience = s.patience.value;
  const r = replayEarlyStoppingHooks(input.hooks, {
    monitor,
    mode,
    patience: configured ? patience ?? 3 : Infinity,
    minDelta: minDelta ?? 0,
    stoppingThreshold: configured ? stoppingThreshold : null,
    divergenceThreshold: configured ? divergenceThreshold : null,
    checkFinite: configured ? checkFinite ?? true : false,
    minEpochs,
    checkOnTrainEpochEnd: onEpochEnd,
  });
  if (configured && patience === null) assumed.push('patience=3');
  const doc: Evidence['earlyStop'] = {
    configured,
    monitor,
    mode,
    patience: configured ? patience ?? 3 : null,
    minDelta: minDelta ?? 0,
    bestEpoch: r.bestEpoch,
    bestScore: r.bestScore,
    wait: r.wait,
    triggered: configured && r.triggered,
    stoppedEpoch: configured ? r.stoppedEpoch : null,
    trace: r.trace,
  };
  return { doc, replay: r, assumed, borrowed, checkOnTrainEpochEnd: onEpochEnd, resumedUnknown, bookkeeping };
}
