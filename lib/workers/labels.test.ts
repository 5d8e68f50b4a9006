import { describe, expect, it } from 'vitest';
import { hostLabel, missingLabels, parseLabels, unionLabels } from './labels';

describe('labels', () => {
  it('reads comma or space separated words, lower-cased, once each, sorted', () => {
    expect(parseLabels('gpu,A100 gpu')).toEqual({ labels: ['a100', 'gpu'], errors: [] });
    expect(parseLabels(['gpu', 'h100,nvlink'])).toEqual({ labels: ['gpu', 'h100', 'nvlink'], errors: [] });
  });

  it('names every word that is not a label and keeps the rest', () => {
    const r = parseLabels('gpu,-x,a/b');
    expect(r.labels).toEqual(['gpu']);
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/^"-x" is not a label/);
  });

  it('a host name is a label when it can be one', () => {
    expect(hostLabel('GPU-Box-01.lab')).toBe('gpu-box-01.lab');
    expect(hostLabel('weird host')).toBeNull();
  });

  it('missing and union', () => {
    expect(missingLabels(['gpu', 'a100'], ['gpu'])).toEqual(['a100']);
    expect(missingLabels([], [])).toEqual([]);
    expect(unionLabels(['gpu'], ['a100', 'gpu'])).toEqual(['a100', 'gpu']);
  });
});
