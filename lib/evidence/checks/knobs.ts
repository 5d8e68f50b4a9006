import type { Facts } from '../facts';
import { normaliseValue } from '../facts/knobs';
import type { Check } from '../types';
import { check } from './check';

export type KnobsFacts = Pick<Facts, 'knobTable' | 'requested'>;

/** Do the run's knobs agree with the request and with the trainer's own echo. */
export function checkKnobs({ knobTable, requested }: KnobsFacts): Check {
  const compared = knobTable.filter((r) => r.requested !== null || r.echoed !== null);
  const bad = knobTable.filter((r) => !r.ok);
  if (!compared.length) return check('knobs', 'skip', requested ? 'no knobs in common between request and run' : 'no requested command and no config echo to compare with');
  if (bad.length) {
    return check(
      'knobs',
      'fail',
      bad
        .map((r) =>
          r.requested !== null && normaliseValue(r.requested) !== normaliseValue(r.effective)
            ? `${r.knob}: requested ${r.requested}, ran ${r.effective ?? '(not set)'}`
            : `${r.knob}: argv ${r.effective}, trainer echoed ${r.echoed}`,
        )
        .join('; '),
    );
  }
  return check('knobs', 'pass', `${compared.length} knob${compared.length === 1 ? '' : 's'} agree${requested ? ' with the request' : " with the trainer's echo"}`);
}
