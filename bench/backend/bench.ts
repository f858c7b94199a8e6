// Backend datasource benchmark, one command: `npm run bench:backend`.
//
// ZViz's TypeScript executable side by side with a reference Go data source
// built with Grafana's plugin SDK (bench/backend/reference, built here with
// `go build`) and with Prometheus asked directly, in one run, against one
// real Prometheus (Debian's, backfilled with promtool):
//   1. Cold start: spawn to handshake line, wall clock and the child's CPU
//      time at that moment (all its threads, from /proc/PID/task/*/schedstat),
//      for both plugins and two Node references (bare, and with the built-ins
//      a gRPC server loads, listening), all in the same clean environment.
//   2. First QueryData right after the handshake (modules, instance,
//      connections: what Grafana's first panel waits for), from a client
//      whose protocol definitions were loaded before the plugin started, so
//      the figure is the plugin's and the connection's, not the client's.
//   2b. The first QueryData of a plugin started 2 s before (as Grafana starts
//      plugins long before a dashboard asks), after the warm-up.
//   3. Resident memory idle, two seconds after start, and its anonymous
//      (private) part, with both executables dropped from the page cache
//      first: a freshly written binary is cached in large folios that the
//      kernel maps whole, which adds up to 11 MiB of file pages to a process
//      that is no bigger, so the same start measured once as the build left
//      it and once after a reboot differed by that much.
//   3b. The same after at least 30 s idle (one process each, and the Node
//      reference with the built-ins), once V8's memory reducer has run.
//   4. QueryData `promql` for a 1,000-point series: ZViz, the Go plugin and
//      the same range query POSTed straight to Prometheus, interleaved.
//   5. QueryData `decisions` for 300 syscalls against its 3 PromQL queries.
//   6. Peak resident memory while serving 50 concurrent dashboard requests
//      (6 promql range queries of 1,000 points each), 3 waves.
// Needs the built executable (npm run build -w pkg-backend) and Go.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestPrometheus } from '@zviz/test-support/prometheus';

import { decisionHistory, manySyscalls } from '../../pkg-backend/test/fixtures/history';
import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { decisionsPromQL } from '../../pkg-backend/src/datasource/queries/decisions';
import { planSteps } from '../../pkg-backend/src/datasource/queries/promql-text';
import { cpuMs, pluginEnv } from './plugin-process';

