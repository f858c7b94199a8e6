// The tracer component: loads the BPF families through the native addon,
// traces the cgroups of ZViz's containers and of configured paths, serves
// their metrics at scrape time and says in /health which families run and
// why the others do not.
import { existsSync, readFileSync } from 'node:fs';

import type { ComponentHealth } from '@zviz/shared/agent-api';
import type { Component } from '../component';
import type { FamilySamples, MetricSource } from '../metrics/source';
import type { Loaded } from '../native/load';
import { cgroup2Mount, cgroupContainerId, resolveCgroup } from './cgroup-id';
import type { CoreConfig } from '../config/schema';
import { resolveTracerConfig, type TracerConfig, type TracerConfigInput, type TracerSections } from './config';
import { SYSCALL_TRACEPOINT_FAMILIES, TRACER_FAMILIES, type TracerFamily } from './families';
import { LossWatch } from './loss-watch';
import { TracerMetrics, type FamilyState } from './metrics';
import {
  loadTracerAddon,
  type NativeSnapshot,
  type NativeTracer,
  type NativeTracerOptions,
  type TracerAddon,
} from './native';

/** What the tracer logs through; pino's signature. */
export interface TracerLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface TracerEnvironment {
  addon?: Loaded<TracerAddon>;
  logger?: TracerLogger;
  btfPath?: string;
  isRoot?: () => boolean;
  cgroupMount?: string;
  bpfStatsPath?: string;
  /** How stale the last read may be before /health reads the maps itself (default 10 s). */
  healthReadMs?: number;
}

/** With nobody scraping, /health reads the maps itself at most this often, so losses still show. */
const HEALTH_READ_MS = 10_000;

interface TracedCgroup {
  containerId: string;
  /** For cgroups watched by path: the path, re-resolved at each read. */
  path?: string;
  /** The kernel refused it (tracer full); retried at each read. */
  error?: string;
}

const silent: TracerLogger = { info: () => undefined, warn: () => undefined };

/** A cgroup id as the container manager may hand it over. */
export type CgroupIdInput = bigint | number | string;

function toCgroupId(id: CgroupIdInput): bigint {
  const value = typeof id === 'bigint' ? id : BigInt(id);
  if (value <= 0n) {
    throw new Error(`invalid cgroup id ${String(id)}`);
  }
  return value;
}

export function nativeOptions(config: TracerConfig): NativeTracerOptions {
  const f = config.families;
  return {
    syscalls: f.syscalls,
    syscallLatency: config.syscall_latency,
    latencySampleShift: Math.round(Math.log2(config.syscall_latency_sample)),
    fs: f.fs,
    dns: f.dns,
    tcpConnect: f.tcp_connect,
    tcpRtt: f.tcp_rtt,
    network: f.network,
    cpuBlock: f.cpu_block,
    blockIo: f.block_io,
    processName: config.labels.process_name,
    maxCgroups: config.max_cgroups,
    maxStatsEntries: config.map_sizes.stats,
    maxPending: config.map_sizes.pending,
    maxBlockedThreads: config.map_sizes.blocked_threads,
    dnsTimeoutSeconds: config.dns_timeout_seconds,
    programStats: config.program_stats,
    tracepointOverrides: config.tracepoint_overrides,
  };
}

/** What the loaded programs depend on: a change here means loading them again. */
function kernelConfig(config: TracerConfig): string {
  return JSON.stringify({ ...config, cgroups: [], read_interval_seconds: 0, required: false });
}

export class Tracer implements Component<TracerSections> {
  readonly name = 'tracer';
  readonly required: boolean;
  /** The catalog families the tracer fills, read from the kernel at scrape time. */
  readonly source: MetricSource;

  private readonly logger: TracerLogger;
  private native?: NativeTracer;
  private metrics?: TracerMetrics;
  private syscallNames: string[] = [];
  private readonly families = new Map<TracerFamily, FamilyState>();
  private readonly cgroups = new Map<bigint, TracedCgroup>();
  private readonly byContainer = new Map<string, bigint>();
  private state: ComponentHealth['status'] = 'starting';
  private reason?: string;
  private lastRead?: { at: number; snapshot: NativeSnapshot };
  private readonly losses = new LossWatch();
  private reading?: Promise<NativeSnapshot>;
  /** The configuration the loaded programs were built for, less what needs no reload. */
  private kernelConfig?: string;

