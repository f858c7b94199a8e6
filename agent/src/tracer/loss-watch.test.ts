import { describe, expect, it } from 'vitest';

import { LOST_REASONS, TRACER_FAMILIES } from './families';
import { LOSS_WINDOW_MS, LossWatch } from './loss-watch';
import type { NativeSnapshot } from './native';

function read(
  lost: Partial<Record<string, number>>,
  refusals: Array<[bigint, number[]]> = []
): Pick<NativeSnapshot, 'lost' | 'refusals' | 'quotas'> {
  const totals = new Float64Array(TRACER_FAMILIES.length * LOST_REASONS.length);
  for (const [key, value] of Object.entries(lost)) {
    const [family, reason] = key.split('/');
    totals[TRACER_FAMILIES.indexOf(family as never) * LOST_REASONS.length + LOST_REASONS.indexOf(reason as never)] =
      value!;
  }
  return {
    lost: totals,
    refusals: refusals.map(([cgroupId, refused]) => ({ cgroupId, refused: Float64Array.from(refused) })),
    quotas: [{ map: 'dns_pending', reserved: 16, pool: 4096, pooled: 4096 }],
  };
}

const containers = (cgroup: bigint) => (cgroup === 7n ? 'flooder' : undefined);

describe('LossWatch', () => {
  it('names the container over its share, the map and the setting, while losses are recent', () => {
    const watch = new LossWatch();
    watch.observe(read({}) as NativeSnapshot, containers, 1_000);
    expect(watch.recent(1_000)).toBeUndefined();

    watch.observe(read({ 'dns/quota': 300 }, [[7n, [0, 300, 0, 0, 0]]]) as NativeSnapshot, containers, 2_000);
    const report = watch.recent(2_000);
    expect(report?.over_share).toEqual([{ container_id: 'flooder', map: 'dns_pending', refused: 300, reserved: 16 }]);
    expect(report?.reason).toContain('container flooder was refused 300 dns_pending entries beyond its share of 16');
    expect(report?.reason).toContain('tracer.map_sizes.pending');

    // Nothing new: the report stays for the window, then goes.
    watch.observe(read({ 'dns/quota': 300 }, [[7n, [0, 300, 0, 0, 0]]]) as NativeSnapshot, containers, 3_000);
    expect(watch.recent(2_000 + LOSS_WINDOW_MS - 1)).toBeDefined();
    expect(watch.recent(2_000 + LOSS_WINDOW_MS)).toBeUndefined();
  });

  it('reports a full map, counts losses seen before the first read, and leaves unanswered queries alone', () => {
    const watch = new LossWatch();
    watch.observe(read({ 'dns/expired': 50 }) as NativeSnapshot, containers, 1_000);
    expect(watch.recent(1_000)).toBeUndefined();
    watch.observe(read({ 'dns/expired': 90, 'cpu_block/map_full': 12 }) as NativeSnapshot, containers, 2_000);
    expect(watch.recent(2_000)?.reason).toBe('tracer maps full, events lost: cpu_block 12 (raise tracer.map_sizes)');

    const fresh = new LossWatch();
    fresh.observe(read({ 'syscalls/map_full': 4 }) as NativeSnapshot, containers, 1_000);
    expect(fresh.recent(1_000)?.reason).toContain('syscalls 4');
  });
});
