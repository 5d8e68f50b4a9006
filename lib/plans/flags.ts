/**
 * Where a plan and its evidence disagree. Pure: row state and run facts in,
 * flags out; the plans pages and the evidence page show the same flags.
 */

export type Verdict = 'pass' | 'fail' | 'pending' | 'unknown';

export interface RunFacts {
  status: string;
  checksFail: number;
}

/** A run passes when it succeeded and no check failed; a run still queued or running is pending. */
export function runVerdict(r: RunFacts): Verdict {
  if (r.status === 'queued' || r.status === 'running') return 'pending';
  if (r.checksFail > 0 || ['failed', 'cancelled', 'timed_out', 'lost'].includes(r.status)) return 'fail';
  if (r.status === 'succeeded') return 'pass';
  return 'unknown';
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

/** Flags of one row. `runs` are the runs that prove it, newest first. */
export function rowFlags(state: string, runs: RunFacts[]): Flag[] {
  const flags: Flag[] = [];
  const verdicts = runs.map(runVerdict);
  if (state === '[x]' && !verdicts.includes('pass'))
    flags.push({ kind: 'done-without-evidence', message: runs.length ? `marked [x], but none of its ${runs.length} run${runs.length === 1 ? '' : 's'} passes` : 'marked [x], but no run proves it' });
  const latest = verdicts.find((v) => v !== 'pending');
  if (latest === 'fail') {
    const r = runs[verdicts.indexOf('fail')];
    flags.push({ kind: 'latest-fails', message: r.checksFail > 0 ? `its latest run fails ${r.checksFail} check${r.checksFail === 1 ? '' : 's'}` : `its latest run ended ${r.status.replace('_', ' ')}` });
  }
  return flags;
}

export function missingRowFlag(plan: string, id: string): Flag {
  return { kind: 'missing-row', message: `${plan} has no row ${id} (any more)` };
}
