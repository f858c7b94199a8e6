// One size of the scrape benchmark, in its own process (so RSS is this
// size's alone): a synthetic set of sources over the real catalog families
// with realistic label sets (containers x syscalls x decisions, histograms),
// rendered by the agent's registry, side by side with two references over
// the same series: prom-client rendering them (values already set, so only
// its rendering is timed) and a bare join of pre-rendered lines (the floor).
// Prints one JSON line of results.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import { CATALOG_BY_NAME, DECISIONS, RESOURCE_TYPES, type MetricSpec } from '../../agent/src/metrics/catalog';
import { MetricsRegistry } from '../../agent/src/metrics/registry';
import type { FamilySamples, HistogramSample, MetricSource, ValueSample } from '../../agent/src/metrics/source';

const SYSCALLS = [
  'read',
  'write',
  'openat',
  'close',
  'fstat',
  'mmap',
  'mprotect',
  'munmap',
  'brk',
  'rt_sigaction',
  'rt_sigprocmask',
  'ioctl',
  'pread64',
  'pwrite64',
  'readv',
  'writev',
  'access',
  'pipe2',
  'select',
  'sched_yield',
  'mremap',
  'madvise',
  'dup',
  'dup2',
  'nanosleep',
  'getpid',
  'sendfile',
  'socket',
  'connect',
  'accept4',
  'sendto',
  'recvfrom',
  'sendmsg',
  'recvmsg',
  'bind',
  'listen',
  'clone3',
  'execve',
  'exit_group',
  'futex',
];
/** Syscalls with a latency histogram per container (the tracer keeps the busiest). */
const LATENCY_SYSCALLS = SYSCALLS.slice(0, 8);
const FS_OPS = ['read', 'write', 'fsync'];

interface Family {
  spec: MetricSpec;
  rows: Array<Record<string, string>>;
}

function family(name: string, rows: Array<Record<string, string>>): Family {
  const spec = CATALOG_BY_NAME.get(name);
  if (!spec) {
    throw new Error(`${name} is not in the catalog`);
  }
  return { spec, rows };
}

function workload(containers: number): Family[] {
  const ids = Array.from({ length: containers }, (_, i) => (0x1a2b3c4d5e00 + i * 7919).toString(16).padStart(12, '0'));
  const per = (f: (id: string) => Array<Record<string, string>>) => ids.flatMap(f);
  const families: Family[] = [
    family('zviz_broker_requests_total', [{}]),
    family('zviz_broker_inflight', [{}]),
    family('zviz_broker_latency_seconds', [{}]),
    family(
      'zviz_broker_decisions_total',
      SYSCALLS.flatMap((syscall) => DECISIONS.map((decision) => ({ syscall, decision })))
    ),
    family(
      'zviz_container_info',
      per((container_id) => [{ container_id, name: `job-${container_id.slice(-4)}`, profile: 'ci-runner' }])
    ),
    family(
      'zviz_container_uptime_seconds',
      per((container_id) => [{ container_id }])
    ),
    family(
      'zviz_container_restarts_total',
      per((container_id) => [{ container_id }])
    ),
    family(
      'zviz_memory_usage_bytes',
      per((container_id) => [{ container_id }])
    ),
    family(
      'zviz_cpu_usage_seconds',
      per((container_id) => [{ container_id }])
    ),
    family(
      'zviz_io_read_bytes_total',
      per((container_id) => [{ container_id }])
    ),
    family(
      'zviz_io_write_bytes_total',
      per((container_id) => [{ container_id }])
    ),
    ...[
      'zviz_resource_limit',
      'zviz_resource_usage',
      'zviz_resource_utilization_ratio',
      'zviz_resource_alert_level',
    ].map((name) =>
      family(
        name,
        per((container_id) => RESOURCE_TYPES.map((resource_type) => ({ container_id, resource_type })))
      )
    ),
    family(
      'zviz_syscalls_total',
      per((container_id) => SYSCALLS.map((syscall) => ({ container_id, syscall })))
    ),
    family(
      'zviz_syscall_latency_seconds',
      per((container_id) => LATENCY_SYSCALLS.map((syscall) => ({ container_id, syscall })))
    ),
    family(
      'zviz_fs_latency_seconds',
      per((container_id) => FS_OPS.map((operation) => ({ container_id, operation })))
    ),
    ...[
      'zviz_tcp_rtt_seconds',
      'zviz_tcp_connect_latency_seconds',
      'zviz_dns_latency_seconds',
      'zviz_cpu_block_seconds',
    ].map((name) =>
      family(
        name,
        per((container_id) => [{ container_id }])
      )
    ),
    ...['zviz_tcp_rtt_latest_seconds', 'zviz_dns_latency_latest_seconds', 'zviz_cpu_block_latest_seconds'].map((name) =>
      family(
        name,
        per((container_id) => [{ container_id }])
      )
    ),
    family(
      'zviz_network_bytes_total',
      per((container_id) => ['send', 'recv'].map((direction) => ({ container_id, direction })))
    ),
    family(
      'zviz_filesystem_bytes_total',
      per((container_id) => ['read', 'write'].map((operation) => ({ container_id, operation })))
    ),
  ];
  return families;
}

