// Turns a read of the tracer's maps into catalog samples: labels from the
// container table, kernel histograms folded into catalog buckets, series
// caps with an `other` series, and the tracer's own health families.
import { CATALOG_BY_NAME, SYSCALL_LATENCY_BUCKETS, TCP_STATES, TRACE_LATENCY_BUCKETS } from '../metrics/catalog';
import type { FamilySamples, HistogramSample, Labels, ValueSample } from '../metrics/source';
import { planFold } from './buckets';
import type { TracerConfig } from './config';
import {
  BLOCK_OPERATIONS,
  DIRECTIONS,
  FS_OPERATIONS,
  LOST_REASONS,
  QUOTA_MAPS,
  METRIC,
  TRACER_FAMILIES,
  type TracerFamily,
} from './families';
import type { NativeSnapshot } from './native';
import { SeriesCap } from './series-cap';
import { forTerminal } from '../terminal/escape';
import { emitRow, seriesPerRow, type Row, type RowShape } from './shapes';

/** Kernel histogram geometry, as in agent/bpf/tracer_abi.h. */
export interface KernelGeometry {
  histBuckets: number;
  baseNsTrace: number;
  baseNsSyscall: number;
}

export interface FamilyState {
  active: boolean;
  reason: string;
}

export interface MetricsContext {
  config: TracerConfig;
  geometry: KernelGeometry;
  syscallNames: readonly string[];
  /** The container_id label of a traced cgroup, or undefined once it is gone. */
  containerOf(cgroup: bigint): string | undefined;
  families(): ReadonlyMap<TracerFamily, FamilyState>;
  /** kernel.bpf_stats_enabled, read at collect time. */
  bpfStatsEnabled(): boolean;
}

/**
 * A row's key (for the series caps), labels and row, the same objects at
 * every read: a read refills the row's values in place. At a thousand
 * containers a read has some 50,000 rows, and new objects and arrays for
 * each of them at every read were a quarter of its time in the collector.
 */
interface RowIdentity {
  key: string;
  kind: Kind;
  labels: Labels;
  /** The series cap's answer for the key, once asked; it holds until the cgroup is forgotten. */
  admitted?: boolean;
  /** A syscall row was refilled by the read numbered `read`. */
  read?: number;
  /** A syscall row's calls from the dense per-cgroup counts. */
  calls?: number;
  /** A syscall row's latency entry: count, sum_ns, then the kernel buckets. */
  timed?: number[];
  row?: IdentifiedRow;
}

interface IdentifiedRow extends Row {
  identity: RowIdentity;
}

interface CgroupIdentity {
  container: string;
  /** `${cgroup}|`, printed once. */
  prefix: string;
  /** Syscall rows without a process name, by syscall number. */
  syscalls: Array<RowIdentity | undefined>;
  /** Every other row, by `${kind}|${sub}|${comm}`. */
  others: Map<string, RowIdentity>;
}

type Kind =
  | 'syscall'
  | 'fs'
  | 'fs_bytes'
  | 'dns'
  | 'tcp_connect'
  | 'tcp_state'
  | 'tcp_rtt'
  | 'network'
  | 'cpu_block'
  | 'block_io';

const KIND_FAMILY: Record<Kind, TracerFamily> = {
  syscall: 'syscalls',
  fs: 'fs',
  fs_bytes: 'fs',
  dns: 'dns',
  tcp_connect: 'tcp_connect',
  tcp_state: 'tcp_connect',
  tcp_rtt: 'tcp_rtt',
  network: 'network',
  cpu_block: 'cpu_block',
  block_io: 'block_io',
};

// Layout of a row's values. Latency rows: count, sum_ns, then the kernel
// buckets. Syscall rows: calls, timed calls, sum_ns, buckets. Byte rows:
// bytes, operations.
const LATENCY = { count: 0, sum: 1, buckets: 2 };

/** Kinds measured in the acting task's context, where a process name means something. */
const PROCESS_NAME_KINDS = new Set<Kind>(['syscall', 'fs', 'fs_bytes', 'dns', 'tcp_connect', 'network', 'cpu_block']);

const TRACER_METRIC_NAMES = new Set(
  [...CATALOG_BY_NAME.values()].filter((m) => m.component === 'tracer').map((m) => m.name)
);

