// Decision events from the broker addon into JavaScript. The addon wakes us
// when events wait; we take them in chunks of at most CHUNK events and give
// the event loop back between chunks (setImmediate), so however fast
// workloads decide, a scrape or a probe waits for one chunk at most. A chunk
// arrives as numbers and strings (agent/native/src/broker/events.cc says the
// layout) and becomes event objects here: building them in JavaScript costs
// a fraction of building them property by property through Node-API.
import type { NewDecisionEvent } from '../events/hub';
import type { BrokerAddon, EventLimits, NativeEventChunk, NativeEventDrops } from '../native/broker-addon';

/** Events taken and published before the event loop gets a turn. */
export const CHUNK = 512;

/** Numbers per event in a chunk; the order of events.cc. */
const FIELDS = 15;

export type EventBatchSink = (batch: NewDecisionEvent[]) => void;

/** Turns one chunk into events in the audit record's field order (the stream and API serialise them as they are). */
export function decodeEvents(chunk: NativeEventChunk): NewDecisionEvent[] {
  const f = chunk.fields;
  const s = chunk.strings.split('\0');
  const events: NewDecisionEvent[] = new Array(f.length / FIELDS);
  let lastMs = NaN;
  let lastTimestamp = '';
  for (let i = 0, b = 0; b < f.length; i++, b += FIELDS) {
    if (f[b] !== lastMs) {
      lastMs = f[b];
      lastTimestamp = new Date(lastMs).toISOString();
    }
    const args: Record<string, string | number> = {};
    if (f[b + 11] >= 0) {
      args.path = s[f[b + 11]];
    }
    if (f[b + 12] >= 0) {
      args.resolved = s[f[b + 12]];
    }
    if (f[b + 10] >= 0) {
      args.flags = s[f[b + 10]];
    }
    if (f[b + 13] >= 0) {
      args.address = s[f[b + 13]];
    }
    if (f[b + 8] >= 0) {
      args.rule = f[b + 8];
    }
    if (f[b + 14] >= 0) {
      args.note = s[f[b + 14]];
    }
    const event: NewDecisionEvent = {
      timestamp: lastTimestamp,
      event_type: 'syscall',
      container_id: s[f[b + 1]],
      syscall: s[f[b + 3]],
      args,
      decision: s[f[b + 4]] as NewDecisionEvent['decision'],
      latency_us: f[b + 6],
      layer: s[f[b + 5]] as NewDecisionEvent['layer'],
      pid: f[b + 7],
    };
    if (f[b + 2] >= 0) {
      event.profile = s[f[b + 2]];
    }
    if (f[b + 9] >= 0) {
      event.errno = f[b + 9];
    }
    events[i] = event;
  }
  return events;
}

/**
 * Receives the broker's decision events for this process (one sink per
 * process: installing it replaces any earlier one) and hands them to `sink`
 * in chunks.
 */
export class BrokerEvents {
  private scheduled = false;

  constructor(
    private readonly addon: BrokerAddon,
    private readonly sink: EventBatchSink,
    limits: EventLimits
  ) {
    addon.setEventSink(() => this.wake(), limits);
  }

  setLimits(limits: EventLimits): void {
    this.addon.setEventLimits(limits);
  }

  /** Events dropped per container since the previous call (rate limit, full queue). */
  takeDrops(): NativeEventDrops[] {
    return this.addon.takeEventDrops();
  }

  /** Publishes everything waiting now, without yielding (at shutdown, so the audit log gets it). */
  drainNow(): void {
    for (;;) {
      const chunk = this.addon.takeEvents(CHUNK);
      if (!chunk) {
        return;
      }
      this.sink(decodeEvents(chunk));
      if (!chunk.more) {
        return;
      }
    }
  }

  private wake(): void {
    // A drain already scheduled takes these events too.
    if (!this.scheduled) {
      this.drainChunk();
    }
  }

  private drainChunk(): void {
    this.scheduled = false;
    const chunk = this.addon.takeEvents(CHUNK);
    if (!chunk) {
      return;
    }
    try {
      this.sink(decodeEvents(chunk));
    } finally {
      // While events remain the addon does not wake us again: keep taking,
      // whatever the sink did.
      if (chunk.more) {
        this.scheduled = true;
        setImmediate(() => this.drainChunk());
      }
    }
  }
}