function seriesOf(families: Family[]): number {
  return families.reduce(
    (n, f) => n + f.rows.length * (f.spec.type === 'histogram' ? (f.spec.buckets?.length ?? 0) + 3 : 1),
    0
  );
}

/** Containers needed for about `target` series. */
function containersFor(target: number): number {
  const base = seriesOf(workload(0));
  const perContainer = seriesOf(workload(1)) - base;
  return Math.max(1, Math.round((target - base) / perContainer));
}

/**
 * A source like a real one: at each scrape it builds fresh sample objects
 * from compact numeric state (as the tracer does from a BPF map read).
 */
class SyntheticSource implements MetricSource {
  readonly families: string[];
  private tick = 0;

  constructor(private readonly family: Family) {
    this.families = [family.spec.name];
  }

  collect(): Map<string, FamilySamples> {
    this.tick++;
    const { spec, rows } = this.family;
    let samples: ValueSample[] | HistogramSample[];
    if (spec.type === 'histogram') {
      const bounds = spec.buckets ?? [];
      samples = rows.map((labels, i) => {
        const buckets = new Array<number>(bounds.length);
        let cumulative = 0;
        for (let b = 0; b < bounds.length; b++) {
          cumulative += (i + b + this.tick) % 5;
          buckets[b] = cumulative;
        }
        return { labels, buckets, sum: cumulative * 0.0123, count: cumulative + 1 };
      });
    } else {
      samples = rows.map((labels, i) => ({ labels, value: spec.type === 'counter' ? i * 31 + this.tick : i % 97 }));
    }
    return new Map([[spec.name, samples]]);
  }
}

function promClientRegistry(families: Family[]): Registry {
  const registry = new Registry();
  for (const { spec, rows } of families) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    if (spec.type === 'histogram') {
      const metric = new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] });
      rows.forEach((labels, i) => metric.observe(labels, (spec.buckets ?? [1])[i % (spec.buckets?.length ?? 1)]));
    } else if (spec.type === 'counter') {
      const metric = new Counter(common);
      rows.forEach((labels, i) => metric.inc(labels, i + 1));
    } else {
      const metric = new Gauge(common);
      rows.forEach((labels, i) => metric.set(labels, i));
    }
  }
  return registry;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

/**
 * Milliseconds this thread has run on a core. On a machine shared with other
 * jobs the wall time of a render includes its waits for a core; this does
 * not, so two builds can be compared under load.
 */
function threadCpuMs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
}

/**
 * Resident MiB of glibc's main arena (the `[heap]` mapping): where the main
 * thread's mallocs live, Buffers among them. Freed Buffers return to the
 * arena only once V8 collects their holders; what the renders leave there
 * is what the agent at a thousand containers grew by (docs/benchmarks.md).
 */