  constructor(
    private config: TracerConfig,
    private readonly env: TracerEnvironment = {}
  ) {
    this.required = config.required;
    this.logger = env.logger ?? silent;
    for (const family of TRACER_FAMILIES) {
      this.families.set(family, { active: false, reason: 'not started' });
    }
    this.source = {
      families: TracerMetrics.families(),
      collect: () => this.collect(),
    };
  }

  async start(): Promise<void> {
    const why = this.unavailable();
    if (why) {
      this.fail(why.status, why.reason);
      return;
    }
    const addon = (this.env.addon ?? loadTracerAddon()) as Extract<Loaded<TracerAddon>, { ok: true }>;
    this.syscallNames = addon.addon.syscallNames();
    this.native = new addon.addon.Tracer(nativeOptions(this.config));
    this.kernelConfig = kernelConfig(this.config);
    this.lastRead = undefined;
    const statuses = await this.native.start();
    for (const status of statuses) {
      this.families.set(status.family as TracerFamily, { active: status.active, reason: status.reason });
    }
    this.metrics = new TracerMetrics({
      config: this.config,
      geometry: addon.addon.abi,
      syscallNames: this.syscallNames,
      containerOf: (cgroup) => this.cgroups.get(cgroup)?.containerId,
      families: () => this.families,
      bpfStatsEnabled: () => this.bpfStatsEnabled(),
    });

    const enabled = TRACER_FAMILIES.filter((f) => this.config.families[f]);
    const active = enabled.filter((f) => this.families.get(f)?.active);
    if (active.length === 0) {
      this.native.stop();
      this.native = undefined;
      this.fail('failed', 'no tracer family could start: ' + this.inactiveSummary());
      return;
    }
    this.state = active.length === enabled.length ? 'ok' : 'degraded';
    this.reason = this.state === 'degraded' ? this.inactiveSummary() : undefined;

    // Containers announced before the tracer was up, and configured paths.
    for (const [cgroup, traced] of this.cgroups) {
      this.attach(cgroup, traced);
    }
    for (const path of this.config.cgroups) {
      this.watch(path);
    }
    this.logStart(active);
  }

  /**
   * Applies a reloaded configuration (SIGHUP). The programs are reloaded
   * only when something they depend on changed; traced containers stay
   * traced (their counters restart from zero then). `required` is fixed at
   * start.
   */
  async reload(config: CoreConfig & TracerSections): Promise<void> {
    const next = resolveTracerConfig((config.tracer ?? {}) as TracerConfigInput);
    if (JSON.stringify(next) === JSON.stringify(this.config)) {
      return;
    }
    const removed = this.config.cgroups.filter((path) => !next.cgroups.includes(path));
    this.config = next;
    for (const [, traced] of this.cgroups) {
      if (traced.path && removed.includes(traced.path)) {
        await this.untrace(traced.containerId);
      }
    }
    if (kernelConfig(next) === this.kernelConfig) {
      this.refreshWatched();
      return;
    }
    this.logger.info({}, 'tracer: configuration changed, reloading the BPF programs');
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    this.native?.stop();
    this.native = undefined;
    this.state = 'disabled';
    this.reason = 'stopped';
    for (const family of TRACER_FAMILIES) {
      this.families.set(family, { active: false, reason: 'stopped' });
    }
  }

  health(): ComponentHealth {
    this.readIfStale();
    const families: Record<string, { active: boolean; reason?: string }> = {};
    for (const [family, state] of this.families) {
      families[family] = state.reason ? { active: state.active, reason: state.reason } : { active: state.active };
    }
    const untraced = [...this.cgroups.values()]
      .filter((c) => c.error)
      .map((c) => ({ container_id: c.containerId, reason: c.error }));
    // Events lost for want of map room make a running tracer degraded: its figures are incomplete.
    const loss = this.losses.recent();
    const lossy = loss !== undefined && this.state === 'ok';
    const status = lossy ? 'degraded' : this.state;
    const reason = lossy ? loss.reason : this.reason;
    return {
      status,
      ...(reason ? { reason } : {}),
      ...(loss
        ? { losses: { at: new Date(loss.at).toISOString(), reason: loss.reason, over_share: loss.over_share } }
        : {}),
      families,
      bpf_stats_enabled: this.bpfStatsEnabled(),
      traced_cgroups: [...this.cgroups.values()].filter((c) => !c.error).length,
      syscall_latency_sample: this.config.syscall_latency ? this.config.syscall_latency_sample : 0,
      ...(this.metrics ? { series: this.metrics.seriesReport() } : {}),
      ...(untraced.length ? { untraced } : {}),
    };
  }

