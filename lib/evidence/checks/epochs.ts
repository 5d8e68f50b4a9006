import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type EpochsFacts = Pick<Facts, 'epochs' | 'maxEpochs' | 'earlyStop' | 'interrupted'>;

/** Did it train max_epochs epochs, or fewer because EarlyStopping (replayed) stopped it at the last one. */
export function checkEpochs({ epochs, earlyStop, interrupted, ...f }: EpochsFacts): Check {
  const ran = epochs.length;
  const maxEpochs = f.maxEpochs.value;
  const s = ran === 1 ? '' : 's';
  if (!ran) return check('epochs', 'skip', 'no per-epoch metrics to count epochs');
  const stoppedHere = !!earlyStop?.triggered && earlyStop.stoppedEpoch === epochs[ran - 1].epoch;
  if (interrupted && !stoppedHere) return check('epochs', 'skip', `${ran} epoch${s}${maxEpochs !== null ? ` of max_epochs=${maxEpochs}` : ''}: the run was ${interrupted} before it could finish`);
  if (maxEpochs === null) return check('epochs', 'skip', `${ran} epoch${s} ran; max_epochs unknown`);
  if (ran === maxEpochs) return check('epochs', 'pass', `${ran} of max_epochs=${maxEpochs}`);
  if (ran < maxEpochs && stoppedHere) return check('epochs', 'pass', `${ran} of max_epochs=${maxEpochs}, stopped early at epoch ${earlyStop!.stoppedEpoch}`);
  return check('epochs', 'fail', `${ran} of max_epochs=${maxEpochs}${ran < maxEpochs ? ', not explained by early stopping' : ''}`);
}
