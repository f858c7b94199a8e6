// The process metrics start at the first scrape, and only once.
import { describe, expect, it, vi } from 'vitest';

import { createLogger } from '../sdk/log';
import { ZVizDatasource } from './datasource';
import { BackendMetrics } from './metrics';

describe('BackendMetrics', () => {
  it('registers the process metrics when started, not when made, and only once', async () => {
    const metrics = new BackendMetrics();
    expect(metrics.registry.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
    metrics.startProcessMetrics();
    expect(metrics.registry.getSingleMetric('process_resident_memory_bytes')).toBeDefined();
    // prom-client refuses a metric registered twice: a second start must not try.
    expect(() => metrics.startProcessMetrics()).not.toThrow();
    expect(await metrics.text()).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  it('starts them at the first scrape when nothing started them before', async () => {
    const text = await new BackendMetrics().text();
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('zviz_datasource_queries_total');
  });

  it('never registers them when told not to', async () => {
    const metrics = new BackendMetrics({ processMetrics: false });
    metrics.startProcessMetrics();
    const text = await metrics.text();
    expect(text).not.toContain('process_resident_memory_bytes');
    expect(text).toContain('zviz_datasource_queries_total');
  });

  it('do not start before the first scrape, however long the plugin has run', async () => {
    vi.useFakeTimers();
    try {
      const metrics = new BackendMetrics();
      const datasource = new ZVizDatasource({
        logger: createLogger({ write: () => undefined }),
        version: 'test',
        metrics,
      });
      vi.advanceTimersByTime(3_600_000);
      expect(metrics.registry.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
      expect(await datasource.collectMetrics()).toContain('process_resident_memory_bytes');
    } finally {
      vi.useRealTimers();
    }
  });
});