export class TracerMetrics {
  private readonly caps = new Map<TracerFamily, SeriesCap>();
  private readonly shapes: Record<Kind, RowShape>;
  private readonly histBuckets: number;
  private exported = new Map<TracerFamily, number>();
  /**
   * What stays the same for a traced cgroup from one read to the next: its
   * container, and each row's key and labels. At a thousand containers a read
   * has some 40,000 (cgroup, syscall) rows; building their keys (a bigint
   * printed) and labels again at every scrape was most of its cost, and a
   * labels object kept across scrapes also lets the registry reuse the label
   * block it rendered for it (metrics/render.ts).
   */
  private readonly identities = new Map<bigint, CgroupIdentity>();
  /** The admitted rows: what a scrape exports, whether or not the last read handed them over. */
  private readonly exporting = new Set<IdentifiedRow>();
  private reads = 0;
  private applied?: NativeSnapshot;
  private wholeReadWanted = true;
  /** A cgroup changed hands during the read being applied. */
  private replaced = false;

  constructor(private readonly ctx: MetricsContext) {
    for (const family of TRACER_FAMILIES) {
      this.caps.set(family, new SeriesCap(ctx.config.series_limits[family], ctx.config.max_cgroups));
    }
    const g = ctx.geometry;
    this.histBuckets = g.histBuckets;
    const trace = planFold({ baseNs: g.baseNsTrace, step: 1, buckets: g.histBuckets }, TRACE_LATENCY_BUCKETS);
    const syscall = planFold({ baseNs: g.baseNsSyscall, step: 2, buckets: g.histBuckets }, SYSCALL_LATENCY_BUCKETS);
    const latency = (metric: string, latest?: string): RowShape => ({
      counters: [],
      histogram: {
        metric,
        countIndex: LATENCY.count,
        sumIndex: LATENCY.sum,
        bucketOffset: LATENCY.buckets,
        plan: trace,
        bounds: TRACE_LATENCY_BUCKETS.length,
      },
      latest,
      countIndex: LATENCY.count,
    });
    this.shapes = {
      syscall: {
        counters: [{ metric: 'zviz_syscalls_total', index: 0 }],
        histogram: ctx.config.syscall_latency
          ? {
              metric: 'zviz_syscall_latency_seconds',
              countIndex: 1,
              sumIndex: 2,
              bucketOffset: 3,
              plan: syscall,
              bounds: SYSCALL_LATENCY_BUCKETS.length,
            }
          : undefined,
        countIndex: 0,
      },
      fs: latency('zviz_fs_latency_seconds', 'zviz_fs_latency_latest_seconds'),
      fs_bytes: { counters: [{ metric: 'zviz_filesystem_bytes_total', index: 0 }], countIndex: 1 },
      dns: latency('zviz_dns_latency_seconds', 'zviz_dns_latency_latest_seconds'),
      tcp_connect: latency('zviz_tcp_connect_latency_seconds', 'zviz_tcp_connect_latency_latest_seconds'),
      tcp_state: { counters: [{ metric: 'zviz_tcp_state_changes_total', index: 0 }], countIndex: 0 },
      tcp_rtt: latency('zviz_tcp_rtt_seconds', 'zviz_tcp_rtt_latest_seconds'),
      network: { counters: [{ metric: 'zviz_network_bytes_total', index: 0 }], countIndex: 1 },
      cpu_block: latency('zviz_cpu_block_seconds', 'zviz_cpu_block_latest_seconds'),
      block_io: latency('zviz_block_io_latency_seconds'),
    };
  }

  /**
   * Every family this class may fill. The registry itself reports series
   * per catalog family (zviz_exported_series); the tracer adds what its
   * own caps folded, per tracer family.
   */
  static families(): string[] {
    return [...TRACER_METRIC_NAMES, 'zviz_series_overflow_total'];
  }

  /** Per tracer family: series exported at the last read, the cap, observations folded into other. */
  seriesReport(): Record<string, { exported: number; limit: number; overflow: number }> {
    const report: Record<string, { exported: number; limit: number; overflow: number }> = {};
    for (const [family, cap] of this.caps) {
      report[family] = { exported: this.exported.get(family) ?? 0, limit: cap.limit, overflow: cap.overflow };
    }
    return report;
  }

  /** Forgets a cgroup's series (it is no longer traced). */
  forget(cgroup: bigint): void {
    this.drop(cgroup);
    for (const cap of this.caps.values()) {
      cap.forget(cgroup);
    }
  }

  /**
   * Whether the next read should hand over every row rather than what
   * changed: before the first read, and after rows were dropped while their
   * cgroup is still traced (it changed hands), which only a whole read
   * refills.
   */
  wantsWholeRead(): boolean {
    return this.wholeReadWanted;
  }

