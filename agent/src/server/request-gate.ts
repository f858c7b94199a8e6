// What stands between a client's connection and Node's HTTP parser, so that
// a connection is read one request at a time.
//
// Node's parser takes a socket's data as it comes (up to 64 KiB a read) and
// handles every request in it before anything else runs: a packet of 2,000
// pipelined requests is 2,000 requests and their answers made at once, and
// 300 such connections kept /health unanswered for over 20 s. Go's server,
// which Prometheus and its exporters use, reads a connection's next request
// only once the previous one is answered; this does the same for Node: the
// parser is given the connection's bytes only while no request of it is under
// way (or while the one under way is still reading its body), and then only
// up to the end of the next request head. What a client sends meanwhile
// waits here, at most QUEUE_LIMIT and one read, then in the kernel: TCP tells
// the client to stop sending.
//
// Connections take turns (Turns): each turn of the event loop gives the
// parser at most PIECES_PER_TURN pieces, the connections waiting longest
// first. The loop's turns stay short however many connections flood it,
// which matters because Node (libuv) accepts one new connection a turn: a
// probe's connection waits behind every connection accepted before it, and
// 300 connections handled a request each per turn made that seconds.
//
// The parser sees this stream as its socket (an HTTP server takes any Duplex
// as a connection); what it writes goes to the real socket, whose buffers
// the response budget counts (connections.ts).
import { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Bytes read from the socket and not yet given to the parser, past which the socket is not read. */
export const QUEUE_LIMIT = 16 * 1024;
/**
 * Most bytes given to the parser at once. A piece ends at the first empty
 * line (where a request head ends), so it holds at most one whole head
 * whatever its size; the bound matters only for a body or a head cut short.
 */
export const PIECE_LIMIT = 4 * 1024;

/** Pieces the parser gets in one turn of the event loop, over all connections. */
export const PIECES_PER_TURN = 8;

/**
 * Connections waiting for their turn with the parser, first come first
 * served, at most `perTurn` a turn of the event loop.
 */
export class Turns {
  private readonly waiting = new Set<() => void>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly perTurn = PIECES_PER_TURN) {}

  /** Runs `step` in a coming turn; once however often it is asked before it runs. */
  request(step: () => void): void {
    this.waiting.add(step);
    this.scheduled ??= setImmediate(() => this.run());
  }

  cancel(step: () => void): void {
    this.waiting.delete(step);
  }

  private run(): void {
    this.scheduled = undefined;
    const now: Array<() => void> = [];
    for (const step of this.waiting) {
      if (now.length === this.perTurn) {
        break;
      }
      now.push(step);
    }
    // Taken out before any runs: a step that asks again goes to the back.
    now.forEach((step) => this.waiting.delete(step));
    for (const step of now) {
      step();
    }
    if (this.waiting.size > 0) {
      this.scheduled ??= setImmediate(() => this.run());
    }
  }
}

export class RequestGate extends Duplex {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private sawEnd = false;
  /** The parser has been told the connection's end. */
  private ended = false;
  private readonly step = () => this.feed();
  /** Requests of this connection under way: from their head until their answer is done. */
  private readonly underway = new Set<IncomingMessage>();
  private waitingWrite: ((error?: Error | null) => void) | undefined;

