import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';

import { MetricsRegistry } from '../metrics/registry';
import { bucketDelta, Exposition, quantile } from './exposition';

async function rendered(values: Record<string, unknown[]>): Promise<string> {
  const registry = new MetricsRegistry();
  registry.addSource({ families: Object.keys(values), collect: () => new Map(Object.entries(values)) as never });
  return (await registry.scrape('text')).body.toString('utf8');
}

describe('Exposition', () => {
  it("reads back what the agent's renderer wrote, label values that need escaping included", async () => {
    const text = await rendered({
      zviz_broker_decisions_total: [
        { labels: { syscall: 'openat', decision: 'deny' }, value: 3 },
        { labels: { syscall: 'openat', decision: 'allow' }, value: 40 },
        { labels: { syscall: 'odd "name" \\ x', decision: 'log' }, value: 1 },
      ],
      zviz_broker_inflight: [{ labels: {}, value: 2 }],
      zviz_broker_latency_seconds: [{ labels: {}, buckets: [0, 1, 1, 5, ...Array(15).fill(9)], sum: 0.01, count: 10 }],
    });
    const e = Exposition.parse(text);
    expect(e.value('zviz_broker_decisions_total', { syscall: 'openat', decision: 'deny' })).toBe(3);
    expect(e.value('zviz_broker_decisions_total', { syscall: 'openat' })).toBe(43);
    expect(e.value('zviz_broker_decisions_total', { syscall: 'odd "name" \\ x' })).toBe(1);
    expect(e.value('zviz_broker_inflight')).toBe(2);
    expect(e.value('zviz_broker_errors_total')).toBeUndefined();
    expect(e.has('zviz_broker_latency_seconds')).toBe(true);
    // Declared by the agent's registry, without a series: not there.
    expect(e.has('zviz_broker_errors_total')).toBe(false);
    const h = e.histogram('zviz_broker_latency_seconds')!;
    expect(h.count).toBe(10);
    expect(h.buckets.at(-1)).toEqual({ le: Infinity, count: 10 });
    expect(h.buckets[3]).toEqual({ le: 0.00001, count: 5 });
  });
});

describe('Exposition of many containers', () => {
  it("finds a container's series through its index, the same as a scan would", async () => {
    const usage = [];
    for (let i = 0; i < 50; i++) {
      for (const type of ['cpu', 'memory']) {
        usage.push({ labels: { container_id: `c${i}`, resource_type: type }, value: i + (type === 'cpu' ? 0.5 : 0) });
      }
    }
    const e = Exposition.parse(
      await rendered({ zviz_resource_usage: usage, zviz_broker_inflight: [{ labels: {}, value: 1 }] })
    );
    expect(e.value('zviz_resource_usage', { container_id: 'c7', resource_type: 'cpu' })).toBe(7.5);
    expect(e.value('zviz_resource_usage', { container_id: 'c7' })).toBe(14.5);
    expect(e.value('zviz_resource_usage', { container_id: 'c99' })).toBeUndefined();
    expect(e.value('zviz_resource_usage', { resource_type: 'memory' })).toBe((49 * 50) / 2);
    expect(e.ofContainer('zviz_resource_usage', 'c3').map((s) => s.labels.resource_type)).toEqual(['cpu', 'memory']);
    expect(e.ofContainer('zviz_broker_inflight', 'c3')).toEqual([]);
  });
});

describe('Exposition read family by family', () => {
  it('gives each family what a parse of the whole body gives, headerless lines before the first family included', async () => {
    const text =
      'process_up 12\n' +
      (await rendered({
        zviz_fs_latency_seconds: Array.from({ length: 30 }, (_, i) => ({
          labels: { container_id: `c${i}`, operation: 'read' },
          buckets: Array(13).fill(i),
          sum: i / 10,
          count: i,
        })),
        zviz_resource_usage: [{ labels: { container_id: 'c1', resource_type: 'cpu' }, value: 0.25 }],
        zviz_broker_latency_seconds: [{ labels: {}, buckets: Array(18).fill(3), sum: 0.5, count: 3 }],
      }));
    const whole = parsePrometheusTextFormat(text);
    const e = Exposition.parse(text);
    expect(e.value('process_up')).toBe(12);
    for (const family of whole) {
      if (family.type === 'HISTOGRAM' && family.metrics.length > 0) {
        const h = e.histogram(family.name);
        expect(h?.count ?? NaN, family.name).toBe(Number((family.metrics[0] as { count: string }).count));
        expect(h?.buckets).toHaveLength(Object.keys((family.metrics[0] as { buckets: object }).buckets).length);
      } else {
        expect(
          e.series(family.name).map((s) => s.value),
          family.name
        ).toEqual(family.metrics.map((m) => Number((m as { value: string }).value)));
      }
      expect(e.has(family.name)).toBe(family.metrics.length > 0);
    }
    expect(e.ofContainer('zviz_resource_usage', 'c1')).toEqual([
      { labels: { container_id: 'c1', resource_type: 'cpu' }, value: 0.25 },
    ]);
  });
});

describe('quantile', () => {
  const buckets = [
    { le: 0.1, count: 1 },
    { le: 0.2, count: 3 },
    { le: Infinity, count: 4 },
  ];

  it('interpolates inside the bucket that holds the rank, from 0 below the first bound', () => {
    expect(quantile(0.5, buckets)).toBeCloseTo(0.15);
    expect(quantile(0.25, buckets)).toBeCloseTo(0.1);
    expect(quantile(0.1, buckets)).toBeCloseTo(0.04);
  });

  it('reports the highest finite bound for a rank in +Inf, as histogram_quantile does', () => {
    expect(quantile(0.99, buckets)).toBe(0.2);
  });

  it('has no answer without observations', () => {
    expect(
      quantile(0.99, [
        { le: 0.1, count: 0 },
        { le: Infinity, count: 0 },
      ])
    ).toBeUndefined();
  });
});

describe('bucketDelta', () => {
  it('gives the observations between two scrapes, and nothing after a reset', () => {
    const before = [
      { le: 0.1, count: 5 },
      { le: Infinity, count: 6 },
    ];
    const after = [
      { le: 0.1, count: 5 },
      { le: Infinity, count: 9 },
    ];
    expect(bucketDelta(before, after)).toEqual([
      { le: 0.1, count: 0 },
      { le: Infinity, count: 3 },
    ]);
    expect(bucketDelta(after, before)).toBeUndefined();
  });
});
