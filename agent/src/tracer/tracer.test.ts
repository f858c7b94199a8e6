// The tracer on the real kernel: a workload with known behaviour runs in a
// cgroup the test creates and registers, and the metric source must show its
// syscalls, file I/O, DNS queries, TCP connect and RTT, bytes, blocked time
// and block I/O, in the right container and buckets.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { binary, btf, describeWhere, root } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';

import { SYSCALL_LATENCY_BUCKETS, TRACE_LATENCY_BUCKETS } from '../metrics/catalog';
import { MetricsRegistry } from '../metrics/registry';
import type { FamilySamples, HistogramSample, ValueSample } from '../metrics/source';
import { packageRoot } from '../native/load';
import type { AgentContext } from '../agent-context';
import type { Config } from '../assembly/config-sections';
import { cgroup2Mount, resolveCgroup } from './cgroup-id';
import { tracerComponent } from './component';
import { resolveTracerConfig, type TracerConfigInput, type TracerSections } from './config';
import { METRIC, TRACER_FAMILIES } from './families';
import { loadTracerAddon, type NativeSnapshot, type TracerAddon } from './native';
import { Tracer, type TracerLogger } from './tracer';

const GETPPIDS = 12345;
const SLEEP_MS = 700;
const DNS_DELAY_MS = 150;

function samplesOf<T extends ValueSample | HistogramSample>(
  out: Map<string, FamilySamples>,
  metric: string,
  labels: Record<string, string>
): T[] {
  return ((out.get(metric) ?? []) as T[]).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function one<T extends ValueSample | HistogramSample>(
  out: Map<string, FamilySamples>,
  metric: string,
  labels: Record<string, string>
): T {
  const found = samplesOf<T>(out, metric, labels);
  expect(found, `${metric} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0];
}

/**
 * The smallest bucket bound holding `seconds` (Infinity past the last): what
 * the workload measured around a call bounds what the tracer may have timed
 * inside it, on a machine of any speed.
 */
function boundHolding(bounds: readonly number[], seconds: number): number {
  return bounds.find((bound) => bound >= seconds) ?? Infinity;
}

/** Observations with le(lower) < value <= le(upper), from cumulative buckets (upper Infinity: all). */
function between(h: HistogramSample, bounds: readonly number[], lower: number, upper: number): number {
  const at = (bound: number) => (bound === 0 ? 0 : bound === Infinity ? h.count : h.buckets[bounds.indexOf(bound)]);
  expect((upper === Infinity || bounds.includes(upper)) && (lower === 0 || bounds.includes(lower))).toBe(true);
  return at(upper) - at(lower);
}

/** Runs `command` in the cgroup; resolves to what it printed. */
function run(command: string, args: string[], cgroupDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `echo $$ > ${cgroupDir}/cgroup.procs && exec "$0" "$@"`, command, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args[0]} exited ${code}`))
    );
  });
}

