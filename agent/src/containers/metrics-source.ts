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

export class ContainerMetricSource implements MetricSource {
  readonly families = CONTAINER_FAMILIES;
  // One labels object per series across scrapes (the renderer caches their
  // rendered form); dropped with the container.
  private readonly labels = new Map<string, Labels>();
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
    for (const key of [...this.labels.keys()]) {
      const owner = key.split('\u0000')[0];
      if (owner !== '' && !live.has(owner)) {
        this.labels.delete(key);
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
    add('zviz_containers_total', this.label('', {}), containers.length + retired.length);
    add('zviz_containers_created_total', this.label('\u0000created', {}), this.manager.created);
    for (const c of containers) {
      byState.set(c.state, (byState.get(c.state) ?? 0) + 1);
      const id = this.identity(c.id, c.name, c.profileName, c.state, c.lastEnd?.exitCode, add);
      if (c.state === 'running' && c.startedAt !== undefined) {
        add('zviz_container_uptime_seconds', id, (now - c.startedAt) / 1000);
      }
      add('zviz_container_restarts_total', id, c.restarts);
      this.resources(c, this.latestSample(c), add);
    }
    for (const r of retired) {
      byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
      const id = this.identity(r.id, r.name, r.profileName, r.state, r.exitCode, add);
      add('zviz_container_restarts_total', id, r.restarts);
      this.finalCounters(id, r, add);
    }
    for (const [state, count] of byState) {
      add('zviz_containers_by_state', this.label(`\u0000state\u0000${state}`, { state }), count);
    }
    return out as Map<string, FamilySamples>;
  }

  /** Info, state and exit code of a container; returns its `{container_id}` labels. */
  private identity(
    containerId: string,
    name: string,
    profile: string,
    state: string,
    exitCode: number | undefined,
    add: (family: string, labels: Labels, value: number | undefined) => void
  ): Labels {
    const id = this.label(containerId, { container_id: containerId });
    add('zviz_container_info', this.label(`${containerId}\u0000info`, { container_id: containerId, name, profile }), 1);
    add(
      'zviz_container_state',
      this.label(`${containerId}\u0000state\u0000${state}`, { container_id: containerId, state }),
      1
    );
    add('zviz_container_exit_code', id, exitCode);
    return id;
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

  /** The labels object of a series, the same one every scrape; keys start with the container id. */
  private label(key: string, labels: Labels): Labels {
    let cached = this.labels.get(key);
    if (!cached) {
      cached = labels;
      this.labels.set(key, cached);
    }
    return cached;
  }

  private resources(
    c: Container,
    s: CgroupSample,
    add: (family: string, labels: Labels, value: number | undefined) => void
  ): void {
    const id = this.label(c.id, { container_id: c.id });
    add('zviz_memory_usage_bytes', id, s.memoryBytes);
    add('zviz_cpu_usage_seconds', id, s.cpuSeconds);
    add('zviz_io_read_bytes_total', id, s.ioReadBytes);
    add('zviz_io_write_bytes_total', id, s.ioWriteBytes);
    add('zviz_container_oom_kills_total', id, s.oomKills);
    add('zviz_container_pids_limit_hits_total', id, s.pidsLimitHits);
    const rates = this.rates.get(c.id) ?? {};
    const resources: Array<{ type: string; usage?: number; limit?: number }> = [
      { type: 'memory', usage: s.memoryBytes, limit: s.limits.memoryBytes },
      { type: 'cpu', usage: rates.cpuCores, limit: s.limits.cpus },
      { type: 'pids', usage: s.pids, limit: s.limits.pids },
      ioResource(rates, s),
    ];
    for (const r of resources) {
      const labels = this.label(`${c.id}\u0000${r.type}`, { container_id: c.id, resource_type: r.type });
      add('zviz_resource_usage', labels, r.usage);
      add('zviz_resource_limit', labels, r.limit);
      if (r.usage !== undefined && r.limit !== undefined && r.limit > 0) {
        const ratio = r.usage / r.limit;
        add('zviz_resource_utilization_ratio', labels, ratio);
        add('zviz_resource_alert_level', labels, alertLevel(ratio));
      }
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
