/**
 * The cause, first: which line says why a run failed, and which checks only
 * fail because of it. Pure, over the facts (./facts); analyse.ts puts the
 * result in the evidence document, so the page's headline, the `exit` check
 * and the log's error filter all cite the same line.
 */
import type { Facts } from './facts';
import type { Check, CheckId, FailureCause } from './types';

type CauseFacts = Pick<Facts, 'log' | 'logFile' | 'launch' | 'exitCode' | 'crashed' | 'logCut'>;

/**
 * The line that says why the run failed, or null when it did not fail or
 * its log says nothing about it:
 *
 * 1. a stop from outside that the log shows (`Received SIGTERM`, Slurm's
 *    `CANCELLED … DUE TO TIME LIMIT`), unless Runproof itself stopped it
 *    (cancel, timeout: the launch note says so);
 * 2. the log's crash (lib/lightning/logs.ts): the first exception of the last
 *    traceback chain — the MisconfigurationException, not the
 *    `RuntimeError: Lightning training failed. See logs for details.` raised
 *    from it — else argparse's `prog: error:` line, else the first error line;
 * 3. a last line that is an exception with no traceback;
 * 4. for a run that exited non-zero with none of these, the first glog E/F
 *    line (`E0000 … cuda_dnn.cc:8579] …`): the only error-level words it has.
 */
export function failureCause(f: CauseFacts): FailureCause | null {
  const log = f.log;
  const file = f.logFile;
  if (!log || !file) return null;
  const byRunproof = !!f.launch?.status && f.launch.status !== 'succeeded' && f.launch.status !== 'failed';
  if ((log.stop.reason === 'killed' || log.stop.reason === 'time_limit') && log.stop.line !== null && !byRunproof) {
    return { kind: 'killed', file, line: log.stop.line, message: log.stop.message ?? 'killed' };
  }
  if (log.crash) {
    const { crash } = log;
    const last = crash.chain.length > 1 ? { line: crash.chainLines[crash.chainLines.length - 1], message: crash.chain[crash.chain.length - 1] } : null;
    return { kind: crash.kind, file, line: crash.line, message: crash.message, ...(last ? { raisedAs: last } : {}) };
  }
  const bare = f.logCut && f.logCut.line !== null ? /^it ends with (.*) \(line \d+\), an exception with no traceback$/.exec(f.logCut.evidence) : null;
  if (bare && f.logCut?.line) return { kind: 'bare-exception', file, line: f.logCut.line, message: bare[1] };
  const exitCode = f.exitCode.value;
  if (exitCode !== null && exitCode !== 0 && !byRunproof && log.firstSevere) return { kind: 'severe-line', file, line: log.firstSevere.line, message: log.firstSevere.message };
  return null;
}

/** The checks that judge training: with no training at all they only repeat the failure that prevented it. */
const KNOCK_ON: ReadonlySet<CheckId> = new Set<CheckId>(['metrics', 'epochs', 'early-stop', 'checkpoints']);

type KnockOnFacts = Pick<Facts, 'log' | 'launch' | 'crashed' | 'interrupted' | 'epochs' | 'metricsFile' | 'metrics' | 'lastStep' | 'runproof'> & {
  checkpoints: Pick<Facts['checkpoints'], 'found'>;
};

/**
 * Did the process end before it trained anything: it ran (a log, or a
 * start the worker recorded), it failed or was stopped, and nothing in the
 * bundle shows an epoch, a logged step, a validation or a checkpoint.
 * Returns how to say so (`the process exited before training`), or null.
 */
export function endedBeforeTraining(f: KnockOnFacts): string | null {
  if (!f.crashed) return null;
  const started = f.launch?.facts ? f.launch.facts.startedAt !== null : !!f.log;
  if (!started || !f.log) return null;
  const trained =
    f.epochs.length > 0 ||
    (f.metricsFile !== null && f.metrics !== null && f.metrics.kind !== 'empty') ||
    (f.lastStep ?? 0) > 0 ||
    f.checkpoints.found.length > 0 ||
    (f.runproof?.value.validations.length ?? 0) > 0;
  if (trained) return null;
  const how =
    f.interrupted === 'cancelled' ? 'was cancelled' : f.interrupted === 'timed out' ? 'timed out' : f.interrupted === 'lost' ? 'was lost' : f.interrupted === 'killed' ? 'was killed' : 'exited';
  return `the process ${how} before training`;
}

/**
 * Knock-on failures become skips: a run that never trained has no
 * metrics.csv, no epochs and no checkpoints because of the failure the
 * `exit` check already names, so `metrics`, `epochs`, `early-stop` and
 * `checkpoints` say `skip: the process exited before training` instead of
 * failing (or skipping) on their own.
 */
export function skipKnockOns(checks: Check[], f: KnockOnFacts): Check[] {
  const why = endedBeforeTraining(f);
  if (!why) return checks;
  return checks.map((c) => (KNOCK_ON.has(c.id) && (c.status === 'fail' || c.status === 'skip') ? { id: c.id, status: 'skip', detail: why } : c));
}
