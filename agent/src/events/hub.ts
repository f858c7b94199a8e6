// Where decision events enter the agent's JavaScript side. The broker hands
// over batches (never single syscalls); the hub numbers them, keeps the
// newest in a bounded ring for /api/v1/decisions and stream resumes, and
// passes each batch to its subscribers (the audit log, the stream). Nothing
// here blocks or grows without bound. Events that never made it this far, or
// that a subscriber had to drop, are counted in `loss`.
import type { DecisionEvent, DecisionsResponse } from '@zviz/shared/agent-api';

import type { FamilySamples, MetricSource } from '../metrics/source';
import { isUnfiltered, matches, type DecisionFilter } from './filter';
import { EventLoss } from './loss';

/** An event as the broker produces it; the hub assigns `seq`. */
export type NewDecisionEvent = Omit<DecisionEvent, 'seq'>;

export type Subscriber = (events: readonly DecisionEvent[]) => void;

export interface DecisionQuery {
  /** Only events after this sequence number; absent: the newest `limit` events. */
  since?: number;
  filter?: DecisionFilter;
  limit: number;
}

export class EventHub implements MetricSource {
  readonly families = ['zviz_audit_events_total'];
  /** Events dropped on their way, per container and reason (a metric source of its own). */
  readonly loss = new EventLoss();
  private ring: Array<DecisionEvent | undefined>;
  private seq = 0;
  private readonly subscribers = new Set<Subscriber>();
  /** Events by type; `syscall`, the one type the broker produces, counts from 0. */
  private readonly byType = new Map<string, number>([['syscall', 0]]);

  constructor(
    capacity: number,
    private readonly onSubscriberError: (error: unknown) => void = () => undefined
  ) {
    this.ring = new Array<DecisionEvent | undefined>(capacity);
  }

  get capacity(): number {
    return this.ring.length;
  }

  /** Sequence number of the newest event; 0 before the first. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Sequence number of the oldest event still in the ring. */
  get oldestSeq(): number {
    return Math.max(1, this.seq - this.ring.length + 1);
  }

  /**
   * Numbers the events (in place: they become DecisionEvents), stores them
   * and hands them to every subscriber. A failing subscriber is reported and
   * does not stop the others.
   */
  publish(batch: readonly NewDecisionEvent[]): void {
    if (batch.length === 0) {
      return;
    }
    const events = batch as DecisionEvent[];
    const size = this.ring.length;
    for (const event of events) {
      event.seq = ++this.seq;
      this.ring[(event.seq - 1) % size] = event;
      this.byType.set(event.event_type, (this.byType.get(event.event_type) ?? 0) + 1);
    }
    for (const subscriber of this.subscribers) {
      try {
        subscriber(events);
      } catch (error) {
        this.onSubscriberError(error);
      }
    }
  }

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Changes the ring's capacity, keeping the newest events that fit. */
  resize(capacity: number): void {
    if (capacity === this.ring.length) {
      return;
    }
    const ring = new Array<DecisionEvent | undefined>(capacity);
    for (let s = Math.max(this.oldestSeq, this.seq - capacity + 1); s <= this.seq; s++) {
      ring[(s - 1) % capacity] = this.at(s);
    }
    this.ring = ring;
  }

  query({ since, filter = {}, limit }: DecisionQuery): DecisionsResponse {
    const events: DecisionEvent[] = [];
    const oldest = this.oldestSeq;
    const all = isUnfiltered(filter);
    if (since === undefined) {
      for (let s = this.seq; s >= oldest && events.length < limit; s--) {
        const event = this.at(s);
        if (event && (all || matches(filter, event))) {
          events.push(event);
        }
      }
      return { events: events.reverse(), next: this.seq, missed: 0 };
    }
    // A `since` ahead of the newest event comes from before an agent restart
    // (numbering starts again at 1): start over from the oldest event.
    const after = since > this.seq ? 0 : since;
    const start = Math.max(after + 1, oldest);
    const missed = this.seq === 0 ? 0 : Math.max(0, oldest - (after + 1));
    let next = this.seq;
    for (let s = start; s <= this.seq; s++) {
      const event = this.at(s);
      if (event && (all || matches(filter, event))) {
        events.push(event);
        if (events.length >= limit) {
          next = s;
          break;
        }
      }
    }
    return { events, next, missed };
  }

  collect(): Map<string, FamilySamples> {
    const samples = [...this.byType].map(([event_type, value]) => ({ labels: { event_type }, value }));
    return new Map([['zviz_audit_events_total', samples]]);
  }

  private at(seq: number): DecisionEvent | undefined {
    const event = this.ring[(seq - 1) % this.ring.length];
    return event?.seq === seq ? event : undefined;
  }
}
