import { describe, expect, it } from 'vitest';

import { inlineRecorded, metricNames, oneLine, parsePromQL, splitThreshold } from './promql';

describe('parsePromQL', () => {
  it('rejects invalid PromQL with the offset of the error', () => {
    expect(() => parsePromQL('rate(foo[5m]')).toThrow(/PromQL syntax error at offset/);
  });
});

describe('metricNames', () => {
  it('lists selected metrics, not functions, labels or grouping', () => {
    const expr =
      'sum by (job, le) (rate(zviz_broker_latency_seconds_bucket{job="zviz"}[5m]) * on (instance, job) group_left (variant) zviz_build_info) > bool up';
    expect(metricNames(expr)).toEqual(['zviz_broker_latency_seconds_bucket', 'zviz_build_info', 'up']);
  });

  it('includes recorded series names with colons', () => {
    expect(metricNames('instance:zviz_broker_requests:rate5m > 1')).toEqual(['instance:zviz_broker_requests:rate5m']);
  });
});

describe('splitThreshold', () => {
  it.each([
    ['up{job="zviz"} == 0', 'up{job="zviz"}', '==', 0],
    ['a / (b > 0) > 0.9', 'a / (b > 0)', '>', 0.9],
    ['x >= 3', 'x', '>=', 3],
    ['x < 1e-3', 'x', '<', 0.001],
    ['x != 2', 'x', '!=', 2],
    ['x <= 5', 'x', '<=', 5],
  ])('splits %s', (expr, query, op, value) => {
    expect(splitThreshold(expr)).toEqual({ query, op, value });
  });

  it.each([
    ['no comparison', 'rate(x[5m])'],
    ['a vector on the right', 'a > b'],
    ['a bool comparison', 'a > bool 1'],
    ['a comparison below the top', 'a and b > 1'],
    ['arithmetic at the top', 'a > 1 + 1'],
  ])('refuses %s', (_why, expr) => {
    expect(splitThreshold(expr)).toBeUndefined();
  });
});

describe('oneLine', () => {
  it('collapses whitespace outside strings, never inside them', () => {
    expect(oneLine('sum by (job) (\n  rate(x{a="two  spaces"}[5m])\n)\n')).toBe(
      'sum by (job) (rate(x{a="two  spaces"}[5m]))'
    );
  });
});

describe('inlineRecorded', () => {
  const recorded = new Map([
    ['instance:x:rate5m', 'rate(x_total{job="zviz"}[5m])'],
    ['instance:x:double', '2 * instance:x:rate5m'],
  ]);

  it('replaces recorded series by their definitions, recursively', () => {
    expect(inlineRecorded('instance:x:double > 1', recorded)).toBe('(2 * (rate(x_total{job="zviz"}[5m]))) > 1');
  });

  it('leaves other series alone', () => {
    expect(inlineRecorded('up == 0', recorded)).toBe('up == 0');
  });

  it('refuses a recorded series with matchers, which its definition cannot honour', () => {
    expect(() => inlineRecorded('instance:x:rate5m{instance="a"} > 1', recorded)).toThrow(/label matchers/);
  });

  it('refuses a recorded series with a range', () => {
    expect(() => inlineRecorded('max_over_time(instance:x:rate5m[1h]) > 1', recorded)).toThrow(/range/);
  });

  it('refuses a definition that refers to itself', () => {
    const loop = new Map([['a:b:c', 'a:b:c + 1']]);
    expect(() => inlineRecorded('a:b:c > 1', loop)).toThrow(/refers to itself/);
  });
});
