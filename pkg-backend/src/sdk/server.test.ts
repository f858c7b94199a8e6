// The protocol layer against a grpc-js client that sends what Grafana sends.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GrafanaClient } from '../../test/fixtures/grafana-client';
import { frame, numberField, stringField, timeField } from '../frames/frame';
import { createLogger } from './log';
import { type PluginServer, startPluginServer } from './server';
import type { BackendPlugin, QueryDataResponse } from './types';

const logs: string[] = [];
const logger = createLogger({ level: 'trace', write: (line) => logs.push(line) });

// A plugin whose answers come from the requests it gets, so that every value
// the client sees proves a conversion in one direction and back.
const cancelled: string[] = [];
const plugin: BackendPlugin = {
  async queryData(request) {
    const responses: QueryDataResponse = new Map();
    for (const q of request.queries) {
      if (q.queryType === 'fail') {
        responses.set(q.refId, { frames: [], error: 'no such thing', status: 404, errorSource: 'downstream' });
        continue;
      }
      const settings = request.pluginContext.dataSourceInstanceSettings!;
      responses.set(q.refId, {
        frames: [
          frame('echo', [
            timeField('time', [BigInt(q.timeRange.from) * 1_000_000n, BigInt(q.timeRange.to) * 1_000_000n]),
            numberField('interval', [q.intervalMs, q.maxDataPoints]),
            stringField('echo', [q.json.toString(), `${settings.uid}/${request.headers.FromAlert ?? ''}`]),
          ]),
        ],
      });
    }
    return responses;
  },
  async checkHealth(request) {
    return {
      status: 'ERROR',
      message: `no luck for ${request.pluginContext.dataSourceInstanceSettings?.name}`,
      details: { tried: 1 },
    };
  },
  async collectMetrics() {
    return '# TYPE x_total counter\nx_total 3\n';
  },
  async callResource(request, writer) {
    writer.writeHead(201, { 'Content-Type': 'text/plain', 'X-Path': request.path });
    writer.write('first,');
    writer.end(`${request.method} ${request.url}`);
  },
  async subscribeStream(request) {
    return request.path === 'ok' ? { status: 'OK', data: '{"hello":1}' } : { status: 'NOT_FOUND' };
  },
  async runStream(request, sender, context) {
    sender.sendFrame(frame('tick', [stringField('path', [request.path])]));
    await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
    cancelled.push(request.path);
  },
};

let server: PluginServer;
let client: GrafanaClient;

beforeAll(async () => {
  server = await startPluginServer(plugin, { logger, env: {} });
  client = new GrafanaClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop(1000);
});