  /** Drops a cgroup's rows and its exported series. */
  private drop(cgroup: bigint): void {
    const identity = this.identities.get(cgroup);
    if (!identity) {
      return;
    }
    for (const id of identity.syscalls) {
      if (id?.row) {
        this.exporting.delete(id.row);
      }
    }
    for (const id of identity.others.values()) {
      if (id.row) {
        this.exporting.delete(id.row);
      }
    }
    this.identities.delete(cgroup);
  }

  /** A cgroup's identity, or undefined when it belongs to no container (any more). */
  private identityOf(cgroup: bigint): CgroupIdentity | undefined {
    const container = this.ctx.containerOf(cgroup);
    if (container === undefined) {
      this.drop(cgroup);
      return undefined;
    }
    let identity = this.identities.get(cgroup);
    if (identity?.container !== container) {
      if (identity) {
        // Rows handed over before under the old container are gone with it; a
        // read of changes alone would not hand the unchanged ones over again.
        this.drop(cgroup);
        this.replaced = true;
      }
      identity = { container, prefix: `${cgroup}|`, syscalls: [], others: new Map() };
      this.identities.set(cgroup, identity);
    }
    return identity;
  }

  /**
   * Takes a read into the rows: what it hands over is refilled, admitted or
   * folded into `other`; rows it leaves out keep their values (a read of
   * changes leaves out what did not change). Applying the same read again
   * changes nothing, so scrapes that share a read may each ask.
   */
  apply(snapshot: NativeSnapshot): void {
    if (this.applied === snapshot) {
      return;
    }
    this.applied = snapshot;
    // Should this throw part way, the rows it did not reach are refilled by a whole read.
    this.wholeReadWanted = true;
    const families = this.ctx.families();
    const kinds = {} as Record<Kind, { active: boolean; cap: SeriesCap; series: number; countIndex: number }>;
    for (const kind of Object.keys(KIND_FAMILY) as Kind[]) {
      const family = KIND_FAMILY[kind];
      const shape = this.shapes[kind];
      kinds[kind] = {
        active: families.get(family)?.active ?? false,
        cap: this.caps.get(family)!,
        series: seriesPerRow(shape),
        countIndex: shape.countIndex,
      };
    }
    this.replaced = false;
    this.rows(snapshot, (kind, row) => {
      const k = kinds[kind];
      if (!k.active) {
        return;
      }
      const identity = row.identity;
      identity.admitted ??= k.cap.admit(row.key, row.cgroup, k.series);
      if (identity.admitted) {
        this.exporting.add(row);
      } else {
        k.cap.fold(kind, row.key, row.cgroup, row.values, k.countIndex, row.latest);
      }
    });
    this.wholeReadWanted = this.replaced;
  }

  samples(snapshot: NativeSnapshot): Map<string, FamilySamples> {
    this.apply(snapshot);
    const out = new Map<string, (ValueSample | HistogramSample)[]>();
    const sink = (metric: string, sample: ValueSample | HistogramSample) => {
      let list = out.get(metric);
      if (!list) {
        list = [];
        out.set(metric, list);
      }
      list.push(sample);
    };
    const families = this.ctx.families();
    const exported = new Map<TracerFamily, number>(TRACER_FAMILIES.map((f) => [f, 0]));
    const active = new Map<TracerFamily, boolean>(TRACER_FAMILIES.map((f) => [f, families.get(f)?.active ?? false]));
    for (const row of this.exporting) {
      const family = KIND_FAMILY[row.identity.kind];
      if (active.get(family)) {
        const n = emitRow(this.shapes[row.identity.kind], row.labels, row.values, row.latest, sink);
        exported.set(family, exported.get(family)! + n);
      }
    }
    for (const family of TRACER_FAMILIES) {
      const cap = this.caps.get(family)!;
      for (const [kind, other] of cap.otherRows()) {
        const shape = this.shapes[kind as Kind];
        const labels = this.otherLabels(kind as Kind);
        exported.set(family, exported.get(family)! + emitRow(shape, labels, other.values, other.latest, sink));
      }
    }

    this.exported = exported;
    this.selfSamples(snapshot, sink);
    return out as Map<string, FamilySamples>;
  }