// ZVIZ_BENCH_EXECUTABLE measures another build of it (a variant with other V8 flags, say).
const executable =
  process.env.ZVIZ_BENCH_EXECUTABLE ??
  join(__dirname, '..', '..', 'dist', 'datasource', `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);
// ZVIZ_BENCH_SHORT=1: a few rounds, to check the bench runs (CI does).
const SHORT = process.env.ZVIZ_BENCH_SHORT === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SHORT ? 20 : 300));
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? (SHORT ? 2 : 20));
const FIRST_QUERIES = Number(process.env.BENCH_FIRST_QUERIES ?? (SHORT ? 2 : 10));
// Waves of 50 concurrent dashboard requests.
const WAVES = SHORT ? 1 : 3;
const POINTS = 1000;
// How long the idle processes of the second memory figure idle at least.
const LONG_IDLE_MS = SHORT ? 3000 : 30_000;
const STEP = 15;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function ms(n: number): string {
  return `${n.toFixed(2)} ms`;
}

/** VmRSS (resident now) or VmHWM (peak resident) of a process, in MiB. */
function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** Resident memory of a process and its anonymous (private, not file-backed) part, in MiB. */
function residentMiB(pid: number): { rss: number; anon: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)![1]);
  return { rss: kib('Rss') / 1024, anon: kib('Anonymous') / 1024 };
}

/** Drops a file from the page cache (dd's nocache flag), as after a reboot. */
function dropFromPageCache(path: string): void {
  execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/** Builds the Go reference plugin into a temporary directory. */
function buildReference(dir: string): string {
  const out = join(dir, 'gpx_zviz_bench_reference');
  execFileSync('go', ['build', '-o', out, '.'], { cwd: join(__dirname, 'reference'), stdio: 'inherit' });
  return out;
}

interface Plugin {
  child: ChildProcessWithoutNullStreams;
  address: Network;
  wallMs: number;
  cpuMs: number;
  /** process.hrtime.bigint() when the handshake line arrived. */
  handshakeAt: bigint;
}

/**
 * The environment every process measured here starts with, references
 * included: the plugin host's variables and PATH, nothing of this shell's.
 * (NODE_EXTRA_CA_CERTS, set on some machines, alone makes every Node start
 * parse the system's CA bundle: 45 ms of CPU here, which once inflated the
 * bare Node reference to 86 ms against 32.)
 */
const SOCKET_DIR = mkdtempSync(join(tmpdir(), 'zviz-bench-sockets-'));
/**
 * Both plugins make their Unix sockets in SOCKET_DIR (go-plugin's
 * PLUGIN_UNIX_SOCKET_DIR, which the SDK's Go server and ZViz's read), removed
 * at the end: the Go plugin, stopped here by SIGTERM, dies without removing
 * its socket (Grafana stops it through go-plugin's Shutdown call instead),
 * and left 9 socket files in /tmp per run.
 */
const START_ENV = { ...pluginEnv('warn'), PLUGIN_UNIX_SOCKET_DIR: SOCKET_DIR };

/**
 * The Node references, spawn to first stdout line: the bare binary, and the
 * binary loading the built-in modules that grpc-js' server and an HTTP client
 * load (http2, https, zlib, dns, perf_hooks…) and listening on a Unix socket,
 * which `net` does through `cluster`: what any Node gRPC plugin starts from.
 */
const NODE_REFERENCES = {
  bare: "process.stdout.write('1\\n'); setInterval(() => {}, 1000)",
  builtins:
    "for (const m of ['http2', 'https', 'zlib', 'dns', 'perf_hooks', 'assert', 'stream/promises', 'v8', 'vm']) require(m);" +
    "require('net').createServer().listen(process.argv[1], () => process.stdout.write('1\\n'))",
} as const;

async function nodeReferenceStart(
  which: keyof typeof NODE_REFERENCES,
  dir: string,
  idleMs = 0
): Promise<{ wallMs: number; cpuMs: number; resident?: { rss: number; anon: number } }> {
  const socket = join(dir, `reference-${process.hrtime.bigint()}.sock`);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', NODE_REFERENCES[which], socket], { env: START_ENV, stdio: 'pipe' });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuMs(child.pid!);
  let resident: { rss: number; anon: number } | undefined;
  if (idleMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    resident = residentMiB(child.pid!);
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { wallMs, cpuMs: cpu, resident };
}

/** Starts a Node reference and resolves once it wrote its first line; the caller stops it. */
async function startNodeReference(
  which: keyof typeof NODE_REFERENCES,
  dir: string
): Promise<{ child: ChildProcessWithoutNullStreams }> {
  const socket = join(dir, `reference-${process.hrtime.bigint()}.sock`);
  const child = spawn(process.execPath, ['-e', NODE_REFERENCES[which], socket], { env: START_ENV, stdio: 'pipe' });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return { child };
}

async function startPlugin(path = executable): Promise<Plugin> {
  const started = process.hrtime.bigint();
  const child = spawn(path, [], { env: START_ENV, stdio: 'pipe' });
  child.stderr.resume();
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0]));
    child.once('exit', (code) => reject(new Error(`plugin exited with ${code}`)));
  });
  const handshakeAt = process.hrtime.bigint();
  const wallMs = Number(handshakeAt - started) / 1e6;
  const cpu = cpuMs(child.pid!);
  const [, , network, addr] = line.split('|');
  const address: Network =
    network === 'unix'
      ? { network: 'unix', path: addr }
      : { network: 'tcp', host: '127.0.0.1', port: Number(addr.split(':')[1]) };
  return { child, address, wallMs, cpuMs: cpu, handshakeAt };
}

async function stopPlugin(p: Plugin): Promise<void> {
  const exited = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.kill('SIGTERM');
  await exited;
}

/** History: 300 syscalls over an hour, plus one gauge with more than 1,000 points. */
function backfill(): { text: string; end: number } {
  const decisions = decisionHistory(manySyscalls(300), 60);
  const lines = ['# TYPE zviz_bench_points gauge'];
  for (let i = 0; i <= POINTS + 10; i++) {
    const t = decisions.end - (POINTS + 10 - i) * STEP;
    lines.push(`zviz_bench_points{series="a"} ${Math.sin(i / 50) * 100} ${t}`);
  }
  const text = decisions.openMetrics.replace(/# EOF\n$/, `${lines.join('\n')}\n# EOF\n`);
  return { text, end: decisions.end };
}

