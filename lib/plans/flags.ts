/**
 * Where a plan and its evidence disagree. Pure: row state and run facts in,
 * flags out; the plans pages and the evidence page show the same flags.
 *
 * Only runs that qualify for the row count (lib/plans/qualify.ts): a run of
 * another trainer linked to the row can neither clear a flag nor raise one.
 */
import { verdictOf, type Verdict } from '../evidence/verdict';

export type { Verdict };

export interface RunFacts {
  status: string;
  checksFail: number;
  checksPass: number;
  /** False when the run is linked to the row but does not qualify for it; absent counts as qualifying. */
  qualifies?: boolean;
}

/** The run's verdict (lib/evidence/verdict.ts). */
export function runVerdict(r: RunFacts): Verdict {
  return verdictOf(r);
}

export type FlagKind = 'done-without-evidence' | 'latest-fails' | 'missing-row';

export interface Flag {
  kind: FlagKind;
  message: string;
}

export const FLAG_TITLES: Record<FlagKind, string> = {
  'done-without-evidence': 'marked done, no passing run',
  'latest-fails': 'latest run fails',
  'missing-row': 'row not in the plan',
};

/**
 * Flags of one row. `runs` are the runs linked to it, newest first. Only
 * qualifying runs count; of those, the latest that reached a verdict (pass
 * or fail: pending and incomplete runs prove nothing yet) is "the latest".
 */
export function rowFlags(state: string, runs: RunFacts[]): Flag[] {
  const flags: Flag[] = [];
  const counted = runs.filter((r) => r.qualifies !== false);
  const ignored = runs.length - counted.length;
  const verdicts = counted.map(runVerdict);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (state === '[x]' && !verdicts.includes('pass')) {
    const base = counted.length ? `marked [x], but none of its ${plural(counted.length, 'qualifying run')} passes` : 'marked [x], but no qualifying run proves it';
    flags.push({ kind: 'done-without-evidence', message: ignored ? `${base}; ${plural(ignored, 'linked run')} do${ignored === 1 ? 'es' : ''} not qualify` : base });
  }
  const at = verdicts.findIndex((v) => v === 'pass' || v === 'fail');
  if (at >= 0 && verdicts[at] === 'fail') {
    const r = counted[at];
    flags.push({
      kind: 'latest-fails',
      message: r.checksFail > 0 ? `its latest qualifying run fails ${plural(r.checksFail, 'check')}` : `its latest qualifying run ended ${r.status.replace('_', ' ')}`,
    });
  }
  return flags;
}

export function missingRowFlag(plan: string, id: string): Flag {
  return { kind: 'missing-row', message: `${plan} has no row ${id} (any more)` };
}
