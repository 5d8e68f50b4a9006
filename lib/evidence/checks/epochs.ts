import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type EpochsFacts = Pick<Facts, 'epochs' | 'maxEpochs' | 'earlyStop' | 'interrupted'> &
  Partial<Pick<Facts, 'log' | 'stop' | 'earlyStopping' | 'settings' | 'crashed' | 'lastStep' | 'checkpoints' | 'epochsPartial'>>;

/**
 * Did it train max_epochs epochs, or fewer for a reason the bundle shows:
 * max_steps reached, EarlyStopping (replayed, or its own message), a crash.
 * Fewer with nothing to explain it fails only when EarlyStopping is known
 * not to be there or its replay rests on stated settings; else it warns.
 */
export function checkEpochs({ epochs, earlyStop, interrupted, ...f }: EpochsFacts): Check {
  const ran = epochs.length;
  const maxEpochs = f.maxEpochs.value;
  const s = ran === 1 ? '' : 's';
  if (!ran) return check('epochs', 'skip', 'no per-epoch metrics to count epochs');
  const lastEpoch = epochs[ran - 1].epoch;
  const n = lastEpoch + 1;
  const esEnd = f.earlyStopping?.replay ? f.earlyStopping.replay.lastEpoch : earlyStop?.triggered ? earlyStop.stoppedEpoch : null;
  const stoppedHere = !!earlyStop?.configured && esEnd === lastEpoch;
  if (interrupted && !stoppedHere) return check('epochs', 'skip', `${ran} epoch${s}${maxEpochs !== null ? ` of max_epochs=${maxEpochs}` : ''}: the run was ${interrupted} before it could finish`);
  if (maxEpochs === null && f.stop?.reason === 'max_steps') return check('epochs', 'pass', `${ran} epoch${s} ran: ${f.stop.message ?? 'max_steps reached'}`);
  if (maxEpochs === null) return check('epochs', 'skip', `${ran} epoch${s} ran; max_epochs unknown`);
  if (maxEpochs < 0) {
    // max_epochs=-1: no epoch limit; max_steps or a callback ends the fit.
    if (f.stop?.reason === 'max_steps' || f.stop?.reason === 'early_stopping')
      return check('epochs', 'pass', `${ran} epoch${s}, no epoch limit (max_epochs=${maxEpochs}): ${f.stop.message ?? f.stop.reason}`);
    return check('epochs', 'skip', `${ran} epoch${s}, no epoch limit (max_epochs=${maxEpochs}) to count them against`);
  }
  const counted = n === ran ? `${n}` : `${n} (epochs ${epochs[0].epoch}–${lastEpoch})`;
  if (n === maxEpochs) return check('epochs', 'pass', `${counted} of max_epochs=${maxEpochs}`);
  // Values only where a callback printed them: the epochs after the last such line trained unseen.
  if (f.epochsPartial && n < maxEpochs) {
    if (f.stop?.reason === 'max_epochs' || f.stop?.reason === 'max_steps')
      return check('epochs', 'pass', `${f.stop.message ?? f.stop.reason}; values for epochs ${epochs.map((e) => e.epoch).join(', ')} only (${f.epochsPartial})`);
    return check(
      'epochs',
      'skip',
      `values for epochs ${epochs.map((e) => e.epoch).join(', ')} only, of max_epochs=${maxEpochs}: ${f.epochsPartial}; the log's stop line or a metrics.csv would count them`,
    );
  }
  if (n > maxEpochs) return check('epochs', 'fail', `${counted} of max_epochs=${maxEpochs}`);

  // Fewer than max_epochs: what ended it.
  const maxSteps = f.settings?.trainer.maxSteps;
  if (f.stop?.reason === 'max_steps') return check('epochs', 'pass', `${counted} of max_epochs=${maxEpochs}: ${f.stop.message ?? 'max_steps reached'}`);
  const spb = f.checkpoints?.used?.stepsPerBatch.value ?? 1;
  if (maxSteps?.value != null && maxSteps.value > 0 && f.lastStep != null && f.lastStep * spb >= maxSteps.value)
    return check('epochs', 'pass', `${counted} of max_epochs=${maxEpochs}: max_steps=${maxSteps.value} reached (${maxSteps.source})`);
  if (stoppedHere)
    return check(
      'epochs',
      'pass',
      `${counted} of max_epochs=${maxEpochs}, stopped early at epoch ${earlyStop!.stoppedEpoch}${esEnd !== earlyStop!.stoppedEpoch ? ` (min_epochs kept it to epoch ${esEnd})` : ''}`,
    );
  // EarlyStopping(verbose=True) says itself that it stopped the run in its last epoch.
  const said = f.log?.earlyStopping;
  if (said?.final && f.log?.stop.reason === 'early_stopping') return check('epochs', 'pass', `${counted} of max_epochs=${maxEpochs}, stopped early: ${said.message}`);
  if (f.stop?.reason === 'early_stopping') return check('epochs', 'pass', `${counted} of max_epochs=${maxEpochs}, stopped early${f.stop.message ? `: ${f.stop.message}` : ''}`);
  if (f.crashed) return check('epochs', 'skip', `${counted} of max_epochs=${maxEpochs}: the run did not end normally (see exit)`);
  const es = f.settings?.earlyStop.configured;
  const exactEs = earlyStop?.configured && f.earlyStopping && !f.earlyStopping.assumed.length && !f.earlyStopping.borrowed.length;
  if (es?.state === 'known' && (es.value === false || exactEs))
    return check('epochs', 'fail', `${counted} of max_epochs=${maxEpochs}, not explained by early stopping${es.value === false ? ` (${es.source})` : ''}`);
  const why = earlyStop?.configured
    ? `the EarlyStopping replay (${f.earlyStopping?.assumed.concat(f.earlyStopping.borrowed).join('; ') || 'as stated'}) does not stop there`
    : 'the bundle does not say whether an EarlyStopping or max_steps ended it';
  return check('epochs', 'warn', `${counted} of max_epochs=${maxEpochs}: fewer, and ${why}; runproof.json or the full command would settle it`);
}
