/**
 * Who produced a piece of evidence: the profile (trainer) a launched run used
 * and the command that ran. Every place that shows evidence for a plan row
 * names it, so a reviewer can tell a demo run from the real trainer. Pure.
 */
import { formatCommandLine } from '../lightning/command';
import { programOf, type RunIdentity } from '../plans/qualify';
import type { Evidence } from './types';

export interface Provenance {
  /** The launch profile, for launched runs. */
  profile: string | null;
  /** The program as a reader would say it (`python -m ptycho_torch.train`), when the command is known. */
  program: string | null;
  /** The command line that ran (secrets already redacted in the evidence). */
  command: string | null;
  /** Where the command comes from: `launch`, `summary.md`, `command.txt`, … */
  source: string | null;
}

/** What a run is, for qualifying it against a plan row: its profile and its argv. */
export function runIdentityOf(ev: Pick<Evidence, 'launch' | 'command'>, profile: string | null = null): RunIdentity {
  return { profile: ev.launch?.profile ?? profile, argv: ev.launch?.argv ?? ev.command?.argv ?? null };
}

export function provenanceOf(ev: Pick<Evidence, 'launch' | 'command'>, profile: string | null = null): Provenance {
  const id = runIdentityOf(ev, profile);
  const prog = id.argv ? programOf(id.argv) : null;
  const command = ev.launch ? formatCommandLine(ev.launch.argv, ev.launch.env) : (ev.command?.text ?? null);
  return { profile: id.profile, program: prog?.display ?? null, command, source: ev.launch ? 'launch' : (ev.command?.source ?? null) };
}

/** `profile reference, node …/reference-trainer/train.mjs`; `python -m ptycho_torch.train (from summary.md)`. */
export function provenanceText(p: Provenance): string {
  const parts = [p.profile ? `profile ${p.profile}` : null, p.program ?? (p.command ? null : 'command not recorded')].filter(Boolean);
  return `${parts.join(', ')}${!p.profile && p.source && p.program ? ` (from ${p.source})` : ''}`;
}
