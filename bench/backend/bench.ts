// Backend datasource benchmark, one command: `npm run bench:backend`.
//
// Measured side by side in one run against a real Prometheus (Debian's,
// backfilled with promtool):
//   1. QueryData `promql` for a 1,000-point series through the executable,
//      against the same range query sent straight to Prometheus' HTTP API
//      (keep-alive HTTP + JSON.parse), interleaved request by request.
//   2. QueryData `decisions` for 300 syscalls (wide frame + 300 trend frames).
//   3. Cold start: spawn to handshake line, wall clock and the child's CPU
//      time at that moment (CPU time is what a busy machine cannot inflate).
//   4. Resident memory of the plugin, idle and after the runs.
// Needs the built executable (npm run build -w pkg-backend).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

import { TestPrometheus } from '../../test/support/prometheus';
import { decisionHistory, manySyscalls } from '../../pkg-backend/test/fixtures/history';
import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { decisionsPromQL } from '../../pkg-backend/src/datasource/queries/decisions';
import { planSteps } from '../../pkg-backend/src/datasource/queries/promql-text';

const executable = join(
  __dirname,
  '..',
  '..',
  'dist',
  'datasource',
  `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`
);
// ZVIZ_BENCH_SHORT=1: a few rounds, to check the bench runs (CI does).
const SHORT = process.env.ZVIZ_BENCH_SHORT === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SHORT ? 20 : 300));
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? (SHORT ? 2 : 20));
const POINTS = 1000;
const STEP = 15;
const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function ms(n: number): string {
  return `${n.toFixed(2)} ms`;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

interface Plugin {
  child: ChildProcessWithoutNullStreams;
  address: Network;
  wallMs: number;
  cpuMs: number;
}

/** Spawn to first stdout line of the bare Node binary: the floor any Node executable starts from. */
async function bareNodeStart(): Promise<{ wallMs: number; cpuMs: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', "process.stdout.write('1\\n'); setInterval(() => {}, 1000)"], {
    stdio: 'pipe',
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuMs(child.pid!);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { wallMs, cpuMs: cpu };
}

async function startPlugin(): Promise<Plugin> {
  const started = process.hrtime.bigint();
  const child = spawn(executable, [], {
    env: {
      PATH: process.env.PATH ?? '',
      grafana_plugin_type: 'datasource',
      PLUGIN_PROTOCOL_VERSIONS: '2',
      ZVIZ_LOG_LEVEL: 'warn',
    },
    stdio: 'pipe',
  });
  child.stderr.resume();
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0]));
    child.once('exit', (code) => reject(new Error(`plugin exited with ${code}`)));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuMs(child.pid!);
  const [, , network, addr] = line.split('|');
  const address: Network =
    network === 'unix'
      ? { network: 'unix', path: addr }
      : { network: 'tcp', host: '127.0.0.1', port: Number(addr.split(':')[1]) };
  return { child, address, wallMs, cpuMs: cpu };
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

