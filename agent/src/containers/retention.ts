// What is left of a removed container for the metrics: its final counters
// and state, kept for a while after its cgroup is gone. A job shorter than
// Prometheus' scrape interval would otherwise never be scraped, and the last
// increments of a longer one would be lost; kept for long enough for two
// scrapes, both see its final values (docs/metrics.md, "Ended containers").
import type { ContainerState } from '@zviz/shared/agent-api';

import type { CgroupSample } from '../cgroups/cgroup';

export interface RetiredContainer {
  id: string;
  name: string;
  profileName: string;
  /** The state it ended in (exited, failed). */
  state: ContainerState;
  restarts: number;
  /** Exit code of its last run, when one ended. */
  exitCode?: number;
  /** The cgroup's counters read just before it was removed. */
  sample: CgroupSample;
  retiredAt: number;
}

/**
 * Keeps retired containers for `retentionMs`, then drops them and calls
 * `onExpired`. A retention of 0 drops them at once (and still calls it).
 */
export class RetiredContainers {
  private readonly kept = new Map<string, { record: RetiredContainer; timer?: NodeJS.Timeout }>();

  constructor(
    private retentionMs: number,
    private readonly onExpired: (id: string) => void
  ) {}

  get retention(): number {
    return this.retentionMs;
  }

  /** A new retention applies to containers retired from now on. */
  setRetention(ms: number): void {
    this.retentionMs = ms;
  }

  add(record: RetiredContainer): void {
    this.drop(record.id);
    if (this.retentionMs <= 0) {
      this.onExpired(record.id);
      return;
    }
    const timer = setTimeout(() => this.expire(record.id), this.retentionMs);
    // Never what keeps a process alive: a stopping agent expires them all itself.
    timer.unref();
    this.kept.set(record.id, { record, timer });
  }

  list(): RetiredContainer[] {
    return [...this.kept.values()].map((k) => k.record);
  }

  /** Expires everything now (the agent is stopping). */
  expireAll(): void {
    for (const id of [...this.kept.keys()]) {
      this.expire(id);
    }
  }

  private expire(id: string): void {
    if (this.drop(id)) {
      this.onExpired(id);
    }
  }

  private drop(id: string): boolean {
    const entry = this.kept.get(id);
    if (!entry) {
      return false;
    }
    clearTimeout(entry.timer);
    this.kept.delete(id);
    return true;
  }
}
