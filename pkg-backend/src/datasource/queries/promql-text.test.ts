import { describe, expect, it } from 'vitest';

import { decisionsPromQL } from './decisions';
import { anyOf, duration, interpolateMacros, planSteps } from './promql-text';

describe('PromQL text', () => {
  it("plans steps from Grafana's interval, capped by max data points and Prometheus' 11,000 points", () => {
    expect(planSteps(0, 3_600_000, 15_000, 1000, 15)).toEqual({ step: 15, start: 0, end: 3600 });
    expect(planSteps(0, 3_600_000, 1_000, 100, 15).step).toBe(36);
    expect(planSteps(0, 86_400_000 * 30, 0, 0, 15).step).toBeCloseTo(235.637, 3);
    expect(planSteps(0, 60_000, 0, 1000, 30).step).toBe(30);
  });

  it("fills in Grafana's interval macros, which alert rules send unreplaced", () => {
    const plan = { step: 30, start: 0, end: 3600 };
    expect(interpolateMacros('rate(x[$__rate_interval]) / $__interval_ms + ${__range_s} + $__unknown', plan, 15)).toBe(
      'rate(x[60s]) / 30000 + 3600 + $__unknown'
    );
    expect(duration(0.25)).toBe('250ms');
  });

  it('builds the decisions queries with escaped filters', () => {
    expect(anyOf('syscall', ['a.b', 'c'])).toBe('syscall=~"a\\\\.b|c"');
    const q = decisionsPromQL(
      { mode: 'count', syscalls: ['openat'], decisions: ['deny'], selector: 'instance="n:1"' },
      3600,
      60
    );
    expect(q.totals).toBe(
      'sum by (syscall, decision) (increase(zviz_broker_decisions_total{instance="n:1", syscall=~"openat", decision=~"deny"}[3600s]))'
    );
    expect(q.p99).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(zviz_broker_latency_seconds_bucket{instance="n:1"}[3600s])))'
    );
  });
});
