// The HTTP server's connections: how many each client may keep waiting, when
// a waiting connection is closed, and which one gives way when the server is
// full. A connection is `waiting` from the moment it is accepted (TCP or TLS
// handshake, request head on its way) and again after each answer, and
// `busy` while a request is being answered (a decision stream stays busy for
// its whole life). Only waiting connections are ever closed by these rules.
//
// Every new connection is let in and given `graceMs` to make its request,
// whatever its client already holds: a probe or a scrape from an address that
// also holds hundreds of idle or trickling sockets still gets its turn. Past
// the grace, a client keeps at most `perClient` connections waiting; its
// oldest go first. Past `waitingMs` without a request head, any connection
// is closed. Only when `total` is reached does a new connection push out the
// oldest waiting connection of the client holding the most (or, when none
// is waiting, a busy one whose client stopped reading its answer). A sweep a
// few times a second applies the rules, so they hold to well under a second.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

import { clientKey } from './client-address';

export interface ConnectionLimits {
  /** Connections open at once, over every client. */
  total: number;
  /** Connections one client (an IPv4 address or an IPv6 /64) may keep waiting past the grace. */
  perClient: number;
  /** Time every new connection has to make its request, whatever its client holds. */
  graceMs: number;
  /** A connection waiting this long since it was accepted or last answered is closed. */
  waitingMs: number;
}

export type CloseReason =
  /** No request head within `waitingMs`. */
  | 'timeout'
  /**
   * Closed while waiting (its client had more than `perClient` waiting, or
   * the server was full), or, with the server full and none waiting, while
   * its client was not reading its answer.
   */
  | 'evicted'
  /** Refused at once: the server was full and every connection busy with a client that reads. */
  | 'refused'
  /**
   * Closed while its client had not taken its answer for a while, to make
   * room in the response budget (response-budget.ts).
   */
  | 'slow_reader';

export interface Connection {
  readonly socket: Socket;
  readonly client: string;
  /** The TLS socket over `socket`, once its handshake is done. */
  secure?: TLSSocket;
  /**
   * What the HTTP parser reads and writes the connection through
   * (request-gate.ts); answer bytes wait there while the socket is full.
   */
  front?: { readonly writableLength: number };
  /** When it last started waiting (performance.now()). */
  since: number;
  /** Bytes the socket had read when it last started waiting. */
  readMark: number;
  busy: number;
  /**
   * Since when (performance.now()) the socket has held answer bytes and its
   * client has taken none of them; unset while it holds none. Seen by the
   * sweep, so to within a sweep.
   */
  behindSince?: number;
  /** Bytes it held when last seen, to tell a client that reads from one that does not. */
  pendingMark?: number;
  /**
   * The answers of its requests still under way. Those of pipelined requests
   * wait behind the one being written, their bytes in Node rather than on the
   * socket (they have no socket yet), and count too.
   */
  readonly answers: Set<Answer>;
}

/** What the table reads of an answer (a ServerResponse). */
export interface Answer {
  /** Unset while it waits behind another answer on its connection. */
  readonly socket: unknown;
  readonly writableLength: number;
}

export interface ConnectionEvents {
  /** A waiting connection ran out of time; the server says so and closes it. */
  timedOut(connection: Connection): void;
  /** The server closed a connection itself, for the metrics. */
  closed(reason: CloseReason): void;
}

const SWEEP_MS = 250;

