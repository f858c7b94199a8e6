// The first gRPC call on a connection costs the plugin more than the query it
// carries: Node compiles the functions of its HTTP/2 server session (session
// set-up, settings, headers, streams, EventTarget) on their first call, and
// grpc-js runs its call handling for the first time (docs/benchmarks.md,
// "Beside a Go plugin": about 160 of Node's functions were still compiled
// during the first QueryData after the query path's warm-up). So the
// warm-up, before the handshake line, makes one call itself: go-plugin's
// health check, which every plugin serves and which
// changes nothing, over a connection to the plugin's own address.
//
// The client side is these few fixed bytes rather than node:http2's client:
// the client would compile its own half of Node's HTTP/2 code (15 to 20 ms of
// CPU and 0.2 MiB that nothing uses again), where the point is to compile
// only what serving needs.
import { connect, type Socket } from 'node:net';

import type { Network } from './handshake';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

// HTTP/2 frame types and flags (RFC 9113, section 6).
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
const STREAM = 1;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK string literal, not Huffman-coded (RFC 7541, 5.2); all of ours are under 127 bytes. */
function literal(text: string): Buffer {
  return Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]);
}

/**
 * The request's header block: `:method: POST` and `:scheme: http` from the
 * static table (indexes 3 and 6), `:path`, `:authority` and `content-type`
 * as literals without indexing under their static names (4, 1 and 31, the
 * last with a 4-bit prefix: 15 then 16), `te: trailers` with a literal name.
 */
function requestHeaders(path: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x83, 0x86, 0x04]),
    literal(path),
    Buffer.from([0x01]),
    literal('localhost'),
    Buffer.from([0x0f, 0x10]),
    literal('application/grpc'),
    Buffer.from([0x00]),
    literal('te'),
    literal('trailers'),
  ]);
}

/**
 * The connection's first bytes: the preface, empty settings, and one unary
 * call of `path` whose message is empty (a gRPC message prefix of five zero
 * bytes: not compressed, length 0), which for grpc.health.v1.Health/Check
 * asks about the server as a whole.
 */
export function unaryCallBytes(path: string): Buffer {
  return Buffer.concat([
    Buffer.from(PREFACE, 'latin1'),
    frame(SETTINGS, 0, 0, Buffer.alloc(0)),
    frame(HEADERS, END_HEADERS, STREAM, requestHeaders(path)),
    frame(DATA, END_STREAM, STREAM, Buffer.alloc(5)),
  ]);
}

/**
 * Makes one health check call over a new connection to the plugin's own
 * server and resolves once the server has answered with a message and ended
 * the call's stream (its trailers); rejects when the server answers with
 * trailers alone (an error status), resets the stream or the connection,
 * closes it, or takes longer than `timeoutMs`. The connection is closed
 * either way.
 */
export function warmServerConnection(address: Network, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = address.network === 'unix' ? connect(address.path) : connect(address.port, address.host);
    let pending: Buffer = Buffer.alloc(0);
    let settled = false;
    let answered = false;
    const finish = (error?: Error) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer to the health check within ${timeoutMs} ms`)),
      timeoutMs
    );
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('the server closed the connection before answering')));
    socket.on('connect', () => socket.write(unaryCallBytes('/grpc.health.v1.Health/Check')));
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) {
          return;
        }
        const [type, flags] = [pending[3], pending[4]];
        const stream = pending.readUInt32BE(5) & 0x7fffffff;
        pending = pending.subarray(9 + length);
        if (type === SETTINGS && !(flags & ACK)) {
          socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
        } else if (type === GOAWAY || (type === RST_STREAM && stream === STREAM)) {
          finish(new Error(`the server ended the call (HTTP/2 frame type ${type})`));
          return;
        } else if (type === DATA && stream === STREAM && length >= 5) {
          answered = true;
        } else if (type === HEADERS && stream === STREAM && flags & END_STREAM) {
          // A gRPC error comes as trailers alone (the status is in the
          // HPACK-coded headers, which this does not decode); a health
          // check that succeeded sends its message first.
          finish(answered ? undefined : new Error('the server answered the health check with an error status'));
          return;
        }
      }
    });
  });
}