describe('plugin gRPC server', () => {
  it('listens on a Unix socket in a directory of its own', () => {
    expect(server.address.network).toBe('unix');
    if (server.address.network === 'unix') {
      expect(server.address.path).toMatch(/zviz-plugin-[^/]+\/plugin\.sock$/);
    }
  });

  it('QueryData converts queries in and Arrow frames out, keyed by refId', async () => {
    const responses = await client.queryData(
      [{ refId: 'A', model: { a: 1 }, from: 1000, to: 2000, intervalMs: 30, maxDataPoints: 99 }],
      { uid: 'ds-1' },
      { FromAlert: 'true' }
    );
    const f = responses.A.frames[0];
    expect(responses.A.status).toBe(200);
    expect(f.name).toBe('echo');
    expect(f.refId).toBe('A');
    expect(f.fields[0].values).toEqual([1_000_000_000n, 2_000_000_000n]);
    expect(f.fields[1].values).toEqual([30, 99]);
    expect(f.fields[2].values).toEqual(['{"refId":"A","a":1}', 'ds-1/true']);
  });

  it('QueryData passes per-query errors with status and error source', async () => {
    const responses = await client.queryData([
      { refId: 'A', queryType: 'fail', model: {}, from: 0, to: 1 },
      { refId: 'B', model: {}, from: 0, to: 1 },
    ]);
    expect(responses.A).toMatchObject({ error: 'no such thing', status: 404, errorSource: 'downstream', frames: [] });
    expect(responses.B.error).toBe('');
    expect(responses.B.frames).toHaveLength(1);
  });

  it('QueryData answers in JSON frames when Grafana asks for the JSON format', async () => {
    const raw = await client.queryDataRaw([{ refId: 'A', model: {}, from: 0, to: 1 }], {}, {}, 'JSON');
    expect(raw.A.format).toBe('JSON');
    expect(JSON.parse(raw.A.frames[0].toString()).schema.name).toBe('echo');
  });

  it('CheckHealth and CollectMetrics', async () => {
    expect(await client.checkHealth()).toEqual({
      status: 'ERROR',
      message: 'no luck for ZViz',
      details: { tried: 1 },
      errorSource: '',
    });
    expect(await client.collectMetrics()).toContain('x_total 3');
  });

  it('CallResource streams the head first, then body chunks', async () => {
    const r = await client.callResource('things/1', {}, { method: 'GET', query: 'x=1' });
    expect(r.messages[0]).toMatchObject({ code: 201 });
    expect(r.messages[0].body.length).toBe(0);
    expect(r.headers).toMatchObject({ 'Content-Type': ['text/plain'], 'X-Path': ['things/1'] });
    expect(r.messages.length).toBe(3);
    expect(r.body).toBe('first,GET /api/datasources/uid/zviz-test/resources/things/1?x=1');
  });

  it('SubscribeStream, PublishStream (unimplemented) and RunStream with cancellation', async () => {
    expect((await client.subscribeStream('ok')).status).toBe('OK');
    expect((await client.subscribeStream('nope')).status).toBe('NOT_FOUND');
    await expect(client.publishStream('ok', {})).rejects.toMatchObject({ code: GrpcStatus.UNIMPLEMENTED });

    const call = client.runStream('live/1');
    const first = await new Promise<Buffer>((resolve) => call.once('data', (p: { data: Buffer }) => resolve(p.data)));
    expect(JSON.parse(first.toString()).data.values).toEqual([['live/1']]);
    call.on('error', () => undefined);
    call.cancel();
    await expect.poll(() => cancelled).toContain('live/1');
  });

  it('reports the "plugin" service as SERVING on grpc.health.v1', async () => {
    expect(await client.healthCheck('plugin')).toEqual({ status: 'SERVING' });
    await expect(client.healthCheck('other')).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('stops on go-plugin Shutdown and removes its socket directory', async () => {
    const own = await startPluginServer({}, { logger, env: {} });
    const c = new GrafanaClient(own.address);
    await c.shutdown();
    await own.stopped;
    c.close();
    expect(own.address.network === 'unix' && existsSync(dirname(own.address.path))).toBe(false);
  });

  it("holds go-plugin's stdio and broker streams open, quiet, until the plugin stops", async () => {
    const own = await startPluginServer({}, { logger, env: {} });
    const c = new GrafanaClient(own.address);
    const ended = (call: { on(e: string, l: (x?: unknown) => void): unknown }) =>
      new Promise<unknown>((resolve) => {
        call.on('error', (e) => resolve(e));
        call.on('end', () => resolve('end'));
      });
    const stdio = c.streamStdio();
    const stdioData: unknown[] = [];
    stdio.on('data', (d) => stdioData.push(d));
    const broker = c.startBroker();
    broker.on('data', () => undefined);
    // What a host may send on the broker is read and dropped.
    broker.write({ service_id: 1, network: 'unix', address: '/nowhere' });
    const stdioEnded = ended(stdio);
    const brokerEnded = ended(broker);
    const early = await Promise.race([stdioEnded, brokerEnded, new Promise((r) => setTimeout(() => r('open'), 300))]);
    expect(early).toBe('open');
    await c.shutdown();
    await own.stopped;
    expect(await stdioEnded).toBe('end');
    expect(await brokerEnded).toBe('end');
    expect(stdioData).toEqual([]);
    c.close();
  });

  it('answers UNIMPLEMENTED for handlers a plugin lacks', async () => {
    const bare = await startPluginServer({}, { logger, env: {} });
    const c = new GrafanaClient(bare.address);
    await expect(c.checkHealth()).rejects.toMatchObject({ code: GrpcStatus.UNIMPLEMENTED });
    await expect(c.queryData([{ refId: 'A', model: {}, from: 0, to: 1 }])).rejects.toMatchObject({
      code: GrpcStatus.UNIMPLEMENTED,
    });
    c.close();
    await bare.stop(1000);
  });

  it('falls back to loopback TCP in the PLUGIN_MIN_PORT..PLUGIN_MAX_PORT range when asked', async () => {
    const tcp = await startPluginServer(
      {},
      {
        logger,
        env: { ZVIZ_PLUGIN_NETWORK: 'tcp', PLUGIN_MIN_PORT: '23100', PLUGIN_MAX_PORT: '23199' },
      }
    );
    expect(tcp.address).toMatchObject({ network: 'tcp', host: '127.0.0.1' });
    if (tcp.address.network === 'tcp') {
      expect(tcp.address.port).toBeGreaterThanOrEqual(23100);
      expect(tcp.address.port).toBeLessThanOrEqual(23199);
    }
    await tcp.stop(1000);
  });
});
