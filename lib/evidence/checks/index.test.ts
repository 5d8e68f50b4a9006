import { describe, expect, it } from 'vitest';
import { CHECKS, runChecks } from '.';
import { deriveFacts } from '../facts';
import { analyseBundle } from '../analyse';
import { CHECK_IDS } from '../types';
import { readBundleFiles, RUNTIME_SMOKE } from '../../../fixtures/test-helpers';

describe('runChecks', () => {
  it('runs the nine checks in the document order', () => {
    expect(CHECKS.map((c) => c.id)).toEqual([...CHECK_IDS]);
    const checks = runChecks(deriveFacts([], { root: '/empty' }));
    expect(checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(checks.every((c) => c.status === 'skip')).toBe(true);
  });

  it('is what the evidence document carries', () => {
    const files = readBundleFiles(RUNTIME_SMOKE);
    expect(analyseBundle(files, { root: RUNTIME_SMOKE }).checks).toEqual(runChecks(deriveFacts(files, { root: RUNTIME_SMOKE })));
  });
});
