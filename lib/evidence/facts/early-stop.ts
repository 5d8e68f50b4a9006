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
  /** Settings taken at Lightning's defaults because the bundle does not state them (`min_delta=0`, …). */
  assumed: string[];
  /** Where the monitor and mode came from when EarlyStopping's own were not stated. */
  borrowed: string[];
  /** Unstated settings the replay took from the search because the defaults do not end the fit where it ended (`min_delta=0.05`). */
  inferred: string[];
  /** The replay (with what was inferred) ends the fit where the run ended; null when how the run ended is not known. */
  agrees: boolean | null;
  checkOnTrainEpochEnd: boolean;
  /** The fit resumed from a checkpoint: EarlyStopping's restored state (wait, best) is not in the bundle unless runproof.json has it. */
  resumedUnknown: boolean;
  /** runproof.json: Lightning's own wait_count, stopped_epoch, best_score at the end. */
  bookkeeping: { waitCount: number; stoppedEpoch: number; bestScore: number | null; reason: string | null; source: string } | null;
}

/** How the fit ended, as the bundle shows it: the last epoch trained and whether something stopped it before its limits. */
export interface ObservedEnd {
  lastEpoch: number;
  /** true: stopped early (EarlyStopping's message, or fewer epochs than max_epochs with no other cause); false: ran to its limit; null: not known. */
  stopped: boolean | null;
  /** A max_steps stop or a crash: the replay must just not stop before lastEpoch. */
  cut: boolean;
  /** EarlyStopping's own message in the log: why it stopped, and the best score it printed. */
  said: { kind: string; best: number | null } | null;
}

const MAX_TRIES = 3000;

