import { describe, expect, it } from 'vitest';

import { CATALOG_BY_NAME, SYSCALL_LATENCY_BUCKETS, TRACE_LATENCY_BUCKETS } from '../metrics/catalog';
import type { FamilySamples, HistogramSample, ValueSample } from '../metrics/source';
import { resolveTracerConfig, type TracerConfigInput } from './config';
import { LOST_REASONS, METRIC, TRACER_FAMILIES, type TracerFamily } from './families';
import { TracerMetrics, type FamilyState } from './metrics';
import type { NativeSnapshot } from './native';

const NB = 21;
const geometry = { histBuckets: NB, baseNsTrace: 100_000, baseNsSyscall: 1_000 };
const names = Object.assign(new Array<string>(512).fill(''), { 39: 'getpid', 110: 'getppid', 511: 'unknown' });

interface Entry {
  cgroup: bigint;
  metric: number;
  sub?: number;
  comm?: string;
  count?: number;
  sumNs?: number;
  bytes?: number;
  last?: [number, number];
  buckets?: Record<number, number>;
}

function snapshot(entries: Entry[], counts: Record<string, Record<number, number>> = {}): NativeSnapshot {
  const width = 5 + NB;
  const values = new Float64Array(entries.length * width);
  entries.forEach((e, i) => {
    const row = values.subarray(i * width, (i + 1) * width);
    row[0] = e.count ?? 0;
    row[1] = e.sumNs ?? 0;
    row[2] = e.bytes ?? 0;
    row[3] = e.last?.[0] ?? 0;
    row[4] = e.last?.[1] ?? 0;
    for (const [b, n] of Object.entries(e.buckets ?? {})) {
      row[5 + Number(b)] = n;
    }
  });
  return {
    takenAtNs: 1,
    syscallCounts: Object.entries(counts).map(([cgroup, calls]) => {
      const array = new Float64Array(512);
      for (const [nr, n] of Object.entries(calls)) {
        array[Number(nr)] = n;
      }
      return { cgroupId: BigInt(cgroup), calls: array };
    }),
    stats: {
      cgroupIds: BigUint64Array.from(entries.map((e) => e.cgroup)),
      metrics: Uint16Array.from(entries.map((e) => e.metric)),
      subs: Uint16Array.from(entries.map((e) => e.sub ?? 0)),
      comms: entries.map((e) => e.comm ?? ''),
      values,
      width,
    },
    lost: Float64Array.from({ length: 8 * LOST_REASONS.length }, (_, i) => (i === 2 * LOST_REASONS.length + 3 ? 7 : 0)),
    maps: [{ name: 'stats', entries: 4, capacity: 16 }],
    programs: [{ program: 'zviz_sys_enter', runCount: 10, runTimeNs: 2e9 }],
    quotas: [],
    refusals: [],
  };
}

function metrics(input: TracerConfigInput = {}, containers: Record<string, string> = { '1': 'c1', '2': 'c2' }) {
  const config = resolveTracerConfig(input);
  const families = new Map<TracerFamily, FamilyState>(
    TRACER_FAMILIES.map((f) => [f, { active: config.families[f], reason: config.families[f] ? '' : 'disabled' }])
  );
  return new TracerMetrics({
    config,
    geometry,
    syscallNames: names,
    containerOf: (cgroup) => containers[String(cgroup)],
    families: () => families,
    bpfStatsEnabled: () => true,
  });
}

