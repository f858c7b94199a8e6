// The decisions API over real HTTP: the list endpoint's parameters and the
// SSE stream's resume, filters, heartbeats and slow-client handling.
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { DecisionsResponse } from '@zviz/shared/agent-api';
import { waitFor } from '@zviz/test-support/ports';
import { silentLogger } from '../log/logger';
import { AgentServer } from '../server/http';
import { registerDecisionRoutes } from './api';
import { decision } from '../../test/support/decision-events';
import { EventHub } from './hub';
import { DecisionStream, type StreamOptions } from './stream';

let server: AgentServer;
let hub: EventHub;
let stream: DecisionStream;
let base: string;

async function start(
  ringSize = 100,
  options: Partial<StreamOptions> = {},
  settings: { responseBudgetBytes?: number } = {}
): Promise<void> {
  hub = new EventHub(ringSize);
  stream = new DecisionStream(
    hub,
    { maxClients: 4, bufferEvents: 100, heartbeatSeconds: 60, ...options },
    silentLogger()
  );
  server = new AgentServer(silentLogger());
  registerDecisionRoutes(server, hub, stream);
  await server.listen({
    address: { host: '127.0.0.1', port: 0 },
    auth: { type: 'none', exempt_probes: true },
    rateLimit: { rps: 0, burst: 1 },
    ...settings,
  });
  base = `http://127.0.0.1:${server.address!.port}`;
}

afterEach(async () => {
  stream.close();
  await server.close();
});

/** An SSE client that records what arrives, frame by frame. */
class SseClient {
  text = '';
  response!: IncomingMessage;
  private readonly closed: Promise<void>;

