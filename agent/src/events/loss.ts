// Decision events that did not reach the audit log or the stream, counted
// per container and reason: nothing is lost without a count, and the count
// says whose events they were (zviz_container_events_dropped_total). The
// same numbers tell /health whether events are being dropped now: the agent
// is degraded while they are, and for a short window after.
//
// Container ids are labels only up to a budget of containers, admitted in the
// order they first drop; past it, drops fold into container_id="other", as
// the tracer's capped families do. A removed container's series stay for two
// more scrapes (its final value is seen), then free their place.
import type { ComponentHealth } from '@zviz/shared/agent-api';

import type { FamilySamples, Labels, MetricSource, ValueSample } from '../metrics/source';

export const DROP_REASONS = ['rate_limit', 'queue_full', 'audit_queue_full'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What each reason means, for /health: where the limit is set. */
const REASON_TEXT: Record<DropReason, string> = {
  rate_limit: 'over the per-container event rate limit (broker.event_rate_limit, broker.event_burst)',
  queue_full: "the broker's event queue was full (broker.event_queue_size)",
  audit_queue_full: "the audit log's write queue was full (logging.audit.queue_size)",
};

/** /health says degraded until this long after the last drop. */
export const DEGRADED_WINDOW_MS = 10_000;
/** Containers exported by id; the rest fold into "other". */
export const DEFAULT_CONTAINER_SERIES = 1000;
const OTHER = 'other';
/** Scrapes a removed container's series stay for. */
const RETIRED_SCRAPES = 2;

interface Series {
  counts: Map<DropReason, { labels: Labels; value: number }>;
  /** Scrapes since the container was removed; undefined while it exists. */
  retiredScrapes?: number;
}

/** Drops within one second, for the window /health looks at. */
interface Second {
  second: number;
  counts: Map<DropReason, number>;
  containers: Map<DropReason, Set<string>>;
}

export class EventLoss implements MetricSource {
  readonly families = ['zviz_container_events_dropped_total'];
  private readonly series = new Map<string, Series>();
  /** Containers with series of their own (not "other"). */
  private named = 0;
  private readonly pollers = new Set<() => void>();
  private readonly recent: Second[] = [];

  constructor(
    private readonly containerSeries = DEFAULT_CONTAINER_SERIES,
    private readonly now: () => number = () => Date.now()
  ) {}

  /** Counts `count` events of a container dropped for `reason`. */
  add(container: string, reason: DropReason, count: number): void {
    if (!(count > 0)) {
      return;
    }
    const entry = this.entry(container);
    const cell = entry.counts.get(reason);
    if (cell) {
      cell.value += count;
    } else {
      entry.counts.set(reason, {
        labels: { container_id: this.series.get(container) === entry ? container : OTHER, reason },
        value: count,
      });
    }
    const second = Math.floor(this.now() / 1000);
    let bucket = this.recent.at(-1);
    if (!bucket || bucket.second !== second) {
      bucket = { second, counts: new Map(), containers: new Map() };
      this.recent.push(bucket);
    }
    bucket.counts.set(reason, (bucket.counts.get(reason) ?? 0) + count);
    let containers = bucket.containers.get(reason);
    if (!containers) {
      containers = new Set();
      bucket.containers.set(reason, containers);
    }
    containers.add(container);
  }

  /**
   * Adds a source of counts kept elsewhere (the broker's native counters),
   * asked before every scrape and health report, so both are current.
   */
  addPoller(poll: () => void): () => void {
    this.pollers.add(poll);
    return () => this.pollers.delete(poll);
  }

  /** The container is gone: its series stay for two more scrapes. */
  retire(container: string): void {
    const entry = this.series.get(container);
    if (entry && entry.retiredScrapes === undefined) {
      entry.retiredScrapes = 0;
    }
  }

  /** Drops in the last DEGRADED_WINDOW_MS: degraded with the counts, else ok. */
  health(): ComponentHealth {
    this.poll();
    const since = Math.floor((this.now() - DEGRADED_WINDOW_MS) / 1000);
    while (this.recent.length > 0 && this.recent[0].second < since) {
      this.recent.shift();
    }
    const totals = new Map<DropReason, { count: number; containers: Set<string> }>();
    for (const bucket of this.recent) {
      for (const [reason, count] of bucket.counts) {
        const total = totals.get(reason) ?? { count: 0, containers: new Set<string>() };
        total.count += count;
        bucket.containers.get(reason)?.forEach((c) => total.containers.add(c));
        totals.set(reason, total);
      }
    }
    if (totals.size === 0) {
      return { status: 'ok' };
    }
    // Counts only: /health answers without credentials and names no container.
    const parts = DROP_REASONS.filter((r) => totals.has(r)).map((reason) => {
      const { count, containers } = totals.get(reason)!;
      const whose = containers.size === 1 ? '1 container' : `${containers.size} containers`;
      return `${count.toLocaleString('en')} of ${whose} ${REASON_TEXT[reason]}`;
    });
    return {
      status: 'degraded',
      reason:
        `decision events dropped in the last ${DEGRADED_WINDOW_MS / 1000} s, so the audit log and the decision stream miss them: ` +
        `${parts.join('; ')}; zviz_container_events_dropped_total names the containers`,
      dropped: Object.fromEntries([...totals].map(([reason, t]) => [reason, t.count])),
    };
  }

  collect(): Map<string, FamilySamples> {
    this.poll();
    const samples: ValueSample[] = [];
    for (const [container, entry] of this.series) {
      for (const cell of entry.counts.values()) {
        samples.push(cell);
      }
      if (entry.retiredScrapes !== undefined && ++entry.retiredScrapes >= RETIRED_SCRAPES) {
        this.series.delete(container);
        this.named--;
      }
    }
    return new Map([['zviz_container_events_dropped_total', samples]]);
  }

  private poll(): void {
    for (const poll of this.pollers) {
      poll();
    }
  }

  private entry(container: string): Series {
    let entry = this.series.get(container);
    if (entry) {
      return entry;
    }
    if (this.named < this.containerSeries && container !== OTHER) {
      entry = { counts: new Map() };
      this.series.set(container, entry);
      this.named++;
      return entry;
    }
    entry = this.series.get(OTHER);
    if (!entry) {
      entry = { counts: new Map() };
      this.series.set(OTHER, entry);
    }
    return entry;
  }
}
