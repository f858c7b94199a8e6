#!/usr/bin/env node
// Tracer overhead, side by side in one run: a getppid loop, dd bs=512 to
// /dev/null and the compression of a directory tree, each run bare, under
// empty BPF programs on the same tracepoints (the floor), under ZViz's
// tracer in several configurations and under bpftrace doing per-cgroup
// syscall counting. Every configuration stays loaded in its own process and
// is attached only for its turn; turns are shuffled round after round, so
// the drifts of a shared machine hit all of them alike. Medians of workload
// CPU time are reported.
//
//   npm run bench:tracer            (as root, after npm run build)
//   BENCH_ROUNDS=31 BENCH_SCALE=2 npm run bench:tracer
//   ZVIZ_BENCH_SHORT=1 npm run bench:tracer   (one round: checks it runs, as CI does)
//   BENCH_BASELINE_ROOT=/path/to/other/agent npm run bench:tracer
//     adds ZViz's default configuration from another build of the agent
//     package (its build/Release addon and BPF objects), side by side with
//     this one: the cost of a change to the BPF programs, before and after.
//
// bpftrace finds tracepoints through tracefs; where /sys/kernel/tracing is
// not mounted (a fresh VM, a container), the bench mounts it for its run.
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { mountTracefs } from '../shared/tracefs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const agentRoot = join(repo, 'agent');
const short = process.env.ZVIZ_BENCH_SHORT === '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? (short ? 1 : 15));
const bpftraceRounds = Number(process.env.BENCH_BPFTRACE_ROUNDS ?? (short ? 1 : 3));
const scale = Number(process.env.BENCH_SCALE ?? (short ? 0.2 : 1));
const baselineRoot = process.env.BENCH_BASELINE_ROOT;

const SYSCALL_TPS = ['sys_enter', 'sys_exit'];
const OTHER_TPS = [
  'sched_switch',
  'sched_wakeup',
  'sched_wakeup_new',
  'inet_sock_set_state',
  'tcp_probe',
  'sock_send_length',
  'sock_recv_length',
  'block_io_start',
  'block_rq_issue',
  'block_rq_complete',
];
const NO_SYSCALL_FAMILIES = { syscalls: false, fs: false, dns: false };

function fail(message) {
  console.error(`bench:tracer: ${message}`);
  process.exit(1);
}

function prerequisites() {
  if (process.getuid() !== 0) {
    fail('needs root (BPF programs, cgroups)');
  }
  for (const tool of ['cc', 'bpftrace', 'tar', 'gzip', 'dd']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      fail(`needs ${tool}`);
    }
  }
  if (
    !existsSync(join(agentRoot, 'build', 'Release', 'zviz_tracer.node')) ||
    !existsSync(join(agentRoot, 'build', 'Release', 'zviz_tracer_testing.node'))
  ) {
    fail('build the agent first: npm run build');
  }
  try {
    mountTracefs();
  } catch (error) {
    fail(error.message);
  }
}

function cgroup2Mount() {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) {
      return left.split(' ')[4];
    }
  }
  fail('no cgroup2 hierarchy mounted');
}

function build(work) {
  execFileSync('cc', ['-O2', '-o', join(work, 'runner'), join(here, 'runner.c')]);
  execFileSync('cc', ['-O2', '-o', join(work, 'getppid'), join(here, 'getppid.c')]);
  execFileSync('cc', ['-O2', '-o', join(work, 'pingpong'), join(here, 'pingpong.c')]);
  execFileSync(
    join(repo, 'node_modules', '.bin', 'esbuild'),
    [
      join(here, 'host.ts'),
      '--bundle',
      '--platform=node',
      '--target=node20',
      `--outfile=${join(work, 'host.js')}`,
      '--log-level=warning',
    ],
    { stdio: 'inherit' }
  );
}

