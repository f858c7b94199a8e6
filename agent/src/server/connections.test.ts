// The connection rules on a clock the test moves: who is let in, who gives
// way and when, with sockets that only record what was done to them.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';

import { ConnectionTable, type CloseReason, type Connection } from './connections';

class FakeSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  bytesRead = 0;
  /** Answer bytes the test says the socket holds. */
  writableLength = 0;
  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number
  ) {
    super();
  }
  destroy(): void {
    if (!this.destroyed) {
      this.destroyed = true;
      this.writable = false;
      queueMicrotask(() => this.emit('close'));
    }
  }
}

function setup(limits = { total: 8, perClient: 2, graceMs: 1000, waitingMs: 10_000 }) {
  let now = 0;
  const closed: CloseReason[] = [];
  const timedOut: Connection[] = [];
  const table = new ConnectionTable(
    limits,
    { closed: (reason) => closed.push(reason), timedOut: (c) => (timedOut.push(c), c.socket.destroy()) },
    () => now
  );
  let port = 1000;
  const open = (address = '10.0.0.1') => {
    const socket = new FakeSocket(address, port++);
    const admitted = table.admit(socket as unknown as Socket);
    return { socket, admitted, connection: table.find(socket as unknown as Socket) };
  };
  const advance = (ms: number) => {
    now += ms;
    table.sweep();
  };
  return { table, open, advance, closed, timedOut };
}

describe('ConnectionTable', () => {
  it('lets every new connection in, however many its client holds, for its grace', () => {
    const { table, open, advance, closed } = setup();
    const sockets = Array.from({ length: 6 }, () => open().socket);
    expect(table.size).toBe(6);
    advance(999);
    expect(sockets.filter((s) => s.destroyed)).toHaveLength(0);
    // Past the grace, the client keeps 2 waiting: its oldest four go.
    advance(1);
    expect(sockets.map((s) => s.destroyed)).toEqual([true, true, true, true, false, false]);
    expect(closed).toEqual(['evicted', 'evicted', 'evicted', 'evicted']);
    expect(table.size).toBe(2);
  });

  it('closes silent connections before those that sent part of a request', () => {
    const { open, advance } = setup();
    const talking = open().socket;
    talking.bytesRead = 20;
    const silent = [open().socket, open().socket];
    advance(1000);
    expect(talking.destroyed).toBe(false);
    expect(silent.map((s) => s.destroyed)).toEqual([true, false]);
  });

  it('never closes a connection that is being answered, and lets it wait again afterwards', () => {
    const { table, open, advance } = setup();
    const busy = open();
    table.requestStarted(busy.connection!);
    const others = [open().socket, open().socket, open().socket];
    advance(20_000);
    expect(busy.socket.destroyed).toBe(false);
    expect(others.every((s) => s.destroyed)).toBe(true);
    table.requestFinished(busy.connection!);
    advance(9_999);
    expect(busy.socket.destroyed).toBe(false);
    advance(1);
    expect(busy.socket.destroyed).toBe(true);
  });

  it('times out a connection that sends no request head within waitingMs', () => {
    const { open, advance, closed, timedOut } = setup();
    const { socket, connection } = open();
    advance(9_750);
    expect(socket.destroyed).toBe(false);
    advance(250);
    expect(timedOut).toEqual([connection]);
    expect(closed).toEqual(['timeout']);
  });

  it('counts other clients apart', () => {
    const { open, advance } = setup();
    const a = [open('10.0.0.1').socket, open('10.0.0.1').socket];
    const b = [open('10.0.0.2').socket, open('10.0.0.2').socket];
    const v6 = [open('2001:db8::1').socket, open('2001:db8:0:0:ffff::2').socket];
    advance(1000);
    expect([...a, ...b, ...v6].filter((s) => s.destroyed)).toHaveLength(0);
    // Another address of the same IPv6 /64 is the same client.
    open('2001:db8::3');
    advance(1000);
    expect(v6[0].destroyed).toBe(true);
  });

  it('when full, makes room at the cost of the client holding the most, else refuses', () => {
    const { table, open, closed } = setup({ total: 4, perClient: 4, graceMs: 1000, waitingMs: 10_000 });
    const hog = [open('10.0.0.1').socket, open('10.0.0.1').socket, open('10.0.0.1').socket];
    const other = open('10.0.0.2');
    const probe = open('10.0.0.2');
    expect(probe.admitted).toBe(true);
    expect(hog[0].destroyed).toBe(true);
    expect(other.socket.destroyed).toBe(false);
    expect(closed).toEqual(['evicted']);
    // Everything busy: nothing can give way.
    for (const connection of [hog[1], hog[2], other.socket, probe.socket]) {
      table.requestStarted(table.find(connection as unknown as Socket)!);
    }
    const refused = open('10.0.0.3');
    expect(refused.admitted).toBe(false);
    expect(refused.socket.destroyed).toBe(true);
    expect(closed).toEqual(['evicted', 'refused']);
  });

  it('forgets closed connections', async () => {
    const { table, open } = setup();
    const { socket } = open();
    socket.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(table.size).toBe(0);
    expect(table.find(socket as unknown as Socket)).toBeUndefined();
  });
});

