// The warm-up's own call to the plugin's server: its fixed bytes are a gRPC
// call that Node's HTTP/2 server parses and grpc-js hands to the health
// check's handler; it settles on the call's trailers, and fails, with the
// connection closed, when the server refuses, hangs up or stays silent.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { createServer as createHttp2Server, constants, type IncomingHttpHeaders } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { createLogger } from './log';
import { protocolServices } from './protocol';
import { startPluginServer } from './server';
import { warmServerConnection } from './warm-server';

const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (closers.length) {
    await closers.pop()!();
  }
});

function listenNet(onConnection: (socket: Socket) => void): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port }))
  );
}

describe('warmServerConnection', () => {
  it('makes one health check call that grpc-js hands to the handler, with an empty request', async () => {
    const services = protocolServices();
    const seen: unknown[] = [];
    const server = new Server();
    server.addService(services.health, {
      Check: (call: { request: unknown }, callback: (e: null, r: unknown) => void) => {
        seen.push(call.request);
        callback(null, { status: 'SERVING' });
      },
      Watch: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p)))
    );
    closers.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
    await warmServerConnection({ network: 'tcp', host: '127.0.0.1', port });
    expect(seen).toEqual([{ service: '' }]);
  });

  it('sends what Node parses as a gRPC POST with an empty message, and settles on the trailers', async () => {
    const requests: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
    const server = createHttp2Server();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        requests.push({ headers, body: Buffer.concat(chunks) });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.alloc(5));
      });
    });
    const sessionClosed = new Promise((resolve) => server.on('session', (session) => session.on('close', resolve)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    await warmServerConnection({
      network: 'tcp',
      host: '127.0.0.1',
      port: (server.address() as { port: number }).port,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0].headers).toMatchObject({
      ':method': 'POST',
      ':scheme': 'http',
      ':path': '/grpc.health.v1.Health/Check',
      ':authority': 'localhost',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    expect(requests[0].body).toEqual(Buffer.alloc(5));
    // It closes its connection once it settled: the server's session ends.
    await sessionClosed;
  });

  it("answers over the plugin server's Unix socket", async () => {
    const server = await startPluginServer({}, { logger: createLogger({ write: () => undefined }), env: {} });
    closers.push(() => server.stop(100));
    expect(server.address.network).toBe('unix');
    await expect(warmServerConnection(server.address)).resolves.toBeUndefined();
  });

  it('fails when the server answers with an error status: trailers without a message', async () => {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p)))
    );
    closers.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
    // No service added: grpc-js answers UNIMPLEMENTED.
    await expect(warmServerConnection({ network: 'tcp', host: '127.0.0.1', port })).rejects.toThrow(
      'the server answered the health check with an error status'
    );
  });

  it('fails when the server refuses the stream', async () => {
    const server = createHttp2Server();
    server.on('stream', (stream) => {
      stream.on('error', () => undefined);
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as { port: number }).port;
    await expect(warmServerConnection({ network: 'tcp', host: '127.0.0.1', port })).rejects.toThrow(
      'the server ended the call (HTTP/2 frame type 3)'
    );
  });

  it('fails when the server hangs up without answering, and when it stays silent', async () => {
    const hangsUp = await listenNet((socket) => socket.end());
    await expect(warmServerConnection({ network: 'tcp', host: '127.0.0.1', port: hangsUp.port })).rejects.toThrow(
      'the server closed the connection before answering'
    );
    let sawEnd: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (sawEnd = resolve));
    const silent = await listenNet((socket) => {
      socket.on('end', sawEnd);
      socket.resume();
    });
    await expect(warmServerConnection({ network: 'tcp', host: '127.0.0.1', port: silent.port }, 200)).rejects.toThrow(
      'no answer to the health check within 200 ms'
    );
    // The warm-up closed its side: the silent server reads the end of it.
    await ended;
  });

  it('fails when nothing listens there', async () => {
    const { port } = await listenNet(() => undefined);
    await closers.pop()!();
    await expect(warmServerConnection({ network: 'tcp', host: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
  });
});
