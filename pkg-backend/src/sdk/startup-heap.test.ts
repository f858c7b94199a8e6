// The start-up heap release: two full collections that reduce memory (the
// young generation's idle semi-space uncommitted), with V8's flags back as
// they were afterwards, so a code cache made later still fits a fresh start.
import { cachedDataVersionTag, getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';

import { releaseStartupHeap } from './startup-heap';

function newSpaceCommitted(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;
}

/** Young garbage: enough to go through several scavenges, so both semi-spaces are in use. */
function churn(): number {
  let sum = 0;
  for (let i = 0; i < 200_000; i++) {
    sum += [i, { i, s: `n${i}` }].length;
  }
  return sum;
}

describe('releaseStartupHeap', () => {
  it('has V8 run two full collections that give back the idle semi-space, and leaves the flags as they were', async () => {
    const tag = cachedDataVersionTag();
    churn();
    const before = newSpaceCommitted();
    const released = await releaseStartupHeap();
    expect(released.collections).toBe(2);
    expect(released.ms).toBeGreaterThan(0);
    expect(released.flagsRestored).toBe(true);
    expect(cachedDataVersionTag()).toBe(tag);
    // A collection that does not reduce memory leaves both semi-spaces committed.
    expect(newSpaceCommitted()).toBeLessThan(before);
  });

  it('says so and leaves the flags as they were when the buffer cannot be allocated, first or second', async () => {
    const tag = cachedDataVersionTag();
    const refuse = () => {
      throw new RangeError('Array buffer allocation failed');
    };
    expect(await releaseStartupHeap(2000, refuse)).toEqual({
      collections: 0,
      ms: 0,
      flagsRestored: true,
      error: 'Array buffer allocation failed',
    });
    expect(cachedDataVersionTag()).toBe(tag);
    let calls = 0;
    const refuseSecond = (bytes: number) => {
      if (++calls > 1) {
        refuse();
      }
      return Buffer.allocUnsafeSlow(bytes);
    };
    const second = await releaseStartupHeap(2000, refuseSecond);
    expect(second.collections).toBe(1);
    expect(second.error).toBe('Array buffer allocation failed');
    expect(second.flagsRestored).toBe(true);
    expect(cachedDataVersionTag()).toBe(tag);
    // And a release after them works as ever.
    expect((await releaseStartupHeap()).collections).toBe(2);
  });

  it('does nothing for a second call while one is under way', async () => {
    const first = releaseStartupHeap();
    const second = await releaseStartupHeap();
    expect(second).toEqual({ collections: 0, ms: 0, flagsRestored: true });
    expect((await first).collections).toBe(2);
  });
});
