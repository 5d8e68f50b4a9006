/**
 * The evidence document: what `runproof show --json` prints, what
 * `GET /api/runs/<id>` serves and what `summary.md` and the evidence page are
 * rendered from. One shape, one source of truth.
 */
import type { Knobs } from '../lightning/command';
import type { EarlyStopTraceRow } from '../lightning/replay';

/** Statuses shared by db, worker and UI. `unknown`: imported evidence that shows neither an end nor a failure. */
import type { PlanRowRef } from '../plans/types';
import type { Verdict } from './verdict';

export const RUN_STATUSES = Object.freeze(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'lost', 'unknown'] as const);
export type RunStatus = (typeof RUN_STATUSES)[number];

export const CHECK_IDS = Object.freeze(['exit', 'accelerator', 'metrics', 'epochs', 'early-stop', 'checkpoints', 'knobs', 'warnings', 'cleanup'] as const);
export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface Check {
  id: CheckId;
  status: CheckStatus;
  detail: string;
}
export interface Problem {
  file: string;
  line: number | null;
  message: string;
}

export type FileRole = 'log' | 'metrics' | 'checkpoint-listing' | 'tree' | 'summary' | 'hparams' | 'command' | 'evidence' | 'checkpoint' | 'tfevents' | 'other';
export interface BundleFile {
  path: string;
  role: FileRole;
  sizeBytes: number;
}

export interface CommandInfo {
  text: string;
  argv: string[];
  env: Record<string, string>;
  source: string;
}

export interface KnobRow {
  knob: string;
  requested: string | boolean | null;
  effective: string | boolean | null;
  /** What the trainer itself echoed for this knob, when it did. */
  echoed: string | null;
  ok: boolean;
}

export interface FoundCheckpoint {
  name: string;
  sizeBytes: number | null;
  epoch: number | null;
  step: number | null;
  score: number | null;
  kind: 'top-k' | 'last' | 'other';
  /** Replay says this file should exist. */
  expected: boolean;
}

export interface ExpectedCheckpoint {
  name: string;
  epoch: number;
  score: number | null;
  kind: 'top-k' | 'last';
}

export interface Evidence {
  schema: 1;
  title: string;
  status: RunStatus;
  bundle: { root: string; log: string | null; initiative: string | null; phase: string | null; timestamp: string | null };
  command: CommandInfo | null;
  /** Effective knobs: what the run was given (argv). */
  knobs: Knobs;
  requested: { text: string; knobs: Knobs; source: string } | null;
  knobTable: KnobRow[];
  /** `time -p` figures from the log, or for launched runs the wall time the worker measured (user/sys then unknown). */
  runtime: { realS: number; userS: number | null; sysS: number | null; source?: 'time -p' | 'worker' } | null;
  accelerator: { requested: string | null; resolved: string | null; device: string | null; evidence: string[] };
  stop: { reason: 'max_epochs' | 'max_steps' | 'early_stopping' | 'error' | 'killed' | 'time_limit' | 'unknown'; message: string | null };
  maxEpochs: number | null;
  seed: number | null;
  params: { trainable: string | null; total: string | null };
  /** `assumed`: the name or the mode is a guess (a val…loss column, a mode from the metric's name, an inference resting on unstated settings). */
  monitor: { name: string; mode: 'min' | 'max'; source: string; assumed?: true } | null;
  metricColumns: string[];
  epochs: Array<{ epoch: number; step: number; metrics: Record<string, number | null> }>;
  /** Set when `epochs` are only those a callback printed values in (a log without a progress bar): they say nothing of the epochs between or after. */
  epochsPartial?: string;
  /** The Lightning version the bundle shows and what dated it (`Lightning 2.6.6 (runproof.json)`, `Lightning ≥2.1 (train.log:3: …)`); absent when nothing dates it. */
  lightning?: string;
  earlyStop: {
    configured: boolean;
    monitor: string | null;
    mode: 'min' | 'max';
    patience: number | null;
    minDelta: number;
    bestEpoch: number | null;
    bestScore: number | null;
    wait: number;
    triggered: boolean;
    stoppedEpoch: number | null;
    trace: EarlyStopTraceRow[];
    /**
     * Settings the replay took without the bundle stating them (assumed at
     * Lightning's default, borrowed, or inferred from the values): where any
     * is listed, `triggered`/`stoppedEpoch`/`bestScore` hold only under them.
     * Absent from documents written before it existed.
     */
    unstated?: string[];
  } | null;
  checkpoints: {
    template: string | null;
    saveTopK: number | null;
    saveLast: boolean | null;
    found: FoundCheckpoint[];
    /** The files the replay expects; empty when `expectedUnknown` says why no replay can be trusted to know them. */
    expected: ExpectedCheckpoint[];
    missing: string[];
    unexpected: string[];
    /** No configuration the bundle allows explains the files, and the verdict is only a warning (settings it does not state, rounded values, a bounded search): what the replay would expect is not known. */
    expectedUnknown?: string;
  };
  /** `file`/`line`: the source that warned, as Python prints it; `logLine`: its first line in the log (`bundle.log`), which the page links to. */
  warnings: Array<{ category: string | null; message: string; file: string | null; line: number | null; count: number; logLine?: number | null }>;
  errors: Array<{ file: string; line: number; message: string }>;
  /**
   * Why the run failed, as the line that says it: the root of a chained
   * traceback, argparse's `error:` line, the first error line, the kill the
   * log shows (lib/evidence/cause.ts). The failure headline quotes it and
   * links to it, and the `exit` check cites the same line. Absent from
   * documents written before it existed; null when nothing failed.
   */
  cause?: FailureCause | null;
  checks: Check[];
  files: BundleFile[];
  problems: Problem[];
  /** How a launched run was run (absent for imported bundles). */
  launch?: LaunchFacts | null;
  /**
   * The plan rows this run proves, with each row's state now (filled in when
   * the evidence is served: plans change after the run).
   */
  planRows?: PlanRowRef[];
  /** What the evidence shows (lib/evidence/verdict.ts), and why in one sentence; filled in when the evidence is served. */
  verdict?: { verdict: Verdict; sentence: string };
}

export interface FailureCause {
  /**
   * `exception`: the first exception of the last traceback chain; `usage`:
   * argparse refused the command line; `error-line`: the first error line
   * (no traceback); `bare-exception`: the log's last line is an exception
   * without its traceback; `killed`: the stop from outside the log shows;
   * `severe-line`: a failed run whose log says nothing better, its first
   * glog E/F line.
   */
  kind: 'exception' | 'usage' | 'error-line' | 'bare-exception' | 'killed' | 'severe-line';
  file: string;
  line: number;
  /** The line's text (the exception line, the error line). */
  message: string;
  /** The exception raised from it or while handling it, last of the chain (a wrapper such as `RuntimeError: … See logs for details.`). */
  raisedAs?: { line: number; message: string } | null;
}

/** What the worker recorded about a launched run: enough to run it again and to know where it ran. */
export interface LaunchFacts {
  profile: string;
  argv: string[];
  cwd: string;
  /** Environment overrides only (profile env, CPU-only), not the inherited environment. */
  env: Record<string, string>;
  params: Record<string, string | number | boolean>;
  cpuOnly: boolean;
  planRows: string[];
  host: string | null;
  pid: number | null;
  gitCommit: string | null;
  queuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  timeoutSec: number;
  cancelRequested: boolean;
  /** Runproof's own account of why the run ended as it did, when the trainer did not say (cancelled, timed out, lost, spawn failed). */
  note: string | null;
}
