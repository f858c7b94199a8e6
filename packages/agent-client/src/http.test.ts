import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';

import { HttpClient, TransportError } from './http';

const ANSWER = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok';

/**
 * An upstream that answers the first request of every connection and resets
 * the connection at its second one, before answering: what a client sees
 * when it sends on a kept-alive connection the upstream has since closed.
 */
async function upstreamThatDropsIdleConnections(): Promise<{ server: Server; url: URL; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    let requests = 0;
    let pending = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        requests++;
        if (requests === 1) {
          socket.write(ANSWER);
        } else {
          socket.resetAndDestroy();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: new URL(`http://127.0.0.1:${port}/health`), connections: () => connections };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

it('sends a GET again on a new connection when its kept-alive one was closed by the upstream', async () => {
  const upstream = await upstreamThatDropsIdleConnections();
  servers.push(upstream.server);
  const client = new HttpClient({ timeoutMs: 5000 });
  try {
    expect((await client.request(upstream.url)).body.toString()).toBe('ok');
    const again = await client.request(upstream.url);
    expect(again.status).toBe(200);
    expect(again.body.toString()).toBe('ok');
    // The first connection, and one new one for the retry.
    expect(upstream.connections()).toBe(2);
  } finally {
    client.close();
  }
});

it('says what the upstream is now when it stopped after the connection was kept: refused, not reset', async () => {
  const upstream = await upstreamThatDropsIdleConnections();
  const client = new HttpClient({ timeoutMs: 5000 });
  try {
    await client.request(upstream.url);
    // A killed upstream as the client sees it in that instant: the port
    // refuses new connections, and the kept one fails only once it is used.
    upstream.server.close();
    const failure = await client.request(upstream.url).then(
      () => undefined,
      (error: unknown) => error
    );
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).message).toBe('connection refused');
  } finally {
    client.close();
  }
});

it('does not send a POST twice: its failure on a stale connection is the answer', async () => {
  const upstream = await upstreamThatDropsIdleConnections();
  servers.push(upstream.server);
  const client = new HttpClient({ timeoutMs: 5000 });
  try {
    await client.request(upstream.url, { method: 'POST', form: new URLSearchParams({ query: 'up' }) });
    const failure = await client
      .request(upstream.url, { method: 'POST', form: new URLSearchParams({ query: 'up' }) })
      .then(
        () => undefined,
        (error: unknown) => error
      );
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).message).toBe('connection reset');
    expect(upstream.connections()).toBe(1);
  } finally {
    client.close();
  }
});
