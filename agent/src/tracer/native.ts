// Types of the zviz_tracer addon (agent/native/src/tracer/exports.cc).
import { loadAddon, type Loaded } from '../native/load';

export interface NativeTracerOptions {
  syscalls?: boolean;
  syscallLatency?: boolean;
  latencySampleShift?: number;
  fs?: boolean;
  dns?: boolean;
  tcpConnect?: boolean;
  tcpRtt?: boolean;
  network?: boolean;
  cpuBlock?: boolean;
  blockIo?: boolean;
  processName?: boolean;
  maxCgroups?: number;
  /** Traced-cgroup index entries in use (power of two, at most 4096); tests shrink it to force collisions. */
  indexSize?: number;
  maxStatsEntries?: number;
  maxPending?: number;
  maxBlockedThreads?: number;
  dnsTimeoutSeconds?: number;
  programStats?: boolean;
  tracepointOverrides?: Record<string, string>;
}

export interface NativeFamilyStatus {
  family: string;
  active: boolean;
  /** Why not active; for an active family, a note about a fallback in use (or empty). */
  reason: string;
}

export interface NativeStats {
  cgroupIds: BigUint64Array;
  metrics: Uint16Array;
  subs: Uint16Array;
  comms: string[];
  /** `width` numbers per entry: count, sum_ns, bytes, last_ns, last_at, then the kernel buckets. */
  values: Float64Array;
  width: number;
}

export interface NativeSnapshot {
  /** CLOCK_MONOTONIC nanoseconds, the clock of last_at. */
  takenAtNs: number;
  /**
   * syscallCounts and stats hold only the cgroups' counts and the entries that
   * changed since the previous read (their values whole, not differences).
   */
  changesOnly?: boolean;
  error?: string;
  syscallCounts: { cgroupId: bigint; calls: Float64Array }[];
  stats: NativeStats;
  /** Indexed family * lostReasons + reason. */
  lost: Float64Array;
  maps: { name: string; entries: number; capacity: number }[];
  programs: { program: string; runCount: number; runTimeNs: number }[];
  /**
   * Each shared map's quota (by enum zviz_quota_map): the share every traced
   * cgroup may always hold, the pool beyond the shares, and the pool in use.
   */
  quotas: { map: string; reserved: number; pool: number; pooled: number }[];
  /** Traced cgroups refused an insert for being over their share, by map (enum zviz_quota_map). */
  refusals: { cgroupId: bigint; refused: Float64Array }[];
}

export interface NativeTracer {
  start(): Promise<NativeFamilyStatus[]>;
  /** Throws when the tracer is full or not running. */
  trace(cgroupId: bigint): void;
  /** Resolves to an error message, or undefined. */
  untrace(cgroupId: bigint): Promise<string | undefined>;
  /** With changesOnly, only what changed since the previous read (of any kind). */
  read(options?: { changesOnly?: boolean }): Promise<NativeSnapshot>;
  /** Detach (false) or re-attach (true) every program, keeping programs, maps and traced cgroups. */
  setAttached(attached: boolean): void;
  stop(): void;
}

export interface TracerAddon {
  Tracer: new (options: NativeTracerOptions) => NativeTracer;
  syscallNames(): string[];
  abi: {
    histBuckets: number;
    baseNsTrace: number;
    baseNsSyscall: number;
    syscallSlots: number;
    lostReasons: number;
    quotaMaps: number;
    families: string[];
    metrics: Record<string, number>;
  };
}

export function loadTracerAddon(root?: string): Loaded<TracerAddon> {
  return loadAddon<TracerAddon>('zviz_tracer', root);
}