async function main(): Promise<void> {
  if (!existsSync(executable)) {
    throw new Error(`${executable} is missing: run npm run build -w pkg-backend first`);
  }
  console.log(`node ${process.version}, ${process.arch}, executable ${executable}`);

  // Cold start first, with nothing else of ours running.
  const walls: number[] = [];
  const cpus: number[] = [];
  const nodeWalls: number[] = [];
  const nodeCpus: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const p = await startPlugin();
    walls.push(p.wallMs);
    cpus.push(p.cpuMs);
    await stopPlugin(p);
    const n = await bareNodeStart();
    nodeWalls.push(n.wallMs);
    nodeCpus.push(n.cpuMs);
  }

  const { text, end } = backfill();
  const prom = await TestPrometheus.start({ backfill: text });
  const plugin = await startPlugin();
  const client = new GrafanaClient(plugin.address);
  const config = { uid: 'bench', jsonData: { prometheusUrl: prom.url, agents: ['127.0.0.1:1'] } };
  try {
    const idleRss = rssMiB(plugin.child.pid!);
    const to = end * 1000;
    const from = to - (POINTS - 1) * STEP * 1000;
    const expr = 'zviz_bench_points{series="a"}';
    const query = {
      refId: 'A',
      model: { queryType: 'promql', expr },
      from,
      to,
      intervalMs: STEP * 1000,
      maxDataPoints: 11_000,
    };

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
    const viaPlugin = async () => {
      const r = await client.queryDataRaw([query], config);
      if (r.A.error) {
        throw new Error(r.A.error);
      }
      return r.A.frames.length;
    };

    // Check the shapes once: 1,000 points both ways.
    const decoded = await client.queryData([query], config);
    const points = decoded.A.frames[0].fields[0].values.length;
    if (points !== POINTS || (await direct()) !== POINTS) {
      throw new Error(`expected ${POINTS} points, got ${points}`);
    }
    for (let i = 0; i < 30; i++) {
      await direct();
      await viaPlugin();
    }
    const directTimes: number[] = [];
    const pluginTimes: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first so neither always gets a warm socket or cache.
      const order = i % 2 === 0 ? [direct, viaPlugin] : [viaPlugin, direct];
      for (const run of order) {
        const t = process.hrtime.bigint();
        await run();
        (run === direct ? directTimes : pluginTimes).push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }

    const decisionsQuery = {
      refId: 'D',
      queryType: 'decisions',
      model: {},
      from: (end - 3000) * 1000,
      to: end * 1000,
      intervalMs: 15_000,
      maxDataPoints: 1000,
    };
    const d = await client.queryData([decisionsQuery], config);
    const syscalls = d.D.frames[0].fields[0].values.length;
    // The same three PromQL queries the handler runs, straight to Prometheus, concurrently.
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
      const r = await client.queryDataRaw([decisionsQuery], config);
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
    const busyRss = rssMiB(plugin.child.pid!);

    const dMed = percentile(directTimes, 50);
    const pMed = percentile(pluginTimes, 50);
    console.log('');
    console.log(`promql range query, ${POINTS} points, ${ROUNDS} rounds interleaved:`);
    console.log(`  direct Prometheus HTTP + JSON.parse  median ${ms(dMed)}  p90 ${ms(percentile(directTimes, 90))}`);
    console.log(`  QueryData through the executable     median ${ms(pMed)}  p90 ${ms(percentile(pluginTimes, 90))}`);
    console.log(
      `  ratio ${(pMed / dMed).toFixed(2)}x, added ${ms(pMed - dMed)} at the median (goal: < 1.3x and < 3 ms)`
    );
    console.log(`decisions query, ${syscalls} syscalls (1 wide + ${d.D.frames.length - 1} trend frames):`);
    console.log(
      `  the same 3 PromQL queries direct  median ${ms(percentile(decisionDirectTimes, 50))}  p90 ${ms(percentile(decisionDirectTimes, 90))}`
    );
    console.log(
      `  QueryData through the executable  median ${ms(percentile(decisionTimes, 50))}  p90 ${ms(percentile(decisionTimes, 90))}`
    );
    console.log(
      `  ratio ${(percentile(decisionTimes, 50) / percentile(decisionDirectTimes, 50)).toFixed(2)}x, added ${ms(percentile(decisionTimes, 50) - percentile(decisionDirectTimes, 50))}`
    );
    console.log(`cold start to the handshake line, ${COLD_STARTS} starts (goal: < 300 ms):`);
    console.log(
      `  wall median ${ms(percentile(walls, 50))}  min ${ms(Math.min(...walls))}  p90 ${ms(percentile(walls, 90))}`
    );
    console.log(`  plugin CPU time at the handshake: median ${ms(percentile(cpus, 50))} (10 ms ticks)`);
    console.log(
      `  bare node -e (reference): wall median ${ms(percentile(nodeWalls, 50))}, CPU median ${ms(percentile(nodeCpus, 50))}`
    );
    console.log(`resident memory: idle ${idleRss.toFixed(1)} MiB, after the runs ${busyRss.toFixed(1)} MiB`);
    console.log(
      `load average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`
    );
    agent.destroy();
  } finally {
    client.close();
    await stopPlugin(plugin);
    await prom.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
