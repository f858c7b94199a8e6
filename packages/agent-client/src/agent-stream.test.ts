// The agent client's decision stream against a small HTTP server that plays
// the agent: what it sends (Last-Event-ID, the container), what it hands
// back (events cut across writes, the agent's retry), and how it fails,
// naming the agent: an error status, an event without end, an agent that
// accepts the connection and never answers. An open stream that is quiet
// for longer than the client's timeout is not a failure.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { AgentClient } from './agent';
import { HttpClient } from './http';
import { MAX_EVENT_CHARS, type ServerSentEvent } from './sse';
import { UpstreamError } from './upstream-error';

let server: Server | undefined;
let http: HttpClient | undefined;

afterEach(async () => {
  http?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function agentAnswering(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  timeoutMs = 5000
): Promise<{ client: AgentClient; name: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  server = createServer((req, res) => {
    requests.push(req);
    answer(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const name = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  http = new HttpClient({ timeoutMs });
  return { client: new AgentClient({ name, url: `http://${name}` }, http, { kind: 'none' }), name, requests };
}

function follow(client: AgentClient, options: { since?: string; container?: string; onRetry?: (ms: number) => void }) {
  const events: ServerSentEvent[] = [];
  const done = client.stream({ ...options, signal: new AbortController().signal }, (e) => events.push(e));
  return { events, done };
}

describe('the decision stream of the agent client', () => {
  it('resumes with Last-Event-ID and hands back events cut across writes, with the retry the agent asks for', async () => {
    const { client, requests } = await agentAnswering((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('retry: 2500\n\n');
      res.write('id: 8\nevent: decision\ndata: {"se');
      setTimeout(() => res.end('q":8}\n\n: heartbeat\n\nid: 9\ndata: {"seq":9}\n\n'), 20);
    });
    const retries: number[] = [];
    const { events, done } = follow(client, { since: '7', container: 'web-1', onRetry: (ms) => retries.push(ms) });
    await done;
    expect(requests[0].headers['last-event-id']).toBe('7');
    expect(requests[0].headers.accept).toBe('text/event-stream');
    expect(new URL(requests[0].url!, 'http://agent').searchParams.get('container')).toBe('web-1');
    expect(retries).toEqual([2500]);
    expect(events).toEqual([
      { id: '8', event: 'decision', data: '{"seq":8}', retry: 2500 },
      { id: '9', event: 'message', data: '{"seq":9}' },
    ]);
  });

  it('fails on an error status with the status and the first line of the answer, naming the agent', async () => {
    const { client, name } = await agentAnswering((_req, res) => {
      res.writeHead(503, 'Service Unavailable', { 'Content-Type': 'text/plain' });
      res.end('too many stream clients (limit 64)\nsecond line\n');
    });
    const failure = await follow(client, {}).done.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({
      message: `agent ${name}: 503 Service Unavailable: too many stream clients (limit 64)`,
      kind: 'http',
      httpStatus: 503,
    });
  });

  it('fails the stream, naming the agent, when an event does not end within the bound', async () => {
    let written = 0;
    const { client, name } = await agentAnswering((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: ');
      const chunk = 'x'.repeat(64 * 1024);
      const more = () => {
        // Twice the bound at most, so that a reader without one ends too.
        while (!res.destroyed && written < 2 * MAX_EVENT_CHARS && res.write(chunk)) {
          written += chunk.length;
        }
        if (!res.destroyed && written < 2 * MAX_EVENT_CHARS) {
          res.once('drain', more);
        } else {
          res.end();
        }
      };
      more();
    });
    const { events, done } = follow(client, {});
    const failure = await done.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).message).toBe(
      `agent ${name}: the decision stream sent an event longer than ${MAX_EVENT_CHARS} characters without ending it`
    );
    expect((failure as UpstreamError).kind).toBe('response');
    expect(events).toEqual([]);
  });

  it('gives up on an agent that never answers, and not on an open stream that is quiet', async () => {
    const { client: silent, name } = await agentAnswering(() => undefined, 200);
    await expect(follow(silent, {}).done).rejects.toThrow(`agent ${name}: timed out after 0.2 s`);
    http?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));

    const { client: quiet } = await agentAnswering((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.flushHeaders();
      // Quiet for three times the client's timeout, then one event.
      setTimeout(() => res.end('id: 1\ndata: {"seq":1}\n\n'), 600);
    }, 200);
    const { events, done } = follow(quiet, {});
    await done;
    expect(events).toEqual([{ id: '1', event: 'message', data: '{"seq":1}' }]);
  });
});
