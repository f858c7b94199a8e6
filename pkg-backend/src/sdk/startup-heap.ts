// What start-up and the warm-up leave in V8's heap — the young generation's
// second semi-space, the warm-up's garbage spread over the old space's pages:
// some 2 to 3 MiB of an idle plugin — stays resident until V8 runs a
// collection flagged to reduce memory, which uncommits the idle semi-space
// and compacts the old space. V8's memory reducer runs one once the process
// looks idle, but its timer is set during start-up for 8 s later, and
// neither that delay (set by then, and a V8 flag that would also make Node
// compile its built-ins without their code cache) nor a collection of that
// kind (Node 20 offers `gc()` without it) is within a plugin's reach.
//
// What is: V8 starts a collection of its own when the memory held outside
// its heap (ArrayBuffers, Buffers) grows past 64 MiB, and flags it to reduce
// memory when it is told to favour memory over speed (`--optimize-for-size`,
// settable at run time). So once the warm-up is done, this module sets that
// flag, takes a 65 MiB buffer that is never written (address space only:
// malloc maps it and no page of it is ever touched) and drops it, twice, and
// clears the flag again after the two collections that follow (or after
// RELEASE_TIMEOUT_MS): the flag also slows the heap's growth and TurboFan's
// inlining, which a plugin under load does not want.
// docs/benchmarks.md ("Beside a Go plugin") has the figures.
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { cachedDataVersionTag, setFlagsFromString } from 'node:v8';

/** Above V8's external memory limit before its first full collection (64 MiB, kExternalAllocationSoftLimit). */
const EXTERNAL_BYTES = 65 * 1024 * 1024;

/** How long the flag may stay set if no full collection comes. */
export const RELEASE_TIMEOUT_MS = 2000;

export interface HeapRelease {
  /** Full collections that ran while the flag was set (COLLECTIONS unless the timeout came first). */
  collections: number;
  /** Their duration in ms, as Node's GC observer reports it. */
  ms: number;
  /** Whether V8's flags are as they were before (false: code caches made now would not fit a fresh start). */
  flagsRestored: boolean;
  /** Why the buffer could not be allocated, if it could not (then fewer collections ran). */
  error?: string;
}

/**
 * Collections asked for, one after the other, as V8's memory reducer runs
 * two: after one alone the young generation kept 1,024 KiB resident and the
 * old space 7.5 MiB, after two 268 KiB and 6.9 MiB (docs/benchmarks.md).
 */
const COLLECTIONS = 2;

let releasing = false;

/**
 * Allocates what V8 counts against its external limit at allocation, which
 * starts a collection that frees it. Uninitialised: nothing writes it, so
 * none of its pages is ever resident. Node's `Buffer.allocUnsafeSlow` unless
 * a test gives another.
 */
export type ExternalAllocator = (bytes: number) => unknown;

/**
 * Has V8 run COLLECTIONS full collections that reduce memory, and resolves
 * once they ran or RELEASE_TIMEOUT_MS passed. A call while one is under way
 * resolves with no collection and does nothing; so does one whose
 * allocation fails (address space limited, overcommit refused), which it
 * reports in `error`. Never rejects.
 */
export function releaseStartupHeap(
  timeoutMs = RELEASE_TIMEOUT_MS,
  allocate: ExternalAllocator = (bytes) => Buffer.allocUnsafeSlow(bytes)
): Promise<HeapRelease> {
  if (releasing) {
    return Promise.resolve({ collections: 0, ms: 0, flagsRestored: true });
  }
  releasing = true;
  return new Promise((resolve) => {
    // Never set past the window, not even at exit: the build's training run
    // writes its code cache then (scripts/sea-main.cjs), which V8 stamps
    // with the flags of that moment and refuses under any others. Setting
    // the flag also set the one it implies (a 1 MiB semi-space limit, which
    // only counts when the heap is made); cachedDataVersionTag(), a hash of
    // V8's version and flags, says whether all are back as they were.
    const tag = cachedDataVersionTag();
    const clear = () => {
      setFlagsFromString('--no-optimize-for-size');
      setFlagsFromString('--max-semi-space-size=0');
    };
    let collections = 0;
    let ms = 0;
    let error: string | undefined;
    let finished = false;
    const done = () => {
      if (finished) {
        return;
      }
      finished = true;
      observer.disconnect();
      clearTimeout(timer);
      process.off('exit', clear);
      clear();
      releasing = false;
      resolve({
        collections,
        ms: Math.round(ms * 10) / 10,
        flagsRestored: cachedDataVersionTag() === tag,
        ...(error === undefined ? {} : { error }),
      });
    };
    /** False (and done) when the allocation failed. */
    const pressExternalLimit = (): boolean => {
      try {
        allocate(EXTERNAL_BYTES);
        return true;
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
        done();
        return false;
      }
    };
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) {
          continue;
        }
        collections++;
        ms += entry.duration;
        if (collections >= COLLECTIONS || !pressExternalLimit()) {
          done();
          return;
        }
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    process.prependListener('exit', clear);
    setFlagsFromString('--optimize-for-size');
    pressExternalLimit();
  });
}