  constructor(
    readonly socket: Socket,
    private readonly turns: Turns
  ) {
    // allowHalfOpen: the HTTP server decides when to end its side (as it
    // does on a socket of its own); it asks for that with end().
    super({ allowHalfOpen: true, decodeStrings: true });
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.queued += chunk.length;
      if (this.queued >= QUEUE_LIMIT) {
        socket.pause();
      }
      this.pump();
    });
    socket.on('end', () => {
      this.sawEnd = true;
      this.pump();
    });
    socket.on('drain', () => {
      const done = this.waitingWrite;
      this.waitingWrite = undefined;
      done?.();
    });
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    // Node's server pauses its socket while answers wait to be written.
    this.on('resume', () => this.pump());
    // Node's server listens for errors on its socket, except after it has
    // handed the socket over (a CONNECT): an error there must not be
    // unhandled (it would end the process).
    this.on('error', () => undefined);
  }

  /**
   * A request of this connection reached its handler; the parser gets
   * nothing past its head (its body aside) until its answer is done.
   */
  track(req: IncomingMessage, res: ServerResponse): void {
    this.underway.add(req);
    res.once('close', () => {
      this.underway.delete(req);
      this.pump();
    });
  }

  // Who the connection is, as a socket would say (the server's connection
  // table, rate limits and logs ask).
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback) {
      this.once('timeout', callback);
    }
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  /** As net.Socket's: ends this side once written, then closes. */
  destroySoon(): void {
    if (this.writable) {
      this.end();
    }
    if (this.writableFinished) {
      this.destroy();
    } else {
      this.once('finish', () => this.destroy());
    }
  }

  override _read(): void {
    this.pump();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.socket.write(chunk)) {
      done();
    } else {
      this.waitingWrite = done;
    }
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (error?: Error | null) => void): void {
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) {
      ok = this.socket.write(chunk);
    }
    this.socket.uncork();
    if (ok) {
      done();
    } else {
      this.waitingWrite = done;
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    // Finished once the socket has written everything and its end.
    this.socket.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.turns.cancel(this.step);
    this.socket.destroy();
    done(error);
  }

  /** Whether the parser may have more of the connection's bytes now. */
  private open(): boolean {
    if (this.readableFlowing !== true || this.destroyed) {
      return false;
    }
    for (const req of this.underway) {
      if (!req.complete) {
        return true; // its body is still coming
      }
    }
    return this.underway.size === 0;
  }

  /** Asks for a turn when the parser may have more now. */
  private pump(): void {
    if (this.sawEnd && this.queued === 0 && !this.ended) {
      // The client's end reaches the server at once, even while a request
      // is under way: it is how a stream learns that its client has gone.
      this.ended = true;
      this.push(null);
      return;
    }
    if (!this.ended && this.open() && this.queued > 0) {
      this.turns.request(this.step);
    }
  }

  /** The connection's turn: the parser gets its next piece, and the connection asks for another turn. */
  private feed(): void {
    if (this.ended || !this.open()) {
      return;
    }
    const piece = this.nextPiece();
    if (piece) {
      this.push(piece);
    }
    if (this.queued < QUEUE_LIMIT && this.socket.isPaused()) {
      this.socket.resume();
    }
    this.pump();
  }

  /** The queue's bytes up to the end of the first empty line, or PIECE_LIMIT. */
  private nextPiece(): Buffer | undefined {
    if (this.queued === 0) {
      return undefined;
    }
    // Only the first PIECE_LIMIT bytes are looked at (copied only when they
    // span reads): a packet of a thousand small requests is cut a thousand
    // times, each in constant time.
    const first = this.queue[0];
    const window =
      first.length >= PIECE_LIMIT || this.queue.length === 1
        ? first.subarray(0, PIECE_LIMIT)
        : Buffer.concat(this.queue, Math.min(PIECE_LIMIT, this.queued));
    const size = emptyLineEnd(window) ?? window.length;
    let left = size;
    while (left > 0) {
      const next = this.queue[0];
      if (next.length <= left) {
        this.queue.shift();
        left -= next.length;
      } else {
        this.queue[0] = next.subarray(left);
        left = 0;
      }
    }
    this.queued -= size;
    return window.subarray(0, size);
  }
}

/** Where the first empty line ends (after its LF), or undefined: "\n\n" or "\n\r\n". */
function emptyLineEnd(bytes: Buffer): number | undefined {
  let from = 0;
  for (;;) {
    const lf = bytes.indexOf(0x0a, from);
    if (lf < 0 || lf + 1 >= bytes.length) {
      return undefined;
    }
    if (bytes[lf + 1] === 0x0a) {
      return lf + 2;
    }
    if (bytes[lf + 1] === 0x0d && lf + 2 < bytes.length && bytes[lf + 2] === 0x0a) {
      return lf + 3;
    }
    from = lf + 1;
  }
}
