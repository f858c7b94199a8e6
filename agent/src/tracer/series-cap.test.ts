import { describe, expect, it } from 'vitest';

import { SeriesCap } from './series-cap';

describe('series cap', () => {
  it('admits label sets until the budget is spent, and keeps the admitted ones', () => {
    const cap = new SeriesCap(5);
    expect(cap.admit('a', 1n, 2)).toBe(true);
    expect(cap.admit('b', 1n, 2)).toBe(true);
    expect(cap.admit('c', 2n, 2)).toBe(false);
    expect(cap.admit('a', 1n, 2)).toBe(true);
  });

  it('folds what refused label sets gain into a monotonic other row and counts it as overflow', () => {
    const cap = new SeriesCap(0);
    cap.fold('k', 'x', 1n, [10, 100], 0, { ns: 5, at: 1 });
    cap.fold('k', 'y', 2n, [1, 1], 0, { ns: 7, at: 3 });
    cap.fold('k', 'x', 1n, [12, 130], 0, { ns: 6, at: 2 });
    expect(cap.otherRows().get('k')).toEqual({ values: [13, 131], latest: { ns: 7, at: 3 } });
    expect(cap.overflow).toBe(13);
    // x's cgroup goes away: other keeps what x contributed.
    cap.forget(1n);
    cap.fold('k', 'y', 2n, [2, 2], 0);
    expect(cap.otherRows().get('k')?.values).toEqual([14, 132]);
  });

  it("keeps nothing of the caller's arrays: a row refilled in place for the next read folds its gain once", () => {
    const cap = new SeriesCap(0);
    const values = [10, 100];
    const latest = { ns: 5, at: 1 };
    cap.fold('k', 'x', 1n, values, 0, latest);
    values[0] = 12;
    values[1] = 130;
    latest.ns = 9;
    latest.at = 2;
    expect(cap.otherRows().get('k')).toEqual({ values: [10, 100], latest: { ns: 5, at: 1 } });
    cap.fold('k', 'x', 1n, values, 0, latest);
    expect(cap.otherRows().get('k')).toEqual({ values: [12, 130], latest: { ns: 9, at: 2 } });
    expect(cap.overflow).toBe(12);
  });

  it('treats a folded entry that went backwards as recreated', () => {
    const cap = new SeriesCap(0);
    cap.fold('k', 'x', 1n, [10], 0);
    cap.fold('k', 'x', 1n, [3], 0);
    expect(cap.otherRows().get('k')?.values).toEqual([13]);
  });

  it('keeps each container its reserved share, however many label sets another one makes first', () => {
    // 40 series over 4 containers: 5 reserved each, a pool of 20.
    const cap = new SeriesCap(40, 4);
    expect([cap.reserved, cap.pool]).toEqual([5, 20]);
    let flooder = 0;
    for (let i = 0; i < 100; i++) {
      flooder += cap.admit(`flood-${i}`, 1n, 1) ? 1 : 0;
    }
    expect(flooder).toBe(25); // its share and the whole pool
    // A container that comes later still gets its share, and no more.
    expect([1, 2, 3, 4, 5, 6].map((i) => cap.admit(`late-${i}`, 2n, 1))).toEqual([true, true, true, true, true, false]);
    // A row costing more than what is left of a share takes the rest from the pool, or is folded.
    expect(cap.admit('wide', 3n, 6)).toBe(false);
    expect(cap.admit('narrow', 3n, 5)).toBe(true);
    // The flooder gone, its pool series are free again.
    cap.forget(1n);
    expect(cap.admit('wide-again', 4n, 6)).toBe(true);
  });

  it('frees the budget of a forgotten cgroup', () => {
    const cap = new SeriesCap(2);
    expect(cap.admit('a', 1n, 2)).toBe(true);
    expect(cap.admit('b', 2n, 2)).toBe(false);
    cap.forget(1n);
    expect(cap.admit('b', 2n, 2)).toBe(true);
  });
});
