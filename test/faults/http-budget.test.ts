// Clients that ask for the agent's largest answers and never read them, from
// many loopback addresses (so per-address rate limits do not stop them): 4 MB
// of decision events each, the containers list, the decision stream and
// /metrics. Each answer waits in the agent's memory until its client reads
// it; before the response budget, 100 such clients took the agent to 936 MiB.
// What must hold (docs/agent.md, "Response budget"): the agent's resident
// memory grows by what the budget allows, not by what the clients asked for;
// a real Prometheus scraping meanwhile misses no scrape; the probes answer; a
// client that reads gets its decisions; and every refusal is counted.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, BIN as ZVIZ, sample } from '../../agent/test/support/agent-process';
import { probe } from './http-clients';

const WORKLOADS = join(__dirname, 'workloads');
const BUDGET_MIB = 16;
const DECISIONS = '/api/v1/decisions?since=0&limit=1000';

/** The hostile clients: what they ask for, and how many of them. */
const HOSTILE: Array<[path: string, count: number]> = [
  [DECISIONS, 100],
  ['/api/v1/containers', 20],
  ['/metrics', 20],
  ['/api/v1/decisions/stream?since=0', 20],
];

function build(name: string): string {
  mkdirSync(join(WORKLOADS, 'bin'), { recursive: true });
  const out = join(WORKLOADS, 'bin', name);
  execFileSync('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(WORKLOADS, `${name}.c`)]);
  return out;
}

/** A /proc/<pid>/status field in bytes (VmRSS, VmHWM). */
function memory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+) kB/.exec(line ?? '')?.[1]) * 1024;
}

interface Hostile {
  socket: Socket;
  /** The status line of its answer, once one arrived. */
  status?: string;
}

/**
 * A client from its own loopback address that sends one request, reads the
 * first bytes of the answer (so the test knows it was answered) and then
 * nothing more, ever.
 */
function hostile(port: number, path: string, n: number): Hostile {
  const client: Hostile = {
    socket: connect({ port, host: '127.0.0.1', localAddress: `127.1.${n >> 8}.${(n & 0xff) + 1}` }),
  };
  client.socket.on('error', () => undefined);
  client.socket.once('data', (chunk: Buffer) => {
    client.status = chunk.toString('latin1').split('\r\n')[0];
    client.socket.pause();
  });
  client.socket.write(`GET ${path} HTTP/1.1\r\nHost: agent\r\n\r\n`);
  return client;
}

/**
 * `count` such clients that never give up: each one refused (503, 429) or
 * closed by the agent asks again at once on a new connection, ignoring
 * Retry-After, so the budget stays full of fresh answers until stop().
 */
class Siege {
  readonly statuses = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private stopped = false;

  constructor(
    private readonly port: number,
    private readonly path: string,
    count: number,
    private readonly group: number
  ) {
    for (let n = 0; n < count; n++) {
      this.open(n);
    }
  }

