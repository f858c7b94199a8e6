import { describe, expect, it } from 'vitest';

import { durationSeconds, grafanaRule, grafanaTemplate, ruleUid } from './grafana';

describe('grafanaTemplate', () => {
  it('points $value at the reduced value, leaving $values and $labels alone', () => {
    expect(grafanaTemplate('{{ $value | humanize }} {{ $values.A }} {{ $labels.instance }}')).toBe(
      '{{ $values.B.Value | humanize }} {{ $values.A }} {{ $labels.instance }}'
    );
  });
});

describe('ruleUid', () => {
  it('makes a stable kebab-case uid', () => {
    expect(ruleUid('ZVizCanaryDegradedVsProduction')).toBe('zviz-canary-degraded-vs-production');
  });

  it('refuses uids longer than Grafana accepts', () => {
    expect(() => ruleUid('ZVizAVeryLongAlertNameThatGrafanaWouldRefuse')).toThrow('longer than 40');
  });
});

describe('durationSeconds', () => {
  it.each([
    ['1m', 60],
    ['1h30m', 5400],
    ['90s', 90],
  ])('%s is %d seconds', (d, s) => {
    expect(durationSeconds(d)).toBe(s);
  });
});

describe('grafanaRule', () => {
  const rule = {
    alert: 'ZVizThingHigh',
    expr: 'instance:thing:rate5m >= 3',
    for: '5m',
    labels: { severity: 'warning' },
    annotations: { summary: 'Thing is high.', description: '{{ $value }} on {{ $labels.instance }}' },
  };
  const recorded = new Map([['instance:thing:rate5m', 'rate(thing_total{job="zviz"}[5m])']]);

  it('queries the value with recording rules inlined, reduces it and compares it with the threshold', () => {
    const g = grafanaRule(rule, recorded, 'zviz', 'ds-uid');
    expect(g.condition).toBe('C');
    expect(g.data.map((d) => d.refId)).toEqual(['A', 'B', 'C']);
    expect(g.data[0]).toMatchObject({
      datasourceUid: 'ds-uid',
      queryType: 'promql',
      model: { queryType: 'promql', expr: '(rate(thing_total{job="zviz"}[5m]))', instant: true },
    });
    expect(g.data[1].model).toMatchObject({ type: 'reduce', expression: 'A', reducer: 'last' });
    expect(g.data[2].model).toMatchObject({
      type: 'threshold',
      expression: 'B',
      conditions: [{ evaluator: { type: 'ge', params: [3] } }],
    });
    expect(g.annotations.description).toBe('{{ $values.B.Value }} on {{ $labels.instance }}');
  });

  it('builds a Prometheus datasource query when asked to', () => {
    const g = grafanaRule(rule, recorded, 'prometheus', 'prom-uid');
    expect(g.data[0].queryType).toBeUndefined();
    expect(g.data[0].model).toEqual({
      refId: 'A',
      expr: '(rate(thing_total{job="zviz"}[5m]))',
      instant: true,
      range: false,
    });
  });
});
