// Container and cgroup families. Counters, usage and the CPU and I/O rates
// (usage in the unit of the limit) come from a sampler that reads every
// container's cgroup files each broker.sample_interval_seconds (5 s) and keeps
// the reading: a scrape renders the last one instead of reading some ten
// files per container again (at a thousand containers, ten thousand reads and
// several hundred milliseconds per scrape). The sampler hands the files of a
// batch of containers to be read off the main thread when it is given a way
// to (the broker addon's readFiles), or else reads a slice of containers per
// turn of the event loop, so it never holds the agent for long. A removed container
// keeps its final counters and state for the retention period (retention.ts),
// without the usage gauges, which describe a running workload.
import { CONTAINER_STATES } from '../metrics/catalog';
import type { FamilySamples, Labels, MetricSource, ValueSample } from '../metrics/source';
import { alertLevel } from '../cgroups/limits';
import type { CgroupSample } from '../cgroups/cgroup';
import type { Container, ContainerManager } from './manager';
import type { RetiredContainer } from './retention';

/** Containers whose cgroups are read in one turn of the event loop (about 0.4 ms each). */
const SAMPLE_SLICE = 50;
/**
 * Containers whose files go in one batch to the thread pool: some 600 files,
 * tens of milliseconds of a pool thread, and a few on the main thread to parse.
 */
const READ_BATCH = 100;

/** Reads files off the main thread: each one's content, or null where it could not be read. */
export type ReadFiles = (paths: readonly string[]) => Promise<Array<string | null>>;

export const CONTAINER_FAMILIES = [
  'zviz_containers_total',
  'zviz_containers_created_total',
  'zviz_container_start_failures_total',
  'zviz_containers_by_state',
  'zviz_container_info',
  'zviz_container_state',
  'zviz_container_exit_code',
  'zviz_container_uptime_seconds',
  'zviz_container_restarts_total',
  'zviz_memory_usage_bytes',
  'zviz_cpu_usage_seconds',
  'zviz_io_read_bytes_total',
  'zviz_io_write_bytes_total',
  'zviz_resource_limit',
  'zviz_resource_usage',
  'zviz_resource_utilization_ratio',
  'zviz_resource_alert_level',
  'zviz_container_oom_kills_total',
  'zviz_container_pids_limit_hits_total',
] as const;

interface Reading {
  at: number;
  cpuSeconds?: number;
  ioReadBytes?: number;
  ioWriteBytes?: number;
}

export interface Rates {
  cpuCores?: number;
  ioReadBytesPerSecond?: number;
  ioWriteBytesPerSecond?: number;
}

/** The resources of zviz_resource_*, in the order they are exported. */
const RESOURCE_TYPES = ['memory', 'cpu', 'pids', 'io'] as const;

/**
 * A container's labels objects, one per series, the same at every scrape:
 * the renderer keeps each one's rendered form on it. Found by the container's
 * id alone: at a thousand containers a scrape looks up some 10,000 of them,
 * and a key built per series (id and family) was a string to build and hash
 * each time (docs/benchmarks.md, "A thousand containers on one node").
 */
interface ContainerLabels {
  /** `{container_id}` */
  id: Labels;
  /** `{container_id, name, profile}`: the first seen (a container's name and profile do not change). */
  info?: Labels;
  /** `{container_id, state}` by state. */
  states: Map<string, Labels>;
  /** `{container_id, resource_type}` in RESOURCE_TYPES' order. */
  resources: Labels[];
}

export class ContainerMetricSource implements MetricSource {
  readonly families = CONTAINER_FAMILIES;
  // One labels object per series across scrapes (the renderer caches their
  // rendered form); a container's are dropped with it.
  private readonly labels = new Map<string, ContainerLabels>();
  /** The labels of the series of no single container (totals, counts by state). */
  private readonly nodeLabels = new Map<string, Labels>();
  private readonly previous = new Map<string, Reading>();
  private readonly rates = new Map<string, Rates>();
  /** The last reading of each live container's cgroup. */
  private readonly latest = new Map<string, CgroupSample>();
  private timer?: NodeJS.Timeout;
  private sampling = false;

  constructor(
    private readonly manager: ContainerManager,
    private readonly readFiles?: ReadFiles
  ) {}

  /** Samples every `intervalMs` for the rate of CPU and I/O use. */
  startSampling(intervalMs: number): void {
    this.stopSampling();
    this.sample();
    this.timer = setInterval(() => void this.sampleInSlices(), intervalMs);
    this.timer.unref();
  }

  /** The last reading of a container's cgroup, read now if it has none yet (it just started). */
  latestSample(c: Container): CgroupSample {
    let s = this.latest.get(c.id);
    if (!s) {
      s = c.cgroup.sample();
      this.latest.set(c.id, s);
    }
    return s;
  }

