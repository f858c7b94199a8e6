// The kernel keeps log2 histograms: bucket i counts values v (ns) with
// v <= base * 2^(step * i), the first such i; its last bucket is +Inf. The
// catalog's bounds are a subset of those bounds, so re-bucketing is exact:
// every kernel bucket lies wholly inside one catalog bucket.

export interface KernelHistogram {
  baseNs: number;
  /** 1 for powers of two, 2 for powers of four. */
  step: 1 | 2;
  /** Kernel buckets, the last one +Inf. */
  buckets: number;
}

/** Where each kernel bucket goes: the index of a catalog bound, or bounds.length for +Inf. */
export type FoldPlan = readonly number[];

const NS_PER_SECOND = 1e9;

function sameBound(ns: number, seconds: number): boolean {
  return Math.abs(ns - seconds * NS_PER_SECOND) <= 1e-6 * ns;
}

/**
 * Plans the fold of a kernel histogram into catalog bounds (seconds). Throws
 * if a catalog bound is not a kernel bound, since a kernel bucket straddling
 * it could not be split.
 */
export function planFold(kernel: KernelHistogram, bounds: readonly number[]): FoldPlan {
  const kernelBounds = Array.from({ length: kernel.buckets - 1 }, (_, i) => kernel.baseNs * 2 ** (kernel.step * i));
  for (const bound of bounds) {
    if (!kernelBounds.some((ns) => sameBound(ns, bound))) {
      throw new Error(
        `catalog bucket bound ${bound}s is not a bound of the kernel histogram (base ${kernel.baseNs} ns)`
      );
    }
  }
  const plan = kernelBounds.map((ns) => {
    const index = bounds.findIndex((bound) => ns <= bound * NS_PER_SECOND * (1 + 1e-6));
    return index < 0 ? bounds.length : index;
  });
  plan.push(bounds.length);
  return plan;
}

/** Cumulative counts per catalog bound (without +Inf) from kernel buckets starting at `offset`. */
export function foldBuckets(plan: FoldPlan, kernel: ArrayLike<number>, offset: number, bounds: number): number[] {
  const counts = new Array<number>(bounds + 1).fill(0);
  for (let i = 0; i < plan.length; i++) {
    counts[plan[i]] += kernel[offset + i];
  }
  for (let i = 1; i < counts.length; i++) {
    counts[i] += counts[i - 1];
  }
  return counts.slice(0, bounds);
}
