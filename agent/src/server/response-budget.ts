// How many answer bytes the HTTP server may hold for its clients at once,
// across all of them. An answer sits in the agent's memory until the kernel
// takes it, and the kernel takes it only as fast as its client reads: 100
// loopback clients that asked for 4 MB of decision events each and never read
// took the agent to 936 MiB, where a per-answer bound did nothing. So every
// answer is admitted against one budget (docs/agent.md, Limits and failure
// behaviour):
//
// - What counts is what is still held: the bytes every connection has
//   written and the kernel has not taken (connections.ts), so an answer
//   counts from the moment it is written until its client has read it, and
//   decision streams and error answers count too.
// - Room is made first at the cost of clients that stopped reading: a
//   connection whose answer has sat untaken for `slowReaderMs` is closed,
//   the one behind the longest first. A client that reads is never cut off
//   to make room.
// - What still does not fit gets 503 with Retry-After, before the answer is
//   built when the budget is already spent, and counted per route.
// - Priority: /metrics may use the whole budget, the other answers only
//   three quarters of it, so clients of the JSON API, however many, leave
//   room for Prometheus' scrape. Probes (/health, /ready: small answers
//   kubelet must get) are never refused.
// - An answer larger than its share on its own is sent only when nothing
//   else is held: memory stays within the larger of the budget and one
//   answer.
import type { Connection } from './connections';

/** Which share of the budget an answer may use. */
export type AnswerClass = 'scrape' | 'bulk' | 'probe';

/** Where answers are held: the HTTP server's connections, or the control socket's sessions. */
export interface PendingAnswers<Holder = Connection> {
  pendingBytes(): number;
  dropSlowReaders(bytes: number, graceMs: number, keep?: Holder): number;
}

/** metrics.response_budget_mb's default, for the HTTP server and the control socket alike. */
export const DEFAULT_RESPONSE_BUDGET_BYTES = 64 * 1024 * 1024;

/** The share of the budget answers other than /metrics may fill. */
const BULK_SHARE = 0.75;
/** How long an answer may sit untaken before its connection may be closed to make room. */
export const SLOW_READER_MS = 1000;

export class ResponseBudget<Holder = Connection> {
  constructor(
    private limitBytes: number,
    private readonly answers: PendingAnswers<Holder>,
    private readonly slowReaderMs = SLOW_READER_MS
  ) {}

  get limit(): number {
    return this.limitBytes;
  }

  configure(limitBytes: number): void {
    this.limitBytes = limitBytes;
  }

  /** Bytes held now for all clients. */
  held(): number {
    return this.answers.pendingBytes();
  }

  /**
   * Whether an answer of `bytes` (of `kind`, for the request on `own`) may be
   * written now. Closes connections of clients that stopped reading when
   * that makes it fit.
   */
  admit(bytes: number, kind: AnswerClass, own?: Holder): boolean {
    if (kind === 'probe') {
      return true;
    }
    const cap = kind === 'scrape' ? this.limitBytes : Math.floor(this.limitBytes * BULK_SHARE);
    const held = this.answers.pendingBytes();
    // One answer larger than the share goes out alone, or not at all.
    const need = bytes > cap ? held : held + bytes - cap;
    if (need <= 0) {
      return true;
    }
    this.answers.dropSlowReaders(need, this.slowReaderMs, own);
    const after = this.answers.pendingBytes();
    return bytes > cap ? after === 0 : after + bytes <= cap;
  }

  /** Whether there is room for anything at all: checked before an answer is built. */
  hasRoom(kind: AnswerClass, own?: Holder): boolean {
    return this.admit(1, kind, own);
  }
}