  constructor(path: string, headers: Record<string, string> = {}, localAddress?: string) {
    let done!: () => void;
    this.closed = new Promise((resolve) => (done = resolve));
    const options = { headers: { Accept: 'text/event-stream', ...headers }, localAddress, agent: false };
    const req = request(`${base}${path}`, options, (res) => {
      this.response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (this.text += chunk));
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', done);
    req.end();
  }

  get ids(): number[] {
    return [...this.text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  }

  async until(predicate: (client: SseClient) => boolean): Promise<void> {
    await waitFor('the stream', async () => predicate(this), { timeoutMs: 5000, intervalMs: 10 });
  }

  get ended(): Promise<void> {
    return this.closed;
  }

  close(): void {
    this.response?.destroy();
  }
}

async function list(query: string): Promise<{ status: number; body: DecisionsResponse & { error?: string } }> {
  const response = await fetch(`${base}/api/v1/decisions${query}`);
  return { status: response.status, body: (await response.json()) as DecisionsResponse & { error?: string } };
}

/** A path as long as a workload may make one (PATH_MAX), so that each event is about 4 KiB. */
const LONG_PATH = `/etc/${'x'.repeat(4000)}`;

/** Memory the JavaScript side of this process holds (the server is in it). */
function held(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

/** Connections that send one request and never read a byte of the answer. */
function nonReaders(count: number, path: string): Socket[] {
  const { port } = new URL(base);
  return Array.from({ length: count }, () => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.pause();
    socket.setNoDelay(true);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: agent\r\n\r\n`);
    return socket;
  });
}

async function settle(ms = 300): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  global.gc?.();
}

describe('GET /api/v1/decisions', () => {
  beforeEach(() => start(5));

  it('returns the newest events, then pages forward from since', async () => {
    hub.publish(Array.from({ length: 3 }, (_, i) => decision({ syscall: ['openat', 'connect', 'execve'][i] })));
    const newest = await list('?limit=2');
    expect(newest.body.events.map((e) => e.syscall)).toEqual(['connect', 'execve']);
    expect(newest.body).toMatchObject({ next: 3, missed: 0 });
    const page = await list('?since=1&limit=1');
    expect(page.body.events.map((e) => e.seq)).toEqual([2]);
    expect(page.body.next).toBe(2);
  });

  it('reports events that left the ring as missed', async () => {
    hub.publish(Array.from({ length: 8 }, () => decision()));
    const { body } = await list('?since=0');
    expect(body.events.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(body.missed).toBe(3);
  });

  it('filters by syscall, decision and container, with comma lists and repeats', async () => {
    hub.publish([
      decision({ syscall: 'openat', decision: 'deny', container_id: 'a' }),
      decision({ syscall: 'connect', decision: 'allow', container_id: 'b' }),
      decision({ syscall: 'execve', decision: 'kill', container_id: 'a' }),
    ]);
    const seqs = async (q: string) => (await list(q)).body.events.map((e) => e.seq);
    expect(await seqs('?since=0&syscall=openat,execve')).toEqual([1, 3]);
    expect(await seqs('?since=0&decision=allow&decision=kill')).toEqual([2, 3]);
    expect(await seqs('?since=0&container=a&decision=deny')).toEqual([1]);
  });

  it('answers a thousand large events whole to a client that reads them', async () => {
    await start(2000);
    hub.publish(Array.from({ length: 1200 }, (_, i) => decision({ args: { path: `${LONG_PATH}/${i}` } })));
    const { status, body } = await list('?since=0&limit=1000');
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(hub.query({ since: 0, limit: 1000 }))));
    expect(body.events.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('refuses since and limit given twice, rather than guessing which one counts', async () => {
    expect(await list('?since=1&since=2')).toEqual({
      status: 400,
      body: { error: 'invalid since: given 2 times; give it once' },
    });
    expect((await list('?limit=1&limit=1')).status).toBe(400);
  });

  it.each([
    ['?limit=0', 'invalid limit: must be a whole number from 1 to 1000 (got "0")'],
    ['?limit=5000', 'invalid limit: must be a whole number from 1 to 1000 (got "5000")'],
    ['?since=-1', 'invalid since: must be a whole number from 0 to 9007199254740991 (got "-1")'],
    ['?since=abc', 'invalid since: must be a whole number from 0 to 9007199254740991 (got "abc")'],
    ['?decision=maybe', 'invalid decision: "maybe" is not one of allow, emulate, log, deny, trap, kill'],
    ['?syscall=Open%20At', 'invalid syscall: "Open At" is not a syscall name (lower case letters, digits, _)'],
    ['?container=%2Fetc', 'invalid container: "/etc" is not a container id'],
    ['?syscall=', 'invalid syscall: empty'],
    ['?sinse=4', 'unknown parameter "sinse" (known: syscall, decision, container, since, limit)'],
  ])('%s is a 400: %s', async (query, message) => {
    expect(await list(query)).toEqual({ status: 400, body: { error: message } });
  });
});

describe('GET /api/v1/decisions/stream', () => {
  it('streams live events with their seq as id, filtered like the list', async () => {
    await start();
    const all = new SseClient('/api/v1/decisions/stream');
    const denies = new SseClient('/api/v1/decisions/stream?decision=deny');
    await waitFor('two clients', async () => stream.clientCount === 2);
    expect(all.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(all.response.headers['cache-control']).toBe('no-store');
    hub.publish([decision({ decision: 'allow' }), decision({ decision: 'deny' }), decision({ decision: 'allow' })]);
    await all.until((c) => c.ids.length === 3);
    await denies.until((c) => c.ids.length === 1);
    expect(all.ids).toEqual([1, 2, 3]);
    expect(denies.ids).toEqual([2]);
    const data = denies.text.match(/^data: (.*)$/m)![1];
    expect(JSON.parse(data)).toMatchObject({ seq: 2, decision: 'deny', syscall: 'openat' });
    expect(all.text.startsWith('retry: 2000\n\n')).toBe(true);
    all.close();
    denies.close();
    await waitFor('clients to leave', async () => stream.clientCount === 0);
  });

  it('resumes after Last-Event-ID from the ring, then continues live', async () => {
    await start();
    hub.publish(Array.from({ length: 5 }, () => decision()));
    const client = new SseClient('/api/v1/decisions/stream', { 'Last-Event-ID': '2' });
    await client.until((c) => c.ids.length === 3);
    hub.publish([decision()]);
    await client.until((c) => c.ids.length === 4);
    expect(client.ids).toEqual([3, 4, 5, 6]);
    client.close();
  });

  it('announces events that left the ring before replaying the rest', async () => {
    await start(4);
    hub.publish(Array.from({ length: 10 }, () => decision()));
    const client = new SseClient('/api/v1/decisions/stream?since=0');
    await client.until((c) => c.ids.length === 4);
    expect(client.text).toContain('event: missed\ndata: {"missed":6}\n\n');
    expect(client.ids).toEqual([7, 8, 9, 10]);
    client.close();
  });

  it('sends heartbeat comments', async () => {
    await start(100, { heartbeatSeconds: 0.05 });
    const client = new SseClient('/api/v1/decisions/stream');
    await client.until((c) => c.text.includes(': heartbeat\n\n'));
    client.close();
  });

  it('refuses bad parameters and a bad Last-Event-ID with 400, and clients past the limit with 503', async () => {
    await start(100, { maxClients: 1 });
    expect((await fetch(`${base}/api/v1/decisions/stream?decision=nope`)).status).toBe(400);
    const badId = await fetch(`${base}/api/v1/decisions/stream`, { headers: { 'Last-Event-ID': 'x' } });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { error: string }).error).toMatch(/Last-Event-ID/);
    const first = new SseClient('/api/v1/decisions/stream');
    await waitFor('one client', async () => stream.clientCount === 1);
    const second = await fetch(`${base}/api/v1/decisions/stream`);
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('5');
    first.close();
  });

  it('keeps one client from holding every stream: past its share it gets 429, and others still get theirs', async () => {
    await start(100, { maxClients: 4, maxPerClient: 2 });
    const status = (localAddress: string) =>
      new Promise<number>((resolve) => {
        const req = request(`${base}/api/v1/decisions/stream`, { localAddress, agent: false }, (res) => {
          resolve(res.statusCode ?? 0);
          res.destroy();
        });
        req.on('error', () => resolve(0));
        req.end();
      });
    // One Grafana (one address) opens as many as it may ...
    const greedy = [
      new SseClient('/api/v1/decisions/stream', {}, '127.0.0.1'),
      new SseClient('/api/v1/decisions/stream', {}, '127.0.0.1'),
    ];
    await waitFor('two streams', async () => stream.clientCount === 2);
    // ... and no more, while slots are left.
    const refused = await fetch(`${base}/api/v1/decisions/stream`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /limit 2 per client, api\.stream\.max_per_client/
    );
    // Another Grafana gets its streams, and the limit over all clients still holds.
    const other = [
      new SseClient('/api/v1/decisions/stream', {}, '127.0.0.2'),
      new SseClient('/api/v1/decisions/stream', {}, '127.0.0.2'),
    ];
    await waitFor('four streams', async () => stream.clientCount === 4);
    expect(await status('127.0.0.3')).toBe(503);
    // A closed stream gives its client its place back.
    greedy[0].close();
    await waitFor('three streams', async () => stream.clientCount === 3);
    const again = new SseClient('/api/v1/decisions/stream', {}, '127.0.0.1');
    await waitFor('four streams again', async () => stream.clientCount === 4);
    expect(again.response.statusCode).toBe(200);
    for (const client of [...greedy, ...other, again]) {
      client.close();
    }
  });

  it('replays a full ring of large events to a resuming client, in order and without gaps, while live events arrive', async () => {
    await start(2100);
    hub.publish(Array.from({ length: 2000 }, (_, i) => decision({ args: { path: `${LONG_PATH}/${i}` } })));
    const client = new SseClient('/api/v1/decisions/stream?since=0');
    // Live events published while the client is still catching up come after the replay, once each.
    for (let i = 0; i < 20; i++) {
      hub.publish([decision({ decision: 'deny' })]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await client.until((c) => c.ids.length === 2020);
    expect(client.ids).toEqual(Array.from({ length: 2020 }, (_, i) => i + 1));
    expect(client.text).not.toContain('event: missed');
    client.close();
  });

  it('resumes a full ring of large events for clients that never read without holding it for each of them', async () => {
    // 8 MB of ring: a resume wrote it all at once, and each client that
    // never read held its copy for as long as it stayed connected.
    await start(2000, { maxClients: 40 });
    hub.publish(Array.from({ length: 2000 }, (_, i) => decision({ args: { path: `${LONG_PATH}/${i}` } })));
    const ringBytes = hub.query({ since: 0, limit: 2000 }).events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
    await settle();
    const before = held();
    const sockets = nonReaders(30, '/api/v1/decisions/stream?since=0');
    await waitFor('30 clients', async () => stream.clientCount === 30, { intervalMs: 20 });
    await settle();
    // Written whole, the 30 clients held 1 GB here (a copy of the ring each,
    // in UTF-16); paced, a page each and the garbage of serialising them.
    expect(held() - before).toBeLessThan((30 * ringBytes) / 3);
    sockets.forEach((s) => s.destroy());
  });

  it('drops and counts a client that has not read for the stall time, and keeps serving the others', async () => {
    // More than the kernel's socket buffers take (about 4 MB on loopback).
    await start(2000, { stallMs: 300 });
    hub.publish(Array.from({ length: 2000 }, (_, i) => decision({ args: { path: `${LONG_PATH}/${i}` } })));
    const [stuck] = nonReaders(1, '/api/v1/decisions/stream?since=0');
    const reader = new SseClient('/api/v1/decisions/stream');
    await waitFor('two clients', async () => stream.clientCount === 2);
    await waitFor('the stuck client dropped', async () => stream.clientCount === 1, { intervalMs: 20 });
    expect(stream.collect().get('zviz_api_stream_slow_disconnects_total')).toEqual([{ labels: {}, value: 1 }]);
    hub.publish([decision()]);
    await reader.until((c) => c.ids.length === 1);
    reader.close();
    stuck.destroy();
  });

  it('drops a client that is behind once the answers held for all clients fill the response budget', async () => {
    // Its own buffer would let 100,000 events wait (6 GB of these): the budget stops it first.
    await start(100, { bufferEvents: 100_000 }, { responseBudgetBytes: 1024 * 1024 });
    const slow = new SseClient('/api/v1/decisions/stream');
    await waitFor('one client', async () => stream.clientCount === 1);
    slow.response.pause();
    slow.response.socket.pause();
    const big = { blob: 'x'.repeat(64 * 1024) };
    let published = 0;
    for (; published < 2000 && stream.clientCount === 1; published++) {
      hub.publish([decision({ args: big })]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(stream.clientCount).toBe(0);
    expect(stream.collect().get('zviz_api_stream_slow_disconnects_total')).toEqual([{ labels: {}, value: 1 }]);
    // What the kernel's socket buffers take (a few MB on loopback) and the budget, not 2,000 events.
    expect(published).toBeLessThan(1000);
    slow.close();
  });

  it('disconnects and counts a client that stops reading, and keeps serving the others', async () => {
    await start(100, { bufferEvents: 20 });
    const slow = new SseClient('/api/v1/decisions/stream');
    const fast = new SseClient('/api/v1/decisions/stream?decision=deny');
    await waitFor('two clients', async () => stream.clientCount === 2);
    slow.response.pause();
    slow.response.socket.pause();
    const big = { blob: 'x'.repeat(64 * 1024) };
    for (let i = 0; i < 400 && stream.clientCount === 2; i++) {
      hub.publish([decision({ args: big })]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(stream.clientCount).toBe(1);
    expect(stream.collect().get('zviz_api_stream_slow_disconnects_total')).toEqual([{ labels: {}, value: 1 }]);
    hub.publish([decision({ decision: 'deny' })]);
    await fast.until((c) => c.ids.length === 1);
    fast.close();
    slow.close();
  });
});
