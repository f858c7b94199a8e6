#!/usr/bin/env node
// Start-up of the zviz command, side by side in one run with hyperfine: bare
// /bin/true, Node starting and exiting (`node -e 0`, the floor of any Node
// CLI), `zviz --version` (loading the bundle of every command), `zviz run
// --help` (loading the bundle of zviz run and its command line), `zviz run
// --standalone -- /bin/true` under the default profile (loading and checking
// the profile, the cgroups, the sandboxed process and its end), and the same
// with --pid host (no PID namespace, so no init). Prints the medians and the
// ratios to `node -e 0`, then the steps as differences of medians. Runs are
// interleaved, one of each command per round. The zviz commands run the
// executable itself, as a user's shell runs it (its shell lines first, then
// the `node` on PATH, which is this Node). As root, after `npm run build`.
//
//   npm run bench:startup                 (30 rounds)
//   ZVIZ_BENCH_SHORT=1 npm run bench:startup   (3 rounds: checks it runs, as CI does)
//   ZVIZ_BENCH_VS=/path/to/other/checkout npm run bench:startup
//       also runs that checkout's (built) `zviz run --help` and `zviz run
//       --standalone -- /bin/true` in the same rounds, and prints this tree's
//       against it: medians and the median of the per-round ratios. The way
//       to compare two builds (a commit before a change against after):
//       each round runs both, so the machine's load hits them alike.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const zviz = join(repo, 'agent', 'bin', 'zviz.js');
const runs = process.env.ZVIZ_BENCH_SHORT === '1' ? 3 : Number(process.env.BENCH_RUNS ?? 30);

function fail(message) {
  console.error(`bench:startup: ${message}`);
  process.exit(1);
}

if (process.getuid() !== 0) {
  fail('needs root (zviz run makes cgroups and a sandbox)');
}
if (!existsSync(join(repo, 'agent', 'dist', 'zviz.js'))) {
  fail('build the agent first: npm run build');
}
try {
  execFileSync('sh', ['-c', 'command -v hyperfine'], { stdio: 'ignore' });
} catch {
  fail('needs hyperfine (apt-get install hyperfine; scripts/setup.sh installs it)');
}

const node = process.execPath;
// Node 20 reads and parses the file of extra CA certificates at every start, before any script
// runs: the system bundle (about 140 certificates) adds about 45 ms of CPU to `node -e 0` and to
// `zviz --version`; `zviz run` has its shell lines keep it from Node (docs/benchmarks.md, "zviz
// run start-up"), so its floor is Node without it.
const extraCa = process.env.NODE_EXTRA_CA_CERTS;
const bareNode = extraCa === undefined ? 'node -e 0' : 'node -e 0 without NODE_EXTRA_CA_CERTS';
const commands = [
  ['/bin/true', '/bin/true'],
  ['node -e 0', `${node} -e 0`],
  ...(extraCa === undefined ? [] : [[bareNode, `env -u NODE_EXTRA_CA_CERTS ${node} -e 0`]]),
  ['zviz --version', `${zviz} --version`],
  ['zviz run --help', `${zviz} run --help`],
  ['zviz run --standalone --pid host -- /bin/true', `${zviz} run --standalone --pid host -- /bin/true`],
  ['zviz run --standalone -- /bin/true', `${zviz} run --standalone -- /bin/true`],
];
const vs = process.env.ZVIZ_BENCH_VS;
const compared = ['zviz run --help', 'zviz run --standalone -- /bin/true'];
if (vs) {
  const other = join(vs, 'agent', 'bin', 'zviz.js');
  if (!existsSync(join(vs, 'agent', 'dist', 'zviz-run.js'))) {
    fail(`ZVIZ_BENCH_VS=${vs}: no built agent there (agent/dist/zviz-run.js); run npm ci && npm run build in it`);
  }
  for (const name of compared) {
    commands.push([`ZVIZ_BENCH_VS: ${name}`, `${other} ${name.slice('zviz '.length)}`]);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'zviz-bench-startup-'));