  /**
   * Traces a container's cgroup (its cgroup v2 id). Safe to call before
   * start, or when the tracer cannot run: the container is then listed, not
   * traced. A container traced again under another cgroup moves to it.
   */
  trace(containerId: string, cgroupId: CgroupIdInput): void {
    const cgroup = toCgroupId(cgroupId);
    const previous = this.byContainer.get(containerId);
    if (previous !== undefined && previous !== cgroup) {
      void this.untrace(containerId);
    }
    const traced: TracedCgroup = { containerId };
    this.cgroups.set(cgroup, traced);
    this.byContainer.set(containerId, cgroup);
    if (this.native) {
      this.attach(cgroup, traced);
    }
  }

  /** Stops tracing a container and deletes its series and its kernel map entries. */
  async untrace(containerId: string): Promise<void> {
    const cgroup = this.byContainer.get(containerId);
    if (cgroup === undefined) {
      return;
    }
    this.byContainer.delete(containerId);
    this.cgroups.delete(cgroup);
    this.metrics?.forget(cgroup);
    this.lastRead = undefined;
    const error = await this.native?.untrace(cgroup);
    if (error) {
      this.logger.warn({ container_id: containerId, error }, 'tracer: could not remove a cgroup from the kernel maps');
    }
  }

  /**
   * Pauses tracing (detaches every program; counters keep their values) or
   * resumes it. Programs, maps and traced cgroups stay, so this is quick.
   */
  setPaused(paused: boolean): void {
    this.native?.setAttached(!paused);
  }

  /** The latest read of the kernel maps, at most read_interval_seconds old. */
  async snapshot(): Promise<NativeSnapshot | undefined> {
    if (!this.native) {
      return undefined;
    }
    const now = Date.now();
    if (this.lastRead && now - this.lastRead.at < this.config.read_interval_seconds * 1000) {
      return this.lastRead.snapshot;
    }
    if (!this.reading) {
      this.refreshWatched();
      this.retryRefused();
      const native = this.native;
      const metrics = this.metrics;
      // Only what changed since the last read: most of a thousand containers' rows
      // do not change between scrapes, and the rows keep what they were handed.
      this.reading = native
        .read({ changesOnly: metrics !== undefined && !metrics.wantsWholeRead() })
        .then((snapshot) => {
          if (this.native !== native) {
            return snapshot; // read by the programs a reload replaced: not this tracer's rows
          }
          this.lastRead = { at: Date.now(), snapshot };
          if (snapshot.error) {
            this.logger.warn({ error: snapshot.error }, 'tracer: map read incomplete');
          }
          // Taken into the rows at once, whoever asked: a read of changes is not handed over twice.
          metrics?.apply(snapshot);
          this.losses.observe(snapshot, (cgroup) => this.cgroups.get(cgroup)?.containerId);
          return snapshot;
        })
        .finally(() => {
          this.reading = undefined;
        });
    }
    return this.reading;
  }

  /** Starts a read when none came for a while: its losses show in the next /health. */
  private readIfStale(): void {
    const every = this.env.healthReadMs ?? HEALTH_READ_MS;
    if (this.native && !this.reading && (!this.lastRead || Date.now() - this.lastRead.at >= every)) {
      void this.snapshot().catch((error: Error) =>
        this.logger.warn({ error: error.message }, 'tracer: reading the maps for /health failed')
      );
    }
  }

  private async collect(): Promise<Map<string, FamilySamples>> {
    const snapshot = await this.snapshot();
    if (!snapshot || !this.metrics) {
      return this.inactiveSamples();
    }
    return this.metrics.samples(snapshot);
  }

  /** Without a running tracer, only whether each family is active. */
  private inactiveSamples(): Map<string, FamilySamples> {
    return new Map([
      [
        'zviz_tracer_family_active',
        TRACER_FAMILIES.map((family) => ({ labels: { family }, value: this.families.get(family)?.active ? 1 : 0 })),
      ],
    ]);
  }

  private attach(cgroup: bigint, traced: TracedCgroup): void {
    try {
      this.native!.trace(cgroup);
      if (traced.error) {
        this.logger.info({ container_id: traced.containerId }, 'tracer: now tracing the cgroup');
      }
      traced.error = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (traced.error !== message) {
        this.logger.warn({ container_id: traced.containerId, error: message }, 'tracer: cannot trace the cgroup');
      }
      traced.error = message;
    }
  }

