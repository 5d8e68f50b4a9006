import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from './builtin';
import { autoRunName } from './run-name';

const reference = BUILTIN_PROFILES.find((p) => p.name === 'reference')!;
const defaults = Object.fromEntries(reference.params.flatMap((p) => (p.default === undefined ? [] : [[p.name, p.default]])));

describe('autoRunName', () => {
  it('names the profile and only the knobs that differ from its defaults', () => {
    expect(autoRunName(reference, defaults)).toBe('reference · defaults');
    expect(autoRunName(reference, { ...defaults, gridsize: 3, max_epochs: 12 })).toBe('reference · gridsize 3 · max_epochs 12');
    expect(autoRunName(reference, defaults, { cpuOnly: true })).toBe('reference · cpu only');
  });

  it('two launches that differ in one knob get different names; a switch reads as its name', () => {
    const bool = reference.params.find((p) => p.type === 'bool')!;
    const a = autoRunName(reference, { ...defaults, [bool.name]: !bool.default });
    expect(a).toBe(`reference · ${bool.default ? `no-${bool.name}` : bool.name}`);
    expect(autoRunName(reference, { ...defaults, seed: 1 })).not.toBe(autoRunName(reference, { ...defaults, seed: 2 }));
  });

  it('is cut to a readable length', () => {
    const long = autoRunName(
      { name: 'p', params: Array.from({ length: 30 }, (_, i) => ({ name: `knob_${i}`, type: 'int' as const, optional: false, default: 0 })) },
      Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`knob_${i}`, 123456])),
    );
    expect(long.length).toBe(100);
    expect(long.endsWith('…')).toBe(true);
  });
});
