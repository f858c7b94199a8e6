// Attack class: a node taken over, whose agent answers the Grafana backend
// (the packaged datasource executable) with what no agent would send, beside
// a real agent of the same fleet. The backend reads every answer of an
// agent; what it may cost is bounded by the response limit (64 MiB) and the
// data source's timeout, and nothing else. Each answer must become a clear
// error naming the hostile agent, the real agent must be served meanwhile,
// the backend's memory must stay bounded, and nothing may reach a host the
// data source was not configured with (redirects).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { agentHealth } from '@zviz/test-support/agent-health';
import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';

import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import { executable, start, type Started } from '../../pkg-backend/test/fixtures/plugin-process';
import { AttackAgent } from './harness';

const MiB = 1024 * 1024;

/** What a route answers with; a promise that rejects ends the connection. */
type Answer = (req: IncomingMessage, res: ServerResponse) => unknown;

/** An HTTP server that answers each path as the test says, and counts what it received. */
class Hostile {
  readonly received: string[] = [];
  private readonly sockets = new Set<Socket>();
  readonly routes: Record<string, Answer> = {};
  private constructor(
    private readonly server: Server,
    readonly address: string
  ) {}

  static async start(): Promise<Hostile> {
    let self: Hostile | undefined;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://h').pathname;
      self!.received.push(path);
      const route = self!.routes[path];
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      void Promise.resolve(route(req, res)).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new Hostile(server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (s) => {
      self!.sockets.add(s);
      s.on('close', () => self!.sockets.delete(s));
    });
    return self;
  }

  async stop(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Writes `chunks()` with back-pressure until the client goes away. */
async function pour(res: ServerResponse, chunks: Iterable<Buffer | string>): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) {
      return;
    }
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.once('drain', done).once('close', done);
      });
    }
  }
  res.end();
}

/** `{"events":[{},{},...],"next":0,"missed":0}` of about `bytes`: the densest JSON, an object every 3 bytes. */
function* denseEvents(bytes: number): Generator<string> {
  yield '{"events":[{}';
  const piece = ',{}'.repeat(MiB / 3);
  for (let sent = 0; sent < bytes; sent += piece.length) {
    yield piece;
  }
  yield '],"next":0,"missed":0}';
}

function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