describe('ConnectionTable when full and nothing waits', () => {
  it('makes room at the cost of a busy connection whose client stopped reading', () => {
    const { table, open, closed } = setup({ total: 2, perClient: 4, graceMs: 1000, waitingMs: 10_000 });
    const reading = open('10.0.0.1');
    const stuck = open('10.0.0.2');
    table.requestStarted(reading.connection!);
    table.requestStarted(stuck.connection!);
    (stuck.socket as unknown as { writableNeedDrain: boolean }).writableNeedDrain = true;
    const probe = open('10.0.0.3');
    expect(probe.admitted).toBe(true);
    expect(stuck.socket.destroyed).toBe(true);
    expect(reading.socket.destroyed).toBe(false);
    expect(closed).toEqual(['evicted']);
  });
});

describe('ConnectionTable and clients that stop reading their answers', () => {
  it('adds up the answer bytes every connection holds', () => {
    const { table, open } = setup();
    const a = open('10.0.0.1');
    const b = open('10.0.0.2');
    a.socket.writableLength = 3000;
    b.socket.writableLength = 500;
    expect(table.pendingBytes()).toBe(3500);
    a.socket.destroy();
    expect(table.pendingBytes()).toBe(500);
  });

  it('drops those that have taken nothing for the grace, longest first, and never one that reads', () => {
    const { table, open, advance, closed } = setup({ total: 8, perClient: 8, graceMs: 1000, waitingMs: 60_000 });
    const oldest = open('10.0.0.1');
    const newer = open('10.0.0.2');
    const reader = open('10.0.0.3');
    const own = open('10.0.0.4');
    for (const c of [oldest, newer, reader, own]) {
      table.requestStarted(c.connection!);
      c.socket.writableLength = 4000;
    }
    advance(250); // all seen behind from here
    advance(250);
    newer.socket.writableLength = 4000; // unchanged: newer's client reads nothing
    advance(250);
    for (let i = 0; i < 4; i++) {
      reader.socket.writableLength -= 100; // it takes a little each time: it reads
      advance(250);
    }
    // Not yet: only `oldest`, `newer` and `own` have been behind for 1 s, and `own` is kept.
    expect(table.dropSlowReaders(4000, 1000, own.connection)).toBe(4000);
    expect(oldest.socket.destroyed).toBe(true);
    expect([newer, reader, own].map((c) => c.socket.destroyed)).toEqual([false, false, false]);
    expect(closed).toEqual(['slow_reader']);
    // Asked for more than the slow ones hold: all of them go, the reader and `own` stay.
    expect(table.dropSlowReaders(1_000_000, 1000, own.connection)).toBe(4000);
    expect([newer, reader, own].map((c) => c.socket.destroyed)).toEqual([true, false, false]);
    expect(table.pendingBytes()).toBe(3600 + 4000);
  });

  it('drops none before the grace', () => {
    const { table, open } = setup();
    const stuck = open('10.0.0.1');
    table.requestStarted(stuck.connection!);
    stuck.socket.writableLength = 4000;
    expect(table.dropSlowReaders(4000, 1000)).toBe(0);
    expect(stuck.socket.destroyed).toBe(false);
  });
});