  /** Calls `visit` with each row the read hands over; the rows are the identities' own, refilled. */
  private rows(snapshot: NativeSnapshot, visit: (kind: Kind, row: IdentifiedRow) => void): void {
    const { stats } = snapshot;
    const withComm = this.ctx.config.labels.process_name;
    const nb = this.histBuckets;
    // Syscall counts live in a dense per-cgroup array (or, with process
    // names, in the stats entries); their latencies in the stats entries.
    // A row's two parts are kept apart, since a read of changes may bring
    // one without the other.
    const read = ++this.reads;
    const touched: RowIdentity[] = [];
    const syscallIdentity = (cgroup: bigint, identity: CgroupIdentity, nr: number, comm: string): RowIdentity => {
      let id: RowIdentity | undefined;
      if (comm === '') {
        id = identity.syscalls[nr];
      } else {
        id = identity.others.get(`syscall|${nr}|${comm}`);
      }
      if (!id) {
        const labels: Record<string, string> = {
          container_id: identity.container,
          syscall: this.ctx.syscallNames[nr] ?? `syscall_${nr}`,
        };
        if (withComm) {
          labels.process_name = processNameLabel(comm);
        }
        id = { key: `${identity.prefix}${nr}|${comm}`, kind: 'syscall', labels, calls: 0 };
        id.row = { key: id.key, cgroup, labels, values: [0, 0, 0], identity: id };
        if (comm === '') {
          identity.syscalls[nr] = id;
        } else {
          identity.others.set(`syscall|${nr}|${comm}`, id);
        }
      }
      if (id.read !== read) {
        id.read = read;
        touched.push(id);
      }
      return id;
    };
    for (const { cgroupId, calls } of snapshot.syscallCounts) {
      const identity = this.identityOf(cgroupId);
      if (!identity) {
        continue;
      }
      for (let nr = 0; nr < calls.length; nr++) {
        const n = calls[nr];
        if (n > 0) {
          const known = identity.syscalls[nr];
          if (known?.calls !== n) {
            syscallIdentity(cgroupId, identity, nr, '').calls = n;
          }
        }
      }
    }

    const v = stats.values;
    for (let i = 0; i < stats.metrics.length; i++) {
      const cgroup = stats.cgroupIds[i];
      const metric = stats.metrics[i];
      const sub = stats.subs[i];
      const comm = stats.comms[i];
      const base = i * stats.width;
      const count = v[base];
      const identity = this.identityOf(cgroup);
      if (!identity) {
        continue;
      }
      if (metric === METRIC.syscall) {
        const id = syscallIdentity(cgroup, identity, sub, comm);
        const timed = (id.timed ??= new Array<number>(2 + nb).fill(0));
        timed[0] = count;
        timed[1] = v[base + 1];
        for (let b = 0; b < nb; b++) {
          timed[2 + b] = v[base + 5 + b];
        }
        continue;
      }
      // The row of a kind for this entry, its values refilled: count, sum and the
      // buckets for a latency row, bytes and count for a byte row.
      const named = (kind: Kind, extra: Labels, latency: boolean, withLatest: boolean): IdentifiedRow => {
        const part = `${kind}|${sub}|${comm}`;
        let id = identity.others.get(part);
        if (!id) {
          const all: Record<string, string> = { container_id: identity.container, ...extra };
          if (withComm && comm && PROCESS_NAME_KINDS.has(kind)) {
            all.process_name = processNameLabel(comm);
          }
          id = { key: `${kind}|${cgroup}|${sub}|${comm}`, kind, labels: all };
          identity.others.set(part, id);
        }
        let row = id.row;
        if (!row) {
          row = { key: id.key, cgroup, labels: id.labels, values: [], identity: id };
          id.row = row;
        }
        const values = row.values;
        if (latency) {
          // An index loop: Array.from of a subarray cost more than the rest of the read.
          values.length = 2 + nb;
          values[0] = count;
          values[1] = v[base + 1];
          for (let b = 0; b < nb; b++) {
            values[2 + b] = v[base + 5 + b];
          }
        } else {
          values.length = 2;
          values[0] = v[base + 2];
          values[1] = count;
        }
        if (withLatest) {
          const latest = (row.latest ??= { ns: 0, at: 0 });
          latest.ns = v[base + 3];
          latest.at = v[base + 4];
        } else {
          row.latest = undefined;
        }
        return row;
      };
      switch (metric) {
        case METRIC.fs:
          if (sub < FS_OPERATIONS.length) {
            const operation = FS_OPERATIONS[sub];
            visit('fs', named('fs', { operation }, true, true));
            if (operation !== 'fsync') {
              visit('fs_bytes', named('fs_bytes', { operation }, false, false));
            }
          }
          break;
        case METRIC.dns:
          visit('dns', named('dns', {}, true, true));
          break;
        case METRIC.tcpConnect:
          visit('tcp_connect', named('tcp_connect', {}, true, true));
          break;
        case METRIC.tcpState:
          if (sub >= 1 && sub <= TCP_STATES.length) {
            // Linux numbers TCP states from 1 (TCP_ESTABLISHED).
            const row = named('tcp_state', { state: TCP_STATES[sub - 1] }, false, false);
            row.values.length = 1;
            row.values[0] = count;
            visit('tcp_state', row);
          }
          break;
        case METRIC.tcpRtt:
          visit('tcp_rtt', named('tcp_rtt', {}, true, true));
          break;
        case METRIC.network:
          if (sub < DIRECTIONS.length) {
            visit('network', named('network', { direction: DIRECTIONS[sub] }, false, false));
          }
          break;
        case METRIC.cpuBlock:
          visit('cpu_block', named('cpu_block', {}, true, true));
          break;
        case METRIC.blockIo:
          visit(
            'block_io',
            named('block_io', { operation: BLOCK_OPERATIONS[Math.min(sub, BLOCK_OPERATIONS.length - 1)] }, true, false)
          );
          break;
      }
    }
    // Calls, timed calls, sum, then the buckets once a latency entry came (most rows
    // have none: the latency is sampled).
    for (const id of touched) {
      const values = id.row!.values;
      const timed = id.timed;
      if (!timed) {
        values.length = 3;
        values[0] = id.calls!;
        values[1] = values[2] = 0;
      } else {
        values.length = 3 + nb;
        values[0] = id.calls! + timed[0];
        values[2] = timed[1];
        let timedCalls = 0;
        for (let b = 0; b < nb; b++) {
          values[3 + b] = timed[2 + b];
          timedCalls += timed[2 + b];
        }
        values[1] = timedCalls;
      }
      visit('syscall', id.row!);
    }
  }