// A source-like tree (words from a fixed vocabulary, seeded), ~8 MiB per scale unit.
function makeTree(dir) {
  const words =
    'const let function return if else for while import export from class new this await async value error result data index length push map filter reduce string number object array true false null undefined'.split(
      ' '
    );
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let d = 0; d < 4 * scale; d++) {
    const sub = join(dir, `dir${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 32; f++) {
      const parts = [];
      let size = 0;
      while (size < 64 * 1024) {
        const line = Array.from({ length: 8 }, () => words[next() % words.length]).join(' ') + ` ${next() % 100000};\n`;
        parts.push(line);
        size += line.length;
      }
      writeFileSync(join(sub, `file${f}.js`), parts.join(''));
    }
  }
}

function lines(stream) {
  const rl = createInterface({ input: stream });
  const queue = [];
  const waiters = [];
  rl.on('line', (line) => (waiters.length ? waiters.shift()(line) : queue.push(line)));
  return () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
}

// bpftrace, started for its turn (it cannot detach and reattach).
async function startBpftrace(script, cgroupDir) {
  const child = spawn('bpftrace', ['-e', script.replaceAll('CGROUP', cgroupDir)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // bpftrace complains when it cannot raise RLIMIT_MEMLOCK, which kernels since 5.11 do not need.
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const next = lines(child.stdout);
  const exited = new Promise((r) => child.once('exit', r)).then(() => fail(`bpftrace exited: ${errors}`));
  for (;;) {
    const line = await Promise.race([next(), exited]);
    if (line.startsWith('Attaching')) {
      break;
    }
  }
  await new Promise((r) => setTimeout(r, 500)); // probes are live shortly after bpftrace says so
  return () =>
    new Promise((resolveStop) => {
      child.removeAllListeners('exit');
      child.on('exit', () => resolveStop(undefined));
      child.kill('SIGKILL');
    });
}

// A host process with its programs loaded, attached on demand.
async function startHost(config, work, cgroupDir) {
  const args =
    config.kind === 'floor' ? ['floor', ...config.tracepoints] : ['zviz', JSON.stringify(config.tracer), cgroupDir];
  const child = spawn(process.execPath, [join(work, 'host.js'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ZVIZ_AGENT_ROOT: config.agentRoot ?? agentRoot },
  });
  const next = lines(child.stdout);
  const first = await next();
  if (first !== 'ready') {
    fail(`${config.name}: host said ${first}`);
  }
  const command = async (line) => {
    child.stdin.write(`${line}\n`);
    const answer = await next();
    if (answer !== 'ok') {
      fail(`${config.name}: host answered ${answer} to ${line}`);
    }
  };
  return {
    on: () => command('on'),
    off: () => command('off'),
    stop: async () => {
      child.stdin.end('stop\n');
      const report = JSON.parse(await next());
      await new Promise((r) => child.on('exit', r));
      return report;
    },
  };
}

function measure(work, cgroupDir, command) {
  const out = execFileSync(join(work, 'runner'), [cgroupDir, ...command])
    .toString()
    .trim()
    .split(' ')
    .map(Number);
  return { wall: out[0], cpu: out[1] + out[2] };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  prerequisites();
  const work = mkdtempSync(join(tmpdir(), 'zviz-bench-tracer-'));
  const cgroupDir = join(cgroup2Mount(), `zviz-bench-${process.pid}`);
  mkdirSync(cgroupDir, { recursive: true });
  try {
    build(work);
    const tree = join(work, 'tree');
    makeTree(tree);

    const loops = 500_000 * scale;
    const blocks = 500_000 * scale;
    const workloads = [
      { name: 'getppid loop', unit: 'call', ops: loops, command: [join(work, 'getppid'), String(loops)] },
      {
        name: 'dd bs=512',
        unit: 'block',
        ops: blocks,
        command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=512', `count=${blocks}`, 'status=none'],
      },
      {
        name: 'tar | gzip',
        unit: 'run',
        ops: 1,
        command: ['sh', '-c', `tar -C ${tree} -cf - . | gzip -6 > /dev/null`],
      },
      {
        name: 'pipe ping-pong',
        unit: 'round trip',
        ops: 100_000 * scale,
        command: [join(work, 'pingpong'), String(100_000 * scale)],
      },
    ];
    const configs = [
      { name: 'bare', kind: 'bare' },
      {
        name: "floor: empty programs on all of ZViz's tracepoints",
        short: 'floor',
        kind: 'floor',
        tracepoints: [...SYSCALL_TPS, ...OTHER_TPS],
      },
      {
        name: 'floor: empty programs on the non-syscall tracepoints',
        short: 'floor-nosys',
        kind: 'floor',
        tracepoints: OTHER_TPS,
      },
      { name: 'ZViz default (every family; syscall latency 1 in 16)', short: 'default', kind: 'zviz', tracer: {} },
      {
        name: 'ZViz, syscall latency of every call',
        short: 'exact',
        kind: 'zviz',
        tracer: { syscall_latency_sample: 1 },
      },
      {
        name: 'ZViz, syscall counts only (no syscall latency, fs, dns)',
        short: 'counts',
        kind: 'zviz',
        tracer: { syscall_latency: false, families: { fs: false, dns: false } },
      },
      {
        name: 'ZViz, syscall families off (sched, tcp, sock, block only)',
        short: 'nosys',
        kind: 'zviz',
        tracer: { families: NO_SYSCALL_FAMILIES },
      },
      ...(baselineRoot
        ? [
            {
              name: `ZViz default, baseline build (${baselineRoot})`,
              short: 'baseline',
              kind: 'zviz',
              tracer: {},
              agentRoot: baselineRoot,
            },
          ]
        : []),
    ];
    const bpftraces = [
      {
        name: 'bpftrace: per-cgroup syscall counts',
        short: 'bpftrace',
        script: 'tracepoint:raw_syscalls:sys_enter /cgroup == cgroupid("CGROUP")/ { @[args->id] = count(); }',
      },
      {
        name: 'bpftrace: per-cgroup syscall counts and latency',
        short: 'bpftrace-latency',
        script:
          'tracepoint:raw_syscalls:sys_enter /cgroup == cgroupid("CGROUP")/ { @n[args->id] = count(); @s[tid] = nsecs; } ' +
          'tracepoint:raw_syscalls:sys_exit /@s[tid]/ { @lat[args->id] = hist(nsecs - @s[tid]); delete(@s[tid]); }',
      },
    ];

    const samples = new Map();
    const record = (name, i, m) => {
      if (!samples.has(name)) {
        samples.set(
          name,
          workloads.map(() => ({ wall: [], cpu: [] }))
        );
      }
      samples.get(name)[i].wall.push(m.wall);
      samples.get(name)[i].cpu.push(m.cpu);
    };
    const runAll = (name) => workloads.forEach((w, i) => record(name, i, measure(work, cgroupDir, w.command)));

    // Phase 1: bare, floors and ZViz, all loaded, attached in turn.
    const hosts = new Map();
    for (const config of configs.filter((c) => c.kind !== 'bare')) {
      hosts.set(config.name, await startHost(config, work, cgroupDir));
    }
    for (let round = 0; round < rounds; round++) {
      for (const config of shuffle(configs)) {
        const host = hosts.get(config.name);
        await host?.on();
        runAll(config.name);
        await host?.off();
      }
      console.error(`round ${round + 1}/${rounds}`);
    }
    // Phase 2: time spent in the BPF programs themselves, from the kernel's
    // own accounting (kernel.bpf_stats_enabled), which other load on the
    // machine barely disturbs. The empty program's time is the accounting's
    // own cost; what ZViz's programs take beyond it is their work.
    const programTime = await measurePrograms(configs, hosts, work, cgroupDir, workloads.slice(0, 2));

    const agent = new Map();
    for (const [name, host] of hosts) {
      agent.set(name, await host.stop());
    }

    // Phase 3: bpftrace, which takes seconds to start, against its own bare runs.
    for (let round = 0; round < bpftraceRounds; round++) {
      for (const config of shuffle([{ name: 'bare (bpftrace phase)' }, ...bpftraces])) {
        const stop = config.script ? await startBpftrace(config.script, cgroupDir) : undefined;
        runAll(config.name);
        await stop?.();
      }
      console.error(`bpftrace round ${round + 1}/${bpftraceRounds}`);
    }
    report(configs, bpftraces, workloads, samples, agent, programTime);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmdirSync(cgroupDir);
  }
}

function programRuns() {
  const totals = new Map();
  for (const p of JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json']).toString())) {
    if (!p.name?.startsWith('zviz_')) {
      continue;
    }
    const t = totals.get(p.name) ?? { cnt: 0, ns: 0 };
    totals.set(p.name, { cnt: t.cnt + (p.run_cnt ?? 0), ns: t.ns + (p.run_time_ns ?? 0) });
  }
  return totals;
}

// ns per syscall spent in the programs on sys_enter and sys_exit, per workload and configuration.
async function measurePrograms(configs, hosts, work, cgroupDir, workloads) {
  const previous = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
  writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
  const out = new Map();
  try {
    const syscallConfigs = configs.filter(
      (c) => c.kind === 'zviz' || c.name.startsWith('floor: empty programs on all')
    );
    for (let round = 0; round < 5; round++) {
      for (const config of shuffle(syscallConfigs)) {
        const host = hosts.get(config.name);
        await host.on();
        for (const [i, w] of workloads.entries()) {
          const before = programRuns();
          measure(work, cgroupDir, w.command);
          const after = programRuns();
          let perSyscall = 0;
          for (const name of config.kind === 'floor' ? ['zviz_floor'] : ['zviz_sys_enter', 'zviz_sys_exit']) {
            const a = after.get(name) ?? { cnt: 0, ns: 0 };
            const b = before.get(name) ?? { cnt: 0, ns: 0 };
            if (a.cnt > b.cnt) {
              perSyscall += (a.ns - b.ns) / (a.cnt - b.cnt);
            }
          }
          // The floor's one program runs twice per syscall (enter and exit).
          if (config.kind === 'floor') {
            perSyscall *= 2;
          }
          const key = `${config.name}|${i}`;
          out.set(key, [...(out.get(key) ?? []), perSyscall]);
        }
        await host.off();
      }
    }
  } finally {
    writeFileSync('/proc/sys/kernel/bpf_stats_enabled', previous);
  }
  return out;
}

function shuffle(list) {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function report(configs, bpftraces, workloads, samples, agent, programTime) {
  const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const at = (name, i, key = 'cpu') => (samples.has(name) ? median(samples.get(name)[i][key]) : NaN);
  console.log(`\n${rounds} interleaved rounds (bpftrace: ${bpftraceRounds}); medians of the workload's CPU time`);
  console.log('(user + sys, children included; BPF programs run in the workload and count there).');
  console.log('added = configuration minus bare of the same phase.\n');
  workloads.forEach((w, i) => {
    const perOp = (ns) => (w.ops > 1 ? `${fmt(ns / w.ops)} ns` : `${fmt(ns / 1e6, 0)} ms`);
    const row = (name, bareName) => {
      const cpu = at(name, i);
      const bare = at(bareName, i);
      const added = cpu - bare;
      return name === bareName
        ? `| ${name} | ${perOp(cpu)} | | | ${perOp(at(name, i, 'wall'))} |`
        : `| ${name} | ${perOp(cpu)} | ${perOp(added)} | ${fmt((100 * added) / bare)} % | ${perOp(at(name, i, 'wall'))} |`;
    };
    console.log(`### ${w.name} (${w.ops.toLocaleString('en')} ${w.unit}${w.ops > 1 ? 's; per ' + w.unit : ''})\n`);
    console.log('| configuration | CPU | added | added % | wall |');
    console.log('|---|---|---|---|---|');
    for (const c of configs) {
      console.log(row(c.name, 'bare'));
    }
    console.log(row('bare (bpftrace phase)', 'bare (bpftrace phase)'));
    for (const b of bpftraces) {
      console.log(row(b.name, 'bare (bpftrace phase)'));
    }
    const added = (name, bare = 'bare') => at(name, i) - at(bare, i);
    const byShort = (s) => [...configs, ...bpftraces].find((c) => c.short === s).name;
    const ratio = (a, b, bareB = 'bare') => fmt(added(byShort(a)) / added(byShort(b), bareB), 2);
    console.log('\nadded cost relative to the floor and to bpftrace:\n');
    console.log(`- ZViz default / floor: ${ratio('default', 'floor')}`);
    if (baselineRoot) {
      console.log(`- ZViz default, this build / baseline build: ${ratio('default', 'baseline')}`);
    }
    console.log(`- ZViz syscall counts only / floor: ${ratio('counts', 'floor')}`);
    console.log(`- ZViz latency of every call / floor: ${ratio('exact', 'floor')}`);
    console.log(`- ZViz syscall families off / floor on the non-syscall tracepoints: ${ratio('nosys', 'floor-nosys')}`);
    console.log(`- ZViz default / bpftrace counting: ${ratio('default', 'bpftrace', 'bare (bpftrace phase)')}`);
    console.log(
      `- ZViz latency of every call / bpftrace counts and latency: ${ratio('exact', 'bpftrace-latency', 'bare (bpftrace phase)')}\n`
    );
  });
  console.log('### Time in the syscall programs (kernel.bpf_stats_enabled accounting, medians of 5)\n');
  console.log('Per syscall, sys_enter plus sys_exit; "work" is the time beyond the empty program, whose own');
  console.log('time is mostly the accounting (two clock reads per run).\n');
  const floorName = configs.find((c) => c.short === 'floor').name;
  console.log(
    `| configuration | ${workloads
      .slice(0, 2)
      .map((w) => `${w.name}: time | work`)
      .join(' | ')} |`
  );
  console.log(
    `|---|${workloads
      .slice(0, 2)
      .map(() => '---|---')
      .join('|')}|`
  );
  for (const c of configs.filter(
    (c) => (c.kind === 'zviz' && c.tracer.families?.syscalls !== false) || c.short === 'floor'
  )) {
    const cells = workloads.slice(0, 2).map((_, i) => {
      const t = median(programTime.get(`${c.name}|${i}`) ?? []);
      const floor = median(programTime.get(`${floorName}|${i}`) ?? []);
      return `${fmt(t)} ns | ${c.short === 'floor' ? '' : fmt(t - floor) + ' ns'}`;
    });
    console.log(`| ${c.name} | ${cells.join(' | ')} |`);
  }
  console.log('');

  console.log('### Agent process (ZViz reading its maps once a second, like a busy scraper)\n');
  console.log('| configuration | load and attach (CPU) | CPU while running | RSS | max RSS |');
  console.log('|---|---|---|---|---|');
  for (const c of configs.filter((c) => c.kind === 'zviz' || c.kind === 'floor')) {
    const r = agent.get(c.name);
    console.log(
      `| ${c.name} | ${fmt(r.startup_cpu_ms, 0)} ms | ${fmt(r.cpu_percent, 2)} % of a core | ${fmt(r.rss_bytes / 2 ** 20)} MiB | ${fmt(r.max_rss_bytes / 2 ** 20)} MiB |`
    );
  }
}

main().catch((error) => fail(error.stack ?? String(error)));