  /**
   * sample(), in batches read off the main thread, or a slice of containers
   * per turn of the event loop; a round still running skips a tick.
   */
  private async sampleInSlices(): Promise<void> {
    if (this.sampling) {
      return;
    }
    this.sampling = true;
    try {
      const containers = this.manager.list();
      const step = this.readFiles ? READ_BATCH : SAMPLE_SLICE;
      for (let i = 0; i < containers.length; i += step) {
        const batch = containers.slice(i, i + step);
        if (this.readFiles) {
          await this.sampleBatch(batch, this.readFiles);
          continue;
        }
        if (i > 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const now = Date.now();
        for (const c of batch) {
          this.record(c, c.cgroup.sample(), now);
        }
      }
      this.forgetGone();
    } finally {
      this.sampling = false;
    }
  }

  /** A batch of containers' files read in one request to the thread pool, then parsed here. */
  private async sampleBatch(batch: Container[], readFiles: ReadFiles): Promise<void> {
    const reads = batch.map((c) => c.cgroup.sampleRead());
    let texts: Array<string | null>;
    try {
      texts = await readFiles(reads.flatMap((r) => r.paths));
    } catch {
      // Not expected (the addon answers unreadable files with null): read them here rather than skip the round.
      const now = Date.now();
      batch.forEach((c) => this.record(c, c.cgroup.sample(), now));
      return;
    }
    const now = Date.now();
    let at = 0;
    for (const [j, c] of batch.entries()) {
      const n = reads[j].paths.length;
      const contents: Array<string | undefined> = [];
      for (let k = at; k < at + n; k++) {
        contents.push(texts[k] ?? undefined);
      }
      at += n;
      this.record(c, reads[j].parse(contents), now);
    }
  }
  stopSampling(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  sample(now = Date.now()): void {
    for (const c of this.manager.list()) {
      this.record(c, c.cgroup.sample(), now);
    }
    this.forgetGone();
  }

  /** Keeps a container's sample, and its CPU and I/O rates since the one before. */
  private record(c: Container, s: CgroupSample, now: number): void {
    this.latest.set(c.id, s);
    const reading: Reading = {
      at: now,
      cpuSeconds: s.cpuSeconds,
      ioReadBytes: s.ioReadBytes,
      ioWriteBytes: s.ioWriteBytes,
    };
    const before = this.previous.get(c.id);
    if (before && now > before.at) {
      const seconds = (now - before.at) / 1000;
      const rate = (a?: number, b?: number) =>
        a !== undefined && b !== undefined ? Math.max(0, (b - a) / seconds) : undefined;
      this.rates.set(c.id, {
        cpuCores: rate(before.cpuSeconds, reading.cpuSeconds),
        ioReadBytesPerSecond: rate(before.ioReadBytes, reading.ioReadBytes),
        ioWriteBytesPerSecond: rate(before.ioWriteBytes, reading.ioWriteBytes),
      });
    }
    this.previous.set(c.id, reading);
  }

  /** Drops what is kept for containers that are gone (retired ones keep their labels). */
  private forgetGone(): void {
    const current = new Set(this.manager.list().map((c) => c.id));
    const live = new Set<string>([...current, ...this.manager.retired.list().map((r) => r.id)]);
    for (const id of [...this.previous.keys()]) {
      if (!live.has(id)) {
        this.previous.delete(id);
        this.rates.delete(id);
      }
    }
    for (const id of [...this.latest.keys()]) {
      if (!current.has(id)) {
        this.latest.delete(id);
      }
    }
    for (const id of [...this.labels.keys()]) {
      if (!live.has(id)) {
        this.labels.delete(id);
      }
    }
  }

  collect(): Map<string, FamilySamples> {
    const containers = this.manager.list();
    const retired = this.manager.retired.list();
    const byState = new Map<string, number>(CONTAINER_STATES.map((s) => [s, 0]));
    const out = new Map<string, ValueSample[]>(CONTAINER_FAMILIES.map((f) => [f, []]));
    const add = (family: string, labels: Labels, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) {
        out.get(family)?.push({ labels, value });
      }
    };
    const now = Date.now();
    add('zviz_containers_total', this.nodeLabel('total', {}), containers.length + retired.length);
    add('zviz_containers_created_total', this.nodeLabel('created', {}), this.manager.created);
    for (const [reason, count] of this.manager.startFailures.entries()) {
      add('zviz_container_start_failures_total', this.nodeLabel(`start failures\u0000${reason}`, { reason }), count);
    }
    for (const c of containers) {
      byState.set(c.state, (byState.get(c.state) ?? 0) + 1);
      const labels = this.containerLabels(c.id);
      this.identity(labels, c.name, c.profileName, c.state, c.lastEnd?.exitCode, add);
      if (c.state === 'running' && c.startedAt !== undefined) {
        add('zviz_container_uptime_seconds', labels.id, (now - c.startedAt) / 1000);
      }
      add('zviz_container_restarts_total', labels.id, c.restarts);
      this.resources(c, labels, this.latestSample(c), add);
    }
    for (const r of retired) {
      byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
      const labels = this.containerLabels(r.id);
      this.identity(labels, r.name, r.profileName, r.state, r.exitCode, add);
      add('zviz_container_restarts_total', labels.id, r.restarts);
      this.finalCounters(labels.id, r, add);
    }
    for (const [state, count] of byState) {
      add('zviz_containers_by_state', this.nodeLabel(`state\u0000${state}`, { state }), count);
    }
    return out as Map<string, FamilySamples>;
  }

  /** Info, state and exit code of a container. */
  private identity(
    labels: ContainerLabels,
    name: string,
    profile: string,
    state: string,
    exitCode: number | undefined,
    add: (family: string, labels: Labels, value: number | undefined) => void
  ): void {
    const containerId = labels.id.container_id;
    labels.info ??= { container_id: containerId, name, profile };
    add('zviz_container_info', labels.info, 1);
    let stateLabels = labels.states.get(state);
    if (!stateLabels) {
      stateLabels = { container_id: containerId, state };
      labels.states.set(state, stateLabels);
    }
    add('zviz_container_state', stateLabels, 1);
    add('zviz_container_exit_code', labels.id, exitCode);
  }

  /** What stays of a removed container: its counters at removal. */
  private finalCounters(
    id: Labels,
    r: RetiredContainer,
    add: (family: string, labels: Labels, value: number | undefined) => void
  ): void {
    const s = r.sample;
    add('zviz_cpu_usage_seconds', id, s.cpuSeconds);
    add('zviz_io_read_bytes_total', id, s.ioReadBytes);
    add('zviz_io_write_bytes_total', id, s.ioWriteBytes);
    add('zviz_container_oom_kills_total', id, s.oomKills);
    add('zviz_container_pids_limit_hits_total', id, s.pidsLimitHits);
  }

  /** A container's labels objects, made at its first scrape. */
  private containerLabels(containerId: string): ContainerLabels {
    let labels = this.labels.get(containerId);
    if (!labels) {
      labels = {
        id: { container_id: containerId },
        states: new Map(),
        resources: RESOURCE_TYPES.map((type) => ({ container_id: containerId, resource_type: type })),
      };
      this.labels.set(containerId, labels);
    }
    return labels;
  }

  /** The labels object of a series of no single container, the same one every scrape. */
  private nodeLabel(key: string, labels: Labels): Labels {
    let cached = this.nodeLabels.get(key);
    if (!cached) {
      cached = labels;
      this.nodeLabels.set(key, cached);
    }
    return cached;
  }

  private resources(
    c: Container,
    labels: ContainerLabels,
    s: CgroupSample,
    add: (family: string, labels: Labels, value: number | undefined) => void
  ): void {
    const id = labels.id;
    add('zviz_memory_usage_bytes', id, s.memoryBytes);
    add('zviz_cpu_usage_seconds', id, s.cpuSeconds);
    add('zviz_io_read_bytes_total', id, s.ioReadBytes);
    add('zviz_io_write_bytes_total', id, s.ioWriteBytes);
    add('zviz_container_oom_kills_total', id, s.oomKills);
    add('zviz_container_pids_limit_hits_total', id, s.pidsLimitHits);
    const rates = this.rates.get(c.id) ?? {};
    const io = ioResource(rates, s);
    this.resource(labels.resources[0], s.memoryBytes, s.limits.memoryBytes, add);
    this.resource(labels.resources[1], rates.cpuCores, s.limits.cpus, add);
    this.resource(labels.resources[2], s.pids, s.limits.pids, add);
    this.resource(labels.resources[3], io.usage, io.limit, add);
  }

  /** One resource's usage, limit, and utilization where it has a limit. */
  private resource(
    labels: Labels,
    usage: number | undefined,
    limit: number | undefined,
    add: (family: string, labels: Labels, value: number | undefined) => void
  ): void {
    add('zviz_resource_usage', labels, usage);
    add('zviz_resource_limit', labels, limit);
    if (usage !== undefined && limit !== undefined && limit > 0) {
      const ratio = usage / limit;
      add('zviz_resource_utilization_ratio', labels, ratio);
      add('zviz_resource_alert_level', labels, alertLevel(ratio));
    }
  }
}

/**
 * `io` against its limits (docs/metrics.md): with a read or write limit, the
 * usage and limit of the direction nearest its limit, so usage / limit is the
 * utilization that matters; without one, reads and writes together, unlimited.
 */
export function ioResource(rates: Rates, s: CgroupSample): { type: 'io'; usage?: number; limit?: number } {
  const directions = [
    { usage: rates.ioReadBytesPerSecond, limit: s.limits.ioReadBps },
    { usage: rates.ioWriteBytesPerSecond, limit: s.limits.ioWriteBps },
  ].filter((d) => d.limit !== undefined && d.limit > 0);
  if (directions.length === 0) {
    const { ioReadBytesPerSecond: read, ioWriteBytesPerSecond: write } = rates;
    return { type: 'io', usage: read === undefined && write === undefined ? undefined : (read ?? 0) + (write ?? 0) };
  }
  const nearest = directions.reduce((a, b) => ((b.usage ?? 0) / b.limit! > (a.usage ?? 0) / a.limit! ? b : a));
  return { type: 'io', usage: nearest.usage, limit: nearest.limit };
}