describeWhere(
  [root, seccompUserNotif, file(executable, 'needs the built backend executable (npm run build)')],
  'attack: a hostile agent against the Grafana backend',
  () => {
    let real: AttackAgent;
    let hostile: Hostile;
    let witness: Hostile;
    let plugin: Started;
    let client: GrafanaClient;
    let uid = 0;
    const window = () => ({ from: Date.now() - 3600_000, to: Date.now() });
    const config = () => ({
      uid: `hostile-agent-${++uid}`,
      jsonData: { agents: [hostile.address, `127.0.0.1:${real.port}`], timeoutSeconds: 5 },
    });

    beforeAll(async () => {
      // The harness's agent: its stop() also removes its cgroup group.
      real = await AttackAgent.start();
      hostile = await Hostile.start();
      witness = await Hostile.start();
      witness.routes['/health'] = (_req, res) =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(agentHealth()));
      plugin = await start();
      client = new GrafanaClient(plugin.address);
    }, 60_000);

    afterAll(async () => {
      client?.close();
      plugin?.child.kill('SIGTERM');
      await plugin?.exited;
      await Promise.all([hostile?.stop(), witness?.stop(), real?.stop()]);
    });

    /** The health table's row of `agent` for a data source of both agents. */
    async function healthRow(agent: string, cfg = config()): Promise<Record<string, unknown>> {
      const { A } = await client.queryData([{ refId: 'A', model: { queryType: 'health', agent }, ...window() }], cfg);
      expect(A.error).toBe('');
      return Object.fromEntries(A.frames[0].fields.map((f) => [f.name, f.values[0]]));
    }

    /** The real agent's row is answered, as a healthy ZViz agent's. */
    async function expectRealAgentServed(): Promise<void> {
      const row = await healthRow(`127.0.0.1:${real.port}`);
      expect(row.error).toBe('');
      expect(row.version).toBe('0.1.0');
    }

    it('an answer of millions of empty objects within the response limit: refused, memory bounded, the real agent served meanwhile', async () => {
      hostile.routes['/api/v1/decisions'] = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return pour(res, denseEvents(48 * MiB));
      };
      const before = peakRssMiB(plugin.child.pid!);
      const cfg = config();
      let done = false;
      const audit = client
        .queryData([{ refId: 'A', model: { queryType: 'audit' }, ...window() }], cfg)
        .finally(() => (done = true));
      // The real agent's health, asked again and again while the hostile
      // answer is read and judged: each within the data source's timeout.
      const served: string[] = [];
      do {
        const row = await healthRow(`127.0.0.1:${real.port}`, cfg);
        served.push(String(row.error));
      } while (!done);
      const { A } = await audit;
      expect(served.length).toBeGreaterThan(0);
      expect(served.filter((e) => e !== '')).toEqual([]);
      // The real agent's part of the audit stands; the hostile one is a notice that says why.
      expect(A.error).toBe('');
      const notices = (A.frames[0].meta?.notices ?? []).map((n) => n.text).join('\n');
      expect(notices).toContain(hostile.address);
      expect(notices).toMatch(/more than [\d,]+ JSON values/);
      // Parsed, the same answer took the backend to 3.0 GB resident and more
      // than four minutes of CPU, every other query waiting behind it.
      expect(peakRssMiB(plugin.child.pid!) - before).toBeLessThan(300);
      expect(plugin.child.exitCode).toBeNull();
      await expectRealAgentServed();
    }, 180_000);

    it('JSON nested a million deep: refused with the depth named', async () => {
      const depth = 1_000_000;
      hostile.routes['/health'] = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const health = JSON.stringify(agentHealth()).slice(0, -1);
        return pour(res, [`${health},"deep":`, '['.repeat(depth), ']'.repeat(depth), '}']);
      };
      const row = await healthRow(hostile.address);
      expect(row.status).toBe('invalid answer');
      expect(row.error).toMatch(/nested more than \d+ deep/);
      await expectRealAgentServed();
    });

    it.each([301, 302, 307, 308])('a %i redirect to another host is not followed', async (status) => {
      witness.received.length = 0;
      hostile.routes['/health'] = (_req, res) =>
        res.writeHead(status, { Location: `http://${witness.address}/health` }).end();
      hostile.routes['/api/v1/containers'] = (_req, res) =>
        res.writeHead(status, { Location: `http://${witness.address}/api/v1/containers` }).end();
      const row = await healthRow(hostile.address);
      expect(row.error).toMatch(new RegExp(`^agent ${hostile.address}: ${status}`));
      const containers = await client.callResource('containers', config());
      expect(JSON.stringify(JSON.parse(containers.body))).toContain(`${status}`);
      expect(witness.received).toEqual([]);
      await expectRealAgentServed();
    });

    it('a gzip bomb (256 MiB of zeros in 256 KiB) is not inflated', async () => {
      const bomb = gzipSync(Buffer.alloc(256 * MiB), { level: 9 });
      expect(bomb.length).toBeLessThan(MiB);
      hostile.routes['/health'] = (_req, res) =>
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(bomb);
      const before = peakRssMiB(plugin.child.pid!);
      const row = await healthRow(hostile.address);
      expect(row.status).toBe('invalid answer');
      expect(row.error).toMatch(/GET \/health answered 200 with invalid JSON/);
      expect(peakRssMiB(plugin.child.pid!) - before).toBeLessThan(64);
      await expectRealAgentServed();
    });

    it('a header line of 1 MiB: a clear error, the connection dropped', async () => {
      hostile.routes['/health'] = (_req, res) => {
        res.socket!.end(`HTTP/1.1 200 OK\r\nX-Junk: ${'a'.repeat(MiB)}\r\nContent-Length: 2\r\n\r\n{}`);
      };
      const row = await healthRow(hostile.address);
      expect(row.error).toMatch(new RegExp(`^agent ${hostile.address}: .*[Hh]eader overflow`));
      await expectRealAgentServed();
    });

    it("a body dripped a byte at a time, for ever: ends at the query's time budget", async () => {
      const timers: NodeJS.Timeout[] = [];
      hostile.routes['/health'] = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        timers.push(setInterval(() => res.write(' '), 100));
        res.on('close', () => timers.forEach(clearInterval));
      };
      const row = await healthRow(hostile.address);
      timers.forEach(clearInterval);
      expect(row.error).toBe(`agent ${hostile.address}: no answer within the query's time budget of 5 s`);
      await expectRealAgentServed();
    });

    it('bytes that are not UTF-8 and terminal escapes in a health report: shown replaced, never raw', async () => {
      hostile.routes['/health'] = (_req, res) => {
        const body = Buffer.from(
          JSON.stringify(agentHealth({ version: 'V' })).replace('"V"', '"1.0\\u001b]52;c;aGk=\\u0007XY"')
        );
        const bad = Buffer.concat([
          body.subarray(0, body.indexOf('XY')),
          Buffer.from([0xff, 0xfe]),
          body.subarray(body.indexOf('XY') + 2),
        ]);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(bad);
      };
      const row = await healthRow(hostile.address);
      expect(row.error).toBe('');
      expect(String(row.version)).toContain('\uFFFD\uFFFD');
      expect(String(row.version)).not.toMatch(/[\xff\xfe]/);
    });

    it('a decision stream that answers 503 and then drips for ever: the relay gives up on it and reconnects, the real agent relayed meanwhile', async () => {
      hostile.routes['/api/v1/decisions'] = (_req, res) =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"events":[],"next":0,"missed":0}');
      const timers: NodeJS.Timeout[] = [];
      hostile.routes['/api/v1/decisions/stream'] = (_req, res) => {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        timers.push(setInterval(() => res.write('x'), 200));
        res.on('close', () => timers.forEach(clearInterval));
      };
      hostile.received.length = 0;
      const call = client.runStream('decisions', config());
      call.on('error', () => undefined);
      call.on('data', () => undefined);
      try {
        const deadline = Date.now() + 30_000;
        while (hostile.received.filter((p) => p === '/api/v1/decisions/stream').length < 2 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(hostile.received.filter((p) => p === '/api/v1/decisions/stream').length).toBeGreaterThanOrEqual(2);
        const metrics = await (await fetch(`${real.url}/metrics`)).text();
        const line = metrics.split('\n').find((l) => l.startsWith('zviz_api_stream_clients '));
        expect(Number(line?.split(' ')[1])).toBe(1);
      } finally {
        call.cancel();
        timers.forEach(clearInterval);
      }
      expect(plugin.child.exitCode).toBeNull();
    }, 60_000);
  }
);
