import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type EarlyStopFacts = Pick<Facts, 'earlyStop' | 'epochs' | 'monitorPoints' | 'stop' | 'maxEpochs' | 'interrupted'>;

/** Do the run and the EarlyStopping replay agree on whether and where it stopped. */
export function checkEarlyStop({ earlyStop, epochs, monitorPoints, stop, interrupted, ...f }: EarlyStopFacts): Check {
  const maxEpochs = f.maxEpochs.value;
  if (interrupted && earlyStop?.configured) {
    // Stopped from outside: the replay must not have stopped before the last completed epoch.
    const done = monitorPoints.filter((p) => p.value !== undefined);
    const lastDone = done.length ? done[done.length - 1].epoch : null;
    const what = `patience ${earlyStop.patience}, best epoch ${earlyStop.bestEpoch}, wait ${earlyStop.wait}`;
    if (lastDone === null) return check('early-stop', 'skip', `no completed epoch before the run was ${interrupted}`);
    if (earlyStop.triggered && earlyStop.stoppedEpoch !== null && earlyStop.stoppedEpoch < lastDone) return check('early-stop', 'fail', `replay stops at epoch ${earlyStop.stoppedEpoch} but the run went on to epoch ${lastDone} before it was ${interrupted} (${what})`);
    return check('early-stop', 'pass', `not triggered in the ${done.length} completed epoch${done.length === 1 ? '' : 's'} before the run was ${interrupted}, as the replay agrees (${what})`);
  }
  if (!earlyStop || !earlyStop.configured) return check('early-stop', 'skip', !earlyStop ? 'no monitored metric per epoch to replay' : 'EarlyStopping not configured (no patience knob)');
  const ran = epochs.length;
  const lastEpoch = epochs[ran - 1].epoch;
  const runStopped = stop.reason === 'early_stopping' || (stop.reason !== 'max_epochs' && maxEpochs !== null && ran < maxEpochs);
  const replayStopsHere = earlyStop.triggered && earlyStop.stoppedEpoch === lastEpoch;
  const what = `patience ${earlyStop.patience}, best epoch ${earlyStop.bestEpoch}, wait ${earlyStop.wait}`;
  if (runStopped && replayStopsHere) return check('early-stop', 'pass', `run and replay both stop at epoch ${lastEpoch} (${what})`);
  if (!runStopped && (!earlyStop.triggered || replayStopsHere)) return check('early-stop', 'pass', `not triggered, as the replay agrees (${what})`);
  if (runStopped) return check('early-stop', 'fail', `run stopped at epoch ${lastEpoch}; replay ${earlyStop.triggered ? `stops at epoch ${earlyStop.stoppedEpoch}` : 'does not stop'} (${what})`);
  return check('early-stop', 'fail', `replay stops at epoch ${earlyStop.stoppedEpoch} but the run went on to epoch ${lastEpoch} (${what})`);
}
