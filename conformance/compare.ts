/**
 * One conformance case: what Runproof's evidence says against what real
 * Lightning did (truth.json from conformance/generate.py). Pure.
 *
 * A fact is *applicable* when the bundle carries what it takes to know it (a
 * listing and the config for the checkpoint replay, per-epoch metrics for the
 * epochs, and so on; see each fact below). An applicable fact the evidence
 * does not state counts against conformance ("unstated"); a fact it states
 * is compared whether applicable or not, so a guess that happens to be wrong
 * always counts as wrong.
 */
import type { Check, Evidence } from '../lib/evidence/types';

export const CLASS_NAMES: Record<number, string> = {
  1: 'early stopping ends the run',
  2: 'top-k, names without the score',
  3: 'ties',
  4: 'names (templates, auto-insert off, -vN, optimizer steps)',
  5: 'sparse validation (every n epochs, interval, max_steps)',
  6: 'EarlyStopping beyond patience (min_epochs, thresholds, NaN)',
  7: 'config unknown from the bundle',
  8: 'metrics.csv shapes (test rows, all-NaN)',
  9: 'logs (exception, SIGTERM)',
  10: 'log-only / TensorBoard-only bundles',
};

type Num = number | string | null;

export interface Truth {
  id: string;
  generator?: { lightning: string; torch: string; python: string; seed: number };
  config: {
    monitor: string;
    mode: 'min' | 'max';
    mc: { monitor: string | null; save_top_k: number; filename: string | null } | null;
    es: { verbose: boolean } | null;
    rerun: 'rerun' | 'resume' | null;
    scenario: string;
    trainer: { max_epochs: number };
  };
  bundle: { files: string[]; command: 'full' | 'partial' | 'none'; runproof_json: boolean; listing: boolean; logger: string };
  exit: { code: number; exception: { type: string; message: string } | null; status: 'succeeded' | 'failed' };
  ending: 'max_epochs' | 'max_steps' | 'early_stopping' | 'exception' | 'sigterm';
  checkpoint_files: string[];
  prior_checkpoint_files: string[];
  early_stopping: { stopping_reason: string; stopped_epoch: number; best_score: Num; wait_count: number } | null;
  last_train_step: { epoch: number; batch: number; global_step: number } | null;
  monitored_best: number | null;
  validations?: Array<{ epoch: number; global_step: number; value: Num }>;
  classes: number[];
  healthy: boolean;
  must_fail: string[];
  tampered: { of: string; kind: string; detail: string; chosen_because?: string } | null;
}

export type FactName = 'checkpoint files read' | 'checkpoints expected' | 'last epoch' | 'ending' | 'status' | 'early stop' | 'monitored best' | 'monitor';
export interface Fact {
  fact: FactName;
  verdict: 'agree' | 'wrong' | 'unstated';
  applicable: boolean;
  truth: string;
  said: string;
}

export interface CaseResult {
  id: string;
  classes: number[];
  tampered: string | null;
  healthy: boolean;
  facts: Fact[];
  /** Checks that said `fail` on a healthy run. */
  falseFails: Check[];
  /** Checks that had to say `fail` (tampered copy, crashed run, all-NaN metrics). */
  mustFail: string[];
  /** Of those, the ones that did not, as `check (what it said: detail)`. */
  missed: string[];
  crash: string | null;
}

const num = (v: Num): number | null => (v === null ? null : typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) {
    // "no best" (null) is how Runproof states what Lightning holds as ±inf (nothing finite seen)
    const na = a === null || !Number.isFinite(a);
    const nb = b === null || !Number.isFinite(b);
    return na && nb;
  }
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

const sortedSet = (xs: Iterable<string>) => [...new Set(xs)].sort();
const show = (xs: string[]) => (xs.length ? xs.join(', ') : '(none)');

/** Runproof's stop reasons that state each Lightning ending. A SIGTERM has no reason of its own yet, so any that names a kill is accepted. */
const ENDING_SAID: Record<Truth['ending'], string[]> = {
  max_epochs: ['max_epochs'],
  max_steps: ['max_steps'],
  early_stopping: ['early_stopping'],
  exception: ['error', 'exception'],
  sigterm: ['sigterm', 'signal', 'killed', 'terminated', 'cancelled', 'time_limit', 'preempted'],
};