function mainArenaMiB(): number {
  let inHeap = false;
  for (const row of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(row)) {
      inHeap = row.endsWith('[heap]');
    } else if (inHeap && row.startsWith('Rss:')) {
      return Number(row.split(/\s+/)[1]) / 1024;
    }
  }
  return 0;
}

/** Wall times of `runs` calls, after 5 to warm up; their main-thread CPU times in `cpu`. */
async function time(runs: number, fn: () => Promise<unknown> | unknown, cpu: number[] = []): Promise<number[]> {
  for (let i = 0; i < 5; i++) {
    await fn();
  }
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpuStart = threadCpuMs();
    await fn();
    cpu.push(threadCpuMs() - cpuStart);
    out.push(performance.now() - start);
  }
  return out;
}

async function main(): Promise<void> {
  const target = Number(process.argv[2] ?? 10000);
  const runs = Number(process.argv[3] ?? 30);
  const families = workload(containersFor(target));
  const registry = new MetricsRegistry({ seriesLimit: 10_000_000 });
  for (const f of families) {
    registry.addSource(new SyntheticSource(f));
  }
  const rssBefore = process.memoryUsage.rss();

  // The agent's render, with the event loop delay watched while it runs.
  const zvizTextCpu: number[] = [];
  const zvizText = await time(runs, async () => (await registry.scrape('text')).release(), zvizTextCpu);

  // Event-loop delay during scrapes: a 1 ms timer samples how late the loop
  // runs it, which is what the HTTP server and the broker's event delivery
  // would wait. Scrapes are spaced by a pause (a real one comes every 15 s),
  // then the same loop is watched as long with no scrape at all: the delay
  // the machine itself causes (other processes, timer granularity).
  const pause = () => new Promise((resolve) => setTimeout(resolve, 25));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const lagSince = performance.now();
  loop.enable();
  for (let i = 0; i < runs; i++) {
    (await registry.scrape('text')).release();
    await pause();
  }
  loop.disable();
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, performance.now() - lagSince));
  idle.disable();
  const zvizOm = await time(runs, async () => (await registry.scrape('openmetrics')).release());
  const last = await registry.scrape('text');
  const series = [...last.families.values()].reduce((n, f) => n + f.series, 0);
  const bytes = last.body.length;
  const rssAfter = process.memoryUsage.rss();
  const arenaAfter = mainArenaMiB();
  const heapAfter = process.memoryUsage();

  const prom = promClientRegistry(families);
  const promTextCpu: number[] = [];
  const promText = await time(runs, () => prom.metrics(), promTextCpu);
  const lines = last.body.toString('utf8').split('\n');
  const join = await time(runs, () => lines.join('\n'));

  process.stdout.write(
    `${JSON.stringify({
      target,
      series,
      containers: containersFor(target),
      bytes,
      runs,
      zvizTextMedianMs: median(zvizText),
      zvizTextP95Ms: p95(zvizText),
      zvizTextCpuMs: median(zvizTextCpu),
      zvizOpenMetricsMedianMs: median(zvizOm),
      loopLagMaxMs: loop.max / 1e6,
      loopLagP99Ms: loop.percentile(99) / 1e6,
      idleLagMaxMs: idle.max / 1e6,
      idleLagP99Ms: idle.percentile(99) / 1e6,
      promClientMedianMs: median(promText),
      promClientCpuMs: median(promTextCpu),
      joinMedianMs: median(join),
      rssBeforeMiB: rssBefore / 2 ** 20,
      rssAfterMiB: rssAfter / 2 ** 20,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      renders: runs * 3 + 15,
      mainArenaMiB: arenaAfter,
      v8HeapTotalMiB: heapAfter.heapTotal / 2 ** 20,
      externalMiB: heapAfter.external / 2 ** 20,
    })}\n`
  );
}

void main();