  /** Labels of a kind's `other` series: `other` in every label it has. */
  private otherLabels(kind: Kind): Labels {
    const labels: Record<string, string> = { container_id: 'other' };
    switch (kind) {
      case 'syscall':
        labels.syscall = 'other';
        break;
      case 'fs':
      case 'fs_bytes':
      case 'block_io':
        labels.operation = 'other';
        break;
      case 'tcp_state':
        labels.state = 'other';
        break;
      case 'network':
        labels.direction = 'other';
        break;
    }
    if (this.ctx.config.labels.process_name && PROCESS_NAME_KINDS.has(kind)) {
      labels.process_name = 'other';
    }
    return labels;
  }

  private selfSamples(snapshot: NativeSnapshot, sink: (metric: string, sample: ValueSample) => void): void {
    const families = this.ctx.families();
    TRACER_FAMILIES.forEach((family, f) => {
      const state = families.get(family);
      sink('zviz_tracer_family_active', { labels: { family }, value: state?.active ? 1 : 0 });
      if (state?.active) {
        LOST_REASONS.forEach((reason, r) => {
          sink('zviz_tracer_events_lost_total', {
            labels: { family, reason },
            value: snapshot.lost[f * LOST_REASONS.length + r] ?? 0,
          });
        });
        sink('zviz_series_overflow_total', { labels: { family }, value: this.caps.get(family)!.overflow });
      }
    });
    for (const refusal of snapshot.refusals ?? []) {
      const container = this.ctx.containerOf(refusal.cgroupId);
      if (container === undefined) {
        continue;
      }
      QUOTA_MAPS.forEach((map, q) => {
        if (refusal.refused[q]) {
          sink('zviz_tracer_quota_refused_total', {
            labels: { container_id: container, map },
            value: refusal.refused[q],
          });
        }
      });
    }
    for (const map of snapshot.maps) {
      sink('zviz_tracer_map_fill_ratio', {
        labels: { map: map.name },
        value: map.capacity > 0 ? map.entries / map.capacity : 0,
      });
    }
    if (this.ctx.bpfStatsEnabled()) {
      for (const program of snapshot.programs) {
        sink('zviz_tracer_program_runs_total', { labels: { program: program.program }, value: program.runCount });
        sink('zviz_tracer_program_run_seconds_total', {
          labels: { program: program.program },
          value: program.runTimeNs / 1e9,
        });
      }
    }
  }
}

/**
 * A thread's name as its process_name label. The workload chose it
 * (prctl(PR_SET_NAME), or any program's name), so it is spelled with
 * terminal/escape.ts like every other workload string an operator reads:
 * `curl /metrics`, `zviz metrics`, a legend or an alert's text must not hand
 * a terminal an escape sequence (an OSC 52 clipboard write, a title, a screen
 * clear), a carriage return or a bidirectional override. The spelling is
 * one-to-one (backslashes doubled), so no two names share a label.
 */
function processNameLabel(comm: string): string {
  return forTerminal(comm);
}
