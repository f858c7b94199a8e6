import { createDataFrame, DataFrameType, FieldType } from '@grafana/data';

import { decisionsFrames, prometheusCounterFrames } from '../../../../test/support/frontend/decision-frames';
import { buildMatrix, counterIncrease, orderDecisions } from './matrix';

describe('buildMatrix', () => {
  it('reads the backend wide frame and its trend frames', () => {
    const frames = decisionsFrames({ syscalls: 5, mode: 'count', rangeSeconds: 600, p99LatencySeconds: 0.0042 });
    const m = buildMatrix(frames);
    expect(m.rows.map((r) => r.syscall)).toEqual(['read', 'write', 'openat', 'close', 'fstat']);
    expect(m.rangeSeconds).toBe(600);
    expect(m.p99LatencySeconds).toBe(0.0042);
    expect(m.warnings).toEqual([]);
    const wide = frames[0];
    const allow = wide.fields.find((f) => f.name === 'allow')!.values[0];
    expect(m.rows[0].counts.allow).toBe(allow);
    expect(m.rows[0].rates.allow).toBeCloseTo(allow / 600);
    // Every non-zero cell of the fixture has a trend frame.
    expect(m.rows[0].trends.allow?.values).toHaveLength(30);
    // The "total" field is not a decision.
    expect(m.decisions).not.toContain('total');
  });

  it('reads every labelled field of the one timeseries-wide trend frame, skipping gaps', () => {
    const trend = createDataFrame({
      name: 'decision_trend',
      meta: { type: DataFrameType.TimeSeriesWide },
      fields: [
        { name: 'time', type: FieldType.time, values: [0, 60_000, 120_000] },
        {
          name: 'value',
          type: FieldType.number,
          labels: { syscall: 'openat', decision: 'allow' },
          values: [2, null, 4],
        },
        { name: 'value', type: FieldType.number, labels: { syscall: 'openat', decision: 'deny' }, values: [1, 1, 1] },
        {
          name: 'value',
          type: FieldType.number,
          labels: { syscall: 'mount', decision: 'deny' },
          values: [0.5, 0.5, 0.5],
        },
      ],
    });
    // Mode `timeseries`: the trend frame alone is the data, in decisions per second.
    const m = buildMatrix([trend], { rangeSeconds: 120 });
    const openat = m.rows.find((r) => r.syscall === 'openat')!;
    expect(openat.rates).toEqual({ allow: 3, deny: 1 });
    expect(openat.counts).toEqual({ allow: 360, deny: 120 });
    expect(openat.trends.allow).toEqual({ times: [0, 120_000], values: [2, 4] });
    expect(m.rows.find((r) => r.syscall === 'mount')!.counts.deny).toBe(60);
  });

  it('takes counts from the wide frame and only sparklines from the trend frame', () => {
    const [wide, trend] = decisionsFrames({ syscalls: 3, rangeSeconds: 600 });
    const m = buildMatrix([wide, trend]);
    const allow = wide.fields.find((f) => f.name === 'allow')!.values[0];
    expect(m.rows[0].counts.allow).toBe(allow);
    expect(m.rows[0].trends.allow?.times).toHaveLength(30);
  });

  it('converts rates of a rate-mode frame into counts over its range', () => {
    const m = buildMatrix(decisionsFrames({ syscalls: 2, mode: 'rate', rangeSeconds: 100, trendPoints: 0 }));
    const row = m.rows[0];
    expect(row.counts.allow).toBeCloseTo(row.rates.allow * 100);
  });

  it('warns when a rate-mode frame has no range', () => {
    const frame = createDataFrame({
      name: 'decisions',
      meta: { custom: { mode: 'rate' } },
      fields: [
        { name: 'syscall', type: FieldType.string, values: ['read'] },
        { name: 'allow', type: FieldType.number, values: [2] },
      ],
    });
    const m = buildMatrix([frame]);
    expect(m.rows[0].rates.allow).toBe(2);
    expect(m.rows[0].counts.allow).toBe(0);
    expect(m.warnings[0]).toMatch(/rates without a range/);
  });

  it('uses the dashboard range for a rate-mode frame without one', () => {
    const frame = createDataFrame({
      name: 'decisions',
      meta: { custom: { mode: 'rate' } },
      fields: [
        { name: 'syscall', type: FieldType.string, values: ['read'] },
        { name: 'allow', type: FieldType.number, values: [2] },
      ],
    });
    expect(buildMatrix([frame], { rangeSeconds: 10 }).rows[0].counts.allow).toBe(20);
  });

  it('reads raw Prometheus counters with resets', () => {
    const frames = prometheusCounterFrames([
      { syscall: 'openat', decision: 'deny', values: [10, 12, 15, 2, 4] },
      { syscall: 'openat', decision: 'allow', values: [100, 200, 300, 400, 500] },
      { syscall: 'ptrace', decision: 'kill', values: [0, 0, 1, 1, 1] },
    ]);
    const m = buildMatrix(frames);
    const openat = m.rows.find((r) => r.syscall === 'openat')!;
    // 2 + 3 + (reset to 2) + 2 = 9
    expect(openat.counts.deny).toBe(9);
    expect(openat.counts.allow).toBe(400);
    // 4 steps of 15 s
    expect(openat.rates.allow).toBeCloseTo(400 / 60);
    expect(openat.trends.allow?.values).toEqual([100 / 15, 100 / 15, 100 / 15, 100 / 15]);
    expect(m.decisions).toEqual(['allow', 'deny', 'kill']);
  });

  it('treats labelled series from a rate() query as rates', () => {
    const frame = createDataFrame({
      meta: { executedQueryString: 'sum by (syscall, decision) (rate(zviz_broker_decisions_total[5m]))' },
      fields: [
        { name: 'Time', type: FieldType.time, values: [0, 60_000, 120_000] },
        { name: 'Value', type: FieldType.number, labels: { syscall: 'read', decision: 'allow' }, values: [1, 2, 3] },
      ],
    });
    const m = buildMatrix([frame], { rangeSeconds: 120 });
    expect(m.rows[0].rates.allow).toBe(2);
    expect(m.rows[0].counts.allow).toBe(240);
  });

  it('pivots long tables (Prometheus instant/table format)', () => {
    const frame = createDataFrame({
      meta: { executedQueryString: 'sum by (syscall, decision) (increase(zviz_broker_decisions_total[1h]))' },
      fields: [
        { name: 'Time', type: FieldType.time, values: [1, 1, 1] },
        { name: 'syscall', type: FieldType.string, values: ['read', 'read', 'mount'] },
        { name: 'decision', type: FieldType.string, values: ['allow', 'deny', 'deny'] },
        { name: 'Value #A', type: FieldType.number, values: [50, 5, 7] },
      ],
    });
    const m = buildMatrix([frame], { rangeSeconds: 3600 });
    expect(m.rows.find((r) => r.syscall === 'mount')!.counts.deny).toBe(7);
    expect(m.rows.find((r) => r.syscall === 'read')!.counts).toEqual({ allow: 50, deny: 5 });
  });

  it('keeps unknown decisions after the known ones', () => {
    expect(orderDecisions(['zzz', 'kill', 'allow', 'audit'])).toEqual(['allow', 'kill', 'audit', 'zzz']);
  });

  it('reports frames it cannot use instead of dropping them silently', () => {
    const unrelated = createDataFrame({
      name: 'cpu',
      fields: [
        { name: 'Time', type: FieldType.time, values: [1] },
        { name: 'Value', type: FieldType.number, values: [1] },
      ],
    });
    const m = buildMatrix([unrelated]);
    expect(m.rows).toEqual([]);
    expect(m.warnings).toEqual(['frame "cpu" has no syscall and decision (as fields or labels); it was ignored.']);
  });

  it('returns an empty matrix for no frames', () => {
    expect(buildMatrix([])).toMatchObject({ rows: [], decisions: [], warnings: [] });
  });
});

describe('counterIncrease', () => {
  it('adds the value after a reset as PromQL does', () => {
    expect(counterIncrease([5, 7, 1, 3])).toBe(2 + 1 + 2);
    expect(counterIncrease([3])).toBe(0);
  });
});