/** The bundle states the monitor: runproof.json, the full command, or a partial one's --checkpoint-monitor. */
function monitorStatedBy(truth: Truth): boolean {
  return truth.bundle.command === 'full' || truth.bundle.runproof_json || (truth.bundle.command === 'partial' && !!truth.config.mc?.monitor);
}

export function compareCase(truth: Truth, ev: Evidence | null, crash: string | null = null): CaseResult {
  const res: CaseResult = {
    id: truth.id,
    classes: truth.classes,
    tampered: truth.tampered?.kind ?? null,
    healthy: truth.healthy && !truth.tampered,
    facts: [],
    falseFails: [],
    mustFail: truth.must_fail,
    missed: [],
    crash,
  };
  if (!ev) {
    res.missed = truth.must_fail.map((c) => `${c} (the analysis threw)`);
    return res;
  }
  const checks = new Map(ev.checks.map((c) => [c.id as string, c]));
  for (const id of truth.must_fail) {
    const c = checks.get(id);
    if (c?.status !== 'fail') res.missed.push(`${id} (said ${c ? `${c.status}: ${c.detail}` : 'nothing'})`);
  }
  if (truth.tampered) return res; // a tampered copy is only asked to fail its check
  // A check the case must fail (all-NaN metrics of a run Lightning ended normally) is not a false fail.
  if (res.healthy) res.falseFails = ev.checks.filter((c) => c.status === 'fail' && !truth.must_fail.includes(c.id));

  const files = new Set(truth.bundle.files);
  const perEpoch = files.has('metrics.csv') || truth.bundle.files.some((f) => f.startsWith('events.out.tfevents.'));
  const configKnown = truth.bundle.command === 'full' || truth.bundle.runproof_json;
  // Values known exactly: per-epoch metrics or runproof.json (a log prints them rounded).
  const exactValues = perEpoch || truth.bundle.runproof_json;
  const configStated = truth.bundle.command !== 'none' || truth.bundle.runproof_json;
  const reused = truth.prior_checkpoint_files.length > 0 || truth.config.rerun !== null;
  const add = (fact: FactName, applicable: boolean, stated: boolean, agree: boolean, t: string, said: string) => {
    if (!stated && !applicable) return;
    res.facts.push({ fact, applicable, verdict: !stated ? 'unstated' : agree ? 'agree' : 'wrong', truth: t, said: stated ? said : '(not stated)' });
  };

  // checkpoint files read: the listing, parsed, names exactly Lightning's files (relative to the checkpoint folder).
  if (truth.bundle.listing) {
    const found = sortedSet(ev.checkpoints.found.map((c) => c.name));
    const want = sortedSet(truth.checkpoint_files.filter((f) => f.endsWith('.ckpt')));
    add('checkpoint files read', true, true, found.join('\n') === want.join('\n'), show(want), show(found));
  }

  // checkpoints expected: the ModelCheckpoint replay ends with exactly the files Lightning left.
  // Knowable with the listing and the whole config, in a folder no earlier run wrote to.
  if (truth.bundle.listing) {
    const ck = checks.get('checkpoints');
    // A replay the check only warns on, that explains nothing, says what it expects is unknown (expectedUnknown).
    const stated = !!ck && ck.status !== 'skip' && !ev.checkpoints.expectedUnknown;
    const expected = sortedSet(ev.checkpoints.expected.map((e) => e.name));
    const want = sortedSet(truth.checkpoint_files.filter((f) => f.endsWith('.ckpt')));
    // ... and the monitored values per validation to replay over (per-epoch metrics or runproof.json): without them what it expects is unstated, not wrong.
    add('checkpoints expected', configKnown && !reused && (perEpoch || truth.bundle.runproof_json), stated, expected.join('\n') === want.join('\n'), show(want), show(expected));
  }

  // last epoch: the last epoch Lightning trained, from per-epoch metrics (healthy runs; a crashed epoch may have no row).
  if (truth.last_train_step && res.healthy) {
    const last = ev.epochs.length ? ev.epochs[ev.epochs.length - 1].epoch : null;
    // Epochs a log's callback lines printed values in (no progress bar: `epochsPartial`) claim no last epoch.
    add('last epoch', perEpoch, last !== null && !ev.epochsPartial, last === truth.last_train_step.epoch, String(truth.last_train_step.epoch), String(last));
  }

  // ending and status: the log says it for every ending but a quiet EarlyStopping, which only the config and metrics reveal.
  // (A resume without runproof.json: EarlyStopping's restored wait is not in the bundle, so a quiet stop is not either.)
  const endingKnowable = truth.ending !== 'early_stopping' || !!truth.config.es?.verbose || (perEpoch && configStated && (truth.config.rerun !== 'resume' || truth.bundle.runproof_json));
  const reason = ev.stop.reason;
  // EarlyStopping's whole config (min_delta, thresholds, check_finite) is stated only by the full command or runproof.json.
  const esKnown = configKnown;
  // A quiet EarlyStopping that signals in the last epoch max_epochs allows: Lightning itself prints `max_epochs=N`
  // reached. Without EarlyStopping's config, that stop is what the bundle shows, so it is not wrong.
  const esInLastEpoch = truth.ending === 'early_stopping' && !!truth.early_stopping && truth.early_stopping.stopped_epoch === truth.config.trainer.max_epochs - 1;
  // Exact values are needed too: a log's printed values are rounded (runproof.json's are exact).
  // (So does a resume without runproof.json: EarlyStopping's restored wait is not in the bundle.)
  const esRestoredUnknown = truth.config.rerun === 'resume' && !truth.bundle.runproof_json;
  const saidOk = ENDING_SAID[truth.ending].includes(reason) || (esInLastEpoch && (!esKnown || !exactValues || esRestoredUnknown) && !truth.config.es?.verbose && reason === 'max_epochs');
  add('ending', endingKnowable, reason !== 'unknown', saidOk, truth.ending, reason);
  add('status', endingKnowable, ev.status !== 'unknown', ev.status === truth.exit.status, truth.exit.status, ev.status);

  // A replay that rests on EarlyStopping settings the bundle does not state (Runproof lists them in earlyStop.unstated)
  // says what Lightning did only under them: where the bundle truly lacks the config that is "unknown", not a claim.
  // Where the bundle states the config (full command, runproof.json) the replay's answer is compared as always.
  // A resume without runproof.json leaves EarlyStopping's restored state unstated, whatever the command says.
  const esStateKnown = esKnown && (truth.config.rerun !== 'resume' || truth.bundle.runproof_json);
  // So does one over the log's rounded values (no metrics.csv, events or runproof.json): its values are not known exactly.
  const conditional = !!truth.config.es && (!esStateKnown || !exactValues) && !!ev.earlyStop?.unstated?.length;

  // early stop: where EarlyStopping signalled (or that it did not), when it was configured.
  if (truth.early_stopping) {
    const es = truth.early_stopping;
    // A resumed fit restores stopped_epoch and the reason: a stop before this fit's first epoch was the earlier fit's.
    const start = truth.config.rerun === 'resume' ? Math.min(...(truth.validations ?? []).map((v) => v.epoch)) : 0;
    const stopped = es.stopping_reason !== 'not_stopped' && !(es.stopped_epoch < start);
    const t = stopped ? `stopped at epoch ${es.stopped_epoch} (${es.stopping_reason})` : 'did not stop';
    const said = ev.earlyStop?.configured ? (ev.earlyStop.triggered ? `stopped at epoch ${ev.earlyStop.stoppedEpoch}` : 'did not stop') : '';
    const agree = !!ev.earlyStop?.configured && ev.earlyStop.triggered === stopped && (!stopped || ev.earlyStop.stoppedEpoch === es.stopped_epoch);
    add('early stop', perEpoch && esKnown && truth.config.rerun !== 'resume', !!ev.earlyStop?.configured && !conditional, agree, t, said);
  }

  // monitored best: EarlyStopping's best_score when configured (min_delta applies), else the best value validated.
  const monitored = truth.config.mc?.monitor ?? (truth.config.es ? truth.config.monitor : null);
  if (monitored) {
    const want = truth.early_stopping ? num(truth.early_stopping.best_score) : truth.monitored_best;
    const said = ev.earlyStop ? ev.earlyStop.bestScore : null;
    // From the log alone the value is as printed: tqdm's 3 significant digits (ModelCheckpoint's 5 decimals are finer).
    // A monitor Runproof guessed (the bundle states none) is no claim: nor is the best value of it, nor one read off the
    // values a log's callbacks printed in some epochs only (`epochsPartial`).
    const guessed = !!ev.monitor && (ev.monitor.source === 'validation loss column' || !!ev.monitor.assumed) && !monitorStatedBy(truth);
    const printed =
      !exactValues && said !== null && want !== null && Number.isFinite(said) && said !== 0 && Math.abs(said - want) <= 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(said))) - 2) * (1 + 1e-9);
    // Nothing finite validated (a run killed before its first validation): no record is the answer.
    const noBest = want === null || !Number.isFinite(want);
    add(
      'monitored best',
      perEpoch && (truth.config.es ? esKnown : configStated) && truth.config.rerun !== 'resume',
      (!!ev.earlyStop || noBest) && !conditional && !guessed && !ev.epochsPartial,
      close(said, want) || printed,
      String(want),
      String(said),
    );
  }

  // monitor: which metric the callbacks watch, and which way is better.
  if (monitored) {
    const want = `${truth.config.monitor} (${truth.config.mode})`;
    const said = ev.monitor ? `${ev.monitor.name} (${ev.monitor.mode})` : '';
    // Stated by the bundle: runproof.json, the full command, or a partial one's --checkpoint-monitor.
    const monitorStated = monitorStatedBy(truth);
    // A monitor Runproof assumed (a val…loss column, an inference resting on settings the bundle does not state) is a
    // claim only where the bundle states the monitor.
    const assumedOnly = (ev.monitor?.source === 'validation loss column' || !!ev.monitor?.assumed) && !monitorStated;
    add('monitor', perEpoch && monitorStated, !!ev.monitor && !assumedOnly, said === want, want, said);
  }
  return res;
}