export function analyseEarlyStopping(input: {
  settings: EarlyStopSettings;
  trainer: TrainerSettings;
  /** The run's monitored metric and mode (used when EarlyStopping's own are not stated). */
  monitor: Fact<{ name: string }>;
  mode: Fact<Mode>;
  timeline: Timeline | null;
  hooks: Hook[];
  rp: { value: RunproofJson; file: string } | null;
  observed?: ObservedEnd | null;
  /** The values exist but cannot drive a replay (the log's, too rounded or per epoch only): no record rather than a wrong one. */
  withheld?: boolean;
  /** Other metrics the validations log (monitor candidates when it is a guess). */
  columns?: string[];
}): EarlyStopAnalysis {
  const { settings: s, trainer: t, rp } = input;
  const configured = s.configured.value === true;
  const assumed: string[] = [];
  const borrowed: string[] = [];
  const monitor = s.monitor.value ?? input.monitor.value?.name ?? null;
  if (s.monitor.state !== 'known' && monitor) borrowed.push(`monitor ${monitor} (${input.monitor.state === 'known' ? input.monitor.source : 'a guess: the bundle does not say'})`);
  const mode: Mode = s.mode.value ?? input.mode.value ?? 'min';
  if (s.mode.state !== 'known') borrowed.push(`mode ${mode} (${input.mode.state === 'known' ? input.mode.source : "a guess from the metric's name"})`);
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
    const sparse =
      [...perEpoch.values()].some((n) => n > 1) ||
      ended.some((e) => e.epoch !== lastEpoch && !perEpoch.has(e.epoch)) ||
      (t.checkValEveryNEpoch.value ?? 1) !== 1 ||
      (t.valCheckInterval.value ?? 1) !== 1;
    onEpochEnd = !sparse;
  }
  const rpEnd = rp ? (rp.value.end ?? rp.value.validations[rp.value.validations.length - 1] ?? null) : null;
  const rpEs = rpEnd?.earlyStopping[0] ?? null;
  // A resumed fit restores stopped_epoch and the reason from its checkpoint: a stop before this fit's first epoch was the earlier fit's.
  const staleStop = !!rp && !!rpEs && rpEs.stoppedEpoch < (rp.value.start?.epoch ?? 0);
  const bookkeeping =
    rp && rpEs
      ? {
          waitCount: rpEs.waitCount,
          stoppedEpoch: rpEs.stoppedEpoch,
          bestScore: rpEs.bestScore,
          reason: staleStop ? 'not_stopped' : rpEs.stoppingReason,
          source: `${rp.file}: ${rp.value.end ? 'end' : 'last validation'}`,
        }
      : null;
  const resumedUnknown = t.resumedFrom.state === 'known' && !rp;
  const base = { assumed, borrowed, inferred: [] as string[], agrees: null as boolean | null, checkOnTrainEpochEnd: onEpochEnd, resumedUnknown, bookkeeping };
  // Nothing to replay over: a configured EarlyStopping that never checked (a crash before the first check) still
  // says so; an unconfigured one has no record without values.
  // (A fit that crashed before any value was logged has no timeline at all: a configured EarlyStopping still never stopped it.)
  if (!monitor || input.withheld || (!input.hooks.length && !(configured && (input.timeline?.epochs.length || !input.timeline)))) return { doc: null, replay: null, ...base };
  if (configured && s.patience.state !== 'known') assumed.push('patience=3');

  type Cfg = { monitor: string; mode: Mode; patience: number; minDelta: number; stoppingThreshold: number | null; divergenceThreshold: number | null; checkFinite: boolean; minEpochs: number };
  // Without an EarlyStopping the record is the monitored value's best over every validation (a fit cut short after its
  // last validation never reached that epoch's end, where a configured EarlyStopping would have checked).
  const run = (c: Cfg) => replayEarlyStoppingHooks(input.hooks, { ...c, checkOnTrainEpochEnd: configured ? onEpochEnd : false });
  const dflt: Cfg = {
    monitor,
    mode,
    patience: configured ? (s.patience.value ?? 3) : Infinity,
    minDelta: minDelta ?? 0,
    stoppingThreshold: configured ? stoppingThreshold : null,
    divergenceThreshold: configured ? divergenceThreshold : null,
    checkFinite: configured ? (checkFinite ?? true) : false,
    minEpochs,
  };
  const obs = input.observed ?? null;
  const fits = (r: EarlyStopReplay): boolean | null => {
    if (!obs || (obs.stopped === null && !obs.cut)) return null;
    if (obs.said?.best != null && r.bestScore !== null && Math.abs(r.bestScore - obs.said.best) > 0.0005 + 1e-9) return false;
    const saidReason = obs.said
      ? ({ patience: 'patience', stopping_threshold: 'threshold', divergence_threshold: 'divergence', non_finite: 'non_finite' } as Record<string, string>)[obs.said.kind]
      : undefined;
    if (saidReason && r.triggered && r.trace.filter((x) => x.stop).pop()?.stop !== saidReason) return false;
    if (obs.cut) return r.lastEpoch === null || r.lastEpoch >= obs.lastEpoch;
    return obs.stopped ? r.lastEpoch === obs.lastEpoch : r.lastEpoch === null || r.lastEpoch === obs.lastEpoch;
  };
  let cfg = dflt;
  let r = run(dflt);
  let agrees = configured ? fits(r) : null;
  const inferred: string[] = [];
  if (configured && agrees === false) {
    // The defaults do not end the fit where it ended: search what the bundle leaves unstated.
    const values = input.hooks
      .filter((h) => h.kind === (onEpochEnd ? 'epoch' : 'val'))
      .map((h) => h.metrics[monitor])
      .filter((v): v is number => v !== undefined);
    const finite = values.filter(Number.isFinite);
    const L = obs!.lastEpoch;
    const atL = input.hooks
      .filter((h) => h.kind === (onEpochEnd ? 'epoch' : 'val') && h.epoch === L)
      .map((h) => h.metrics[monitor])
      .filter((v): v is number => v !== undefined);
    const vL = atL.length ? atL[atL.length - 1] : null;
    const before = input.hooks
      .filter((h) => h.kind === (onEpochEnd ? 'epoch' : 'val') && h.epoch < L)
      .map((h) => h.metrics[monitor])
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    const opts: Array<{ name: string; values: Array<{ v: unknown; label: string }> }> = [];
    const add = (name: string, stated: boolean, vs: Array<{ v: unknown; label: string }>) => {
      if (!stated) opts.push({ name, values: vs });
    };
    add('mode', s.mode.state === 'known', [
      { v: mode, label: `mode=${mode}` },
      { v: mode === 'min' ? 'max' : 'min', label: `mode=${mode === 'min' ? 'max' : 'min'}` },
    ]);
    add(
      'patience',
      s.patience.state === 'known',
      Array.from({ length: Math.min(Math.max(values.length, 4), 12) }, (_, i) => ({ v: i, label: `patience=${i}` })),
    );
    const deltas = new Set<number>([0]);
    for (let i = 1; i < finite.length; i++)
      for (let j = 0; j < i; j++) {
        const d = Math.abs(finite[i] - finite[j]);
        if (d > 0 && deltas.size < 40) {
          deltas.add(d);
          deltas.add(d * (1 + 1e-6));
        }
      }
    add(
      'min_delta',
      s.minDelta.state === 'known',
      [...deltas].sort((a, b) => a - b).map((d) => ({ v: d, label: `min_delta≥${Number(d.toPrecision(4))}` })),
    );
    const thr: Array<{ v: unknown; label: string }> = [{ v: null, label: 'stopping_threshold=None' }];
    const div: Array<{ v: unknown; label: string }> = [{ v: null, label: 'divergence_threshold=None' }];
    if (vL !== null && Number.isFinite(vL) && before.length) {
      const lo = Math.min(...before);
      const hi = Math.max(...before);
      for (const m of [mode, mode === 'min' ? 'max' : 'min'] as Mode[]) {
        if (m === 'min' && vL < lo) thr.push({ v: (vL + lo) / 2, label: `a stopping_threshold in (${Number(vL.toPrecision(4))}, ${Number(lo.toPrecision(4))}]` });
        if (m === 'max' && vL > hi) thr.push({ v: (vL + hi) / 2, label: `a stopping_threshold in [${Number(hi.toPrecision(4))}, ${Number(vL.toPrecision(4))})` });
        if (m === 'min' && vL > hi) div.push({ v: (vL + hi) / 2, label: `a divergence_threshold in [${Number(hi.toPrecision(4))}, ${Number(vL.toPrecision(4))})` });
        if (m === 'max' && vL < lo) div.push({ v: (vL + lo) / 2, label: `a divergence_threshold in (${Number(vL.toPrecision(4))}, ${Number(lo.toPrecision(4))}]` });
      }
    }
    add('stopping_threshold', s.stoppingThreshold.state === 'known', thr);
    add('divergence_threshold', s.divergenceThreshold.state === 'known', div);
    add('check_finite', s.checkFinite.state === 'known', [
      { v: true, label: 'check_finite=True' },
      { v: false, label: 'check_finite=False' },
    ]);
    add('min_epochs', t.minEpochs.state === 'known', [
      { v: 0, label: 'min_epochs=0' },
      { v: L + 1, label: `min_epochs=${L + 1}` },
    ]);
    // A stop at an extreme value (a threshold, NaN) before a patience the stated values do not show.
    const prio: Record<string, number> = { stopping_threshold: 0, divergence_threshold: 1, check_finite: 2, min_epochs: 3, min_delta: 4, patience: 5, mode: 6 };
    opts.sort((a, b) => prio[a.name] - prio[b.name]);
    // Few settings changed first: one at a time, then two.
    let tries = 0;
    const applyOne = (c: Cfg, name: string, v: unknown): Cfg => {
      switch (name) {
        case 'mode':
          return { ...c, mode: v as Mode };
        case 'patience':
          return { ...c, patience: v as number };
        case 'min_delta':
          return { ...c, minDelta: v as number };
        case 'stopping_threshold':
          return { ...c, stoppingThreshold: v as number | null };
        case 'divergence_threshold':
          return { ...c, divergenceThreshold: v as number | null };
        case 'check_finite':
          return { ...c, checkFinite: v as boolean };
        default:
          return { ...c, minEpochs: v as number };
      }
    };
    let found: { c: Cfg; r: EarlyStopReplay; labels: string[] } | null = null;
    for (let depth = 1; depth <= 2 && !found; depth++) {
      const combos = (start: number, left: number, c: Cfg, labels: string[]): boolean => {
        if (left === 0) {
          if (++tries > MAX_TRIES) return true;
          const rr = run(c);
          if (fits(rr)) {
            found = { c, r: rr, labels };
            return true;
          }
          return false;
        }
        for (let i = start; i < opts.length; i++)
          for (const o of opts[i].values.slice(opts[i].name === 'mode' || opts[i].name === 'check_finite' ? 1 : 0))
            if (combos(i + 1, left - 1, applyOne(c, opts[i].name, o.v), [...labels, o.label])) return true;
        return false;
      };
      if (combos(0, depth, dflt, [])) break;
    }
    if (found) {
      const f = found as { c: Cfg; r: EarlyStopReplay; labels: string[] };
      cfg = f.c;
      r = f.r;
      agrees = true;
      inferred.push(...f.labels);
      // what was inferred is no longer taken at its default
      for (const l of f.labels) {
        const name = /^(?:a )?(\w+)/.exec(l)?.[1];
        const i = assumed.findIndex((a) => a.startsWith(`${name}=`));
        if (i >= 0) assumed.splice(i, 1);
      }
    }
  }
  // A resumed fit starts from the wait count and best score its checkpoint restored, which runproof.json does not record
  // at the start: the state that makes the replay end as Lightning's own record (runproof.json) says is taken from it.
  const restoredNote: string[] = [];
  if (configured && t.resumedFrom.state === 'known' && bookkeeping) {
    const same = (x: EarlyStopReplay) =>
      x.triggered === (bookkeeping.reason !== null && bookkeeping.reason !== 'not_stopped') && (!x.triggered || x.stoppedEpoch === bookkeeping.stoppedEpoch) && x.wait === bookkeeping.waitCount;
    if (!same(r)) {
      const bests = [...new Set([bookkeeping.bestScore, ...input.hooks.map((h) => h.metrics[cfg.monitor])].filter((v): v is number => v != null && Number.isFinite(v)))];
      search: for (const bestScore of bests)
        for (let wait = 0; wait <= Math.min(bookkeeping.waitCount, 1000); wait++) {
          const rr = replayEarlyStoppingHooks(input.hooks, { ...cfg, checkOnTrainEpochEnd: onEpochEnd, restored: { bestScore, wait } });
          if (same(rr)) {
            r = rr;
            restoredNote.push(`the restored state (best ${Number(bestScore.toPrecision(6))}, wait ${wait}) read back from Lightning's own record (${bookkeeping.source})`);
            break search;
          }
        }
    }
  }
  if (!configured && !r.trace.some((t) => t.value !== null)) return { doc: null, replay: null, ...base, inferred, agrees };
  const doc: Evidence['earlyStop'] = {
    configured,
    monitor: cfg.monitor,
    mode: cfg.mode,
    patience: configured ? cfg.patience : null,
    minDelta: cfg.minDelta,
    bestEpoch: r.bestEpoch,
    bestScore: r.bestScore,
    wait: r.wait,
    triggered: configured && r.triggered,
    stoppedEpoch: configured ? r.stoppedEpoch : null,
    trace: r.trace,
    unstated: [...assumed, ...base.borrowed, ...inferred, ...restoredNote, ...(resumedUnknown ? ['the wait count and best score restored from the checkpoint resumed'] : [])],
  };
  return { doc, replay: r, ...base, inferred, agrees };
}
