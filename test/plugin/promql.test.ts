import { describe, expect, it } from 'vitest';

import { interpolate, parsePromQL } from './promql';

describe('parsePromQL', () => {
  it('finds metrics, matchers and ranges through joins and aggregations', () => {
    const p = parsePromQL(
      'sum by (variant) (rate(zviz_broker_requests_total{job=~"$job"}[$__rate_interval]) * on(instance, job) group_left(variant) zviz_build_info{variant="canary"})'
    );
    expect(p.selectors).toEqual([
      { metric: 'zviz_broker_requests_total', labels: ['job'] },
      { metric: 'zviz_build_info', labels: ['variant'] },
    ]);
    expect(p.ranges).toEqual([{ fn: 'rate', range: '5m' }]);
    expect(p.syntaxErrors).toEqual([]);
  });

  it('reads a metric named by __name__', () => {
    expect(parsePromQL('{__name__="zviz_broker_inflight", instance="a"}').selectors).toEqual([
      { metric: 'zviz_broker_inflight', labels: ['instance'] },
    ]);
  });

  it('reports syntax errors', () => {
    expect(parsePromQL('sum(rate(zviz_broker_requests_total[5m])').syntaxErrors.length).toBeGreaterThan(0);
  });

  it('interpolates Grafana variables as Grafana would before Prometheus parses them', () => {
    expect(interpolate('rate(x{a=~"$instance", b="${job:regex}"}[$__rate_interval])')).toBe(
      'rate(x{a=~"x", b="x"}[5m])'
    );
  });
});
