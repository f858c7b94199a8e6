// The part of Grafana's HTTP API that sits between the plugin's frontend and
// its backend, played against a real backend executable: /api/ds/query
// becomes QueryData (JSON frames, as Grafana hands the browser), resources
// become CallResource, the datasource health check CheckHealth, and a Live
// channel RunStream (its packets polled by the harness). Installed as
// Playwright routes on the harness page.
import type { Page, Route } from 'playwright-core';

import type { DatasourceConfig, GrafanaClient, QuerySpec } from '../../pkg-backend/test/fixtures/grafana-client';

interface DsQueryBody {
  from: string;
  to: string;
  queries: Array<Record<string, unknown> & { refId: string; queryType?: string }>;
}

async function query(client: GrafanaClient, config: DatasourceConfig, body: DsQueryBody) {
  const from = Number(body.from);
  const to = Number(body.to);
  const specs: QuerySpec[] = body.queries.map((q) => ({
    refId: q.refId,
    queryType: q.queryType ?? '',
    model: q,
    from,
    to,
    intervalMs: Number(q.intervalMs ?? 15_000),
    maxDataPoints: Number(q.maxDataPoints ?? 1000),
  }));
  const raw = await client.queryDataRaw(specs, config, {}, 'JSON');
  const results: Record<string, unknown> = {};
  for (const [refId, r] of Object.entries(raw)) {
    results[refId] = {
      status: r.status || 200,
      frames: r.frames.map((f) => JSON.parse(f.toString()) as unknown),
      ...(r.error ? { error: r.error, errorSource: r.errorSource } : {}),
    };
  }
  return { results };
}

/** Every Live packet the backend sent on a channel since the harness last asked. */
class LiveRelay {
  private readonly buffers = new Map<string, unknown[]>();
  private readonly calls: Array<{ cancel(): void }> = [];

  constructor(
    private readonly client: GrafanaClient,
    private readonly config: DatasourceConfig
  ) {}

  take(path: string): unknown[] {
    let buffer = this.buffers.get(path);
    if (!buffer) {
      buffer = [];
      this.buffers.set(path, buffer);
      const call = this.client.runStream(path, this.config);
      call.on('data', (p: { data: Buffer }) => this.buffers.get(path)!.push(JSON.parse(p.data.toString())));
      call.on('error', () => undefined);
      this.calls.push(call);
    }
    return buffer.splice(0);
  }

  close(): void {
    this.calls.forEach((c) => c.cancel());
  }
}

export async function routeToBackend(
  page: Page,
  client: GrafanaClient,
  config: DatasourceConfig
): Promise<{ close(): void }> {
  const relay = new LiveRelay(client, config);
  const json = (route: Route, status: number, body: unknown) =>
    route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  await page.route('http://zviz.test/api/**', async (route) => {
    const url = new URL(route.request().url());
    const path = url.pathname;
    try {
      if (path === '/api/ds/query') {
        return json(route, 200, await query(client, config, route.request().postDataJSON() as DsQueryBody));
      }
      const resource = /^\/api\/datasources\/uid\/[^/]+\/resources\/(.+)$/.exec(path);
      if (resource) {
        const r = await client.callResource(resource[1], config, { query: url.search.slice(1) });
        return route.fulfill({ status: r.status, contentType: 'application/json', body: r.body });
      }
      if (/^\/api\/datasources\/uid\/[^/]+\/health$/.test(path)) {
        const h = await client.checkHealth(config);
        return json(route, h.status === 'OK' ? 200 : 400, { status: h.status, message: h.message });
      }
      const channel = /^\/api\/live\/(.+)$/.exec(path);
      if (channel) {
        return json(route, 200, relay.take(channel[1]));
      }
      return json(route, 404, { message: `no ${path} here` });
    } catch (error) {
      return json(route, 500, { message: (error as Error).message });
    }
  });
  return { close: () => relay.close() };
}