  private open(n: number): void {
    const socket = connect({ port: this.port, host: '127.0.0.1', localAddress: `127.2.${this.group}.${n + 1}` });
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', (chunk: Buffer) => {
      const status = chunk.toString('latin1').split('\r\n')[0];
      this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
      if (status.includes(' 200 ')) {
        socket.pause(); // holds its answer, unread
      } else {
        socket.destroy(); // asks again
      }
    });
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (!this.stopped) {
        setTimeout(() => this.open(n), 20);
      }
    });
    socket.write(`GET ${this.path} HTTP/1.1\r\nHost: agent\r\n\r\n`);
  }

  stop(): void {
    this.stopped = true;
    this.sockets.forEach((s) => s.destroy());
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWhere(
  [root, seccompUserNotif, binary('cc', 'gcc'), binary('prometheus')],
  'clients that ask for the largest answers and never read them',
  () => {
    let agent: AgentProcess;
    let prom: TestPrometheus;

    beforeAll(async () => {
      const longPaths = build('long-paths');
      agent = await AgentProcess.start({ metrics: { response_budget_mb: BUDGET_MIB } });
      // 2,000 decision events of 4 KB each: the paths a workload chose.
      const run = spawnSync(
        process.execPath,
        [ZVIZ, 'run', '--socket', agent.controlSocket, '--profile', 'observe', '--', longPaths, '2000', '4000'],
        { encoding: 'utf8', timeout: 60_000 }
      );
      expect(run.status, run.stderr).toBe(0);
      // Scrapes every 3 s, each allowed 3 s (Prometheus' default is 10 s):
      // a scrape refused for want of room, or stuck behind the hostile
      // answers, is a failed scrape.
      prom = await TestPrometheus.start({
        scrapeInterval: '3s',
        scrape: [{ job: 'zviz', targets: [`127.0.0.1:${agent.port}`] }],
      });
      await prom.waitForSamples('up{job="zviz"} == 1');
    });
    afterAll(async () => {
      await prom?.stop();
      await agent?.stop();
    });

    it('holds its memory to the budget, misses no scrape, answers probes and readers, and counts what it refused', async () => {
      const pid = agent.child.pid!;
      const one = await fetch(`${agent.url}${DECISIONS}`);
      const answerBytes = (await one.arrayBuffer()).byteLength;
      expect(answerBytes).toBeGreaterThan(4_000_000);
      const total = HOSTILE.reduce((n, [, count]) => n + count, 0);

      // The peak from here on (writing 5 to clear_refs resets VmHWM).
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      const before = memory(pid, 'VmRSS');
      const started = Date.now() / 1000;
      let n = 0;
      const clients = HOSTILE.flatMap(([path, count]) =>
        Array.from({ length: count }, () => hostile(agent.port, path, n++))
      );
      await waitFor(
        'every hostile client answered or closed',
        async () => clients.every((c) => c.status !== undefined || c.socket.destroyed),
        { timeoutMs: 60_000, intervalMs: 100 }
      );
      // Hold them for three scrapes.
      await sleep(9000);

      // The probes answer, and a client that reads gets its 4 MB: room is
      // made at the cost of those that stopped reading (after a 503 with
      // Retry-After, a client that reads asks again).
      expect(await probe(`${agent.url}/health`, { localAddress: '127.0.0.5' })).toMatchObject({ status: 200 });
      let reader: number | string = 0;
      for (let attempt = 0; attempt < 10 && reader !== 200; attempt++) {
        const answer = await probe(`${agent.url}${DECISIONS}`, { localAddress: '127.0.0.6', timeoutMs: 30_000 });
        reader = typeof answer === 'string' ? answer : answer.status;
        if (reader === 503) {
          await sleep(1000);
        }
      }
      expect(reader).toBe(200);
      const peak = memory(pid, 'VmHWM');
      const exposition = await (await fetch(`${agent.url}/metrics`)).text();
      const ended = Date.now() / 1000;

      // Every scrape of the siege succeeded.
      const window = `${Math.ceil(ended - started)}s`;
      const [scrapes] = await prom.query(`count_over_time(up{job="zviz"}[${window}])`);
      const [worst] = await prom.query(`min_over_time(up{job="zviz"}[${window}])`);
      expect(Number(scrapes.value![1])).toBeGreaterThanOrEqual(3);
      expect(Number(worst.value![1])).toBe(1);

      // The answers were there to be held: without the budget the agent held
      // one per decisions client (420 MB here).
      const refused = sample(exposition, 'zviz_http_response_budget_refusals_total{route="/api/v1/decisions"}') ?? 0;
      const dropped = sample(exposition, 'zviz_http_connections_closed_total{reason="slow_reader"}') ?? 0;
      const asked = 100 * answerBytes;
      const grew = peak - before;
      console.log(
        `${total} hostile clients: asked for ${(asked / 2 ** 20).toFixed(0)} MiB of decisions; RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB (budget ${BUDGET_MIB} MiB); ${refused} refused, ${dropped} slow readers dropped`
      );
      expect(grew).toBeLessThan(asked / 4);
      expect(sample(exposition, 'zviz_http_response_pending_bytes')).toBeLessThanOrEqual(BUDGET_MIB * 2 ** 20);
      expect(sample(exposition, 'zviz_http_response_budget_bytes')).toBe(BUDGET_MIB * 2 ** 20);
      // What was not held was refused (503, counted) or dropped (counted).
      expect(refused + dropped).toBeGreaterThan(0);
      const statuses = new Set(clients.map((c) => c.status).filter((s) => s !== undefined));
      expect([...statuses].every((s) => s === 'HTTP/1.1 200 OK' || s === 'HTTP/1.1 503 Service Unavailable')).toBe(
        true
      );
      expect(agent.child.exitCode).toBeNull();
      clients.forEach((c) => c.socket.destroy());
    });

    it('keeps room for the scrape while clients that never give up keep the JSON API’s share full', async () => {
      const pid = agent.child.pid!;
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      const before = memory(pid, 'VmRSS');
      const started = Date.now() / 1000;
      // Answers of every size, so that together they fill the share to the last few KiB.
      const sieges = [1000, 100, 10, 1].map(
        (limit, i) => new Siege(agent.port, `/api/v1/decisions?since=0&limit=${limit}`, [30, 20, 20, 20][i], i)
      );
      // Scrapes of our own beside Prometheus', each on a new connection from another address.
      const scrapes: Array<number | string> = [];
      for (let i = 0; i < 12; i++) {
        await sleep(1000);
        const answer = await probe(`${agent.url}/metrics`, { localAddress: '127.0.0.7', timeoutMs: 10_000 });
        scrapes.push(typeof answer === 'string' ? answer : answer.status);
      }
      const peak = memory(pid, 'VmHWM');
      const exposition = await (await fetch(`${agent.url}/metrics`)).text();
      sieges.forEach((siege) => siege.stop());
      const statuses = new Map<string, number>();
      for (const siege of sieges) {
        siege.statuses.forEach((count, status) => statuses.set(status, (statuses.get(status) ?? 0) + count));
      }
      const ended = Date.now() / 1000;
      const window = `${Math.ceil(ended - started)}s`;
      const [worst] = await prom.query(`min_over_time(up{job="zviz"}[${window}])`);
      const [count] = await prom.query(`count_over_time(up{job="zviz"}[${window}])`);
      console.log(
        `siege of 90: ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB`
      );
      // The siege was real: the JSON API's share was full and requests were refused for it ...
      expect(statuses.get('HTTP/1.1 503 Service Unavailable') ?? 0).toBeGreaterThan(0);
      // ... and every scrape was served.
      expect(scrapes).toEqual(scrapes.map(() => 200));
      expect(Number(count.value![1])).toBeGreaterThanOrEqual(3);
      expect(Number(worst.value![1])).toBe(1);
      expect(sample(exposition, 'zviz_http_response_pending_bytes')).toBeLessThanOrEqual(BUDGET_MIB * 2 ** 20);
      expect(peak - before).toBeLessThan(BUDGET_MIB * 2 ** 20 * 6);
      expect(agent.child.exitCode).toBeNull();
    });
  }
);