/** The client's "took NAME SECONDS" lines (test/workloads/tracer.c): how long each timed step took, seen from inside. */
function tookTimes(out: string): Record<string, number> {
  return Object.fromEntries([...out.matchAll(/^took (\S+) (\S+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

/** A DNS server answering every A query with 10.1.2.3 after a delay. */
async function dnsResponder(address: string, delayMs: number): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    setTimeout(() => {
      let end = 12;
      while (query[end] !== 0) {
        end += query[end] + 1;
      }
      const question = query.subarray(12, end + 5);
      const header = Buffer.from([query[0], query[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
      const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3]);
      socket.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
    }, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, resolve);
  });
  return socket;
}

class LogBook implements TracerLogger {
  readonly lines: { level: string; details: object; message: string }[] = [];
  info(details: object, message: string) {
    this.lines.push({ level: 'info', details, message });
  }
  warn(details: object, message: string) {
    this.lines.push({ level: 'warn', details, message });
  }
}

describeWhere([root, btf, binary('cc', 'gcc')], 'tracer on the kernel', () => {
  const work = scratchDir('zviz-tracer-');
  const workload = join(work, 'tracer-workload');
  const mount = cgroup2Mount()!;
  const parent = join(mount, `zviz-test-${process.pid}`);
  const cgroupDirs: string[] = [];
  const tracers: Tracer[] = [];

  function cgroup(name: string): { dir: string; id: bigint } {
    const dir = join(parent, name);
    mkdirSync(dir, { recursive: true });
    cgroupDirs.push(dir);
    return { dir, id: resolveCgroup(dir, mount).id };
  }

  async function startTracer(input: TracerConfigInput, logger?: TracerLogger): Promise<Tracer> {
    const tracer = new Tracer(resolveTracerConfig({ read_interval_seconds: 0, ...input }), { logger });
    tracers.push(tracer);
    await tracer.start();
    return tracer;
  }

  beforeAll(() => {
    execFileSync('cc', ['-O2', '-Wall', '-o', workload, join(packageRoot(), 'test/workloads/tracer.c'), '-lresolv']);
  });

  afterAll(async () => {
    for (const tracer of tracers) {
      await tracer.stop();
    }
    for (const dir of cgroupDirs.reverse()) {
      rmdirSync(dir);
    }
    rmdirSync(parent);
  });

  it('agrees with the addon on the ABI numbers', () => {
    const loaded = loadTracerAddon();
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    const abi: TracerAddon['abi'] = loaded.addon.abi;
    expect(abi.families).toEqual([...TRACER_FAMILIES]);
    expect(abi.metrics).toEqual(METRIC);
  });

  describe('with every family on', () => {
    let tracer: Tracer;
    const logs = new LogBook();
    const busy = { dir: '', id: 0n };
    /** How long the client measured around its connect, its two DNS queries and its sleep. */
    let took: Record<string, number> = {};
    const quiet = { dir: '', id: 0n };

    beforeAll(async () => {
      Object.assign(busy, cgroup('busy'));
      Object.assign(quiet, cgroup('quiet'));
      tracer = await startTracer({ syscall_latency_sample: 1 }, logs);
      tracer.trace('busy-container', busy.id);
      tracer.trace('quiet-container', quiet.id);

      // A random loopback address, so parallel runs do not fight over port 53.
      const dnsIp = `127.${1 + (process.pid % 200)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
      const dns = await dnsResponder(dnsIp, DNS_DELAY_MS);
      const port = 20000 + Math.floor(Math.random() * 30000);
      const server = spawn(workload, ['server', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
      try {
        await new Promise((resolve, reject) => {
          server.stdout.once('data', resolve);
          server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
        });
        server.stdin.write('go\n');
        const [client] = await Promise.all([
          run(
            workload,
            ['client', String(port), dnsIp, String(GETPPIDS), join(work, 'file'), String(SLEEP_MS)],
            busy.dir
          ),
          run(workload, ['loop', '777'], quiet.dir),
        ]);
        took = tookTimes(client);
        expect(Object.keys(took).sort()).toEqual(['connect', 'dns-by-hand', 'dns-resolver', 'sleep']);
      } finally {
        server.kill();
        dns.close();
      }
    }, 30_000);

    it('is healthy and says so in /health and the log', () => {
      const health = tracer.health();
      expect(health.status).toBe('ok');
      expect(health.families).toMatchObject(Object.fromEntries(TRACER_FAMILIES.map((f) => [f, { active: true }])));
      expect(typeof health.bpf_stats_enabled).toBe('boolean');
      expect(health.traced_cgroups).toBe(2);
      const started = logs.lines.find((l) => l.message.startsWith('tracer started'));
      expect(started?.details).toMatchObject({ active: [...TRACER_FAMILIES] });
    });

    it('counts every syscall and times them into the right buckets', async () => {
      const out = await tracer.source.collect();
      const busyLabels = { container_id: 'busy-container', syscall: 'getppid' };
      expect(one<ValueSample>(out, 'zviz_syscalls_total', busyLabels).value).toBe(GETPPIDS);
      const getppid = one<HistogramSample>(out, 'zviz_syscall_latency_seconds', busyLabels);
      expect(getppid.count).toBe(GETPPIDS);
      // getppid takes well under 16 µs but for the odd interrupt.
      expect(getppid.buckets[SYSCALL_LATENCY_BUCKETS.indexOf(0.000016)]).toBeGreaterThan(GETPPIDS * 0.99);

      const sleep = one<HistogramSample>(out, 'zviz_syscall_latency_seconds', {
        container_id: 'busy-container',
        syscall: 'clock_nanosleep',
      });
      expect(sleep.count).toBe(1);
      // Here and below: nothing faster than the nominal delay allows, and nothing longer than
      // the workload itself measured around the same call, however busy the machine.
      expect(between(sleep, SYSCALL_LATENCY_BUCKETS, 0.262144, boundHolding(SYSCALL_LATENCY_BUCKETS, took.sleep))).toBe(
        1
      );

      expect(
        one<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'quiet-container', syscall: 'getppid' }).value
      ).toBe(777);
      expect(samplesOf(out, 'zviz_dns_latency_seconds', { container_id: 'quiet-container' })).toHaveLength(0);
    });

    it('measures writes, their bytes and the fsync on the regular file', async () => {
      const out = await tracer.source.collect();
      const labels = (operation: string) => ({ container_id: 'busy-container', operation });
      expect(one<ValueSample>(out, 'zviz_filesystem_bytes_total', labels('write')).value).toBe(16 * 4096);
      expect(one<HistogramSample>(out, 'zviz_fs_latency_seconds', labels('write')).count).toBe(16);
      expect(one<HistogramSample>(out, 'zviz_fs_latency_seconds', labels('fsync')).count).toBe(1);
      // The dynamic loader reads shared libraries: reads of regular files, never of the pipes.
      expect(one<ValueSample>(out, 'zviz_filesystem_bytes_total', labels('read')).value).toBeGreaterThan(0);
      expect(one<ValueSample>(out, 'zviz_fs_latency_latest_seconds', labels('fsync')).value).toBeGreaterThan(0);
      const written = samplesOf<HistogramSample>(out, 'zviz_block_io_latency_seconds', labels('write'));
      expect(written.reduce((n, h) => n + h.count, 0)).toBeGreaterThanOrEqual(1);
    });

    it('times both DNS queries (connected and sendto) from send to answer', async () => {
      const out = await tracer.source.collect();
      const dns = one<HistogramSample>(out, 'zviz_dns_latency_seconds', { container_id: 'busy-container' });
      expect(dns.count).toBe(2);
      // 150 ms of responder delay: both above 102.4 ms, neither longer than the workload measured.
      const longer = Math.max(took['dns-resolver'], took['dns-by-hand']);
      expect(between(dns, TRACE_LATENCY_BUCKETS, 0.1024, boundHolding(TRACE_LATENCY_BUCKETS, longer))).toBe(2);
      const latest = one<ValueSample>(out, 'zviz_dns_latency_latest_seconds', { container_id: 'busy-container' });
      // libuv starts timers from its cached loop time, so the responder may answer a
      // millisecond or two before its nominal delay.
      expect(latest.value).toBeGreaterThan(DNS_DELAY_MS / 1000 - 0.003);
      // The latest is the query sent by hand, timed inside the client's own measure of it.
      expect(latest.value).toBeLessThanOrEqual(took['dns-by-hand']);
    });

    it('times the connect held up by a full accept queue, and sees the RTT and states', async () => {
      const out = await tracer.source.collect();
      const c = { container_id: 'busy-container' };
      const connect = one<HistogramSample>(out, 'zviz_tcp_connect_latency_seconds', c);
      expect(connect.count).toBe(1);
      // The first SYN is dropped; the retransmission 1 s later gets through.
      expect(between(connect, TRACE_LATENCY_BUCKETS, 0.8192, boundHolding(TRACE_LATENCY_BUCKETS, took.connect))).toBe(
        1
      );
      const latestConnect = one<ValueSample>(out, 'zviz_tcp_connect_latency_latest_seconds', c).value;
      expect(latestConnect).toBeGreaterThanOrEqual(1);
      expect(latestConnect).toBeLessThanOrEqual(took.connect);
      expect(one<ValueSample>(out, 'zviz_tcp_state_changes_total', { ...c, state: 'SYN_SENT' }).value).toBe(1);
      expect(one<ValueSample>(out, 'zviz_tcp_state_changes_total', { ...c, state: 'ESTABLISHED' }).value).toBe(1);
      expect(one<HistogramSample>(out, 'zviz_tcp_rtt_seconds', c).count).toBeGreaterThanOrEqual(1);
      expect(one<ValueSample>(out, 'zviz_tcp_rtt_latest_seconds', c).value).toBeGreaterThan(0);
    });

    it('counts network bytes both ways', async () => {
      const out = await tracer.source.collect();
      const sent = one<ValueSample>(out, 'zviz_network_bytes_total', {
        container_id: 'busy-container',
        direction: 'send',
      });
      const received = one<ValueSample>(out, 'zviz_network_bytes_total', {
        container_id: 'busy-container',
        direction: 'recv',
      });
      // 1000 bytes of request and two DNS queries; 2000 of response and two answers.
      expect(sent.value).toBeGreaterThan(1000);
      expect(sent.value).toBeLessThan(1300);
      expect(received.value).toBeGreaterThan(2000);
      expect(received.value).toBeLessThan(2300);
    });

    it('measures blocked time: the response wait, the sleep, the connect wait', async () => {
      const out = await tracer.source.collect();
      const blocked = one<HistogramSample>(out, 'zviz_cpu_block_seconds', { container_id: 'busy-container' });
      // Each wait is at least its nominal length: 300 ms, 700 ms, 1 s.
      const above = (bound: number) => blocked.count - blocked.buckets[TRACE_LATENCY_BUCKETS.indexOf(bound)];
      expect(above(0.2048)).toBeGreaterThanOrEqual(3);
      expect(above(0.4096)).toBeGreaterThanOrEqual(2);
      expect(above(0.8192)).toBeGreaterThanOrEqual(1);
      expect(blocked.sum).toBeGreaterThan(2);
    });

    it('reports its own health: no losses, map fill, series per family', async () => {
      const out = await tracer.source.collect();
      for (const sample of samplesOf<ValueSample>(out, 'zviz_tracer_events_lost_total', {})) {
        expect(sample.value, JSON.stringify(sample.labels)).toBe(0);
      }
      const stats = one<ValueSample>(out, 'zviz_tracer_map_fill_ratio', { map: 'stats' });
      expect(stats.value).toBeGreaterThan(0);
      expect(stats.value).toBeLessThan(0.1);
      const series = tracer.health().series as Record<string, { exported: number; limit: number }>;
      expect(series.syscalls.exported).toBeGreaterThan(20);
      expect(series.syscalls.limit).toBe(20000);
    });

    describeWhere([binary('promtool', 'prometheus')], 'through the agent registry', () => {
      it('renders an exposition promtool accepts, with the workload in it', async () => {
        const registry = new MetricsRegistry();
        registry.addSource(tracer.source);
        const text = (await registry.scrape('text')).body.toString();
        expect(text).toMatch(
          new RegExp(`^zviz_syscalls_total\\{container_id="busy-container",syscall="getppid"[^}]*\\} ${GETPPIDS}$`, 'm')
        );
        const dnsBound = boundHolding(TRACE_LATENCY_BUCKETS, Math.max(took['dns-resolver'], took['dns-by-hand']));
        const le = dnsBound === Infinity ? '\\+Inf' : String(dnsBound).replace('.', '\\.');
        expect(text).toMatch(
          new RegExp(`^zviz_dns_latency_seconds_bucket\\{container_id="busy-container"[^}]*le="${le}"\\} 2$`, 'm')
        );
        expect(text).toMatch(/^zviz_tcp_connect_latency_seconds_count\{container_id="busy-container"[^}]*\} 1$/m);
        const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(check.stdout + check.stderr).toBe('');
        expect(check.status).toBe(0);
      });
    });

    it("deletes a container's series and kernel entries when it is untraced", async () => {
      await tracer.untrace('quiet-container');
      const out = await tracer.source.collect();
      for (const samples of out.values()) {
        for (const sample of samples) {
          expect(sample.labels.container_id).not.toBe('quiet-container');
        }
      }
      expect(one<ValueSample>(out, 'zviz_tracer_map_fill_ratio', { map: 'traced_cgroups' }).value).toBe(1 / 256);
      // Nothing more is counted for it either.
      await run(workload, ['loop', '10'], quiet.dir);
      const later = await tracer.source.collect();
      expect(samplesOf(later, 'zviz_syscalls_total', { container_id: 'quiet-container' })).toHaveLength(0);
      expect(tracer.health().traced_cgroups).toBe(1);
    });
  });

  it('says degraded in /health when events are lost, with nobody scraping: /health reads the maps itself', async () => {
    const flood = cgroup('dns-unscraped');
    const tracer = new Tracer(resolveTracerConfig({ max_cgroups: 2, map_sizes: { pending: 8 } }), { healthReadMs: 0 });
    tracers.push(tracer);
    await tracer.start();
    tracer.trace('flooder', flood.id);
    expect(tracer.health().status).toBe('ok');
    await run(
      process.execPath,
      [
        '-e',
        `const dgram = require('node:dgram');
         let left = 20;
         for (let i = 0; i < 20; i++) {
           const s = dgram.createSocket('udp4');
           s.send(Buffer.from('query'), 53, '127.77.0.53', () => { s.close(); if (--left === 0) process.exit(0); });
         }`,
      ],
      flood.dir
    );
    tracer.health(); // starts a read; the one after sees it
    let health = tracer.health();
    for (let i = 0; i < 50 && health.status !== 'degraded'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      health = tracer.health();
    }
    expect(health.status).toBe('degraded');
    expect(health.reason).toContain('container flooder was refused 14 dns_pending entries');
  });

  it("gives back a container's share of the DNS map when its unanswered queries are swept", async () => {
    // pending 8 over 2 cgroups: 2 reserved each, a pool of 4. Sends to a loopback address nobody answers.
    const flood = cgroup('dns-flood');
    const tracer = await startTracer({ max_cgroups: 2, map_sizes: { pending: 8 }, dns_timeout_seconds: 1 });
    tracer.trace('flooder', flood.id);
    const sendQueries = (n: number) =>
      run(
        process.execPath,
        [
          '-e',
          `const dgram = require('node:dgram');
           let left = ${n};
           for (let i = 0; i < ${n}; i++) {
             const s = dgram.createSocket('udp4');
             s.send(Buffer.from('query'), 53, '127.77.0.53', () => { s.close(); if (--left === 0) process.exit(0); });
           }`,
        ],
        flood.dir
      );
    const refused = async () =>
      samplesOf<ValueSample>(await tracer.source.collect(), 'zviz_tracer_quota_refused_total', {
        container_id: 'flooder',
        map: 'dns_pending',
      })[0]?.value ?? 0;

    await sendQueries(20);
    expect(await refused()).toBe(20 - 2 - 4);
    expect(tracer.health()).toMatchObject({ status: 'degraded' });
    expect(tracer.health().reason).toContain(
      'container flooder was refused 14 dns_pending entries beyond its share of 2'
    );
    // Swept as expired: their places are the container's again.
    await new Promise((r) => setTimeout(r, 2_100));
    await tracer.source.collect();
    await sendQueries(20);
    expect(await refused()).toBe(2 * (20 - 2 - 4));
  });

  it('finds cgroups whose index entry another one holds', async () => {
    const loaded = loadTracerAddon();
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    // One index entry: every cgroup after the first spills into the hash.
    const native = new loaded.addon.Tracer({ indexSize: 1, fs: false, dns: false, syscallLatency: false });
    const statuses = await native.start();
    expect(statuses.find((s) => s.family === 'syscalls')?.active).toBe(true);
    const groups = [cgroup('index-a'), cgroup('index-b'), cgroup('index-c')];
    const counted = async () => {
      const snapshot = await native.read();
      return groups.map(({ id }) => snapshot.syscallCounts.find((c) => c.cgroupId === id)?.calls[110] ?? 0);
    };
    try {
      groups.forEach(({ id }) => native.trace(id));
      for (const [i, { dir }] of groups.entries()) {
        await run(workload, ['loop', String(100 * (i + 1))], dir);
      }
      expect(await counted()).toEqual([100, 200, 300]);
      // The index holder goes; the spilled ones are still seen.
      await native.untrace(groups[0].id);
      await native.untrace(groups[1].id);
      for (const { dir } of groups) {
        await run(workload, ['loop', '10'], dir);
      }
      expect(await counted()).toEqual([0, 0, 310]);
    } finally {
      native.stop();
    }
  });

  it('hands over, when asked for changes only, just the cgroups and entries that changed, with their whole values', async () => {
    const loaded = loadTracerAddon();
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    const native = new loaded.addon.Tracer({ fs: false, dns: false, syscallLatency: true, latencySampleShift: 0 });
    await native.start();
    const [a, b] = [cgroup('changes-a'), cgroup('changes-b')];
    const getppid = (snapshot: NativeSnapshot, id: bigint) => ({
      calls: snapshot.syscallCounts.find((c) => c.cgroupId === id)?.calls[110],
      timed: [...snapshot.stats.metrics.keys()].filter(
        (i) =>
          snapshot.stats.cgroupIds[i] === id &&
          snapshot.stats.metrics[i] === METRIC.syscall &&
          snapshot.stats.subs[i] === 110
      ).length,
    });
    try {
      native.trace(a.id);
      native.trace(b.id);
      await run(workload, ['loop', '100'], a.dir);
      await run(workload, ['loop', '200'], b.dir);
      const whole = await native.read({ changesOnly: true });
      expect(whole.changesOnly).toBe(true);
      // The first read has seen nothing before: everything is a change.
      expect(getppid(whole, a.id)).toEqual({ calls: 100, timed: 1 });
      expect(getppid(whole, b.id)).toEqual({ calls: 200, timed: 1 });

      // Nothing ran: neither cgroup, nor any of their entries, is handed over again.
      const quiet = await native.read({ changesOnly: true });
      expect(quiet.syscallCounts.filter((c) => c.cgroupId === a.id || c.cgroupId === b.id)).toEqual([]);
      expect([...quiet.stats.cgroupIds].filter((id) => id === a.id || id === b.id)).toEqual([]);

      // b runs again: b alone, with its whole count (not the difference).
      await run(workload, ['loop', '5'], b.dir);
      const changed = await native.read({ changesOnly: true });
      expect(getppid(changed, a.id)).toEqual({ calls: undefined, timed: 0 });
      expect(getppid(changed, b.id)).toEqual({ calls: 205, timed: 1 });

      // A read of everything still hands over everything.
      const all = await native.read();
      expect(all.changesOnly).toBe(false);
      expect(getppid(all, a.id)).toEqual({ calls: 100, timed: 1 });
      expect(getppid(all, b.id)).toEqual({ calls: 205, timed: 1 });

      // Untraced and traced again, a cgroup starts from nothing seen: its new counts are a change.
      await native.untrace(a.id);
      native.trace(a.id);
      await run(workload, ['loop', '3'], a.dir);
      expect(getppid(await native.read({ changesOnly: true }), a.id)).toEqual({ calls: 3, timed: 1 });
    } finally {
      native.stop();
    }
  });

  it('runs as the agent component, registered with the registry, and follows reloads', async () => {
    const registry = new MetricsRegistry();
    const watched = cgroup('watched');
    const config = (tracer: TracerConfigInput) =>
      ({ tracer: { read_interval_seconds: 0, ...tracer } }) as unknown as Config;
    const ctx = {
      config: config({}),
      log: pino({ level: 'silent' }),
      registry,
    } as unknown as AgentContext<TracerSections>;
    const component = tracerComponent(ctx);
    tracers.push(component);
    await component.start();
    expect(component.health().families).toMatchObject({ dns: { active: true } });

    // A new watched path needs no reload of the programs; a family switched off does.
    await component.reload(config({ cgroups: [watched.dir] }));
    expect(component.health().traced_cgroups).toBe(1);
    await run(workload, ['loop', '5'], watched.dir);
    const containerId = `cgroup:${watched.dir.slice(mount.length)}`;
    const getppids = (text: string) =>
      new RegExp(`^zviz_syscalls_total\\{container_id="${containerId}",syscall="getppid"[^}]*\\} (\\d+)$`, 'm').exec(
        text
      )?.[1];
    expect(getppids((await registry.scrape('text')).body.toString())).toBe('5');

    await component.reload(config({ cgroups: [watched.dir], families: { dns: false } }));
    expect(component.health().families).toMatchObject({ dns: { active: false, reason: 'disabled in config' } });
    await run(workload, ['loop', '6'], watched.dir);
    // Reloaded programs count from zero, for the same container.
    expect(getppids((await registry.scrape('text')).body.toString())).toBe('6');

    await component.reload(config({}));
    expect(component.health().traced_cgroups).toBe(0);
  });

  it('runs the other families when one is disabled and another lacks its tracepoint', async () => {
    const logs = new LogBook();
    const tracer = await startTracer(
      {
        families: { dns: false },
        tracepoint_overrides: { tcp_probe: 'zviz_no_such_tracepoint', block_io_start: 'zviz_no_io_start' },
      },
      logs
    );
    const health = tracer.health();
    expect(health.status).toBe('degraded');
    expect(health.families).toMatchObject({
      dns: { active: false, reason: 'disabled in config' },
      tcp_rtt: { active: false, reason: 'this kernel has no raw tracepoint zviz_no_such_tracepoint' },
      tcp_connect: { active: true },
      syscalls: { active: true },
      // block_io falls back to attributing requests at issue.
      block_io: { active: true, reason: expect.stringContaining('zviz_no_io_start (using a fallback)') },
    });
    expect(health.reason).toContain('tcp_rtt: this kernel has no raw tracepoint');
    expect(logs.lines.some((l) => l.level === 'warn' && l.message.includes('tcp_rtt inactive'))).toBe(true);

    const c = cgroup('degraded');
    tracer.trace('degraded-container', c.id);
    await run(workload, ['loop', '321'], c.dir);
    const out = await tracer.source.collect();
    expect(
      one<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'degraded-container', syscall: 'getppid' }).value
    ).toBe(321);
    expect(one<ValueSample>(out, 'zviz_tracer_family_active', { family: 'tcp_rtt' }).value).toBe(0);
    expect(one<ValueSample>(out, 'zviz_tracer_family_active', { family: 'dns' }).value).toBe(0);
    expect(out.get('zviz_dns_latency_seconds')).toBeUndefined();
  });

  it('counts only syscalls when the syscall latency is off, pauses, and counts nothing when their families are off', async () => {
    const counting = await startTracer({ syscall_latency: false, families: { fs: false, dns: false } });
    const a = cgroup('counting');
    counting.trace('a', a.id);
    await run(workload, ['loop', '50'], a.dir);
    const out = await counting.source.collect();
    expect(one<ValueSample>(out, 'zviz_syscalls_total', { container_id: 'a', syscall: 'getppid' }).value).toBe(50);
    expect(out.get('zviz_syscall_latency_seconds')).toBeUndefined();
    // Paused, nothing is counted; resumed, counting goes on from where it was.
    counting.setPaused(true);
    await run(workload, ['loop', '50'], a.dir);
    counting.setPaused(false);
    await run(workload, ['loop', '7'], a.dir);
    const resumed = await counting.source.collect();
    expect(one<ValueSample>(resumed, 'zviz_syscalls_total', { container_id: 'a', syscall: 'getppid' }).value).toBe(57);
    await counting.stop();

    const none = await startTracer({ families: { syscalls: false, fs: false, dns: false } });
    expect(none.health().families).toMatchObject({ syscalls: { active: false, reason: 'disabled in config' } });
    none.trace('a', a.id);
    await run(workload, ['loop', '50'], a.dir);
    expect((await none.source.collect()).get('zviz_syscalls_total')).toBeUndefined();
  });
});

describe('tracer without what it needs', () => {
  const config = resolveTracerConfig();

  it('reports a missing addon, without BTF, without root, and never throws', async () => {
    const missing = new Tracer(config, { addon: { ok: false, reason: 'native addon zviz_tracer not found' } });
    await missing.start();
    expect(missing.health()).toMatchObject({ status: 'failed', reason: 'native addon zviz_tracer not found' });
    expect(missing.health().families).toMatchObject({
      syscalls: { active: false, reason: 'native addon zviz_tracer not found' },
    });
    const samples = await missing.source.collect();
    expect((samples.get('zviz_tracer_family_active') as ValueSample[]).every((s) => s.value === 0)).toBe(true);
    // Containers can still be announced and removed.
    missing.trace('c', 42n);
    await missing.untrace('c');

    const fakeAddon = { ok: true as const, addon: {} as TracerAddon, path: '/nowhere' };
    const noBtf = new Tracer(config, { addon: fakeAddon, btfPath: '/nonexistent/vmlinux' });
    await noBtf.start();
    expect(noBtf.health().reason).toMatch(/no BTF \(\/nonexistent\/vmlinux missing/);

    const notRoot = new Tracer(config, { addon: fakeAddon, btfPath: '/', isRoot: () => false });
    await notRoot.start();
    expect(notRoot.health().reason).toMatch(/not root: loading BPF programs needs CAP_BPF and CAP_PERFMON/);
  });

  it('is disabled, not failed, when the config says so', async () => {
    const tracer = new Tracer(resolveTracerConfig({ enabled: false }));
    await tracer.start();
    expect(tracer.health()).toMatchObject({
      status: 'disabled',
      families: { fs: { active: false, reason: 'disabled in config' } },
    });
    expect(tracer.required).toBe(false);
  });

  it('refuses cgroup ids that cannot be one', () => {
    const tracer = new Tracer(config, { addon: { ok: false, reason: 'x' } });
    expect(() => tracer.trace('c', 0)).toThrow(/invalid cgroup id 0/);
    expect(() => tracer.trace('c', 'abc')).toThrow();
  });
});
