/**
 * The knob table: each knob the run was given, what was asked for and what
 * the trainer echoed about itself, and whether they agree.
 */
import { knobKey, type Knobs } from '../../lightning/command';
import type { KnobRow } from '../types';

/** The trainer's own echo names knobs its own way; map the common ones. */
const ECHO_ALIASES: Record<string, string> = {
  epochs: 'max-epochs',
  max_epochs: 'max-epochs',
  gridsize: 'gridsize',
  deterministic: 'deterministic',
  learning_rate: 'learning-rate',
  batch_size: 'batch-size',
  n_images: 'n-images',
  num_workers: 'num-workers',
};

export function normaliseValue(v: string | boolean | null | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const t = v.trim();
  const tuple = /^\((\d+),\s*\d+\)$/.exec(t); // gridsize=(2, 2)
  if (tuple) return tuple[1];
  if (/^(true|false)$/i.test(t)) return t.toLowerCase();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? String(n) : t;
}

export function effectiveKnobTable(knobs: Knobs, echo: Record<string, string>, requested: Knobs | null): KnobRow[] {
  const rows = new Map<string, KnobRow>();
  for (const [k, v] of Object.entries(knobs)) rows.set(knobKey(k), { knob: k, requested: null, effective: v, echoed: null, ok: true });
  for (const [k, v] of Object.entries(requested ?? {})) {
    const row = rows.get(knobKey(k)) ?? { knob: k, requested: null, effective: null, echoed: null, ok: true };
    row.requested = v;
    rows.set(knobKey(k), row);
  }
  for (const [k, v] of Object.entries(echo)) {
    const alias = ECHO_ALIASES[k];
    if (!alias) continue;
    const row = rows.get(alias);
    if (row) row.echoed = `${k}=${v}`;
  }
  for (const row of rows.values()) {
    const eff = normaliseValue(row.effective);
    const echoKey = row.echoed?.split('=')[0];
    const echoed = row.echoed ? normaliseValue(echo[echoKey!]) : null;
    const reqOk = row.requested === null || normaliseValue(row.requested) === eff;
    const echoOk = echoed === null || eff === null || echoed === eff;
    row.ok = reqOk && echoOk;
  }
  return [...rows.values()];
}
