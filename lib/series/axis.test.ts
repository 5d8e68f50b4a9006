import { describe, expect, it } from 'vitest';
import { nearestIndex, stepToEpoch } from './axis';

describe('stepToEpoch', () => {
  // Five steps an epoch: epoch e ends at step 5e + 4 (Lightning logs an epoch's values at its last step).
  const es: Array<[number, number]> = [
    [0, 4],
    [1, 9],
    [2, 14],
  ];

  it("puts an epoch's last step at the epoch, the steps inside it in between", () => {
    expect(stepToEpoch(4, es)).toBe(0);
    expect(stepToEpoch(9, es)).toBe(1);
    expect(stepToEpoch(14, es)).toBe(2);
    expect(stepToEpoch(0, es)).toBeCloseTo(-0.8);
    expect(stepToEpoch(7, es)).toBeCloseTo(0.6);
  });

  it('continues past the last epoch at its length, and is the step itself with no epochs', () => {
    expect(stepToEpoch(19, es)).toBe(3);
    expect(stepToEpoch(12, [])).toBe(12);
  });

  it('keeps epochs that skip numbers (validation every n epochs) in place', () => {
    expect(
      stepToEpoch(19, [
        [1, 9],
        [3, 19],
      ]),
    ).toBe(3);
    expect(
      stepToEpoch(14, [
        [1, 9],
        [3, 19],
      ]),
    ).toBe(2);
  });
});

describe('nearestIndex', () => {
  it('finds the nearest x, the earlier one on a tie', () => {
    const xs = [0, 10, 20, 30];
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 15)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 1)).toBe(-1);
  });
});