export class ConnectionTable {
  private readonly byPeer = new Map<string, Connection>();
  /** Per client, its connections; waiting ones in the order they started waiting. */
  private readonly clients = new Map<string, { all: Set<Connection>; waiting: Set<Connection> }>();
  private count = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
    private readonly now: () => number = () => performance.now()
  ) {}

  get size(): number {
    return this.count;
  }

  /**
   * Takes a newly accepted socket. When the server is full, the oldest
   * waiting connection of the client holding the most makes room; returns
   * false when nothing could (the new socket is then destroyed).
   */
  admit(socket: Socket): boolean {
    if (
      this.count >= this.limits.total &&
      !this.evict([...(this.busiestClient()?.waiting ?? [])], this.now()) &&
      !this.evict(this.stalled(), this.now())
    ) {
      this.events.closed('refused');
      socket.destroy();
      return false;
    }
    const client = clientKey(socket.remoteAddress);
    const connection: Connection = { socket, client, since: 0, readMark: 0, busy: 0, answers: new Set() };
    const entry = this.clients.get(client) ?? { all: new Set(), waiting: new Set() };
    this.clients.set(client, entry);
    entry.all.add(connection);
    this.count++;
    const peer = peerKey(socket);
    this.byPeer.set(peer, connection);
    socket.once('close', () => this.forget(connection, peer));
    this.startWaiting(connection);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return true;
  }

  /** The connection a (TLS or plain) socket of a request belongs to. */
  find(socket: Socket): Connection | undefined {
    return this.byPeer.get(peerKey(socket));
  }

  /** A request head arrived: the connection is busy until its answer is done. */
  requestStarted(connection: Connection): void {
    connection.busy++;
    this.clients.get(connection.client)?.waiting.delete(connection);
  }

  requestFinished(connection: Connection): void {
    connection.busy = Math.max(0, connection.busy - 1);
    if (connection.busy === 0 && !connection.socket.destroyed) {
      this.startWaiting(connection);
    }
  }

  /**
   * Bytes of answers written to every connection and not yet taken by the
   * kernel (a client that stops reading leaves its answer here).
   */
  pendingBytes(): number {
    let bytes = 0;
    for (const connection of this.byPeer.values()) {
      bytes += pendingOf(connection);
    }
    return bytes;
  }

  /**
   * Closes connections whose clients have left answer bytes untaken for at
   * least `graceMs`, those behind the longest first, until `bytes` are freed
   * or none is left; `keep` is never closed. Returns the bytes freed.
   */
  dropSlowReaders(bytes: number, graceMs: number, keep?: Connection): number {
    const now = this.now();
    this.markBehind(now);
    const slow = [...this.byPeer.values()]
      .filter((c) => c !== keep && c.behindSince !== undefined && now - c.behindSince >= graceMs)
      .sort((a, b) => a.behindSince! - b.behindSince!);
    let freed = 0;
    for (const connection of slow) {
      if (freed >= bytes) {
        break;
      }
      freed += pendingOf(connection);
      this.events.closed('slow_reader');
      connection.socket.destroy();
      connection.secure?.destroy();
      this.release(connection);
    }
    return freed;
  }

  /** Applies the limits now; the sweep calls it a few times a second. */
  sweep(): void {
    const now = this.now();
    this.markBehind(now);
    for (const entry of [...this.clients.values()]) {
      for (const connection of [...entry.waiting]) {
        // A socket no longer writable is already being closed (answered 408 by Node's own check).
        if (now - connection.since >= this.limits.waitingMs && connection.socket.writable) {
          entry.waiting.delete(connection);
          this.events.closed('timeout');
          this.events.timedOut(connection);
        }
      }
      if (entry.waiting.size > this.limits.perClient) {
        // Only those that have had their grace can go.
        const old = [...entry.waiting].filter((c) => now - c.since >= this.limits.graceMs);
        while (entry.waiting.size > this.limits.perClient && this.evict(old, now)) {
          // evict() took one out of `old` and `entry.waiting`.
        }
      }
    }
    if (this.count === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private markBehind(now: number): void {
    for (const connection of this.byPeer.values()) {
      const pending = pendingOf(connection);
      if (pending === 0) {
        connection.behindSince = undefined;
      } else if (connection.behindSince === undefined || pending < (connection.pendingMark ?? 0)) {
        // It took some since last seen (or has just been written to): it reads.
        connection.behindSince = now;
      }
      connection.pendingMark = pending;
    }
  }

  private startWaiting(connection: Connection): void {
    const waiting = this.clients.get(connection.client)?.waiting;
    waiting?.delete(connection);
    connection.since = this.now();
    connection.readMark = connection.socket.bytesRead;
    waiting?.add(connection);
  }

  /**
   * Closes one of `candidates` (waiting connections, oldest first) and takes
   * it out of the list: the oldest that has had its grace and sent nothing
   * since it started waiting, else the oldest. A client sends its request
   * (or its TLS hello) as soon as it connects, so sockets that stay silent
   * are the first to go. False when there is none.
   */
  private evict(candidates: Connection[], now: number): boolean {
    const victim =
      candidates.find((c) => now - c.since >= this.limits.graceMs && c.socket.bytesRead === c.readMark) ??
      candidates[0];
    if (!victim) {
      return false;
    }
    candidates.splice(candidates.indexOf(victim), 1);
    this.events.closed('evicted');
    victim.socket.destroy();
    // 'close' comes later; the room is free now.
    this.release(victim);
    return true;
  }

  /**
   * Busy connections whose answer is stuck because the client stopped
   * reading (the socket's buffer is full), oldest first: when nothing is
   * waiting, a full server makes room at their cost rather than refuse.
   */
  private stalled(): Connection[] {
    return [...this.byPeer.values()].filter(
      (c) => c.busy > 0 && (c.secure ?? c.socket).writableNeedDrain && !c.socket.destroyed
    );
  }

  /** The client holding the most connections, among those with one waiting. */
  private busiestClient(): { all: Set<Connection>; waiting: Set<Connection> } | undefined {
    let busiest: { all: Set<Connection>; waiting: Set<Connection> } | undefined;
    for (const entry of this.clients.values()) {
      if (entry.waiting.size > 0 && (!busiest || entry.all.size > busiest.all.size)) {
        busiest = entry;
      }
    }
    return busiest;
  }

  private forget(connection: Connection, peer: string): void {
    if (this.byPeer.get(peer) === connection) {
      this.byPeer.delete(peer);
    }
    this.release(connection);
  }

  private release(connection: Connection): void {
    const entry = this.clients.get(connection.client);
    entry?.waiting.delete(connection);
    if (entry?.all.delete(connection)) {
      this.count--;
      if (entry.all.size === 0) {
        this.clients.delete(connection.client);
      }
    }
  }
}

/** Answer bytes a connection holds: in its gate, on its TLS socket (plain text) and on the TCP socket under it. */
function pendingOf(connection: Connection): number {
  if (connection.socket.destroyed) {
    return 0; // its buffers go with it
  }
  let bytes =
    (connection.front?.writableLength ?? 0) +
    (connection.secure?.writableLength ?? 0) +
    (connection.socket.writableLength ?? 0);
  for (const answer of connection.answers) {
    if (!answer.socket) {
      bytes += answer.writableLength;
    }
  }
  return bytes;
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
