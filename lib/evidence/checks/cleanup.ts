import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type CleanupFacts = Pick<Facts, 'launch'>;

/** Launched runs: was the temporary output folder removed after archiving. */
export function checkCleanup({ launch }: CleanupFacts): Check {
  if (launch?.cleanedUp == null) return check('cleanup', 'skip', 'imported run: cleanup is checked on launched runs');
  return check('cleanup', launch.cleanedUp ? 'pass' : 'fail', launch.cleanedUp ? 'temporary output folder removed after archiving' : 'temporary output folder left behind');
}
