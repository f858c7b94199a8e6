// A read of the tracer's maps made into rendered exposition lines, on
// whichever thread runs it. At a thousand containers this is most of a
// scrape's cost (some 40,000 rows shaped, most of them folded into `other`,
// and 10,000 histogram series rendered: tens of milliseconds), so the agent
// runs it on a worker thread (shaping-worker.ts) and the main thread only
// places the bytes (docs/benchmarks.md, "A thousand containers on one node").
// The series caps and the rows' identities live here, with the thread that
// shapes.
import { CATALOG_BY_NAME } from '../metrics/catalog';
import { compileFamily, renderSamples, type CompiledFamily } from '../metrics/render';
import type { RenderedSamples } from '../metrics/source';
import type { TracerConfig } from './config';
import type { TracerFamily } from './families';
import { TracerMetrics, type FamilyState, type KernelGeometry } from './metrics';
import type { NativeSnapshot } from './native';

/** What does not change while the programs stay loaded. */
export interface ShaperSetup {
  config: TracerConfig;
  geometry: KernelGeometry;
  syscallNames: readonly string[];
}

/** One read and what it is shaped with, as the main thread knows it at that moment. */
export interface ShapeRequest {
  snapshot: NativeSnapshot;
  /** Traced cgroups and their containers' ids, index for index. */
  cgroups: BigUint64Array;
  containers: readonly string[];
  families: ReadonlyArray<readonly [TracerFamily, FamilyState]>;
  bpfStatsEnabled: boolean;
}

/**
 * A read as it crosses to the shaping thread: the per-cgroup syscall arrays
 * packed into one, and every array a copy the receiving thread takes over
 * (transferred, not cloned). Cloning a thousand cgroups' arrays one by one
 * cost the main thread more than the shaping it saved (bench:containers).
 */
export interface PackedRead extends Omit<NativeSnapshot, 'syscallCounts'> {
  syscallCgroups: BigUint64Array;
  /** `slots` counts per cgroup, one cgroup after the other. */
  syscallCalls: Float64Array;
  slots: number;
}

/** The read packed, and the buffers to transfer with it (the snapshot itself stays whole: later scrapes reuse it). */
export function packRead(snapshot: NativeSnapshot): { packed: PackedRead; transfer: ArrayBuffer[] } {
  const { syscallCounts, stats, lost, ...rest } = snapshot;
  const slots = syscallCounts.reduce((most, c) => Math.max(most, c.calls.length), 0);
  const syscallCgroups = new BigUint64Array(syscallCounts.length);
  const syscallCalls = new Float64Array(syscallCounts.length * slots);
  syscallCounts.forEach((c, i) => {
    syscallCgroups[i] = c.cgroupId;
    syscallCalls.set(c.calls, i * slots);
  });
  const packedStats = {
    ...stats,
    cgroupIds: stats.cgroupIds.slice(),
    metrics: stats.metrics.slice(),
    subs: stats.subs.slice(),
    values: stats.values.slice(),
  };
  const packed: PackedRead = { ...rest, lost: lost.slice(), stats: packedStats, syscallCgroups, syscallCalls, slots };
  return {
    packed,
    transfer: [
      syscallCgroups.buffer,
      syscallCalls.buffer,
      packedStats.cgroupIds.buffer,
      packedStats.metrics.buffer,
      packedStats.subs.buffer,
      packedStats.values.buffer,
      packed.lost.buffer,
    ] as ArrayBuffer[],
  };
}

export function unpackRead(packed: PackedRead): NativeSnapshot {
  const { syscallCgroups, syscallCalls, slots, ...rest } = packed;
  return {
    ...rest,
    syscallCounts: Array.from(syscallCgroups, (cgroupId, i) => ({
      cgroupId,
      calls: syscallCalls.subarray(i * slots, (i + 1) * slots),
    })),
  };
}

export type SeriesReport = Record<string, { exported: number; limit: number; overflow: number }>;

export interface ShapedRead {
  families: Map<string, RenderedSamples>;
  /** Per tracer family: series exported, the cap, observations folded into `other`. */
  series: SeriesReport;
}

export class ReadShaper {
  private readonly metrics: TracerMetrics;
  private readonly compiled = new Map<string, CompiledFamily>();
  private containerOf = new Map<bigint, string>();
  private families: ReadonlyMap<TracerFamily, FamilyState> = new Map();
  private bpfStats = false;

  constructor(setup: ShaperSetup) {
    this.metrics = new TracerMetrics({
      config: setup.config,
      geometry: setup.geometry,
      syscallNames: setup.syscallNames,
      containerOf: (cgroup) => this.containerOf.get(cgroup),
      families: () => this.families,
      bpfStatsEnabled: () => this.bpfStats,
    });
    for (const name of TracerMetrics.families()) {
      this.compiled.set(name, compileFamily(CATALOG_BY_NAME.get(name)!));
    }
  }

  /** Forgets a cgroup's series (it is no longer traced). */
  forget(cgroup: bigint): void {
    this.metrics.forget(cgroup);
  }

  shape(request: ShapeRequest): ShapedRead {
    const containerOf = new Map<bigint, string>();
    request.cgroups.forEach((cgroup, i) => containerOf.set(cgroup, request.containers[i]));
    this.containerOf = containerOf;
    this.families = new Map(request.families);
    this.bpfStats = request.bpfStatsEnabled;
    const families = new Map<string, RenderedSamples>();
    for (const [name, samples] of this.metrics.samples(request.snapshot)) {
      // Most rows of a node's sleeping containers are the same as at the last read.
      families.set(name, renderSamples(this.compiled.get(name)!, samples, { reuse: true }));
    }
    return { families, series: this.metrics.seriesReport() };
  }
}
