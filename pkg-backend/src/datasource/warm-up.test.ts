// The warm-up runs the promql path against its own canned answer on loopback:
// a whole frame comes back, one request was made to its own server, and the
// server and connection are gone afterwards.
import { describe, expect, it } from 'vitest';

import { createLogger } from '../sdk/log';
import { ZVizDatasource } from './datasource';
import { BackendMetrics } from './metrics';
import { warmQueryPath } from './warm-up';

describe('warmQueryPath', () => {
  it('answers a 100-point range query from its canned Prometheus, one request', async () => {
    const { response, requests } = await warmQueryPath(createLogger({ write: () => undefined }), 'test');
    expect(requests).toBe(1);
    const answer = response.get('A')!;
    expect(answer.error).toBeUndefined();
    expect(answer.frames).toHaveLength(1);
    const [time, value] = answer.frames[0].fields;
    expect(time.values).toHaveLength(100);
    expect(value.values[96]).toBe(96);
    expect(value.values[97]).toBe(0);
  });

  it('leaves no socket behind: its server and connections are closed once it is done', async () => {
    // Listening and connected TCP sockets each show up as an active resource
    // (the test runner's own timers and ports come and go, so only these count).
    const tcp = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    const before = tcp();
    await warmQueryPath(createLogger({ write: () => undefined }), 'test');
    await new Promise((resolve) => setImmediate(resolve));
    expect(tcp()).toBe(before);
  });

  it('is not counted as a query of the data source', async () => {
    const metrics = new BackendMetrics({ processMetrics: false });
    const datasource = new ZVizDatasource({
      logger: createLogger({ write: () => undefined }),
      version: 'test',
      metrics,
    });
    await datasource.warmUp();
    expect(await metrics.text()).not.toMatch(/^zviz_datasource_queries_total\{/m);
    expect(await metrics.text()).not.toMatch(/^zviz_datasource_query_duration_seconds_count\{/m);
  });

  it('does nothing once Grafana has asked for data: that query warmed the path', async () => {
    const datasource = new ZVizDatasource({
      logger: createLogger({ write: () => undefined }),
      version: 'test',
      metrics: new BackendMetrics({ processMetrics: false }),
    });
    const pluginContext = { orgId: 1, pluginId: 'zviz', grafanaConfig: {}, pluginVersion: '', userAgent: '' };
    await datasource.queryData({ pluginContext, headers: {}, queries: [] }, { signal: new AbortController().signal });
    expect(await datasource.warmUp()).toBeUndefined();
  });
});
