// releaseFreeMemory: heap memory freed in the middle of the heap (where
// glibc never trims by itself) goes back to the kernel.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

import { requireBrokerAddon } from './broker-addon';

const rssKiB = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

describe('releaseFreeMemory', () => {
  it('returns heap pages freed between live allocations to the kernel', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // 100 KB each: below glibc's mmap threshold, so they come from the heap; every other
    // one is freed, leaving holes no trim of the heap's top can reach.
    const buffers: Array<Buffer | undefined> = Array.from({ length: 1600 }, () => Buffer.alloc(100_000, 1));
    for (let i = 0; i < buffers.length; i += 2) {
      buffers[i] = undefined;
    }
    gc();
    await new Promise((resolve) => setTimeout(resolve, 200)); // backing stores are freed by V8's sweeper
    gc();
    const before = rssKiB();
    expect(await requireBrokerAddon().releaseFreeMemory()).toBe(true);
    const after = rssKiB();
    // About 80 MB were freed; most of it must have left.
    expect(before - after).toBeGreaterThan(40_000);
    expect(buffers[1]!.readUInt8(99_999)).toBe(1);
  });
});
