/**
 * A launched run's name, made from what tells it apart: its profile and the
 * knobs it was given that differ from the profile's defaults
 * (`reference · max_epochs 12 · gridsize 3`), CPU-only when asked. People
 * can rename a run; this is only where the name starts. Pure.
 */
import type { Profile } from './schema';

type Value = string | number | boolean;

/** Names are cut here (the runs page and compare legends show them whole up to this). */
export const AUTO_NAME_CHARS = 100;

function show(v: Value): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

export function autoRunName(profile: Pick<Profile, 'name' | 'params'>, values: Record<string, Value>, opts: { cpuOnly?: boolean } = {}): string {
  const parts: string[] = [profile.name];
  for (const p of profile.params) {
    const v = values[p.name];
    if (v === undefined || v === null || v === '') continue;
    if (p.default !== undefined && String(p.default) === String(v)) continue;
    // A boolean switched on reads as its name alone; switched off as `no-<name>`.
    if (typeof v === 'boolean') parts.push(v ? p.name : `no-${p.name}`);
    else parts.push(`${p.name} ${show(v)}`);
  }
  if (opts.cpuOnly) parts.push('cpu only');
  if (parts.length === 1) parts.push('defaults');
  const name = parts.join(' · ');
  return name.length > AUTO_NAME_CHARS ? `${name.slice(0, AUTO_NAME_CHARS - 1)}…` : name;
}
