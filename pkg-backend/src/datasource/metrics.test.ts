// The process metrics start a second after the handshake (prepare) or at the
// first scrape, whichever comes first, and only once.
import { describe, expect, it, vi } from 'vitest';

import { createLogger } from '../sdk/log';
import { PROCESS_METRICS_DELAY_MS, ZVizDatasource } from './datasource';
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

  it("start a second after the executable's handshake (the data source's prepare)", () => {
    vi.useFakeTimers();
    try {
      const metrics = new BackendMetrics();
      const datasource = new ZVizDatasource({
        logger: createLogger({ write: () => undefined }),
        version: 'test',
        metrics,
      });
      datasource.prepare();
      vi.advanceTimersByTime(PROCESS_METRICS_DELAY_MS - 1);
      expect(metrics.registry.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
      vi.advanceTimersByTime(1);
      expect(metrics.registry.getSingleMetric('process_resident_memory_bytes')).toBeDefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
