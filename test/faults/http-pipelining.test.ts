// Pipelined floods against a real agent: hundreds of connections, each from a
// loopback address of its own, each sending 64 KiB packets packed with
// pipelined requests and reading nothing, reconnecting whenever the agent
// closes them. Node's HTTP parser handles every request of a packet it has
// read before anything else runs, so such a flood once kept /health
// unanswered for over 20 s. The probes must keep answering and the agent's
// memory must stay bounded (docs/agent.md, "Limits and failure behaviour";
// docs/security.md, "Against clients that are no workload").
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, sample } from '../../agent/test/support/agent-process';
import { probe, sleep, tally } from './http-clients';

const CONNECTIONS = 300;
const FLOOD_SECONDS = 12;

/**
 * The flood, in a process of its own so that the probes' timing is not the
 * flood's: `CONNECTIONS` connections from 127.0.1.1 onwards, each writing
 * four 64 KiB packets of pipelined `GET /nope` (7,488 requests) and never
 * reading; every connection the agent closes is opened again at once. (Each
 * connection then sends an empty line, which HTTP allows between requests,
 * every half second: a client that neither reads nor writes never learns
 * that its connection was closed. A client that writes without end fills
 * the kernel's socket buffers up to the host's TCP memory limit, which slows
 * every socket of the host, not only the agent's.) Prints how many requests
 * it wrote when told to stop.
 */
const FLOOD = `
const net = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const head = 'GET /nope HTTP/1.1\\r\\nHost: agent\\r\\n\\r\\n';
const perPacket = Math.floor(65536 / head.length);
const packet = Buffer.from(head.repeat(perPacket));
let requests = 0;
let connections = 0;
let stopped = false;
const sockets = new Set();
function open(i) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.' + (1 + Math.floor(i / 250)) + '.' + (1 + (i % 250)) });
  connections++;
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.pause();
  socket.on('connect', () => {
    for (let n = 0; n < 4; n++) { socket.write(packet); requests += perPacket; }
  });
  socket.on('close', () => { sockets.delete(socket); if (!stopped) setImmediate(() => open(i)); });
}
setInterval(() => {
  for (const socket of sockets) {
    if (socket.writable && !socket.connecting) { socket.write('\\r\\n'); }
  }
}, 500);
for (let i = 0; i < count; i++) open(i);
process.on('SIGTERM', () => {
  stopped = true;
  process.stdout.write(JSON.stringify({ requests, connections }) + '\\n', () => process.exit(0));
});
`;

function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

function startFlood(port: number): ChildProcess {
  return spawn(process.execPath, ['-e', FLOOD, String(port), String(CONNECTIONS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function stopFlood(flood: ChildProcess): Promise<{ requests: number; connections: number }> {
  let out = '';
  flood.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const closed = new Promise((resolve) => flood.once('close', resolve));
  flood.kill('SIGTERM');
  const late = setTimeout(() => flood.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(late);
  return JSON.parse(out || '{"requests":0,"connections":0}');
}

describeWhere([root, seccompUserNotif], 'pipelined floods from 300 loopback addresses', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start();
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('answers every probe and scrape while the flood runs, with its memory bounded', async () => {
    const pid = agent.child.pid!;
    const before = memoryKiB(pid, 'VmRSS');
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM from here on
    const flood = startFlood(agent.port);
    const seen: Record<string, Array<number | string>> = { health: [], metrics: [] };
    const waits: number[] = [];
    let sent = { requests: 0, connections: 0 };
    try {
      await sleep(1000); // the flood's first packets are in
      const end = Date.now() + FLOOD_SECONDS * 1000;
      while (Date.now() < end) {
        const started = Date.now();
        const [health, metrics] = await Promise.all([
          probe(`${agent.url}/health`, { localAddress: '127.0.0.5', timeoutMs: 10_000 }),
          probe(`${agent.url}/metrics`, { localAddress: '127.0.0.6', timeoutMs: 10_000 }),
        ]);
        waits.push(Date.now() - started);
        seen.health.push(typeof health === 'string' ? health : health.status);
        seen.metrics.push(typeof metrics === 'string' ? metrics : metrics.status);
        await sleep(500);
      }
    } finally {
      sent = await stopFlood(flood);
    }
    const peak = memoryKiB(pid, 'VmHWM');
    const last = await probe(`${agent.url}/metrics`, { localAddress: '127.0.0.6', timeoutMs: 10_000 });
    const scrape = typeof last === 'string' ? '' : last.body;
    const refused = ['404', '429'].map(
      (code) => sample(scrape, `zviz_http_requests_total{route="unmatched",code="${code}"}`) ?? 0
    );
    // What a reader of the test output compares with docs/benchmarks.md.
    console.log(
      `pipelined flood: ${sent.requests} requests written on ${sent.connections} connections; ` +
        `agent answered ${refused[0]} 404 and ${refused[1]} 429; ` +
        `probe rounds ${waits.length}, slowest ${Math.max(...waits)} ms, median ${waits.sort((a, b) => a - b)[waits.length >> 1]} ms; ` +
        `RSS ${Math.round(before / 1024)} MiB before, peak ${Math.round(peak / 1024)} MiB`
    );
    expect(tally(seen.health)).toEqual({ 200: seen.health.length });
    expect(tally(seen.metrics)).toEqual({ 200: seen.metrics.length });
    expect(seen.health.length).toBeGreaterThanOrEqual(4);
    // The flood was real: every connection sent its packets, and the agent
    // answered a good many of them meanwhile.
    expect(sent.requests).toBeGreaterThanOrEqual(CONNECTIONS * 7488);
    expect(refused[0] + refused[1]).toBeGreaterThan(1000);
    // What the agent has read of a connection and not yet parsed is at most
    // QUEUE_LIMIT and one read (request-gate.ts), 80 KiB for each of at most
    // 1024 connections. Requests parsed ahead of their answers waited with
    // their objects instead (closing their connections early took it to
    // 370 MiB).
    expect(peak - before).toBeLessThan(160 * 1024);
  }, 90_000);
});