export interface Row {
  label: string;
  cases: number;
  agree: number;
  checked: number;
  unstated: number;
  falseFails: number;
  falseFailRuns: number;
  healthyRuns: number;
  missed: number;
  mustFail: number;
}

export interface Summary {
  cases: number;
  configurations: number;
  tampered: number;
  byClass: Row[];
  all: Row;
  byFact: Record<string, { agree: number; checked: number; wrong: number; unstated: number }>;
  falseFailsByCheck: Record<string, number>;
  missedByKind: Record<string, { missed: number; total: number }>;
  crashes: number;
}

function row(label: string, rs: CaseResult[]): Row {
  const r: Row = { label, cases: rs.length, agree: 0, checked: 0, unstated: 0, falseFails: 0, falseFailRuns: 0, healthyRuns: 0, missed: 0, mustFail: 0 };
  for (const c of rs) {
    for (const f of c.facts) {
      r.checked++;
      if (f.verdict === 'agree') r.agree++;
      if (f.verdict === 'unstated') r.unstated++;
    }
    if (c.healthy) {
      r.healthyRuns++;
      r.falseFails += c.falseFails.length;
      if (c.falseFails.length) r.falseFailRuns++;
    }
    r.mustFail += c.mustFail.length;
    r.missed += c.missed.length;
  }
  return r;
}

