#!/usr/bin/env node
// A container's start on a node with thousands of mounts. On a Kubernetes
// node every pod's secrets, configmaps and tokens are tmpfs mounts under
// /var/lib/kubelet/pods/UID/volumes and every container's root a mount under
// /run/containerd; a container's mount namespace starts as a copy of the
// agent's, and a step of the view that binds a directory recursively copies
// what is mounted inside it once more (docs/security.md, "Mounts of the
// node"). This makes N such mounts (three quarters under the kubelet's
// pods, a quarter under /run/containerd) in a mount namespace of its own for
// each N (0, 500, 2000 by default; an empty tmpfs over /var/lib and /run
// first, so nothing is made on the node), and times `zviz run --standalone
// --profile P -- /bin/true` in each, for every built-in profile, rounds
// interleaved (every N and profile once a round), so that the machine's load
// hits them alike. Prints the medians, each against N=0 of its profile, and
// the mounts the workload's view holds (lines of its /proc/self/mountinfo).
// As root, after `npm run build`.
//
//   npm run bench:mounts                      (15 rounds)
//   ZVIZ_BENCH_SHORT=1 npm run bench:mounts   (2 rounds, N 0 and 100: checks it runs)
//   BENCH_MOUNTS=0,1000 BENCH_RUNS=30 npm run bench:mounts
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const zviz = join(repo, 'agent', 'bin', 'zviz.js');
const runs = process.env.ZVIZ_BENCH_SHORT === '1' ? 2 : Number(process.env.BENCH_RUNS ?? 15);
const short = process.env.ZVIZ_BENCH_SHORT === '1';
const counts = (process.env.BENCH_MOUNTS ?? (short ? '0,100' : '0,500,2000')).split(',').map(Number);
const profiles = readdirSync(join(repo, 'agent', 'profiles'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

function fail(message) {
  console.error(`bench:mounts: ${message}`);
  process.exit(1);
}

if (process.getuid() !== 0) {
  fail('needs root (mounts, cgroups and a sandbox)');
}
if (!existsSync(join(repo, 'agent', 'dist', 'zviz.js'))) {
  fail('build the agent first: npm run build');
}
if (counts.some((n) => !Number.isInteger(n) || n < 0) || !counts.includes(0)) {
  fail(`BENCH_MOUNTS=${process.env.BENCH_MOUNTS}: whole numbers, one of them 0 (the reference)`);
}

/** The script that makes `n` mounts of a node's pods and containers, then waits to be killed. */
function nodeMounts(n) {
  const roots = Math.floor(n / 4);
  return `set -e
mount -t tmpfs -o mode=0755 zviz-bench-var-lib /var/lib
mount -t tmpfs -o mode=0755 zviz-bench-run /run
i=0; while [ $i -lt ${n - roots} ]; do
  d=/var/lib/kubelet/pods/pod$((i/3))/volumes/kubernetes.io~secret/s$i
  mkdir -p $d; mount -t tmpfs -o size=16k,mode=0755 tmpfs $d; echo token > $d/token; i=$((i+1))
done
i=0; while [ $i -lt ${roots} ]; do
  d=/run/containerd/io.containerd.runtime.v2.task/k8s.io/c$i/rootfs
  mkdir -p $d; mount -t tmpfs -o size=16k,mode=0755 tmpfs $d; i=$((i+1))
done
echo ready
exec sleep 100000`;
}

/** A process holding a mount namespace with `n` node mounts; resolves once they are made. */
function holder(n) {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', nodeMounts(n)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) {
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`making ${n} mounts failed (exit ${code})`)));
  });
}

function inNamespace(pid, argv) {
  return ['nsenter', '-t', String(pid), '-m', '--', ...argv];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const holders = new Map();
// The workload's working directory (nsenter starts in the namespace's root, which no profile takes as a workspace).
const workspace = mkdtempSync(join(tmpdir(), 'zviz-bench-mounts-'));
try {
  for (const n of counts) {
    const started = Date.now();
    holders.set(n, await holder(n));
    console.error(`bench:mounts: ${n} mounts made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const command = (profile, argv) => [
    process.execPath,
    zviz,
    'run',
    '--standalone',
    '--profile',
    profile,
    '-w',
    workspace,
    '--',
    ...argv,
  ];
  // The mounts each view holds, and a warm-up run of each.
  const mounts = new Map();
  for (const profile of profiles) {
    for (const n of counts) {
      const argv = inNamespace(holders.get(n).pid, command(profile, ['/bin/cat', '/proc/self/mountinfo']));
      const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      mounts.set(`${profile} ${n}`, out.split('\n').filter(Boolean).length);
    }
  }
  const times = new Map([...mounts.keys()].map((key) => [key, []]));
  const load = [loadavg()[0]];
  for (let round = 0; round < runs; round++) {
    // Each round in another order, so that no case always follows the same one.
    const cases = profiles.flatMap((profile) => counts.map((n) => [profile, n]));
    const shift = round % cases.length;
    for (const [profile, n] of [...cases.slice(shift), ...cases.slice(0, shift)]) {
      const argv = inNamespace(holders.get(n).pid, command(profile, ['/bin/true']));
      const start = process.hrtime.bigint();
      const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (r.status !== 0) {
        fail(`${profile} with ${n} mounts: zviz run exited with ${r.status ?? r.signal}`);
      }
      times.get(`${profile} ${n}`).push(ms);
    }
    load.push(loadavg()[0]);
  }
  console.log(
    `zviz run --standalone --profile P -- /bin/true, N node mounts (3/4 under /var/lib/kubelet/pods, 1/4 under /run/containerd)`
  );
  console.log(
    `${runs} rounds, interleaved; load average (1 min) ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}`
  );
  console.log('');
  console.log('| profile | N | median ms | against N=0 | mounts in the view |');
  console.log('|---|---|---|---|---|');
  for (const profile of profiles) {
    const reference = median(times.get(`${profile} 0`));
    for (const n of counts) {
      const m = median(times.get(`${profile} ${n}`));
      console.log(
        `| ${profile} | ${n} | ${m.toFixed(1)} | ${(m / reference).toFixed(2)} | ${mounts.get(`${profile} ${n}`)} |`
      );
    }
  }
} finally {
  for (const child of holders.values()) {
    child.kill('SIGKILL');
  }
  rmSync(workspace, { recursive: true, force: true });
}
