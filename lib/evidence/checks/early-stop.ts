import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type EarlyStopFacts = Pick<Facts, 'earlyStop' | 'epochs' | 'monitorPoints' | 'stop' | 'maxEpochs' | 'interrupted'> &
  Partial<Pick<Facts, 'log' | 'earlyStopping' | 'settings' | 'crashed' | 'timelineFrom' | 'lastStep' | 'epochsPartial'>>;

/**
 * Do the run and the EarlyStopping replay agree on whether and where it
 * stopped. A disagreement fails only when every setting the replay used is
 * stated by the bundle and its values are exact; otherwise it warns, naming
 * the settings it had to take at Lightning's defaults.
 */
export function checkEarlyStop({ earlyStop, epochs, monitorPoints, stop, interrupted, ...f }: EarlyStopFacts): Check {
  const maxEpochs = f.maxEpochs.value;
  const es = f.earlyStopping;
  if (interrupted && earlyStop?.configured) {
    // Stopped from outside: the replay must not have stopped before the last completed epoch.
    const done = monitorPoints.filter((p) => p.value !== undefined);
    const lastDone = done.length ? done[done.length - 1].epoch : null;
    const what = `patience ${earlyStop.patience}, best epoch ${earlyStop.bestEpoch}, wait ${earlyStop.wait}`;
    if (lastDone === null) return check('early-stop', 'skip', `no completed epoch before the run was ${interrupted}`);
    if (earlyStop.triggered && earlyStop.stoppedEpoch !== null && earlyStop.stoppedEpoch < lastDone)
      return check('early-stop', 'fail', `replay stops at epoch ${earlyStop.stoppedEpoch} but the run went on to epoch ${lastDone} before it was ${interrupted} (${what})`);
    return check('early-stop', 'pass', `not triggered in the ${done.length} completed epoch${done.length === 1 ? '' : 's'} before the run was ${interrupted}, as the replay agrees (${what})`);
  }
  const configured = f.settings?.earlyStop.configured;
  if (!earlyStop?.configured) {
    if (earlyStop && configured?.state === 'known' && configured.value === false) return check('early-stop', 'skip', `no EarlyStopping (${configured.source})`);
    if (earlyStop)
      return check('early-stop', 'skip', `EarlyStopping not configured (no patience knob)${configured?.state === 'unknown' ? '; runproof.json or the EarlyStopping flags would say' : ''}`);
    if (configured?.value && f.timelineFrom === 'log')
      return check('early-stop', 'skip', "EarlyStopping is configured, but the log's printed values are too rounded to replay it (a metrics.csv or runproof.json would settle it)");
    return check('early-stop', 'skip', 'no monitored metric per epoch to replay');
  }
  if (!epochs.length && !es?.replay?.trace.length) return check('early-stop', 'skip', 'no per-epoch values to replay EarlyStopping over');
  if (es?.resumedUnknown) return check('early-stop', 'skip', "the fit resumed from a checkpoint: EarlyStopping's restored wait and best score are not in the bundle (runproof.json would have them)");

  // Values only in the epochs a callback printed: where the log says max_epochs was reached, that is the last epoch.
  const lastEpoch =
    f.epochsPartial && stop.reason === 'max_epochs' && maxEpochs !== null && maxEpochs > 0
      ? maxEpochs - 1
      : epochs.length
        ? epochs[epochs.length - 1].epoch
        : es!.replay!.trace[es!.replay!.trace.length - 1].epoch;
  const replayEnd = es?.replay ? es.replay.lastEpoch : earlyStop.triggered ? earlyStop.stoppedEpoch : null;
  const what = `patience ${earlyStop.patience}, best epoch ${earlyStop.bestEpoch}, wait ${earlyStop.wait}${es?.assumed.length ? `; ${es.assumed.join(', ')} assumed` : ''}`;
  const maxStepsStop = stop.reason === 'max_steps';
  const crashed = !!f.crashed;
  const runStopped = stop.reason === 'early_stopping' || (!maxStepsStop && !crashed && maxEpochs !== null && lastEpoch + 1 < maxEpochs);

  // Lightning's own bookkeeping (runproof.json) against the replay.
  const bk = es?.bookkeeping;
  if (bk && es?.replay) {
    const stoppedSaid = bk.reason !== null && bk.reason !== 'not_stopped';
    const mism: string[] = [];
    if (stoppedSaid !== es.replay.triggered || (stoppedSaid && bk.stoppedEpoch !== es.replay.stoppedEpoch))
      mism.push(`stopped_epoch ${stoppedSaid ? bk.stoppedEpoch : '(not stopped)'} vs replay ${es.replay.triggered ? es.replay.stoppedEpoch : '(not stopped)'}`);
    if (bk.waitCount !== es.replay.wait) mism.push(`wait_count ${bk.waitCount} vs replay ${es.replay.wait}`);
    if (mism.length) return check('early-stop', 'fail', `Lightning's own EarlyStopping state (${bk.source}) disagrees with the replay over the logged values: ${mism.join('; ')}`);
  }

  const agree = runStopped ? replayEnd === lastEpoch : replayEnd === null || replayEnd === lastEpoch || (crashed && replayEnd > lastEpoch) || (maxStepsStop && replayEnd >= lastEpoch);
  if (agree && es?.inferred.length) {
    return check(
      'early-stop',
      'warn',
      `${runStopped ? `run and replay both stop at epoch ${lastEpoch}` : 'not triggered, as the replay agrees'} (${what}) only with ${es.inferred.join(', ')}, which the bundle does not state: the EarlyStopping flags or runproof.json would settle it`,
    );
  }
  if (agree) {
    if (runStopped)
      return check(
        'early-stop',
        'pass',
        `run and replay both stop at epoch ${lastEpoch}${es?.replay?.reason && es.replay.reason !== 'patience' ? ` (${es.replay.reason.replace('_', ' ')})` : ''} (${what})`,
      );
    return check('early-stop', 'pass', `not triggered, as the replay agrees (${what})`);
  }
  const exact = !es || (!es.assumed.length && !es.borrowed.length && f.timelineFrom !== 'log');
  const detail = runStopped
    ? `run stopped at epoch ${lastEpoch}; replay ${replayEnd !== null ? `stops at epoch ${replayEnd}` : 'does not stop'} (${what})`
    : `replay stops at epoch ${replayEnd} but the run went on to epoch ${lastEpoch} (${what})`;
  if (exact) return check('early-stop', 'fail', detail);
  const open = [...(es?.assumed ?? []), ...(es?.borrowed ?? [])];
  return check(
    'early-stop',
    'warn',
    `${detail}; the replay rests on settings the bundle does not state (${open.join('; ')})${f.timelineFrom === 'log' ? " and on the log's rounded values" : ''}: the EarlyStopping flags or runproof.json would settle it`,
  );
}
