import { describe, expect, it } from 'vitest';
import { analyseBundle } from './analyse';
import { applyPatch, diffJson, type Json } from './json-patch';
import { readBundleFiles, RUNTIME_SMOKE } from '../../fixtures/test-helpers';

describe('JSON patches for the live evidence', () => {
  it('turns one document into the other, nulls kept as null, keys with / and ~ escaped', () => {
    const a: Json = { status: 'running', seed: 3, epochs: [{ e: 0 }], checks: [{ id: 'exit', s: 'skip' }], 'a/b~c': 1, gone: true };
    const b: Json = { status: 'running', seed: null, epochs: [{ e: 0 }, { e: 1 }, { e: 2 }], checks: [{ id: 'exit', s: 'pass' }], 'a/b~c': 2, added: { x: [1] } };
    const ops = diffJson(a, b);
    expect(ops).toEqual([
      { op: 'remove', path: '/gone' },
      { op: 'replace', path: '/seed', value: null },
      { op: 'add', path: '/epochs/-', value: { e: 1 } },
      { op: 'add', path: '/epochs/-', value: { e: 2 } },
      { op: 'replace', path: '/checks/0/s', value: 'pass' },
      { op: 'replace', path: '/a~1b~0c', value: 2 },
      { op: 'add', path: '/added', value: { x: [1] } },
    ]);
    const before = JSON.stringify(a);
    expect(applyPatch(a, ops)).toEqual(b);
    expect(JSON.stringify(a)).toBe(before); // the old document is untouched
    expect(diffJson(b, b)).toEqual([]);
    // A shrunk array, or a type change, is replaced whole.
    expect(diffJson({ l: [1, 2, 3] }, { l: [1] })).toEqual([{ op: 'replace', path: '/l', value: [1] }]);
    expect(applyPatch({ l: [1, 2, 3] } as Json, diffJson({ l: [1, 2, 3] }, { l: 'x' }))).toEqual({ l: 'x' });
  });

  it('a run gaining an epoch costs the new epoch, not the document', () => {
    const full = analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE }) as unknown as { epochs: Json[] } & Record<string, Json>;
    const earlier = { ...full, epochs: full.epochs.slice(0, -1) };
    const ops = diffJson(earlier, full);
    expect(ops).toEqual([{ op: 'add', path: '/epochs/-', value: full.epochs.at(-1)! }]);
    expect(JSON.stringify(ops).length).toBeLessThan(JSON.stringify(full).length / 10);
    expect(applyPatch(earlier as Json, ops)).toEqual(full);
  });

  it('refuses operations that do not fit the document', () => {
    expect(() => applyPatch({ a: 1 } as Json, [{ op: 'replace', path: '/a/b/c', value: 1 }])).toThrow(/no container/);
    expect(() => applyPatch({ a: [1] } as Json, [{ op: 'add', path: '/a/5', value: 1 }])).toThrow(/bad index/);
  });
});
