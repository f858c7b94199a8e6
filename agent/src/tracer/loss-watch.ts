// Whether the tracer has been losing events for want of map room, and whose:
// /health says degraded while it does (and for a window after the last
// loss), naming the container over its share and what to change. Queries
// never answered (`expired`) are the workload's business, not the tracer's,
// and leave it healthy.
import { LOST_REASONS, QUOTA_MAPS, TRACER_FAMILIES } from './families';
import type { NativeSnapshot } from './native';

/** /health stays degraded this long after the last read that saw a loss. */
export const LOSS_WINDOW_MS = 60_000;

/** Where each shared map's size is configured. */
const SIZE_KEY: Record<(typeof QUOTA_MAPS)[number], string> = {
  stats: 'tracer.map_sizes.stats',
  dns_pending: 'tracer.map_sizes.pending',
  connecting: 'tracer.map_sizes.pending',
  blocked: 'tracer.map_sizes.blocked_threads',
  requests: 'tracer.map_sizes.pending',
};

export interface LossReport {
  /** When the last loss was seen (ms since the epoch). */
  at: number;
  reason: string;
  /** Refused inserts per container and map, in the read that saw the loss. */
  over_share: Array<{ container_id: string; map: string; refused: number; reserved: number }>;
}

export class LossWatch {
  private lost?: Float64Array;
  private refused = new Map<bigint, Float64Array>();
  private last?: LossReport;

  /** Compares a read's totals with the previous read's. */
  observe(snapshot: NativeSnapshot, containerOf: (cgroup: bigint) => string | undefined, now = Date.now()): void {
    // The kernel's counters start at zero with the programs: so does the first comparison.
    const before = this.lost ?? new Float64Array(snapshot.lost.length);
    this.lost = Float64Array.from(snapshot.lost);
    const refusedBefore = this.refused;
    this.refused = new Map((snapshot.refusals ?? []).map((r) => [r.cgroupId, Float64Array.from(r.refused)]));
    const full: string[] = [];
    let quotaLost = 0;
    TRACER_FAMILIES.forEach((family, f) => {
      for (const reason of ['map_full', 'quota'] as const) {
        const i = f * LOST_REASONS.length + LOST_REASONS.indexOf(reason);
        const delta = (snapshot.lost[i] ?? 0) - (before[i] ?? 0);
        if (delta > 0 && reason === 'map_full') {
          full.push(`${family} ${delta}`);
        } else if (delta > 0) {
          quotaLost += delta;
        }
      }
    });
    const overShare: LossReport['over_share'] = [];
    for (const [cgroup, refused] of this.refused) {
      const container = containerOf(cgroup);
      const previous = refusedBefore.get(cgroup);
      QUOTA_MAPS.forEach((map, q) => {
        const delta = refused[q] - (previous?.[q] ?? 0);
        if (container !== undefined && delta > 0) {
          const reserved = snapshot.quotas?.find((quota) => quota.map === map)?.reserved ?? 0;
          overShare.push({ container_id: container, map, refused: delta, reserved });
        }
      });
    }
    if (full.length === 0 && quotaLost === 0) {
      return;
    }
    const parts: string[] = [];
    if (overShare.length > 0) {
      overShare.sort((a, b) => b.refused - a.refused);
      const named = overShare
        .slice(0, 3)
        .map(
          (o) =>
            `container ${o.container_id} was refused ${o.refused} ${o.map} entries beyond its share of ${o.reserved}`
        )
        .join('; ');
      const maps = [...new Set(overShare.map((o) => SIZE_KEY[o.map as (typeof QUOTA_MAPS)[number]]))].join(', ');
      parts.push(
        `${named}${overShare.length > 3 ? ` (and ${overShare.length - 3} more)` : ''}: the shared pool is spent, ` +
          `so those containers' own events beyond their share are not recorded (other containers keep their shares); ` +
          `look at what they do, or raise ${maps}`
      );
    }
    if (full.length > 0) {
      parts.push(`tracer maps full, events lost: ${full.join(', ')} (raise tracer.map_sizes)`);
    }
    this.last = { at: now, reason: parts.join('; '), over_share: overShare };
  }

  /** The latest loss, while it is within the window. */
  recent(now = Date.now()): LossReport | undefined {
    return this.last && now - this.last.at < LOSS_WINDOW_MS ? this.last : undefined;
  }
}
