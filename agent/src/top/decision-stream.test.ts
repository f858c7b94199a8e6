// zviz top's reader of the decision stream against a small server playing
// the agent: the events of one write arrive as one update, events not of the
// agent API's shape are skipped, a closed stream is resumed with the last
// event id after the agent's retry, and an agent without a stream (404) is
// said to be so rather than asked again at once.
import { AgentClient } from '@zviz/agent-client/agent';
import { HttpClient } from '@zviz/agent-client/http';
import type { DecisionEvent } from '@zviz/shared/agent-api';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { DecisionStreamClient } from './decision-stream';

function event(seq: number): DecisionEvent {
  return {
    seq,
    timestamp: '2026-12-06T12:00:00.000Z',
    event_type: 'syscall',
    container_id: 'web-1',
    syscall: 'openat',
    args: { path: '/etc/shadow' },
    decision: 'deny',
    latency_us: 12,
    layer: 'broker',
  };
}

const frame = (e: DecisionEvent) => `id: ${e.seq}\nevent: decision\ndata: ${JSON.stringify(e)}\n\n`;

let server: Server | undefined;
let http: HttpClient | undefined;
let reader: DecisionStreamClient | undefined;

afterEach(async () => {
  reader?.close();
  http?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

async function agent(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<AgentClient> {
  let n = 0;
  server = createServer((req, res) => answer(req, res, n++));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const name = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  http = new HttpClient({ timeoutMs: 5000 });
  return new AgentClient({ name, url: `http://${name}` }, http, { kind: 'none' });
}

function follow(client: AgentClient, since?: string) {
  const updates: number[][] = [];
  const statuses: string[] = [];
  const missed: number[] = [];
  reader = new DecisionStreamClient(
    client,
    {
      events: (events) => updates.push(events.map((e) => e.seq)),
      missed: (count) => missed.push(count),
      status: (status, reason) => statuses.push(reason ? `${status}: ${reason}` : status),
    },
    since
  );
  return { updates, statuses, missed };
}

describe("zviz top's decision stream", () => {
  it('hands over one write as one update, skips what is not a decision event, and resumes after the last id', async () => {
    const resumedFrom: Array<string | undefined> = [];
    const client = await agent((req, res, n) => {
      resumedFrom.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (n === 0) {
        res.write('retry: 50\n\n');
        res.write(frame(event(4)) + frame(event(5)) + 'id: 6\ndata: {"seq":"six"}\n\n' + 'data: not json\n\n');
        res.end(`event: missed\ndata: {"missed":3}\n\n`);
      } else {
        res.write(frame(event(7)));
      }
    });
    const { updates, statuses, missed } = follow(client, '3');
    await waitFor('the resumed stream', async () => updates.length >= 2);
    expect(updates).toEqual([[4, 5], [7]]);
    expect(missed).toEqual([3]);
    // The malformed event's id counts: the agent sent it, and resuming before it would get it again.
    expect(resumedFrom).toEqual(['3', '6']);
    expect(statuses).toEqual([
      'connecting',
      'connected',
      'reconnecting: the agent closed the stream',
      'reconnecting',
      'connected',
    ]);
  });

  it('says an agent has no stream, and does not ask again before ten seconds', async () => {
    let requests = 0;
    const client = await agent((_req, res) => {
      requests++;
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
    });
    const { statuses } = follow(client);
    await waitFor('the refusal', async () => statuses.length >= 2);
    expect(statuses).toEqual(['connecting', 'unavailable: this agent has no decision stream (404)']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requests).toBe(1);
  });

  it("names a refused connection in the system's words", async () => {
    const client = await agent(() => undefined);
    const port = (server!.address() as AddressInfo).port;
    server!.close();
    const { statuses } = follow(client);
    await waitFor('the failure', async () => statuses.length >= 2);
    expect(statuses[1]).toBe(`reconnecting: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
