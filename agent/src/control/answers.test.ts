// The control socket's answers against the response budget: sessions whose
// clients stopped reading make room, and a session that fills the budget
// itself is let go.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { expect, it } from 'vitest';

import { SessionAnswers } from './answers';

/** A socket whose client reads only when told to (flush). */
class Client extends EventEmitter {
  writableLength = 0;
  destroyed = false;
  private readonly written: Array<{ bytes: number; done: () => void }> = [];

  write(line: string, done: () => void): boolean {
    this.written.push({ bytes: Buffer.byteLength(line), done });
    this.writableLength += Buffer.byteLength(line);
    return true;
  }

  /** The client reads everything written so far. */
  flush(): void {
    for (const { bytes, done } of this.written.splice(0)) {
      this.writableLength -= bytes;
      done();
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.writableLength = 0;
    this.emit('close');
  }
}

function setup(limit: number) {
  let now = 0;
  const closed: string[] = [];
  const answers = new SessionAnswers(
    limit,
    (_socket, why) => closed.push(why),
    () => now
  );
  return {
    answers,
    closed,
    later: (ms: number) => (now += ms),
    client: () => new Client() as Client & Socket,
  };
}

it('closes a session whose client stopped reading to make room for one that reads', async () => {
  const { answers, later, client } = setup(1000);
  const stalled = client();
  const reader = client();
  expect(answers.write(stalled, 'x'.repeat(600))).toBe(true);
  later(1500);
  expect(answers.write(reader, 'y'.repeat(600))).toBe(true);
  expect(stalled.destroyed).toBe(true);
  expect(reader.destroyed).toBe(false);
  expect(answers.pendingBytes()).toBe(600);
  const counted = (await answers.collect()).get('zviz_control_response_budget_disconnects_total');
  expect(counted).toEqual([{ labels: {}, value: 1 }]);
});

it('gives a session that stopped reading a second before it is closed for room', () => {
  const { answers, later, client } = setup(1000);
  const recent = client();
  const other = client();
  answers.write(recent, 'x'.repeat(600));
  later(500);
  // No room, and the only other session's lines are half a second old: the
  // writer is the one let go.
  expect(answers.write(other, 'y'.repeat(600))).toBe(false);
  expect(recent.destroyed).toBe(false);
  expect(other.destroyed).toBe(true);
});

it('lets a client that reads go on for ever, and closes one that fills the budget itself', () => {
  const { answers, closed, client } = setup(1000);
  const reader = client();
  for (let i = 0; i < 100; i++) {
    expect(answers.write(reader, 'z'.repeat(300))).toBe(true);
    reader.flush();
  }
  const behind = client();
  expect(answers.write(behind, 'z'.repeat(400))).toBe(true);
  expect(answers.write(behind, 'z'.repeat(400))).toBe(true);
  expect(answers.write(behind, 'z'.repeat(400))).toBe(false);
  expect(behind.destroyed).toBe(true);
  expect(closed).toEqual([expect.stringMatching(/left earlier answers unread/)]);
});
