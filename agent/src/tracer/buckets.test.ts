import { describe, expect, it } from 'vitest';

import { SYSCALL_LATENCY_BUCKETS, TRACE_LATENCY_BUCKETS } from '../metrics/catalog';
import { foldBuckets, planFold } from './buckets';

// The kernel's bucket index for a value, as tracer_common.bpf.h computes it.
function kernelBucket(valueNs: number, baseNs: number, step: 1 | 2, buckets: number): number {
  if (valueNs === 0) {
    return 0;
  }
  const q = Math.floor((valueNs - 1) / baseNs);
  const bits = q === 0 ? 0 : Math.floor(Math.log2(q)) + 1;
  const index = step === 2 ? Math.floor((bits + 1) / 2) : bits;
  return Math.min(index, buckets - 1);
}

describe('kernel histogram folding', () => {
  const trace = { baseNs: 100_000, step: 1 as const, buckets: 21 };
  const syscall = { baseNs: 1_000, step: 2 as const, buckets: 21 };

  it('maps each kernel bucket onto the catalog bucket with the same bound', () => {
    const plan = planFold(trace, TRACE_LATENCY_BUCKETS);
    expect(plan).toEqual([...Array.from({ length: 20 }, (_, i) => i), 20]);
  });

  it('puts syscall kernel buckets beyond the last catalog bound into +Inf', () => {
    const plan = planFold(syscall, SYSCALL_LATENCY_BUCKETS);
    expect(plan.slice(0, 14)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    expect(plan.slice(14)).toEqual(new Array(7).fill(14));
  });

  it('agrees with le semantics at every bound and just above it', () => {
    for (const [kernel, bounds] of [
      [trace, TRACE_LATENCY_BUCKETS],
      [syscall, SYSCALL_LATENCY_BUCKETS],
    ] as const) {
      const plan = planFold(kernel, bounds);
      for (const bound of bounds) {
        const ns = Math.round(bound * 1e9);
        for (const value of [ns, ns + 1]) {
          const counts = new Array(kernel.buckets).fill(0);
          counts[kernelBucket(value, kernel.baseNs, kernel.step, kernel.buckets)] = 1;
          const cumulative = foldBuckets(plan, counts, 0, bounds.length);
          const expected = bounds.map((b) => (value <= Math.round(b * 1e9) ? 1 : 0));
          expect(cumulative).toEqual(expected);
        }
      }
    }
  });

  it('refuses catalog bounds the kernel histogram cannot produce exactly', () => {
    expect(() => planFold(trace, [0.00015])).toThrow(/0.00015s is not a bound/);
  });

  it('reads kernel buckets at an offset and accumulates them', () => {
    const plan = planFold({ baseNs: 1e9, step: 1, buckets: 4 }, [1, 2]);
    expect(foldBuckets(plan, [9, 9, 3, 4, 5, 6], 2, 2)).toEqual([3, 7]);
  });
});