interface Side {
  name: string;
  path: string;
}

const median = (values: number[]) => percentile(values, 50);

async function main(): Promise<void> {
  if (!existsSync(executable)) {
    throw new Error(`${executable} is missing: run npm run build -w pkg-backend first`);
  }
  const work = mkdtempSync(join(tmpdir(), 'zviz-bench-backend-'));
  const zviz: Side = { name: 'ZViz (TypeScript)', path: executable };
  const go: Side = { name: 'Go plugin (SDK v0.300)', path: buildReference(work) };
  const sides = [zviz, go];
  console.log(`node ${process.version}, ${process.arch}, executable ${executable}`);
  console.log(`load average at the start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

  // 1. Cold start first, with nothing else of ours running.
  type ColdKey = Side | keyof typeof NODE_REFERENCES;
  const cold = new Map<ColdKey, { walls: number[]; cpus: number[] }>();
  for (const key of [...sides, 'bare' as const, 'builtins' as const]) {
    cold.set(key, { walls: [], cpus: [] });
  }
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const side of sides) {
      const p = await startPlugin(side.path);
      cold.get(side)!.walls.push(p.wallMs);
      cold.get(side)!.cpus.push(p.cpuMs);
      await stopPlugin(p);
    }
    for (const which of ['bare', 'builtins'] as const) {
      const n = await nodeReferenceStart(which, work);
      cold.get(which)!.walls.push(n.wallMs);
      cold.get(which)!.cpus.push(n.cpuMs);
    }
  }
  const referenceIdle = await nodeReferenceStart('builtins', work, 2000);

  const { text, end } = backfill();
  const prom = await TestPrometheus.start({ backfill: text });
  const config = { uid: 'bench', jsonData: { prometheusUrl: prom.url, agents: ['127.0.0.1:1'] } };
  const to = end * 1000;
  const from = to - (POINTS - 1) * STEP * 1000;
  const expr = 'zviz_bench_points{series="a"}';
  const promqlQuery = (refId: string) => ({
    refId,
    model: { queryType: 'promql', expr },
    from,
    to,
    intervalMs: STEP * 1000,
    maxDataPoints: 11_000,
  });
  const ask = async (client: GrafanaClient, refIds = ['A']) => {
    const r = await client.queryDataRaw(refIds.map(promqlQuery), config);
    for (const id of refIds) {
      if (r[id].error) {
        throw new Error(r[id].error);
      }
    }
  };

  // 2. First query after the handshake, and 3. idle memory, on fresh processes.
  // The client's protocol definitions load once, here, not after a handshake.
  GrafanaClient.preload();
  const first = new Map<Side, number[]>(sides.map((s) => [s, []]));
  // The plugin's own CPU time from the handshake to its answer: what the
  // first query costs it, which other jobs on the machine cannot inflate.
  const firstCpu = new Map<Side, number[]>(sides.map((s) => [s, []]));
  const idle = new Map<Side, Array<{ rss: number; anon: number }>>(sides.map((s) => [s, []]));
  const firstLate = new Map<Side, number[]>(sides.map((s) => [s, []]));
  const firstLateCpu = new Map<Side, number[]>(sides.map((s) => [s, []]));
  for (let i = 0; i < FIRST_QUERIES; i++) {
    for (const side of sides) {
      const p = await startPlugin(side.path);
      const client = new GrafanaClient(p.address);
      await ask(client);
      first.get(side)!.push(Number(process.hrtime.bigint() - p.handshakeAt) / 1e6);
      firstCpu.get(side)!.push(cpuMs(p.child.pid!) - p.cpuMs);
      client.close();
      await stopPlugin(p);
      if (i < Math.min(3, FIRST_QUERIES)) {
        dropFromPageCache(side.path);
        const q = await startPlugin(side.path);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        idle.get(side)!.push(residentMiB(q.child.pid!));
        // The first query of a plugin started a while ago, as Grafana starts
        // its plugins long before a dashboard asks: what the warm-up leaves.
        const cpuBefore = cpuMs(q.child.pid!);
        const lateClient = new GrafanaClient(q.address);
        const t = process.hrtime.bigint();
        await ask(lateClient);
        firstLate.get(side)!.push(Number(process.hrtime.bigint() - t) / 1e6);
        firstLateCpu.get(side)!.push(cpuMs(q.child.pid!) - cpuBefore);
        lateClient.close();
        await stopPlugin(q);
      }
    }
  }

  // Idle memory once V8's memory reducer has run (its first collection comes
  // about 8 s after start, the next ones later): plugins started now (after the fresh
  // processes above, whose page-cache drops would not drop what these map), read
  // after the rest of the benchmark, at least LONG_IDLE_MS after start.
  dropFromPageCache(zviz.path);
  dropFromPageCache(go.path);
  const longIdle = await Promise.all(sides.map((side) => startPlugin(side.path)));
  const longIdleReference = startNodeReference('builtins', work);
  const longIdleStarted = Date.now();

  const plugins = new Map<Side, { plugin: Plugin; client: GrafanaClient }>();
  for (const side of sides) {
    const plugin = await startPlugin(side.path);
    plugins.set(side, { plugin, client: new GrafanaClient(plugin.address) });
  }
  try {
    const agent = new http.Agent({ keepAlive: true });
    /** A Prometheus API call by POST with JSON.parse: what any client pays at least. */
    const promPost = async (path: string, params: Record<string, string>) => {
      const body = new URLSearchParams(params).toString();
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${prom.url}${path}`, {
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        });
        req.on('error', reject);
        req.end(body);
      });
      return JSON.parse(text) as { data: { result: Array<{ values: unknown[] }> } };
    };
    const direct = async () => {
      const parsed = await promPost('/api/v1/query_range', {
        query: expr,
        start: String(from / 1000),
        end: String(to / 1000),
        step: String(STEP),
      });
      return parsed.data.result[0].values.length;
    };

    // Check the shapes once: 1,000 points every way, the same frame from both plugins.
    for (const side of sides) {
      const decoded = await plugins.get(side)!.client.queryData([promqlQuery('A')], config);
      const fields = decoded.A.frames[0].fields;
      if (
        fields[0].values.length !== POINTS ||
        fields[1].arrowType !== 'Float64' ||
        fields[0].arrowType !== 'Timestamp<NANOSECOND>'
      ) {
        throw new Error(
          `${side.name}: unexpected frame ${JSON.stringify(fields.map((f) => [f.name, f.arrowType, f.values.length]))}`
        );
      }
    }
    if ((await direct()) !== POINTS) {
      throw new Error('Prometheus does not answer 1,000 points');
    }

    // 4. promql, interleaved three ways, rotating who goes first.
    const runners: Array<{ key: string; run: () => Promise<unknown> }> = [
      { key: 'direct', run: direct },
      ...sides.map((side) => ({ key: side.name, run: () => ask(plugins.get(side)!.client) })),
    ];
    const times = new Map<string, number[]>(runners.map((r) => [r.key, []]));
    for (let i = 0; i < 30; i++) {
      for (const r of runners) {
        await r.run();
      }
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (let k = 0; k < runners.length; k++) {
        const r = runners[(i + k) % runners.length];
        const t = process.hrtime.bigint();
        await r.run();
        times.get(r.key)!.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }

    // 5. decisions (ZViz only: the reference has no such query).
    const zvizClient = plugins.get(zviz)!.client;
    const decisionsQuery = {
      refId: 'D',
      queryType: 'decisions',
      model: {},
      from: (end - 3000) * 1000,
      to: end * 1000,
      intervalMs: 15_000,
      maxDataPoints: 1000,
    };
    const d = await zvizClient.queryData([decisionsQuery], config);
    const syscalls = d.D.frames[0].fields[0].values.length;
    const plan = planSteps(decisionsQuery.from, decisionsQuery.to, 15_000, 60, 15);
    const promql = decisionsPromQL(
      { mode: 'count', syscalls: [], decisions: [], selector: '' },
      3000,
      Math.max(plan.step, 60)
    );
    const decisionsDirect = () =>
      Promise.all([
        promPost('/api/v1/query', { query: promql.totals, time: String(end) }),
        promPost('/api/v1/query_range', {
          query: promql.trend,
          start: String(plan.start),
          end: String(plan.end),
          step: String(plan.step),
        }),
        promPost('/api/v1/query', { query: promql.p99, time: String(end) }),
      ]);
    const decisionsViaPlugin = async () => {
      const r = await zvizClient.queryDataRaw([decisionsQuery], config);
      if (r.D.error) {
        throw new Error(r.D.error);
      }
    };
    const decisionTimes: number[] = [];
    const decisionDirectTimes: number[] = [];
    for (let i = 0; i < Math.max(20, ROUNDS / 10); i++) {
      const order = i % 2 === 0 ? [decisionsDirect, decisionsViaPlugin] : [decisionsViaPlugin, decisionsDirect];
      for (const run of order) {
        const t = process.hrtime.bigint();
        await run();
        (run === decisionsDirect ? decisionDirectTimes : decisionTimes).push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
    agent.destroy();

    // 6. 50 concurrent dashboard requests on fresh processes: peak resident memory.
    const dashboard = ['A', 'B', 'C', 'D', 'E', 'F'];
    const busy = new Map<Side, { peak: number; seconds: number }>();
    for (const side of sides) {
      const p = await startPlugin(side.path);
      const client = new GrafanaClient(p.address);
      await ask(client);
      const t = process.hrtime.bigint();
      for (let wave = 0; wave < WAVES; wave++) {
        await Promise.all(Array.from({ length: 50 }, () => ask(client, dashboard)));
      }
      busy.set(side, { peak: rssMiB(p.child.pid!, 'VmHWM'), seconds: Number(process.hrtime.bigint() - t) / 1e9 });
      client.close();
      await stopPlugin(p);
    }

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, LONG_IDLE_MS - (Date.now() - longIdleStarted))));
    const longIdleSeconds = (Date.now() - longIdleStarted) / 1000;
    const longIdleResident = longIdle.map((p) => residentMiB(p.child.pid!));
    const idleReference = await longIdleReference;
    const longIdleReferenceResident = residentMiB(idleReference.child.pid!);
    await Promise.all(longIdle.map(stopPlugin));
    idleReference.child.kill('SIGTERM');

    const dMed = median(times.get('direct')!);
    const zMed = median(times.get(zviz.name)!);
    const gMed = median(times.get(go.name)!);
    const row = (cells: Array<string | number>) => console.log(`| ${cells.join(' | ')} |`);
    const f = (n: number) => n.toFixed(2);
    console.log('');
    console.log(
      `load average before the report: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`
    );
    console.log('');
    row(['measure', zviz.name, go.name, 'ZViz / Go', 'goal']);
    row(['---', '---', '---', '---', '---']);
    const coldZ = cold.get(zviz)!;
    const coldG = cold.get(go)!;
    row([
      `cold start, exec to handshake, median of ${COLD_STARTS} (ms)`,
      f(median(coldZ.walls)),
      f(median(coldG.walls)),
      `${(median(coldZ.walls) / median(coldG.walls)).toFixed(1)}x`,
      '< 100 ms',
    ]);
    row(['  CPU time at the handshake, median (ms)', f(median(coldZ.cpus)), f(median(coldG.cpus)), '', '']);
    row([
      `first QueryData after the handshake, median of ${FIRST_QUERIES} (ms)`,
      f(median(first.get(zviz)!)),
      f(median(first.get(go)!)),
      '',
      '< 10 ms',
    ]);
    row([
      "  the plugin's CPU time from the handshake to its answer, median (ms)",
      f(median(firstCpu.get(zviz)!)),
      f(median(firstCpu.get(go)!)),
      '',
      '',
    ]);
    row([
      `first QueryData 2 s after the handshake, median of ${Math.min(3, FIRST_QUERIES)} (ms)`,
      f(median(firstLate.get(zviz)!)),
      f(median(firstLate.get(go)!)),
      '',
      '',
    ]);
    row([
      "  the plugin's CPU time for it, median (ms)",
      f(median(firstLateCpu.get(zviz)!)),
      f(median(firstLateCpu.get(go)!)),
      '',
      '',
    ]);
    const idleOf = (side: Side, part: 'rss' | 'anon') => median(idle.get(side)!.map((m) => m[part]));
    row([
      'RSS idle, 2 s after start, median of 3 (MiB)',
      f(idleOf(zviz, 'rss')),
      f(idleOf(go, 'rss')),
      `${(idleOf(zviz, 'rss') / idleOf(go, 'rss')).toFixed(2)}x`,
      '< 45 MiB',
    ]);
    row([
      "  of which anonymous (heap, stacks; the rest is the executable's file pages)",
      f(idleOf(zviz, 'anon')),
      f(idleOf(go, 'anon')),
      '',
      '',
    ]);
    row([
      `  RSS after ${longIdleSeconds.toFixed(0)} s idle, one process each (MiB, anonymous)`,
      `${f(longIdleResident[0].rss)} (${f(longIdleResident[0].anon)})`,
      `${f(longIdleResident[1].rss)} (${f(longIdleResident[1].anon)})`,
      `${(longIdleResident[0].rss / longIdleResident[1].rss).toFixed(2)}x`,
      '',
    ]);
    row([
      `promql QueryData, ${POINTS} points, median of ${ROUNDS} (ms)`,
      `${f(zMed)} (p90 ${f(percentile(times.get(zviz.name)!, 90))})`,
      `${f(gMed)} (p90 ${f(percentile(times.get(go.name)!, 90))})`,
      `${(zMed / gMed).toFixed(2)}x`,
      '< 1.3x',
    ]);
    row([
      `peak RSS serving 50 concurrent dashboard requests x ${WAVES} waves (MiB)`,
      `${f(busy.get(zviz)!.peak)} (${busy.get(zviz)!.seconds.toFixed(1)} s)`,
      `${f(busy.get(go)!.peak)} (${busy.get(go)!.seconds.toFixed(1)} s)`,
      `${(busy.get(zviz)!.peak / busy.get(go)!.peak).toFixed(2)}x`,
      '< 200 MiB',
    ]);
    console.log('');
    const reference = (which: keyof typeof NODE_REFERENCES) =>
      `wall median ${ms(median(cold.get(which)!.walls))}, CPU ${ms(median(cold.get(which)!.cpus))}`;
    console.log(`references: bare \`node -e\` to its first stdout line: ${reference('bare')}`);
    console.log(
      `            \`node -e\` loading the built-ins a gRPC server and HTTP client load, listening on a Unix socket: ${reference('builtins')}; RSS 2 s later ${f(referenceIdle.resident!.rss)} MiB (${f(referenceIdle.resident!.anon)} anonymous)`
    );
    console.log(
      `            the same, after ${longIdleSeconds.toFixed(0)} s idle: RSS ${f(longIdleReferenceResident.rss)} MiB (${f(longIdleReferenceResident.anon)} anonymous)`
    );
    console.log(
      `            the same range query POSTed straight to Prometheus + JSON.parse: median ${ms(dMed)} (p90 ${ms(percentile(times.get('direct')!, 90))})`
    );
    console.log(`decisions query, ${syscalls} syscalls (1 wide + ${d.D.frames.length - 1} trend frame):`);
    console.log(
      `  the same 3 PromQL queries direct  median ${ms(median(decisionDirectTimes))}  p90 ${ms(percentile(decisionDirectTimes, 90))}`
    );
    console.log(
      `  QueryData through ZViz            median ${ms(median(decisionTimes))}  p90 ${ms(percentile(decisionTimes, 90))}`
    );
  } finally {
    for (const p of longIdle) {
      p.child.kill('SIGTERM');
    }
    void longIdleReference.then((reference) => reference.child.kill('SIGTERM'));
    for (const { plugin, client } of plugins.values()) {
      client.close();
      await stopPlugin(plugin);
    }
    await prom.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(SOCKET_DIR, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  rmSync(SOCKET_DIR, { recursive: true, force: true });
  process.exit(1);
});