  private watch(path: string): void {
    try {
      const resolved = resolveCgroup(path, this.mount());
      const containerId = cgroupContainerId(resolved.relativePath);
      const traced: TracedCgroup = { containerId, path };
      this.cgroups.set(resolved.id, traced);
      this.byContainer.set(containerId, resolved.id);
      this.attach(resolved.id, traced);
    } catch (error) {
      this.logger.warn({ path, error: (error as Error).message }, 'tracer: cannot watch the configured cgroup');
    }
  }

  /** A watched path removed or recreated (new id) since the last read. */
  private refreshWatched(): void {
    for (const path of this.config.cgroups) {
      let id: bigint | undefined;
      try {
        id = resolveCgroup(path, this.mount()).id;
      } catch {
        id = undefined;
      }
      const current = [...this.cgroups.entries()].find(([, c]) => c.path === path);
      if (current && current[0] === id) {
        continue;
      }
      if (current) {
        void this.untrace(current[1].containerId);
      }
      if (id !== undefined) {
        this.watch(path);
      }
    }
  }

  private retryRefused(): void {
    for (const [cgroup, traced] of this.cgroups) {
      if (traced.error) {
        this.attach(cgroup, traced);
      }
    }
  }

  private unavailable(): { status: ComponentHealth['status']; reason: string } | undefined {
    const disabled = { status: 'disabled' as const };
    if (!this.config.enabled) {
      return { ...disabled, reason: 'disabled in config (tracer.enabled: false)' };
    }
    if (!TRACER_FAMILIES.some((f) => this.config.families[f])) {
      return { ...disabled, reason: 'every family is disabled in config (tracer.families)' };
    }
    const addon = this.env.addon ?? loadTracerAddon();
    if (!addon.ok) {
      return { status: 'failed', reason: addon.reason };
    }
    const btf = this.env.btfPath ?? '/sys/kernel/btf/vmlinux';
    if (!existsSync(btf)) {
      return {
        status: 'failed',
        reason: `the kernel has no BTF (${btf} missing; needs CONFIG_DEBUG_INFO_BTF): CO-RE programs cannot be relocated`,
      };
    }
    const isRoot = this.env.isRoot ?? (() => process.getuid?.() === 0);
    if (!isRoot()) {
      return { status: 'failed', reason: 'not root: loading BPF programs needs CAP_BPF and CAP_PERFMON' };
    }
    if (!this.mount()) {
      return { status: 'failed', reason: 'no cgroup2 hierarchy is mounted: the tracer attributes by cgroup v2 id' };
    }
    return undefined;
  }

  private fail(status: ComponentHealth['status'], reason: string): void {
    this.state = status;
    this.reason = reason;
    for (const family of TRACER_FAMILIES) {
      const current = this.families.get(family);
      const off = !this.config.enabled || !this.config.families[family];
      this.families.set(family, {
        active: false,
        reason: off
          ? 'disabled in config'
          : current?.reason && current.reason !== 'not started'
            ? current.reason
            : reason,
      });
    }
    const log = status === 'disabled' ? this.logger.info : this.logger.warn;
    log.call(this.logger, { reason }, `tracer ${status === 'disabled' ? 'disabled' : 'not running'}: ${reason}`);
  }

  private inactiveSummary(): string {
    return TRACER_FAMILIES.filter((f) => this.config.families[f] && !this.families.get(f)?.active)
      .map((f) => `${f}: ${this.families.get(f)?.reason}`)
      .join('; ');
  }

  private logStart(active: TracerFamily[]): void {
    const inactive: Record<string, string> = {};
    for (const [family, state] of this.families) {
      if (!state.active) {
        inactive[family] = state.reason;
      }
    }
    const syscallTracepoints = active.some((f) => SYSCALL_TRACEPOINT_FAMILIES.includes(f));
    this.logger.info(
      {
        active,
        inactive,
        bpf_stats_enabled: this.bpfStatsEnabled(),
        syscall_tracepoints: syscallTracepoints,
        syscall_latency_sample: this.config.syscall_latency ? this.config.syscall_latency_sample : 0,
      },
      `tracer started: ${active.length} of ${TRACER_FAMILIES.length} families active`
    );
    for (const family of TRACER_FAMILIES) {
      const state = this.families.get(family)!;
      if (this.config.families[family] && !state.active) {
        this.logger.warn({ family, reason: state.reason }, `tracer family ${family} inactive: ${state.reason}`);
      }
    }
  }

  private mount(): string | undefined {
    return this.env.cgroupMount ?? cgroup2Mount();
  }

  private bpfStatsEnabled(): boolean {
    try {
      return readFileSync(this.env.bpfStatsPath ?? '/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1';
    } catch {
      return false;
    }
  }
}
