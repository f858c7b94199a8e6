// What the control socket has written to its clients and they have not read,
// held against the response budget as the HTTP server's answers are
// (server/response-budget.ts, docs/agent.md, Response budget).
//
// A session's answers are progress lines (started, exit, restarting, done),
// and a container that fails and restarts for ever sends them for ever, each
// `exit` naming the command that failed, up to the size of a request: a
// client that asked for such a run and never reads made the agent hold every
// line it was sent, without bound. Now a line is written only when it fits
// the budget, after closing the sessions whose clients have left lines
// unread for a second; a session whose own line still does not fit is
// closed (its client is the one behind). Closing a session stops its
// container, as the client closing it does.
import type { Socket } from 'node:net';

import type { FamilySamples, MetricSource } from '../metrics/source';
import { ResponseBudget, SLOW_READER_MS, type PendingAnswers } from '../server/response-budget';

interface Session {
  /** When each line not yet taken by the kernel was written (performance.now()), oldest first. */
  readonly unread: number[];
}

export class SessionAnswers implements PendingAnswers<Socket>, MetricSource {
  readonly families = ['zviz_control_response_pending_bytes', 'zviz_control_response_budget_disconnects_total'];
  private readonly sessions = new Map<Socket, Session>();
  private readonly budget: ResponseBudget<Socket>;
  private disconnects = 0;

  constructor(
    limitBytes: number,
    private readonly onDisconnect: (socket: Socket, why: string) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
    slowReaderMs = SLOW_READER_MS
  ) {
    this.budget = new ResponseBudget<Socket>(limitBytes, this, slowReaderMs);
  }

  configure(limitBytes: number): void {
    this.budget.configure(limitBytes);
  }

  /**
   * Writes `line` to the session's client if the budget has room for it
   * (closing the sessions of clients that stopped reading to make some);
   * otherwise closes the session. False when it was closed.
   */
  write(socket: Socket, line: string): boolean {
    if (socket.destroyed) {
      return false;
    }
    let session = this.sessions.get(socket);
    if (!session) {
      session = { unread: [] };
      this.sessions.set(socket, session);
      socket.once('close', () => this.sessions.delete(socket));
    }
    // The whole budget: the control socket's answers have a budget of their own.
    if (!this.budget.admit(Buffer.byteLength(line), 'scrape', socket)) {
      this.disconnect(socket, 'its client has left earlier answers unread and the response budget has no room');
      return false;
    }
    const unread = session.unread;
    unread.push(this.now());
    socket.write(line, () => unread.shift());
    return true;
  }

  pendingBytes(): number {
    let bytes = 0;
    for (const socket of this.sessions.keys()) {
      bytes += socket.destroyed ? 0 : socket.writableLength;
    }
    return bytes;
  }

  dropSlowReaders(bytes: number, graceMs: number, keep?: Socket): number {
    const now = this.now();
    const slow = [...this.sessions]
      .filter(
        ([socket, s]) => socket !== keep && !socket.destroyed && s.unread.length > 0 && now - s.unread[0] >= graceMs
      )
      .sort(([, a], [, b]) => a.unread[0] - b.unread[0]);
    let freed = 0;
    for (const [socket] of slow) {
      if (freed >= bytes) {
        break;
      }
      freed += socket.writableLength;
      this.disconnect(socket, 'its client has left answers unread while the response budget needed the room');
    }
    return freed;
  }

  collect(): Map<string, FamilySamples> {
    return new Map([
      ['zviz_control_response_pending_bytes', [{ labels: {}, value: this.pendingBytes() }]],
      ['zviz_control_response_budget_disconnects_total', [{ labels: {}, value: this.disconnects }]],
    ]);
  }

  private disconnect(socket: Socket, why: string): void {
    this.disconnects++;
    this.sessions.delete(socket);
    this.onDisconnect(socket, why);
    socket.destroy();
  }
}
