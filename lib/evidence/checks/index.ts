/**
 * Judge the facts: the nine checks, one pure function each, run in the
 * evidence document's order (CHECK_IDS). Each takes only the facts it needs
 * (a `Pick` of Facts, see lib/evidence/facts) and returns its Check.
 */
import type { Facts } from '../facts';
import type { Check, CheckId } from '../types';
import { checkAccelerator } from './accelerator';
import { checkCheckpoints } from './checkpoints';
import { checkCleanup } from './cleanup';
import { checkEarlyStop } from './early-stop';
import { checkEpochs } from './epochs';
import { checkExit } from './exit';
import { checkKnobs } from './knobs';
import { checkMetrics } from './metrics';
import { checkWarnings } from './warnings';

export { checkAccelerator, checkCheckpoints, checkCleanup, checkEarlyStop, checkEpochs, checkExit, checkKnobs, checkMetrics, checkWarnings };

export const CHECKS: ReadonlyArray<{ id: CheckId; run: (f: Facts) => Check }> = [
  { id: 'exit', run: checkExit },
  { id: 'accelerator', run: checkAccelerator },
  { id: 'metrics', run: checkMetrics },
  { id: 'epochs', run: checkEpochs },
  { id: 'early-stop', run: checkEarlyStop },
  { id: 'checkpoints', run: checkCheckpoints },
  { id: 'knobs', run: checkKnobs },
  { id: 'warnings', run: checkWarnings },
  { id: 'cleanup', run: checkCleanup },
];

export function runChecks(facts: Facts): Check[] {
  return CHECKS.map((c) => c.run(facts));
}