export function summarise(results: CaseResult[]): Summary {
  const byFact: Summary['byFact'] = {};
  const falseFailsByCheck: Record<string, number> = {};
  const missedByKind: Summary['missedByKind'] = {};
  for (const r of results) {
    for (const f of r.facts) {
      const v = (byFact[f.fact] ??= { agree: 0, checked: 0, wrong: 0, unstated: 0 });
      v.checked++;
      if (f.verdict === 'agree') v.agree++;
      else if (f.verdict === 'wrong') v.wrong++;
      else v.unstated++;
    }
    for (const c of r.falseFails) falseFailsByCheck[c.id] = (falseFailsByCheck[c.id] ?? 0) + 1;
    if (r.mustFail.length) {
      const kind = r.tampered ?? (r.mustFail.includes('exit') ? 'crashed run (exit)' : 'all-NaN metrics');
      const v = (missedByKind[kind] ??= { missed: 0, total: 0 });
      v.total += r.mustFail.length;
      v.missed += r.missed.length;
    }
  }
  const byClass = Object.entries(CLASS_NAMES).map(([k, name]) =>
    row(
      `${k.padStart(2)} ${name}`,
      results.filter((r) => r.classes.includes(Number(k))),
    ),
  );
  return {
    cases: results.length,
    configurations: results.filter((r) => !r.tampered).length,
    tampered: results.filter((r) => r.tampered).length,
    byClass,
    all: row('all cases', results),
    byFact,
    falseFailsByCheck,
    missedByKind,
    crashes: results.filter((r) => r.crash).length,
  };
}
