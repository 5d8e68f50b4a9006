import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';

export type AcceleratorFacts = Pick<Facts, 'accelerator'>;

/** Did it run on the accelerator asked for (`auto` accepts any; `cuda` is `gpu`). */
export function checkAccelerator({ accelerator }: AcceleratorFacts): Check {
  if (!accelerator.resolved) return check('accelerator', 'skip', 'the log has no accelerator lines (`GPU available: …`)');
  const req = accelerator.requested.value?.toLowerCase() ?? null;
  const want = req === 'cuda' ? 'gpu' : req;
  if (!want) return check('accelerator', 'pass', `ran on ${accelerator.resolved}; nothing requested`);
  if (want === 'auto' || want === accelerator.resolved) return check('accelerator', 'pass', `requested ${req}, ran on ${accelerator.resolved}${accelerator.device ? ` (${accelerator.device})` : ''}`);
  return check('accelerator', 'fail', `requested ${req} but ran on ${accelerator.resolved}`);
}
