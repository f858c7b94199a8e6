// The first promql query of a fresh plugin costs several times what the next
// ones do: Node compiles the functions of its HTTP client on their first call
// (its own code cache holds only the modules' top levels), and V8 runs the
// answer check, the frames and the Arrow writer for the first time
// (docs/benchmarks.md, "Beside a Go plugin"). So the plugin pays that once,
// before its handshake line, where the first query cannot wait behind it
// (sdk/serve.ts): one range query through the real query path, answered by a
// canned Prometheus answer that this module serves itself on loopback. No
// configured data source is involved and nothing leaves the process.
import { createServer, type Server, type Socket } from 'node:net';

import type { DataQuery, QueryDataResponse } from '../sdk/types';
import { ZVizInstance } from './instance';
import { parseQuery } from './query-model';
import { runPromQL } from './queries/promql';
import type { Logger } from '../sdk/log';
import { parseSettings } from './settings';

/**
 * Points in the canned series. Enough to run every loop of the path many
 * times; 1,000 (a panel's worth) left 0.3 MiB more resident after the warm-up
 * and no faster first query (docs/benchmarks.md).
 */
const POINTS = 100;
const STEP_SECONDS = 15;
const START_SECONDS = 1_700_000_000;

function cannedAnswer(): Buffer {
  const values: Array<[number, string]> = [];
  for (let i = 0; i < POINTS; i++) {
    values.push([START_SECONDS + i * STEP_SECONDS, String(i % 97)]);
  }
  const body = JSON.stringify({
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric: { __name__: 'zviz_warm_up', job: 'zviz' }, values }] },
  });
  return Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * Answers every HTTP request on a connection with the canned answer once the
 * request's head and body (by its Content-Length) are in. Counts requests.
 */
class CannedPrometheus {
  requests = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly answer: Buffer) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const headEnd = pending.indexOf('\r\n\r\n');
          if (headEnd < 0) {
            return;
          }
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(pending.subarray(0, headEnd).toString('latin1'));
          const end = headEnd + 4 + (length ? Number(length[1]) : 0);
          if (pending.length < end) {
            return;
          }
          pending = pending.subarray(end);
          this.requests++;
          socket.write(this.answer);
        }
      });
    });
  }

  /** Listens on an ephemeral loopback port; resolves with the base URL. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface WarmUpResult {
  /** The answer, as QueryData would return it: the SDK encodes it to warm the response path too. */
  response: QueryDataResponse;
  /** Requests the canned Prometheus answered (1). */
  requests: number;
}

/**
 * One promql range query of POINTS points through the query path (settings,
 * instance, the Prometheus client and its HTTP connection, the answer's
 * check, the frames), against the canned answer. Throws what the query threw.
 */
export async function warmQueryPath(logger: Logger, version: string): Promise<WarmUpResult> {
  const prometheus = new CannedPrometheus(cannedAnswer());
  const url = await prometheus.listen();
  const instance = new ZVizInstance('warm-up', parseSettings(JSON.stringify({ prometheusUrl: url }), {}), version);
  try {
    const from = START_SECONDS * 1000;
    const query: DataQuery = {
      refId: 'A',
      queryType: 'promql',
      maxDataPoints: POINTS,
      intervalMs: STEP_SECONDS * 1000,
      timeRange: { from, to: from + (POINTS - 1) * STEP_SECONDS * 1000 },
      json: Buffer.from(JSON.stringify({ refId: 'A', queryType: 'promql', expr: 'zviz_warm_up' })),
    };
    const parsed = parseQuery(query);
    if (parsed.type !== 'promql') {
      throw new Error(`the warm-up query parsed as ${parsed.type}`);
    }
    // With a call's abort signal, as Grafana's calls have: the HTTP client
    // listens on it, and EventTarget's code is compiled here, not in the first query.
    const call = { signal: new AbortController().signal };
    const frames = await runPromQL({ instance, query, call, logger, fromAlert: false }, parsed.model);
    return { response: new Map([['A', { frames }]]), requests: prometheus.requests };
  } finally {
    instance.http.close();
    await prometheus.close();
  }
}
