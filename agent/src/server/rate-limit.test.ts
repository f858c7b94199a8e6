// Token buckets on a clock the test moves.
import { describe, expect, it } from 'vitest';

import { ClientBuckets, TokenBucket } from './rate-limit';

function clock() {
  let now = 0;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

describe('TokenBucket', () => {
  it('spends the burst, then refills at the rate; wait() takes nothing', () => {
    const { now, advance } = clock();
    const bucket = new TokenBucket({ rps: 2, burst: 3 }, now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0, 1]);
    advance(0.5);
    expect(bucket.wait()).toBe(0);
    expect(bucket.wait()).toBe(0);
    expect(bucket.take()).toBe(0);
    expect(bucket.take(2)).toBe(1);
    advance(1);
    expect(bucket.take(2)).toBe(0);
  });

  it('is off at rps 0', () => {
    const bucket = new TokenBucket({ rps: 0, burst: 1 });
    expect(Array.from({ length: 100 }, () => bucket.take())).toEqual(Array(100).fill(0));
  });
});

describe('ClientBuckets', () => {
  it('gives each client its own budget', () => {
    const { now } = clock();
    const buckets = new ClientBuckets({ rps: 1, burst: 2 }, 100, now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 1]);
    expect(buckets.wait('b')).toBe(0);
    expect([buckets.take('b'), buckets.take('b'), buckets.take('b')]).toEqual([0, 0, 1]);
  });

  it('keeps at most maxClients buckets, dropping the least recently used', () => {
    const { now } = clock();
    const buckets = new ClientBuckets({ rps: 1, burst: 1 }, 2, now);
    buckets.take('a');
    buckets.take('b');
    buckets.take('a');
    buckets.take('c');
    expect(buckets.size).toBe(2);
    // b was dropped (a was used after it) and starts full again; c was kept and is still empty.
    expect(buckets.take('b')).toBe(0);
    expect(buckets.take('c')).toBeGreaterThan(0);
  });
});
