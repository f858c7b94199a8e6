import { describe, expect, it } from 'vitest';

import { type ApiAnswer, compareAnswers } from './compare';

const matrix = (series: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>): ApiAnswer => ({
  status: 'success',
  data: { resultType: 'matrix', result: series },
});
const tolerance = { relative: 0.1, absolute: 1e-9 };

describe('compareAnswers', () => {
  it('accepts the same series in another order, labels in another order, values within the tolerance', () => {
    const left = matrix([
      {
        metric: { a: '1', b: '2' },
        values: [
          [10, '1'],
          [20, '2'],
        ],
      },
      { metric: { a: '2' }, values: [[10, 'NaN']] },
    ]);
    const right = matrix([
      { metric: { a: '2' }, values: [[10, 'NaN']] },
      {
        metric: { b: '2', a: '1' },
        values: [
          [10, '1.05'],
          [20, '2'],
        ],
      },
    ]);
    expect(compareAnswers(left, right, tolerance)).toEqual({
      onlyLeft: [],
      onlyRight: [],
      compared: 3,
      unmatched: 0,
      differences: [],
      meanDifferences: [],
    });
  });

  it('reports series only one side has, points only one side has, and values beyond the tolerance, worst first', () => {
    const left = matrix([
      {
        metric: { a: '1' },
        values: [
          [10, '1'],
          [20, '2'],
          [30, '3'],
        ],
      },
      { metric: { a: '3' }, values: [[10, '1']] },
    ]);
    const right = matrix([
      {
        metric: { a: '1' },
        values: [
          [10, '1.2'],
          [20, '4'],
          [40, '3'],
        ],
      },
      { metric: { a: '4' }, values: [[10, '1']] },
    ]);
    const c = compareAnswers(left, right, tolerance);
    expect(c.onlyLeft).toEqual(['{"a":"3"}']);
    expect(c.onlyRight).toEqual(['{"a":"4"}']);
    expect(c.compared).toBe(2);
    expect(c.unmatched).toBe(2);
    expect(c.differences).toEqual([
      { series: '{"a":"1"}', time: 20, left: 2, right: 4 },
      { series: '{"a":"1"}', time: 10, left: 1, right: 1.2 },
    ]);
    expect(c.meanDifferences).toEqual([{ series: '{"a":"1"}', left: 1.5, right: 2.6, points: 2 }]);
  });

  it('holds a series to its mean over time when single points scatter', () => {
    const left = matrix([
      {
        metric: {},
        values: [
          [10, '1'],
          [20, '3'],
        ],
      },
    ]);
    const right = matrix([
      {
        metric: {},
        values: [
          [10, '3'],
          [20, '1'],
        ],
      },
    ]);
    const c = compareAnswers(left, right, tolerance);
    expect(c.differences).toHaveLength(2);
    expect(c.meanDifferences).toEqual([]);
  });

  it('compares scalars and a number against NaN', () => {
    const scalar = (v: string): ApiAnswer => ({ status: 'success', data: { resultType: 'scalar', result: [5, v] } });
    expect(compareAnswers(scalar('1'), scalar('1'), tolerance).differences).toEqual([]);
    expect(compareAnswers(scalar('1'), scalar('NaN'), tolerance).differences).toHaveLength(1);
  });

  it('lets a sparse series differ in its mean when its sums differ by less than sumAbsolute, and not by more', () => {
    const values = (v: string[]): Array<[number, string]> => v.map((x, i) => [i * 10, x]);
    const left = matrix([{ metric: { le: '1e-06' }, values: values(['0', '1', '0', '0', '2']) }]);
    const nearly = matrix([{ metric: { le: '1e-06' }, values: values(['0', '1.3', '0.5', '0', '2']) }]);
    const farther = matrix([{ metric: { le: '1e-06' }, values: values(['0', '1.3', '1', '0', '2']) }]);
    expect(compareAnswers(left, nearly, tolerance).meanDifferences).toHaveLength(1);
    expect(compareAnswers(left, nearly, { ...tolerance, sumAbsolute: 1 }).meanDifferences).toEqual([]);
    expect(compareAnswers(left, farther, { ...tolerance, sumAbsolute: 1 }).meanDifferences).toEqual([
      { series: '{"le":"1e-06"}', left: 0.6, right: 0.86, points: 5 },
    ]);
  });
});
