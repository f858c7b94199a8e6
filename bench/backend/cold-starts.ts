// Cold starts alone, of several builds of the gpx_zviz executable side by
// side: exec to the handshake line, wall time and the process' CPU time at
// that moment (all its threads), each build started in turn, the order
// reversed every round. compare-builds.ts also queries and waits 2 s per
// start; this takes many more starts in the same time, for a change that
// moves only the start (a warm-up before the handshake, built-ins loaded
// differently). Run:
//   npx tsx bench/backend/cold-starts.ts ROUNDS EXECUTABLE...
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';

import { cpuMs, pluginEnv } from './plugin-process';

const rounds = Number(process.argv[2]);
const builds = process.argv.slice(3);
const ENV = pluginEnv('warn');

async function coldStart(path: string): Promise<{ wall: number; cpu: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(path, [], { env: ENV, stdio: ['pipe', 'pipe', 'ignore'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`${path} exited with ${code} before the handshake`)));
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuMs(child.pid!);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { wall, cpu };
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

async function main() {
  if (!(rounds > 0) || builds.length === 0) {
    throw new Error('usage: cold-starts.ts ROUNDS EXECUTABLE...');
  }
  console.log(
    `load average at the start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
  const samples = new Map(builds.map((b) => [b, { wall: [] as number[], cpu: [] as number[] }]));
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 ? [...builds].reverse() : builds) {
      const { wall, cpu } = await coldStart(build);
      samples.get(build)!.wall.push(wall);
      samples.get(build)!.cpu.push(cpu);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  for (const [build, { wall, cpu }] of samples) {
    console.log(
      `${build}: CPU at the handshake median ${median(cpu).toFixed(1)} ms (min ${Math.min(...cpu).toFixed(1)}), ` +
        `wall median ${median(wall).toFixed(1)} ms (min ${Math.min(...wall).toFixed(1)})`
    );
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