function find<T extends ValueSample | HistogramSample>(
  out: Map<string, FamilySamples>,
  metric: string,
  labels: Record<string, string>
): T | undefined {
  return (out.get(metric) as T[] | undefined)?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

describe('tracer metrics', () => {
  it('shapes syscall counts and latencies by container and syscall name', () => {
    const out = metrics().samples(
      snapshot([{ cgroup: 1n, metric: METRIC.syscall, sub: 110, sumNs: 9000, buckets: { 0: 3, 2: 1 } }], {
        1: { 110: 40, 39: 2 },
        2: { 110: 5 },
      })
    );
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c1', syscall: 'getppid' })?.value).toBe(40);
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c1', syscall: 'getpid' })?.value).toBe(2);
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c2', syscall: 'getppid' })?.value).toBe(5);
    const latency = find<HistogramSample>(out, 'zviz_syscall_latency_seconds', { container_id: 'c1' });
    expect(latency).toMatchObject({ count: 4, sum: 9e-6 });
    // Kernel bucket 2 is <= 16 µs: catalog buckets 1 µs, 4 µs, 16 µs...
    expect(latency?.buckets.slice(0, 4)).toEqual([3, 3, 4, 4]);
    expect(latency?.buckets).toHaveLength(SYSCALL_LATENCY_BUCKETS.length);
    // Syscalls nobody timed export no histogram.
    expect(find(out, 'zviz_syscall_latency_seconds', { container_id: 'c2' })).toBeUndefined();
  });

  it('shapes latency families with their latest value and byte counters', () => {
    const out = metrics().samples(
      snapshot([
        { cgroup: 1n, metric: METRIC.dns, count: 2, sumNs: 3e8, last: [1.5e8, 99], buckets: { 11: 2 } },
        {
          cgroup: 1n,
          metric: METRIC.fs,
          sub: 1,
          count: 16,
          sumNs: 1e5,
          bytes: 65536,
          last: [2e3, 5],
          buckets: { 0: 16 },
        },
        { cgroup: 1n, metric: METRIC.fs, sub: 2, count: 1, sumNs: 6e5, last: [6e5, 6], buckets: { 3: 1 } },
        { cgroup: 2n, metric: METRIC.network, sub: 1, count: 3, bytes: 2102 },
        { cgroup: 2n, metric: METRIC.tcpState, sub: 2, count: 1 },
        { cgroup: 2n, metric: METRIC.blockIo, sub: 1, count: 2, sumNs: 1e6, buckets: { 1: 2 } },
      ])
    );
    const dns = find<HistogramSample>(out, 'zviz_dns_latency_seconds', { container_id: 'c1' });
    expect(dns?.count).toBe(2);
    expect(dns?.buckets[TRACE_LATENCY_BUCKETS.indexOf(0.2048)]).toBe(2);
    expect(dns?.buckets[TRACE_LATENCY_BUCKETS.indexOf(0.1024)]).toBe(0);
    expect(find<ValueSample>(out, 'zviz_dns_latency_latest_seconds', { container_id: 'c1' })?.value).toBe(0.15);
    expect(find<ValueSample>(out, 'zviz_filesystem_bytes_total', { operation: 'write' })?.value).toBe(65536);
    expect(find(out, 'zviz_filesystem_bytes_total', { operation: 'fsync' })).toBeUndefined();
    expect(find<HistogramSample>(out, 'zviz_fs_latency_seconds', { operation: 'fsync' })?.count).toBe(1);
    expect(find<ValueSample>(out, 'zviz_network_bytes_total', { container_id: 'c2', direction: 'recv' })?.value).toBe(
      2102
    );
    expect(find<ValueSample>(out, 'zviz_tcp_state_changes_total', { state: 'SYN_SENT' })?.value).toBe(1);
    expect(find<HistogramSample>(out, 'zviz_block_io_latency_seconds', { operation: 'write' })?.count).toBe(2);
  });

  it('drops entries of cgroups it no longer knows', () => {
    const out = metrics({}, { 1: 'c1' }).samples(
      snapshot([{ cgroup: 9n, metric: METRIC.dns, count: 1 }], { 9: { 110: 1 } })
    );
    expect(out.get('zviz_dns_latency_seconds')).toBeUndefined();
    expect(out.get('zviz_syscalls_total')).toBeUndefined();
  });

  it('caps series per family and folds the rest into other, counting the overflow', () => {
    // Room for one syscall label set: a counter and a histogram.
    const m = metrics({ series_limits: { syscalls: 1 + SYSCALL_LATENCY_BUCKETS.length + 3 } });
    m.samples(snapshot([], { 1: { 110: 1 } }));
    const out = m.samples(snapshot([], { 1: { 110: 3, 39: 4 }, 2: { 110: 5 } }));
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c1', syscall: 'getppid' })?.value).toBe(3);
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'other', syscall: 'other' })?.value).toBe(9);
    expect(find<ValueSample>(out, 'zviz_series_overflow_total', { family: 'syscalls' })?.value).toBe(9);
    expect(m.seriesReport().syscalls).toEqual({ exported: 2, limit: 18, overflow: 9 });

    // c1 goes away: its place is free for a new label set, while label sets
    // already folded stay in other (so sums over all series never count twice).
    m.forget(1n);
    const after = m.samples(snapshot([], { 2: { 110: 6, 39: 1 } }));
    expect(find<ValueSample>(after, 'zviz_syscalls_total', { container_id: 'c2', syscall: 'getpid' })?.value).toBe(1);
    expect(find<ValueSample>(after, 'zviz_syscalls_total', { container_id: 'other' })?.value).toBe(10);
  });

  it("keeps each series' labels object from one read to the next, and starts afresh for a cgroup that changed hands", () => {
    // The registry keeps a rendered label block per labels object (metrics/render.ts).
    const containers: Record<string, string> = { 1: 'c1' };
    const m = metrics({}, containers);
    const read = (n: number) =>
      m.samples(snapshot([{ cgroup: 1n, metric: METRIC.dns, count: n, buckets: { 0: n } }], { 1: { 110: n } }));
    const first = read(1);
    const second = read(2);
    const labelsOf = (out: Map<string, FamilySamples>, metric: string) => find<ValueSample>(out, metric, {})?.labels;
    expect(labelsOf(second, 'zviz_syscalls_total')).toBe(labelsOf(first, 'zviz_syscalls_total'));
    expect(labelsOf(second, 'zviz_dns_latency_seconds')).toBe(labelsOf(first, 'zviz_dns_latency_seconds'));
    expect(find<ValueSample>(second, 'zviz_syscalls_total', {})?.value).toBe(2);
    containers[1] = 'c9';
    const moved = read(3);
    expect(find<ValueSample>(moved, 'zviz_syscalls_total', {})?.labels).toEqual({
      container_id: 'c9',
      syscall: 'getppid',
    });
    expect(find<HistogramSample>(moved, 'zviz_dns_latency_seconds', {})?.labels).toEqual({ container_id: 'c9' });
  });

  it('folds a syscall label set into other whether or not its latency was timed in a read', () => {
    // Room for nothing: every label set folds. A read with only a count, then one with a
    // timed call too: other has the calls (2, then 5), then the timed call's bucket, never NaN.
    const m = metrics({ series_limits: { syscalls: 0 } });
    m.samples(snapshot([], { 1: { 110: 2 } }));
    const out = m.samples(
      snapshot([{ cgroup: 1n, metric: METRIC.syscall, sub: 110, sumNs: 2000, buckets: { 0: 1 } }], { 1: { 110: 5 } })
    );
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'other' })?.value).toBe(5);
    const latency = find<HistogramSample>(out, 'zviz_syscall_latency_seconds', { container_id: 'other' });
    expect(latency).toMatchObject({ count: 1, sum: 2e-6 });
    expect(latency?.buckets.every((b) => Number.isFinite(b))).toBe(true);
    expect(find<ValueSample>(out, 'zviz_series_overflow_total', { family: 'syscalls' })?.value).toBe(5);
  });

  it('keeps exporting what a read of changes leaves out, with the values it last had', () => {
    const m = metrics();
    const c1Dns = { cgroup: 1n, metric: METRIC.dns, count: 2, sumNs: 3e8, last: [1.5e8, 99] as [number, number] };
    m.samples(
      snapshot([c1Dns, { cgroup: 1n, metric: METRIC.syscall, sub: 110, sumNs: 9000, buckets: { 0: 3 } }], {
        1: { 110: 40 },
        2: { 110: 5 },
      })
    );
    expect(m.wantsWholeRead()).toBe(false);
    // Only c2 changed: c1's counts, latencies and DNS series are still there, as they were.
    const out = m.samples({ ...snapshot([], { 2: { 110: 8 } }), changesOnly: true });
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c1', syscall: 'getppid' })?.value).toBe(40);
    expect(find<HistogramSample>(out, 'zviz_syscall_latency_seconds', { container_id: 'c1' })?.count).toBe(3);
    expect(find<HistogramSample>(out, 'zviz_dns_latency_seconds', { container_id: 'c1' })?.count).toBe(2);
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c2', syscall: 'getppid' })?.value).toBe(8);

    // A syscall's latency entry changes alone (a call timed at its exit): its count stays.
    const timed = m.samples({
      ...snapshot([{ cgroup: 1n, metric: METRIC.syscall, sub: 110, sumNs: 19000, buckets: { 0: 4 } }]),
      changesOnly: true,
    });
    expect(find<ValueSample>(timed, 'zviz_syscalls_total', { container_id: 'c1', syscall: 'getppid' })?.value).toBe(40);
    expect(find<HistogramSample>(timed, 'zviz_syscall_latency_seconds', { container_id: 'c1' })).toMatchObject({
      count: 4,
      sum: 19e-6,
    });
    // Its count changes alone: the histogram stays.
    const counted = m.samples({ ...snapshot([], { 1: { 110: 41 } }), changesOnly: true });
    expect(find<HistogramSample>(counted, 'zviz_syscall_latency_seconds', { container_id: 'c1' })?.count).toBe(4);
    // Two counters and a histogram.
    expect(m.seriesReport().syscalls.exported).toBe(2 + SYSCALL_LATENCY_BUCKETS.length + 3);

    // A forgotten cgroup's series go, though no read mentions it.
    m.forget(1n);
    const after = m.samples({ ...snapshot([]), changesOnly: true });
    expect(find(after, 'zviz_syscalls_total', { container_id: 'c1' })).toBeUndefined();
    expect(find(after, 'zviz_dns_latency_seconds', { container_id: 'c1' })).toBeUndefined();
    expect(find<ValueSample>(after, 'zviz_syscalls_total', { container_id: 'c2' })?.value).toBe(8);
  });

  it('folds what folded label sets gained once, however reads of changes hand them over', () => {
    // Room for c1's label set; c2's folds.
    const m = metrics({ series_limits: { syscalls: 1 + SYSCALL_LATENCY_BUCKETS.length + 3 } });
    m.samples(snapshot([], { 1: { 110: 3 }, 2: { 110: 5 } }));
    // c2 is left out of a read (unchanged), then handed over again with more calls.
    m.samples({ ...snapshot([], { 1: { 110: 4 } }), changesOnly: true });
    const same = snapshot([], { 2: { 110: 9 } });
    m.samples({ ...same, changesOnly: true });
    // The same read applied twice (scrapes sharing it) adds nothing more.
    const out = m.samples({ ...same, changesOnly: true });
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'c1' })?.value).toBe(4);
    expect(find<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'other' })?.value).toBe(9);
    expect(find<ValueSample>(out, 'zviz_series_overflow_total', { family: 'syscalls' })?.value).toBe(9);
  });

  it('asks for a whole read when a traced cgroup changed hands, since its unchanged rows were dropped', () => {
    const containers: Record<string, string> = { 1: 'c1' };
    const m = metrics({}, containers);
    m.samples(snapshot([{ cgroup: 1n, metric: METRIC.dns, count: 1 }], { 1: { 110: 1, 39: 2 } }));
    expect(m.wantsWholeRead()).toBe(false);
    containers[1] = 'c9';
    // A read of changes brings getppid alone: getpid and DNS of c1 are gone, and a whole read is wanted.
    const moved = m.samples({ ...snapshot([], { 1: { 110: 2 } }), changesOnly: true });
    expect(find(moved, 'zviz_syscalls_total', { container_id: 'c1' })).toBeUndefined();
    expect(find<ValueSample>(moved, 'zviz_syscalls_total', { container_id: 'c9', syscall: 'getppid' })?.value).toBe(2);
    expect(m.wantsWholeRead()).toBe(true);
    const whole = m.samples(snapshot([{ cgroup: 1n, metric: METRIC.dns, count: 1 }], { 1: { 110: 2, 39: 2 } }));
    expect(find<ValueSample>(whole, 'zviz_syscalls_total', { container_id: 'c9', syscall: 'getpid' })?.value).toBe(2);
    expect(find<HistogramSample>(whole, 'zviz_dns_latency_seconds', { container_id: 'c9' })?.count).toBe(1);
    expect(m.wantsWholeRead()).toBe(false);
  });

  it('adds process_name only when configured', () => {
    const entries = [{ cgroup: 1n, metric: METRIC.syscall, sub: 110, comm: 'curl', count: 3, buckets: { 0: 3 } }];
    const off = metrics().samples(snapshot(entries));
    expect(find<ValueSample>(off, 'zviz_syscalls_total', { syscall: 'getppid' })?.labels).toEqual({
      container_id: 'c1',
      syscall: 'getppid',
    });
    const on = metrics({ labels: { process_name: true } }).samples(snapshot(entries));
    expect(find<ValueSample>(on, 'zviz_syscalls_total', { syscall: 'getppid' })?.labels).toEqual({
      container_id: 'c1',
      syscall: 'getppid',
      process_name: 'curl',
    });
  });

  it('reports its own health: families, losses, map fill, program runs', () => {
    const out = metrics({ families: { block_io: false } }).samples(snapshot([]));
    expect(find<ValueSample>(out, 'zviz_tracer_family_active', { family: 'dns' })?.value).toBe(1);
    expect(find<ValueSample>(out, 'zviz_tracer_family_active', { family: 'block_io' })?.value).toBe(0);
    expect(find<ValueSample>(out, 'zviz_tracer_events_lost_total', { family: 'dns', reason: 'expired' })?.value).toBe(
      7
    );
    expect(find<ValueSample>(out, 'zviz_tracer_map_fill_ratio', { map: 'stats' })?.value).toBe(0.25);
    expect(find<ValueSample>(out, 'zviz_tracer_program_run_seconds_total', { program: 'zviz_sys_enter' })?.value).toBe(
      2
    );
  });

  it("counts each container's refused inserts by map, and none for a cgroup no container owns", () => {
    const read = snapshot([]);
    read.refusals = [
      { cgroupId: 1n, refused: Float64Array.from([0, 40, 0, 3, 0]) },
      { cgroupId: 99n, refused: Float64Array.from([5, 0, 0, 0, 0]) },
    ];
    const out = metrics().samples(read);
    expect(out.get('zviz_tracer_quota_refused_total')).toEqual([
      { labels: { container_id: 'c1', map: 'dns_pending' }, value: 40 },
      { labels: { container_id: 'c1', map: 'blocked' }, value: 3 },
    ]);
  });

  it('emits only catalog families, with catalog labels and bucket counts', () => {
    const out = metrics({ labels: { process_name: true }, series_limits: { dns: 0 } }).samples(
      snapshot(
        [
          { cgroup: 1n, metric: METRIC.syscall, sub: 110, count: 1, buckets: { 0: 1 }, comm: 'a' },
          ...[METRIC.fs, METRIC.dns, METRIC.tcpConnect, METRIC.tcpRtt, METRIC.cpuBlock, METRIC.blockIo].map(
            (metric) => ({
              cgroup: 1n,
              metric,
              count: 1,
              last: [1, 1] as [number, number],
              buckets: { 0: 1 },
              comm: 'a',
            })
          ),
          { cgroup: 1n, metric: METRIC.network, count: 1, bytes: 1 },
          { cgroup: 1n, metric: METRIC.tcpState, sub: 1, count: 1 },
        ],
        { 1: { 110: 1 } }
      )
    );
    expect(out.size).toBeGreaterThan(20);
    for (const [name, samples] of out) {
      const spec = CATALOG_BY_NAME.get(name);
      expect(spec, name).toBeDefined();
      for (const sample of samples) {
        expect(
          Object.keys(sample.labels).every((l) => spec!.labels.includes(l)),
          `${name} ${JSON.stringify(sample.labels)}`
        ).toBe(true);
        if (spec!.type === 'histogram') {
          expect((sample as HistogramSample).buckets).toHaveLength(spec!.buckets!.length);
        }
      }
    }
    expect(TracerMetrics.families()).toEqual(expect.arrayContaining([...out.keys()]));
  });
});
