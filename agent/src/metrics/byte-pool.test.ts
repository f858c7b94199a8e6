import { describe, expect, it } from 'vitest';

import { BytePool, MAX_FREE_BODY_BYTES, SLAB_BYTES } from './byte-pool';

const MiB = 1024 * 1024;

describe('BytePool', () => {
  it('hands a given-back slab out again, and makes a larger one for a line that needs it (never kept)', () => {
    const pool = new BytePool();
    const slab = pool.takeSlab();
    expect(slab.length).toBe(SLAB_BYTES);
    pool.giveSlab(slab);
    expect(pool.takeSlab() === slab).toBe(true);
    const large = pool.takeSlab(SLAB_BYTES * 3);
    expect(large.length).toBe(SLAB_BYTES * 3);
    pool.giveSlab(large);
    expect(pool.freeBytes).toBe(0);
    expect(pool.allocatedBytes).toBe(SLAB_BYTES * 4);
  });

  it('reuses the smallest kept body that fits, with room to grow, and drops one far too large for what is asked', () => {
    const pool = new BytePool();
    const first = pool.takeBody(1000 * 1024);
    expect(first.length).toBe(1000 * 1024);
    // Made with headroom: a slightly larger exposition fits the same bytes.
    expect(first.buffer.byteLength).toBeGreaterThanOrEqual(1.25 * 1000 * 1024);
    pool.giveBody(first);
    const again = pool.takeBody(1100 * 1024);
    expect(again.buffer === first.buffer).toBe(true);
    expect(again.length).toBe(1100 * 1024);
    pool.giveBody(again);
    pool.giveBody(again); // twice is once
    expect(pool.freeBytes).toBe(first.buffer.byteLength);
    // Kept, but not handed out for a tiny exposition it would waste.
    const tiny = pool.takeBody(10 * 1024);
    expect(tiny.buffer === first.buffer).toBe(false);
    expect(pool.freeBytes).toBe(first.buffer.byteLength);
  });

  it('keeps at most three free bodies and MAX_FREE_BODY_BYTES of them, the largest first', () => {
    const pool = new BytePool();
    const bodies = [1, 2, 3, 4].map((mib) => pool.takeBody(mib * MiB));
    bodies.forEach((body) => pool.giveBody(body));
    const sizes = (bodies: Buffer[]) => bodies.map((b) => b.buffer.byteLength);
    const kept = sizes(bodies.slice(1)).reduce((a, b) => a + b, 0);
    expect(pool.freeBytes).toBe(kept);
    const huge = [20, 20].map((mib) => pool.takeBody(mib * MiB));
    huge.forEach((body) => pool.giveBody(body));
    expect(pool.freeBytes).toBeLessThanOrEqual(MAX_FREE_BODY_BYTES);
    // One of the 20 MiB bodies (25 MiB with headroom) and what fits beside it.
    expect(pool.freeBytes).toBeGreaterThanOrEqual(huge[0].buffer.byteLength);
  });
});
