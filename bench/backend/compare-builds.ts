// Two builds of the gpx_zviz executable side by side, alternating which goes
// first in every round, on what a change to start-up or the warm-up moves:
// the plugin's CPU time to the handshake line; its CPU time for a first
// QueryData sent right after the handshake, and for one sent 2 s after start
// (after the warm-up); and the resident memory 2 s after start (page cache
// dropped first, as bench.ts does), alone and with a host connected that
// holds go-plugin's stdio stream open, as Grafana does from the handshake on.
// The query is a 1,000-point promql range query against a stand-in
// Prometheus in this process. Run:
//   npx tsx bench/backend/compare-builds.ts A_EXECUTABLE B_EXECUTABLE [ROUNDS]
// CPU times come from /proc (all threads), which other jobs on the machine
// inflate less than wall times; medians, with every sample printed.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import type { Network } from '../../pkg-backend/src/sdk/handshake';
import { cpuMs, pluginEnv, startRangeAnswerServer, upRangeQuery } from './plugin-process';

const [a, b] = process.argv.slice(2, 4);
const ROUNDS = Number(process.argv[4] ?? 8);
const ENV = pluginEnv('warn');

function resident(pid: number): { rss: number; anon: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)![1]);
  return { rss: kib('Rss') / 1024, anon: kib('Anonymous') / 1024 };
}

async function start(path: string): Promise<{ child: ChildProcessWithoutNullStreams; address: Network; cpu: number }> {
  const child = spawn(path, [], { env: ENV, stdio: 'pipe' });
  child.stderr.resume();
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0]));
    child.once('exit', (code) => reject(new Error(`${path} exited with ${code}`)));
  });
  return { child, address: { network: 'unix', path: line.split('|')[3] }, cpu: cpuMs(child.pid!) };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

async function main() {
  if (!a || !b) {
    throw new Error('usage: compare-builds.ts A_EXECUTABLE B_EXECUTABLE [ROUNDS]');
  }
  const prom = await startRangeAnswerServer();
  const config = {
    uid: 'p',
    jsonData: {
      prometheusUrl: `http://127.0.0.1:${(prom.address() as { port: number }).port}`,
      agents: ['127.0.0.1:1'],
    },
  };
  const ask = async (address: Network) => {
    const client = new GrafanaClient(address);
    const r = await client.queryDataRaw([upRangeQuery()], config);
    client.close();
    if (r.A.error) throw new Error(r.A.error);
  };
  GrafanaClient.preload();
  const builds = [a, b];
  const startCpu = new Map(builds.map((x) => [x, [] as number[]]));
  const at = new Map(builds.map((x) => [x, [] as number[]]));
  const late = new Map(builds.map((x) => [x, [] as number[]]));
  const rss = new Map(builds.map((x) => [x, [] as number[]]));
  const anon = new Map(builds.map((x) => [x, [] as number[]]));
  const hosted = new Map(builds.map((x) => [x, [] as number[]]));
  const hostedAnon = new Map(builds.map((x) => [x, [] as number[]]));
  console.log(`load average at the start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of round % 2 ? [...builds].reverse() : builds) {
      const p = await start(path);
      startCpu.get(path)!.push(p.cpu);
      await ask(p.address);
      at.get(path)!.push(cpuMs(p.child.pid!) - p.cpu);
      await stop(p.child);
      execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
      const q = await start(path);
      await new Promise((r) => setTimeout(r, 2000));
      const m = resident(q.child.pid!);
      rss.get(path)!.push(m.rss);
      anon.get(path)!.push(m.anon);
      const before = cpuMs(q.child.pid!);
      await ask(q.address);
      late.get(path)!.push(cpuMs(q.child.pid!) - before);
      await stop(q.child);
      execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
      const h = await start(path);
      const host = new GrafanaClient(h.address);
      const stdio = host.streamStdio();
      stdio.on('error', () => undefined);
      await new Promise((r) => setTimeout(r, 2000));
      const withHost = resident(h.child.pid!);
      hosted.get(path)!.push(withHost.rss);
      hostedAnon.get(path)!.push(withHost.anon);
      stdio.cancel();
      host.close();
      await stop(h.child);
    }
  }
  prom.close();
  const list = (v: number[]) => v.map((x) => x.toFixed(1)).join(' ');
  for (const [label, path] of [
    ['A', a],
    ['B', b],
  ]) {
    console.log(`${label} ${path}`);
    console.log(
      `  CPU at the handshake: median ${median(startCpu.get(path)!).toFixed(1)} ms (${list(startCpu.get(path)!)})`
    );
    console.log(
      `  first query at once, plugin CPU: median ${median(at.get(path)!).toFixed(1)} ms (${list(at.get(path)!)})`
    );
    console.log(
      `  first query 2 s after start, plugin CPU: median ${median(late.get(path)!).toFixed(1)} ms (${list(late.get(path)!)})`
    );
    console.log(
      `  RSS 2 s after start: median ${median(rss.get(path)!).toFixed(2)} MiB, anonymous ${median(anon.get(path)!).toFixed(2)} (${list(rss.get(path)!)})`
    );
    console.log(
      `  RSS 2 s after start, host connected: median ${median(hosted.get(path)!).toFixed(2)} MiB, anonymous ${median(hostedAnon.get(path)!).toFixed(2)} (${list(hosted.get(path)!)})`
    );
  }
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