try {
  // Interleaved: one hyperfine run of every command per round, so that a
  // change of the machine's load (other jobs on 2 cores) hits every command
  // alike; the first round warms up and is not counted.
  const out = join(dir, 'hyperfine.json');
  const times = new Map(commands.map(([name]) => [name, { wall: [], cpu: [] }]));
  for (let round = 0; round <= runs; round++) {
    execFileSync(
      'hyperfine',
      [
        '--runs',
        '1',
        '-N',
        '--style',
        'none',
        '--export-json',
        out,
        ...commands.flatMap(([name, cmd]) => ['-n', name, cmd]),
      ],
      {
        stdio: ['ignore', 'ignore', 'ignore'],
        env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
      }
    );
    if (round === 0) {
      continue;
    }
    for (const r of JSON.parse(readFileSync(out, 'utf8')).results) {
      times.get(r.command).wall.push(r.times[0]);
      times.get(r.command).cpu.push(r.user + r.system);
    }
  }
  const sorted = (values) => [...values].sort((a, b) => a - b);
  const middle = (values) => {
    const v = sorted(values);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const results = commands.map(([name]) => {
    const { wall, cpu } = times.get(name);
    return { command: name, median: middle(wall), min: sorted(wall)[0], max: sorted(wall).at(-1), cpu: middle(cpu) };
  });
  const ms = (s) => (s * 1000).toFixed(1);
  const floor = results.find((r) => r.command === 'node -e 0').median;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`node ${process.version}, ${runs} interleaved rounds after 1 warm-up round; load average ${load}`);
  console.log(
    extraCa
      ? `NODE_EXTRA_CA_CERTS=${extraCa} (${existsSync(extraCa) ? statSync(extraCa).size : 'missing,'} bytes), in every command's environment (zviz run's shell lines keep it from its Node)\n`
      : 'NODE_EXTRA_CA_CERTS unset\n'
  );
  console.log('| command | median ms | min ms | max ms | user+sys CPU ms (median) | median / node -e 0 |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.command} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.max)} | ${ms(r.cpu)} | ${(r.median / floor).toFixed(2)} |`
    );
  }
  const median = (name) => results.find((r) => r.command === name).median;
  const step = (label, from, to) => console.log(`| ${label} | ${ms(median(to) - median(from))} |`);
  console.log('\nSteps (differences of the medians above):\n');
  console.log('| step | ms |');
  console.log('|---|---|');
  step('Node itself (node -e 0 - /bin/true)', '/bin/true', 'node -e 0');
  if (extraCa !== undefined) {
    step('NODE_EXTRA_CA_CERTS (node -e 0 - node -e 0 without it)', bareNode, 'node -e 0');
  }
  step(`zviz run's bundle and command line (run --help - ${bareNode})`, bareNode, 'zviz run --help');
  step(
    'profile, cgroups, sandbox, workload and its end, without PID namespace (--pid host - run --help)',
    'zviz run --help',
    'zviz run --standalone --pid host -- /bin/true'
  );
  step(
    'PID namespace and init (run - --pid host)',
    'zviz run --standalone --pid host -- /bin/true',
    'zviz run --standalone -- /bin/true'
  );
  console.log('\nGoal: zviz run --standalone -- /bin/true under 120 ms.');
  if (vs) {
    console.log(`\nThis tree against ZVIZ_BENCH_VS=${vs}, run in the same rounds:\n`);
    console.log('| command | this median ms | other median ms | this / other, median of the rounds: wall | CPU |');
    console.log('|---|---|---|---|---|');
    for (const name of compared) {
      const mine = times.get(name);
      const theirs = times.get(`ZVIZ_BENCH_VS: ${name}`);
      const ratio = (key) => middle(mine[key].map((value, round) => value / theirs[key][round])).toFixed(3);
      console.log(
        `| ${name} | ${ms(middle(mine.wall))} | ${ms(middle(theirs.wall))} | ${ratio('wall')} | ${ratio('cpu')} |`
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
