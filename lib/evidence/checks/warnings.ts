import type { Facts } from '../facts';
import type { Check } from '../types';
import { fmtCount } from '../caps';
import { check } from './check';

export type WarningsFacts = Pick<Facts, 'log' | 'warnings'>;

/** Deprecation warnings fail, other warnings warn. */
export function checkWarnings({ log, warnings }: WarningsFacts): Check {
  if (!log) return check('warnings', 'skip', 'no training log in the bundle');
  const dep = warnings.filter((w) => w.category && /DeprecationWarning$/.test(w.category));
  if (dep.length)
    return check(
      'warnings',
      'fail',
      `${fmtCount(dep.length)} deprecation warning${dep.length === 1 ? '' : 's'}: ${dep
        .slice(0, 20)
        .map((w) => w.message)
        .join('; ')
        .slice(0, 300)}`,
    );
  if (warnings.length)
    return check('warnings', 'warn', `${fmtCount(warnings.length)} distinct warning${warnings.length === 1 ? '' : 's'} (${fmtCount(warnings.reduce((a, w) => a + w.count, 0))} in all)`);
  return check('warnings', 'pass', 'no warnings');
}
