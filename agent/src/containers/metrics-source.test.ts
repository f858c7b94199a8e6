import { describe, expect, it } from 'vitest';

import type { CgroupSample } from '../cgroups/cgroup';
import { ioResource } from './metrics-source';

const sample = (limits: CgroupSample['limits']): CgroupSample => ({ oomKills: 0, pidsLimitHits: 0, limits });

describe('the io resource', () => {
  it('is reads and writes together, without a limit, when neither direction has one', () => {
    expect(ioResource({ ioReadBytesPerSecond: 100, ioWriteBytesPerSecond: 50 }, sample({}))).toEqual({
      type: 'io',
      usage: 150,
      limit: undefined,
    });
    expect(ioResource({}, sample({})).usage).toBeUndefined();
  });

  it('is the limited direction, usage and limit, so usage / limit is its utilization', () => {
    expect(ioResource({ ioReadBytesPerSecond: 900, ioWriteBytesPerSecond: 10 }, sample({ ioWriteBps: 1000 }))).toEqual({
      type: 'io',
      usage: 10,
      limit: 1000,
    });
  });

  it('is the direction nearest its limit when both have one', () => {
    const rates = { ioReadBytesPerSecond: 900, ioWriteBytesPerSecond: 500 };
    expect(ioResource(rates, sample({ ioReadBps: 10_000, ioWriteBps: 1000 }))).toEqual({
      type: 'io',
      usage: 500,
      limit: 1000,
    });
    expect(ioResource(rates, sample({ ioReadBps: 1000, ioWriteBps: 10_000 }))).toEqual({
      type: 'io',
      usage: 900,
      limit: 1000,
    });
  });
});
