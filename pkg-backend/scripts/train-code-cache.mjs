// The training run behind the executable's V8 code cache: the bundle started
// by plain Node through sea-main.cjs (the same compilation as in the
// executable), driven as Grafana drives it — handshake, a promql range query
// and a decisions query against a stand-in Prometheus on loopback, a health
// check, the metrics — and stopped; sea-main.cjs writes the cache at exit. The
// cache then holds every function start-up and a first query compile, which
// the executable's first query would otherwise compile on its way.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: true };

/** query_range: one 1,000-point series; instant queries: nothing. */
function standInPrometheus() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const range = req.url.startsWith('/api/v1/query_range');
      const data = range
        ? {
            resultType: 'matrix',
            result: [
              {
                metric: { __name__: 'zviz_training', syscall: 'openat', decision: 'allow' },
                values: Array.from({ length: 1000 }, (_, i) => [1_700_000_000 + i * 15, String(i % 97)]),
              },
            ],
          }
        : { resultType: 'vector', result: [] };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function unary(client, method, request) {
  return new Promise((resolve, reject) =>
    client[method](request, (error, response) => (error ? reject(error) : resolve(response)))
  );
}

/** Runs the bundle, drives it and returns once `cache` is written; throws when anything fails. */
export async function trainCodeCache({ root, seaMain, bundle, cache, nodeArgs = [] }) {
  const prometheus = await standInPrometheus();
  // nodeArgs: V8 flags of a diagnostic run (bench/backend/first-query-compiles.ts),
  // whose cache V8 only takes under the same flags.
  const child = spawn(process.execPath, [...nodeArgs, seaMain, bundle, cache], {
    env: {
      PATH: process.env.PATH ?? '',
      grafana_plugin_type: 'datasource',
      PLUGIN_PROTOCOL_VERSIONS: '2',
      ZVIZ_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  let clients = [];
  try {
    const line = await new Promise((resolve, reject) => {
      child.stdout.setEncoding('utf8').once('data', (chunk) => resolve(chunk.split('\n')[0]));
      child.once('exit', (code) => reject(new Error(`the bundle exited with ${code} before the handshake: ${stderr}`)));
    });
    const [, , network, address] = line.split('|');
    const target = network === 'unix' ? `unix:${address}` : address;
    const pluginv2 = loadPackageDefinition(loadSync(join(root, 'src/sdk/proto/plugin.proto'), PROTO_OPTIONS)).pluginv2;
    const data = new pluginv2.Data(target, credentials.createInsecure());
    const diagnostics = new pluginv2.Diagnostics(target, credentials.createInsecure());
    clients = [data, diagnostics];
    const { port } = prometheus.address();
    const jsonData = { prometheusUrl: `http://127.0.0.1:${port}`, agents: ['127.0.0.1:1'] };
    const pluginContext = {
      orgId: 1,
      pluginId: 'zviz-agent-datasource',
      dataSourceInstanceSettings: {
        id: 1,
        uid: 'training',
        name: 'ZViz',
        jsonData: Buffer.from(JSON.stringify(jsonData)),
      },
    };
    const to = 1_700_000_000_000 + 999 * 15_000;
    const query = (refId, model) => ({
      refId,
      queryType: model.queryType,
      maxDataPoints: 1000,
      intervalMS: 15_000,
      timeRange: { fromEpochMS: 1_700_000_000_000, toEpochMS: to },
      json: Buffer.from(JSON.stringify({ refId, ...model })),
    });
    const answer = await unary(data, 'QueryData', {
      pluginContext,
      queries: [query('A', { queryType: 'promql', expr: 'zviz_training' })],
    });
    if (answer.responses.A.error || answer.responses.A.frames.length === 0) {
      throw new Error(`the training promql query failed: ${answer.responses.A.error}`);
    }
    await unary(data, 'QueryData', { pluginContext, queries: [query('D', { queryType: 'decisions' })] });
    await unary(diagnostics, 'CheckHealth', { pluginContext });
    await unary(diagnostics, 'CollectMetrics', { pluginContext: {} });
  } finally {
    for (const client of clients) {
      client.close();
    }
    child.kill('SIGTERM');
    const code = await exited;
    prometheus.close();
    if (code !== 0 || !existsSync(cache)) {
      throw new Error(`the training run exited with ${code} and wrote no code cache: ${stderr}`);
    }
    const late = /^gpx_zviz training: built-ins loaded after the V8 flags: (.*)$/m.exec(stderr);
    if (late) {
      throw Object.assign(
        new Error(
          `the bundle loads built-ins that sea-main.cjs does not load before it sets V8's flags, so Node compiles ` +
            `them without its code cache at every start: ${late[1]} (add what loads them to PRELOADED_BUILTINS)`
        ),
        { code: 'LATE_BUILTINS' }
      );
    }
  }
}
