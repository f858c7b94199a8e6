// What the backend benchmarks share about the plugin process they start: the
// environment a Grafana host gives a plugin (and nothing of this shell's), the
// process's CPU time as the kernel counts it, the range query they time and a
// Prometheus stand-in that answers it.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

/** The plugin host's variables and PATH, nothing else (see bench.ts for why). */
export function pluginEnv(logLevel: 'debug' | 'warn'): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    grafana_plugin_type: 'datasource',
    PLUGIN_PROTOCOL_VERSIONS: '2',
    ZVIZ_LOG_LEVEL: logLevel,
  };
}

/** CPU time of all of a process' threads so far, in ms (schedstat counts nanoseconds). */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns / 1e6;
}

/** A promql range query of 1,000 points at a 15 s step: a dashboard panel's usual size. */
export function upRangeQuery() {
  const from = 1_700_000_000_000;
  return {
    refId: 'A',
    model: { queryType: 'promql', expr: 'up' },
    from,
    to: from + 999 * 15_000,
    intervalMs: 15000,
    maxDataPoints: 1000,
  };
}

/**
 * A loopback server answering every request with a 1,000-point matrix, as
 * Prometheus answers upRangeQuery(): the plugin's own work is what is timed.
 */
export async function startRangeAnswerServer(): Promise<Server> {
  const values = Array.from({ length: 1000 }, (_, i) => [1_700_000_000 + i * 15, String(i % 97)]);
  const body = JSON.stringify({
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric: { a: 'b' }, values }] },
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/**
 * sea-main.cjs's compilation, from the build's files, for the profiling tools
 * (the same built-ins loaded before the same V8 flags):
 * `node RUNNER BUNDLE CACHE` runs the bundle with the code cache when CACHE
 * exists, else compiles it from source and writes CACHE at exit (a training
 * run under the tool's own V8 flags, which V8 requires of a cache it accepts).
 */
export const BUNDLE_RUNNER = `'use strict';
for (const id of ['http2', 'https', 'zlib', 'dns', 'perf_hooks', 'os', 'process', 'cluster']) require(id);
require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
require('node:v8').setFlagsFromString('--no-sparkplug');
const { Script } = require('node:vm');
const fs = require('node:fs');
const filename = 'gpx_zviz/datasource.js';
const cachedData = fs.existsSync(process.argv[3]) ? fs.readFileSync(process.argv[3]) : undefined;
const script = new Script(fs.readFileSync(process.argv[2], 'latin1'), { filename, cachedData });
globalThis.__zvizCodeCache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
if (!cachedData) process.on('exit', () => fs.writeFileSync(process.argv[3], script.createCachedData()));
const module_ = { exports: {}, filename, id: filename, loaded: true };
script.runInThisContext().call(module_.exports, module_.exports, require, module_, filename, 'gpx_zviz');
`;
