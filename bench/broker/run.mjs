#!/usr/bin/env node
// The broker benchmark, one command: `npm run bench:broker` (as root, after
// `npm run build`). Side by side in one run:
//
// 1. Brokered syscalls: a workload makes 200,000 getppid() calls that each
//    go to a supervisor, which answers CONTINUE. Supervisors: the C
//    reference (reference.c), bare and with its workload in cgroups like a
//    ZViz container's; and the ZViz broker (`zviz run` with brokered.json:
//    the full decision path, counters and histogram). The workload times
//    every call: p50, p99, calls per second.
// 2. Unbrokered syscalls: a getppid loop, dd bs=512 to /dev/null, and
//    compressing a directory tree, bare, under a one-instruction allow-all
//    filter, and under ZViz's `default` and `ci-runner` profiles. Measured
//    inside the sandbox (timeit.c): the CPU time the workload used, so the
//    sandbox's start-up and other jobs' load are left out.
//
// 3. Emulated opens: a workload opens and closes one file in a loop (openloop.c),
//    each pair timed: an allowed read of /etc/hostname, and a write of it
//    that the rules refuse. Bare; under the C reference (reference-open.c: a
//    libseccomp supervisor that reads the path, checks it is still valid,
//    decides by prefix, opens the file and installs it with ADDFD; and the
//    same making the broker's system calls as well, ZVIZ_BENCH_BROKER_STEPS,
//    which tells the broker's design from its code); and under
//    ZViz's `strict` profile (the path resolved from the workload's root in
//    its mount namespace, judged on the opened object's path, reopened and
//    installed with ADDFD); and under `strict` by a relative path from the
//    workspace (the broker opens the workload's cwd as well). ZVIZ_BENCH_OPENS
//    changes the number of opens.
//    Then one more run of each ZViz case with the broker's step timer on
//    (ZVIZ_BROKER_STEP_TIMES, broker/step_times.h): where an open's time goes.
// 4. Placement of emulated opens: the allowed and refused opens of part 3
//    under ZViz and the C reference (set up like a container), with the
//    supervisor bound to CPU 0 (taskset) and the workload bound to the same
//    CPU or to CPU 1 (openloop's CPU argument), beside the unbound runs.
//    Whether the wake-ups between the two cost more when they cross CPUs.
// 4b. Wake-ups (ZVIZ_BENCH_PARTS=wakeups): the allowed open of part 3, unbound,
//    under ZViz and the C reference set up like a container, each also with
//    its supervisor thread at SCHED_IDLE (chrt, applied by this harness); then
//    one run of each traced with bpftrace (wakeups.bt): per wake-up of the
//    workload and of the supervisor, what woke it, whether it landed on the
//    waker's CPU and on an idle one, and how long until it ran.
// 5. Emulated opens one at a time: the allowed open of part 3, each after a
//    pause (ZVIZ_BENCH_PAUSE_US, default 10,000; ZVIZ_BENCH_SPORADIC opens per
//    run, default 300), under both C references and ZViz: what an open costs
//    when it comes alone, as a program's do, not in a tight loop.
// 6. The path read (pathread.c): capset, process_vm_readv, capset as the
//    broker reads a path from a workload in its own user namespace, beside
//    the same read with the capability kept raised and through a kept
//    /proc/<pid>/mem descriptor (both rejected designs): what they would save.
// 7. Emulated creates (createloop.c): new files made in the workspace under
//    `ci-runner`, whose filter notifies umask(2) so the broker knows the
//    umask a create applies (broker/umask_tracker.h), beside the same profile
//    with its umask rule given an argument condition (always true): the
//    broker then reads /proc/<tid>/status for every create, as it did before.
//    Bare beside them; ZVIZ_BENCH_CREATES creates per run.
// 8. Truncating opens (truncloop.c): files that hold data rewritten with
//    O_WRONLY|O_CREAT|O_TRUNC one at a time, as the demo's CI job rewrites its
//    files with `>`, while a child fsyncs a file of its own (as the demo's noisy
//    service does): bare, under the C reference set up like a container
//    (allowed to write, ZVIZ_BENCH_ALLOW_WRITE), and under `ci-runner`, in a
//    directory of the system's temporary directory (ZVIZ_BENCH_TRUNC_DIR: one
//    on another file system). The kernel's own truncation beside the broker's:
//    what the broker adds is the difference. ZVIZ_BENCH_TRUNCATES opens per
//    run, ZVIZ_BENCH_TRUNC_SIZE bytes per file, ZVIZ_BENCH_TRUNC_PAUSE_US
//    between them, ZVIZ_BENCH_TRUNC_PRESSURE_MS between the child's fsyncs.
//    Then one run under ZViz with the step timer on: the truncating reopen's
//    own time (the file system's work) against the rest of the latency.
// 9. The host's cgroup mounts a container start plans (cgroupmounts.cc, the
//    agent's own host_cgroup_mounts.cc): read and parsed from mountinfo afresh,
//    as every start did, against the kept list, at this node's mounts and with
//    ZVIZ_BENCH_EXTRA_MOUNTS (default 1,000) more.
// 10. Head-of-line blocking: emulated (not truncating) write opens of a
//    workspace file, 2 ms apart (openloop), under `ci-runner`: alone; with
//    truncating opens back to back (truncloop, no pause) in another process of
//    the same container, whose notifications the same supervisor thread
//    answers; and with the same truncating opens in another container (a
//    `zviz run` of its own: each container has a supervisor thread of its own,
//    in an agent as here). What a slow open costs the other opens.
//
// Each measurement is repeated (ZVIZ_BENCH_REPEAT, default 7), conditions
// interleaved, and the median reported. ZVIZ_BENCH_CALLS changes the number
// of brokered calls; ZVIZ_BENCH_JSON=FILE also writes the figures as JSON.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fileSystemOf } from '../shared/mounts.mjs';
import { mountTracefs } from '../shared/tracefs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const bin = join(here, 'bin');
const zviz = join(repo, 'agent', 'bin', 'zviz.js');
/** `zviz run --standalone` of `command` under `profile`, with `options` (such as its working directory) before it. */
const zvizRun = (profile, command, options = []) => [
  process.execPath,
  zviz,
  'run',
  '--standalone',
  '--profile',
  profile,
  ...options,
  '--',
  ...command,
];
// strict's reads are the kernel's now (its view decides them as its rules
// would: agent/src/profiles/compile.ts, viewDecidesReads), so the emulated
// open the parts below measure against the C reference is made under a copy
// of strict whose read rule names, of /etc, only the files the loops open:
// its view then shows reads its rules refuse, the filter notifies every read
// and the broker emulates them, as it emulated strict's before.
const brokeredReadsDir = mkdtempSync(join(tmpdir(), 'zviz-bench-profile-'));
process.on('exit', () => rmSync(brokeredReadsDir, { recursive: true, force: true }));
const STRICT_BROKERED_READS = join(brokeredReadsDir, 'strict-brokered-reads.json');
{
  const strict = JSON.parse(readFileSync(join(repo, 'agent', 'profiles', 'strict.json'), 'utf8'));
  const reads = strict.zviz.broker.find((rule) => rule.access === 'read');
  reads.paths = reads.paths.flatMap((path) => (path === '/etc' ? ['/etc/hostname', '/etc/ld.so.cache'] : [path]));
  writeFileSync(STRICT_BROKERED_READS, JSON.stringify(strict));
}
// ZVIZ_BENCH_SHORT=1: one small repetition, to check the bench runs (CI does).
const SHORT = process.env.ZVIZ_BENCH_SHORT === '1';
const CALLS = Number(process.env.ZVIZ_BENCH_CALLS ?? (SHORT ? 20_000 : 200_000));
const REPEAT = Number(process.env.ZVIZ_BENCH_REPEAT ?? (SHORT ? 1 : 7));
const OPENS = Number(process.env.ZVIZ_BENCH_OPENS ?? (SHORT ? 10_000 : 100_000));
const TREE = process.env.ZVIZ_BENCH_TREE ?? '/usr/lib/python3';
const CREATES = Number(process.env.ZVIZ_BENCH_CREATES ?? (SHORT ? 2_000 : 20_000));
const TRUNCATES = Number(process.env.ZVIZ_BENCH_TRUNCATES ?? (SHORT ? 200 : 1_000));
// ZVIZ_BENCH_PARTS=opens (comma-separated: brokered, unbrokered, opens, placement, wakeups, sporadic, pathread, creates,
// truncates, mounts, headofline) runs only those parts.
const PARTS = new Set(
  (
    process.env.ZVIZ_BENCH_PARTS ??
    'brokered,unbrokered,opens,placement,wakeups,sporadic,pathread,creates,truncates,mounts,headofline'
  ).split(',')
);

if (process.getuid?.() !== 0) {
  console.error('the broker benchmark needs root (seccomp listeners in cgroups)');
  process.exit(2);
}
execFileSync('make', ['-s', '-C', here], { stdio: 'inherit' });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const summary = (runs) => ({
  p50: median(runs.map((r) => r.p50_us)),
  p99: median(runs.map((r) => r.p99_us)),
  rate: median(runs.map((r) => r.calls_per_s)),
});

function run(command, args, { env } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return r;
}

function json(text) {
  const line = text.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    throw new Error(`no result in: ${text}`);
  }
  return JSON.parse(line);
}

// Cgroups for the reference's workload, where a ZViz container without a CPU
// limit sits: a group directory and one per container, in every hierarchy it joins.
function benchCgroups() {
  const joined = ['memory', 'cpuacct', 'pids', 'blkio', 'devices'];
  const files = [];
  const dirs = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!after) {
      continue;
    }
    const mountPoint = before.split(' ')[4];
    const [fsType, , options] = after.split(' ');
    const wanted = fsType === 'cgroup2' || (fsType === 'cgroup' && options.split(',').some((o) => joined.includes(o)));
    if (!wanted || dirs.some((d) => d.startsWith(`${mountPoint}/`))) {
      continue;
    }
    const group = join(mountPoint, 'zviz-bench');
    const dir = join(group, 'reference');
    mkdirSync(dir, { recursive: true });
    dirs.push(dir, group);
    files.push(join(dir, 'cgroup.procs'));
  }
  return {
    files,
    remove() {
      for (const dir of dirs) {
        try {
          rmdirSync(dir);
        } catch {
          // busy or gone
        }
      }
    },
  };
}

/**
 * Each case measured REPEAT times, in rounds that take the cases in a new
 * random order, so that no case always runs right after another (and inherits
 * its warm caches or its leftover load); `measure(name)` gives one result.
 * The results by case name.
 */
async function inShuffledRounds(names, measure) {
  const results = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < REPEAT; i++) {
    for (const name of [...names].sort(() => Math.random() - 0.5)) {
      results[name].push(await measure(name));
    }
  }
  return results;
}

/**
 * One run of each of the cases `names` with the step timers on (the broker's
 * for a ZViz case, the reference supervisor's otherwise), its files in
 * `stepDir`: each case's steps by name.
 */
function stepTimes(cases, names, stepDir) {
  const steps = {};
  for (const [i, name] of names.entries()) {
    const file = join(stepDir, `${i}.json`);
    const { command, env } = cases[name]();
    const timer = name.startsWith('ZViz') ? { ZVIZ_BROKER_STEP_TIMES: file } : { ZVIZ_BENCH_STEP_TIMES: file };
    run(command[0], command.slice(1), { env: { ...env, ...timer } });
    steps[name] = JSON.parse(readFileSync(file, 'utf8')).steps;
  }
  return steps;
}

const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Linux ${release()}`;
console.log(
  `# Broker benchmark\n\n${machine}; load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
);
console.log(`${REPEAT} repetitions, medians; ${CALLS.toLocaleString('en')} brokered calls per run.\n`);

const brokered = { reference: [], referenceCgroup: [], zviz: [] };
if (PARTS.has('brokered')) {
  // ---- 1. brokered ----
  const cg = benchCgroups();
  try {
    const cases = {
      reference: () => run(join(bin, 'reference'), [join(bin, 'loop'), String(CALLS)]),
      referenceCgroup: () =>
        run(join(bin, 'reference'), [join(bin, 'loop'), String(CALLS)], {
          env: { ZVIZ_BENCH_CGROUP_PROCS: cg.files.join(':'), ZVIZ_BENCH_SETSID: '1' },
        }),
      zviz: () => {
        const [command, ...args] = zvizRun(join(here, 'brokered.json'), [join(bin, 'loop'), String(CALLS)]);
        return run(command, args);
      },
    };
    Object.assign(brokered, await inShuffledRounds(Object.keys(cases), (name) => json(cases[name]().stdout)));
  } finally {
    cg.remove();
  }
  const ref = summary(brokered.reference);
  const refCg = summary(brokered.referenceCgroup);
  const zb = summary(brokered.zviz);
  console.log('## Brokered syscalls (getppid answered CONTINUE)\n');
  console.log('| supervisor | p50 µs | p99 µs | decisions/s |');
  console.log('|---|---:|---:|---:|');
  for (const [name, s] of [
    ['C reference', ref],
    ['C reference, workload set up like a container (cgroups, setsid)', refCg],
    ['ZViz broker', zb],
  ]) {
    console.log(`| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${Math.round(s.rate).toLocaleString('en')} |`);
  }
  console.log(
    `\nZViz p50 / reference set up like a container: **${(zb.p50 / refCg.p50).toFixed(2)}x**; / bare reference: ${(zb.p50 / ref.p50).toFixed(2)}x. ` +
      `ZViz p99: **${zb.p99.toFixed(1)} µs** (goal: under 30).\n`
  );
}
const unbrokered = {};
if (PARTS.has('unbrokered')) {
  // ---- 2. unbrokered ----
  const workloads = {
    'getppid loop (5M)': [join(bin, 'getppid'), '5000000'],
    'dd bs=512 (1M blocks)': ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=512', 'count=1000000', 'status=none'],
    // Through a pipe: GNU tar skips reading files when its archive is /dev/null.
    [`tar | gzip ${TREE}`]: ['sh', '-c', `tar -C ${TREE} -cf - . | gzip -6 > /dev/null`],
  };
  const conditions = {
    bare: (cmd) => [join(bin, 'timeit'), ...cmd],
    'allow-all filter': (cmd) => [join(bin, 'allowall'), join(bin, 'timeit'), ...cmd],
    'zviz default': (cmd) => zvizRun('default', [join(bin, 'timeit'), ...cmd]),
    'zviz ci-runner': (cmd) => zvizRun('ci-runner', [join(bin, 'timeit'), ...cmd], ['-w', '/tmp']),
  };
  for (const [workload, cmd] of Object.entries(workloads)) {
    const times = Object.fromEntries(Object.keys(conditions).map((c) => [c, []]));
    run(cmd[0], cmd.slice(1)); // warm the page cache
    for (let i = 0; i < REPEAT; i++) {
      for (const [condition, wrap] of Object.entries(conditions)) {
        const [command, ...args] = wrap(cmd);
        times[condition].push(json(run(command, args).stderr).cpu);
      }
    }
    unbrokered[workload] = Object.fromEntries(Object.entries(times).map(([c, t]) => [c, median(t)]));
  }
  console.log('## Unbrokered syscalls (CPU seconds of the workload, user + system, median)\n');
  console.log(
    "| workload | bare | allow-all filter | zviz default | zviz ci-runner | ci-runner added cost / filter's | ci-runner overhead |"
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [workload, t] of Object.entries(unbrokered)) {
    const filterCost = t['allow-all filter'] - t.bare;
    const zvizCost = t['zviz ci-runner'] - t.bare;
    const ratio =
      filterCost > 0.02 * t.bare ? `${(zvizCost / filterCost).toFixed(2)}x` : 'n/a (filter cost within noise)';
    console.log(
      `| ${workload} | ${t.bare.toFixed(3)} | ${t['allow-all filter'].toFixed(3)} | ${t['zviz default'].toFixed(3)} | ${t['zviz ci-runner'].toFixed(3)} | ${ratio} | ${((zvizCost / t.bare) * 100).toFixed(1)} % |`
    );
  }
}
const opens = {};
const steps = {};
if (PARTS.has('opens')) {
  // ---- 3. emulated opens ----
  const OPEN_FILE = '/etc/hostname';
  const openCgroups = benchCgroups();
  const loop = (access) => [join(bin, 'openloop'), OPEN_FILE, access, String(OPENS)];
  const zvizStrict = (access) => zvizRun(STRICT_BROKERED_READS, loop(access), ['--workdir', bin]);
  // strict itself: its reads are the kernel's, beside the bare loop.
  const zvizKernelRead = () => zvizRun('strict', loop('read'), ['--workdir', bin]);
  // The same file by a relative path, from a workspace that is the cwd: the
  // broker opens the workload's cwd too (the bases step).
  const relDir = mkdtempSync(join(tmpdir(), 'zviz-bench-relative-'));
  copyFileSync(join(bin, 'openloop'), join(relDir, 'openloop'));
  chmodSync(join(relDir, 'openloop'), 0o755);
  copyFileSync(OPEN_FILE, join(relDir, 'hostname'));
  const zvizRelative = (access) =>
    zvizRun(STRICT_BROKERED_READS, ['./openloop', 'hostname', access, String(OPENS)], ['--workdir', relDir]);
  // brokerSteps: the reference makes the broker's system calls too (reference-open.c).
  const reference = (access, like, brokerSteps = false) => ({
    command: [join(bin, 'reference-open'), ...loop(access)],
    env: {
      ...(like ? { ZVIZ_BENCH_CGROUP_PROCS: openCgroups.files.join(':'), ZVIZ_BENCH_SETSID: '1' } : {}),
      ...(brokerSteps ? { ZVIZ_BENCH_BROKER_STEPS: '1' } : {}),
    },
  });
  try {
    const cases = {
      'bare, allowed': () => ({ command: loop('read') }),
      'C reference, allowed': () => reference('read', false),
      'C reference set up like a container, allowed': () => reference('read', true),
      "C reference with the broker's system calls, set up like a container, allowed": () =>
        reference('read', true, true),
      'ZViz strict, allowed (a kernel read)': () => ({ command: zvizKernelRead() }),
      'ZViz strict, allowed': () => ({ command: zvizStrict('read') }),
      'ZViz strict, allowed, relative path': () => ({ command: zvizRelative('read') }),
      'C reference set up like a container, refused': () => reference('write', true),
      "C reference with the broker's system calls, set up like a container, refused": () =>
        reference('write', true, true),
      'ZViz strict, refused': () => ({ command: zvizStrict('write') }),
    };
    const want = { allowed: 'ok', refused: 'EACCES' };
    Object.assign(
      opens,
      await inShuffledRounds(Object.keys(cases), (name) => {
        const {
          command: [command, ...args],
          env,
        } = cases[name]();
        const result = json(run(command, args, { env }).stdout);
        const expected = name.startsWith('bare') ? 'ok' : want[name.endsWith('refused') ? 'refused' : 'allowed'];
        if (result.outcome !== expected) {
          throw new Error(`${name}: the opens ended with ${result.outcome}, not ${expected}`);
        }
        return result;
      })
    );
  } finally {
    openCgroups.remove();
  }

  console.log(
    `\n## Emulated opens (open+close of ${OPEN_FILE}, ${OPENS.toLocaleString('en')} per run; "ZViz strict" is strict with ` +
      `brokered reads, its read rule naming only /etc/hostname and /etc/ld.so.cache of /etc; "a kernel read" is strict itself)\n`
  );
  console.log('| supervisor | p50 µs | p99 µs | opens/s |');
  console.log('|---|---:|---:|---:|');
  const openSummary = Object.fromEntries(Object.entries(opens).map(([name, runs]) => [name, summary(runs)]));
  for (const [name, s] of Object.entries(openSummary)) {
    console.log(`| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${Math.round(s.rate).toLocaleString('en')} |`);
  }
  const za = openSummary['ZViz strict, allowed'];
  const zk = openSummary['ZViz strict, allowed (a kernel read)'];
  const bare = openSummary['bare, allowed'];
  const ca = openSummary['C reference set up like a container, allowed'];
  const zr = openSummary['ZViz strict, refused'];
  const cr = openSummary['C reference set up like a container, refused'];
  console.log(
    `\nZViz / C reference set up like a container, allowed: p50 **${(za.p50 / ca.p50).toFixed(2)}x**, p99 ${(za.p99 / ca.p99).toFixed(2)}x; ` +
      `refused: p50 **${(zr.p50 / cr.p50).toFixed(2)}x**, p99 ${(zr.p99 / cr.p99).toFixed(2)}x. ` +
      `ZViz emulated allowed open: p50 **${za.p50.toFixed(1)} µs** (goal: within 12), p99 **${za.p99.toFixed(1)} µs** (goal: within 30). ` +
      `strict's own read (the kernel's): p50 **${zk.p50.toFixed(2)} µs**, p99 ${zk.p99.toFixed(2)} µs, ` +
      `${(zk.p50 / bare.p50).toFixed(2)}x bare's p50.`
  );

  // ---- 3b. where the time of an emulated open goes ----
  // Runs of their own: the timers' clock reads would add to the figures above.
  // ZViz's step timer (ZVIZ_BROKER_STEP_TIMES) and the reference's
  // (ZVIZ_BENCH_STEP_TIMES), the reference set up like a container.
  const stepDir = mkdtempSync(join(tmpdir(), 'zviz-bench-steps-'));
  const stepCgroups = benchCgroups();
  try {
    const relFile = join(stepDir, 'relative.json');
    const [relCommand, ...relArgs] = zvizRelative('read');
    run(relCommand, relArgs, { env: { ZVIZ_BROKER_STEP_TIMES: relFile } });
    steps.relative = JSON.parse(readFileSync(relFile, 'utf8')).steps;
    for (const [name, access] of [
      ['allowed', 'read'],
      ['refused', 'write'],
    ]) {
      const file = join(stepDir, `${name}.json`);
      const [command, ...args] = zvizStrict(access);
      run(command, args, { env: { ZVIZ_BROKER_STEP_TIMES: file } });
      steps[name] = JSON.parse(readFileSync(file, 'utf8')).steps;
      const refFile = join(stepDir, `reference-${name}.json`);
      const ref = reference(access, true);
      run(ref.command[0], ref.command.slice(1), {
        env: { ...ref.env, ZVIZ_BENCH_CGROUP_PROCS: stepCgroups.files.join(':'), ZVIZ_BENCH_STEP_TIMES: refFile },
      });
      steps[`reference ${name}`] = JSON.parse(readFileSync(refFile, 'utf8')).steps;
      const callsFile = join(stepDir, `reference-calls-${name}.json`);
      const calls = reference(access, true, true);
      run(calls.command[0], calls.command.slice(1), {
        env: { ...calls.env, ZVIZ_BENCH_CGROUP_PROCS: stepCgroups.files.join(':'), ZVIZ_BENCH_STEP_TIMES: callsFile },
      });
      steps[`reference calls ${name}`] = JSON.parse(readFileSync(callsFile, 'utf8')).steps;
    }
  } finally {
    stepCgroups.remove();
    rmSync(stepDir, { recursive: true, force: true });
    rmSync(relDir, { recursive: true, force: true });
  }
  const STEP_ROWS = [
    ['dispatch', 'RECV returned to the open handler (reference program, fixed outcomes)'],
    ['path', 'path read from the workload (process_vm_readv)'],
    ['bases', 'cwd or dirfd of the workload (none here: absolute path, fixed root)'],
    ['valid', 'SECCOMP_IOCTL_NOTIF_ID_VALID'],
    ['resolve', 'openat2 O_PATH from the workload root + statx (+ procfs check)'],
    ['name', "the object's path for the rules"],
    ['judge', 'mount-namespace invariant + rules'],
    ['reopen', 'the judged inode reopened with the flags (reference: its one open by path)'],
    ['answer', 'ADDFD+SEND (allowed) or SEND (refused), until the ioctl returns'],
    ['record', 'counters, histogram, event'],
    ['release', 'descriptors closed after the answer'],
    ['total', 'RECV returned to all of the above done'],
    ['idle', 'answer returned to the next RECV returning'],
  ];
  console.log('\n### Where the time goes (µs, one run of each with the step timers on)\n');
  console.log(
    "| step | what | ZViz allowed mean | p50 | p99 | reference allowed mean | reference with the broker's calls, allowed mean | " +
      "ZViz refused mean | p50 | p99 | reference refused mean | reference with the broker's calls, refused mean |"
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cell = (s) => (s && s.count > 0 ? [s.mean, s.p50, s.p99].map((v) => v.toFixed(2)) : ['', '', '']);
  const mean = (s) => (s && s.count > 0 ? s.mean.toFixed(2) : '');
  for (const [step, what] of STEP_ROWS) {
    console.log(
      `| ${step} | ${what} | ${cell(steps.allowed[step]).join(' | ')} | ${mean(steps['reference allowed'][step])} | ` +
        `${mean(steps['reference calls allowed'][step])} | ` +
        `${cell(steps.refused[step]).join(' | ')} | ${mean(steps['reference refused'][step])} | ` +
        `${mean(steps['reference calls refused'][step])} |`
    );
  }
  const own = (s) =>
    ['dispatch', 'path', 'bases', 'valid', 'resolve', 'name', 'judge', 'reopen'].reduce(
      (sum, k) => sum + (s[k]?.count ? s[k].mean : 0),
      0
    );
  console.log(
    `\nWork before answering (dispatch to reopen, means): ZViz allowed ${own(steps.allowed).toFixed(2)} µs ` +
      `(reference ${own(steps['reference allowed']).toFixed(2)}, with the broker's system calls ` +
      `${own(steps['reference calls allowed']).toFixed(2)}), refused ${own(steps.refused).toFixed(2)} µs ` +
      `(reference ${own(steps['reference refused']).toFixed(2)}, with the broker's system calls ` +
      `${own(steps['reference calls refused']).toFixed(2)}). The answer step of an allowed open includes the ` +
      "workload's wake-up: ADDFD returns only once the workload has installed the file."
  );
  const m = (st, k) => (st[k]?.count ? st[k].mean : 0);
  console.log(
    `\nBy a relative path (the workspace as cwd, ZViz allowed): path ${m(steps.relative, 'path').toFixed(2)} µs + ` +
      `bases ${m(steps.relative, 'bases').toFixed(2)} µs (absolute: ${m(steps.allowed, 'path').toFixed(2)} + ` +
      `${m(steps.allowed, 'bases').toFixed(2)}), name ${m(steps.relative, 'name').toFixed(2)} µs; work before answering ` +
      `${own(steps.relative).toFixed(2)} µs.`
  );
}
const placement = {};
const placementSteps = {};
if (PARTS.has('placement')) {
  // ---- 4. placement of the emulated opens ----
  if (cpus().length < 2) {
    console.log('\n## Placement of emulated opens: skipped, one CPU only');
  } else {
    const OPEN_FILE = '/etc/hostname';
    const placeCgroups = benchCgroups();
    // The supervisor (every thread of the process) on CPU 0; the workload on `cpu`, or unbound.
    const bound = (command, cpu) => (cpu === undefined ? command : ['taskset', '-c', '0', ...command]);
    const loop = (access, cpu) => [
      join(bin, 'openloop'),
      OPEN_FILE,
      access,
      String(OPENS),
      ...(cpu === undefined ? [] : [String(cpu)]),
    ];
    const zvizCase = (access, cpu) => ({
      command: bound(zvizRun(STRICT_BROKERED_READS, loop(access, cpu), ['--workdir', bin]), cpu),
      env: {},
    });
    const referenceCase = (access, cpu) => ({
      command: bound([join(bin, 'reference-open'), ...loop(access, cpu)], cpu),
      env: { ZVIZ_BENCH_CGROUP_PROCS: placeCgroups.files.join(':'), ZVIZ_BENCH_SETSID: '1' },
    });
    const where = { unbound: undefined, 'same CPU': 0, 'other CPU': 1 };
    const cases = {};
    for (const [access, result] of [
      ['read', 'allowed'],
      ['write', 'refused'],
    ]) {
      for (const [place, cpu] of Object.entries(where)) {
        cases[`C reference set up like a container, ${result}, ${place}`] = () => referenceCase(access, cpu);
        cases[`ZViz strict, ${result}, ${place}`] = () => zvizCase(access, cpu);
      }
    }
    const want = { allowed: 'ok', refused: 'EACCES' };
    const stepDir = mkdtempSync(join(tmpdir(), 'zviz-bench-place-'));
    try {
      Object.assign(
        placement,
        await inShuffledRounds(Object.keys(cases), (name) => {
          const { command, env } = cases[name]();
          const result = json(run(command[0], command.slice(1), { env }).stdout);
          if (result.outcome !== want[name.split(', ').at(-2)]) {
            throw new Error(`${name}: the opens ended with ${result.outcome}`);
          }
          return result;
        })
      );
      // One run of each allowed case with the step timers on: where the answer's time goes.
      const allowed = Object.keys(cases).filter((n) => n.includes('allowed'));
      Object.assign(placementSteps, stepTimes(cases, allowed, stepDir));
    } finally {
      placeCgroups.remove();
      rmSync(stepDir, { recursive: true, force: true });
    }
    console.log(
      `\n## Placement of emulated opens (supervisor on CPU 0, workload on CPU 0 or 1, or both unbound; ${OPENS.toLocaleString('en')} per run)\n`
    );
    console.log('| supervisor, opens, placement | p50 µs | p99 µs | opens/s | answer mean µs | idle mean µs |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, runs] of Object.entries(placement)) {
      const s = summary(runs);
      const st = placementSteps[name];
      const m = (k) => (st?.[k]?.count ? st[k].mean.toFixed(2) : '');
      console.log(
        `| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${Math.round(s.rate).toLocaleString('en')} | ${m('answer')} | ${m('idle')} |`
      );
    }
  }
}
const wakeups = {};
if (PARTS.has('wakeups')) {
  // ---- 4b. the wake-ups an emulated open pays ----
  // Each allowed open wakes the workload (ADDFD) and its supervisor (the
  // notification, and the ADDFD taken): which CPU each wake-up lands on and
  // whether that CPU was idle (on a VM a halted vCPU is woken through the
  // host) decides the open's latency more than any step does. The loop under
  // ZViz and the C reference set up like a container, each as it is and with
  // its supervisor thread switched to SCHED_IDLE by the harness (`chrt -i`,
  // once the workload runs): a CPU that runs only a SCHED_IDLE task counts as
  // idle to the scheduler, so the workload the answer wakes is placed on the
  // supervisor's own CPU, not on a halted one. Untraced runs give the latency
  // and the CPU time (timeit: supervisor and workload, start-up included);
  // one run of each with bpftrace (wakeups.bt) gives the wake-ups.
  const OPEN_FILE = '/etc/hostname';
  const cgroups = benchCgroups();
  const like = { ZVIZ_BENCH_CGROUP_PROCS: cgroups.files.join(':'), ZVIZ_BENCH_SETSID: '1' };
  const loop = [join(bin, 'openloop'), OPEN_FILE, 'read', String(OPENS)];
  const zvizLoop = zvizRun(STRICT_BROKERED_READS, loop, ['--workdir', bin]);
  const cases = {
    bare: { command: loop, supervisor: null },
    'C reference set up like a container': {
      command: [join(bin, 'reference-open'), ...loop],
      env: like,
      supervisor: 'reference-open',
    },
    'C reference set up like a container, supervisor SCHED_IDLE': {
      command: [join(bin, 'reference-open'), ...loop],
      env: like,
      supervisor: 'reference-open',
      idle: true,
    },
    'ZViz strict': { command: zvizLoop, supervisor: 'zviz-broker' },
    'ZViz strict, supervisor SCHED_IDLE': { command: zvizLoop, supervisor: 'zviz-broker', idle: true },
  };
  const children = (pid) => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
        readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)
      );
    } catch {
      return [];
    }
  };
  const comm = (pid, tid = pid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  /** The supervisor's thread id below `root` once the workload (openloop) runs, or 0. */
  const supervisorOf = (root, name) => {
    const tree = [];
    for (let todo = [root]; todo.length;) {
      const pid = todo.pop();
      tree.push(pid);
      todo.push(...children(pid));
    }
    if (!tree.some((pid) => comm(pid) === 'openloop')) {
      return 0;
    }
    for (const pid of tree) {
      for (const tid of existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : []) {
        // The reference's workload is its child: the supervisor is the one that is not openloop.
        if (comm(pid, tid) === name) {
          return Number(tid);
        }
      }
    }
    return 0;
  };
  const runCase = (name) =>
    new Promise((resolve, reject) => {
      const c = cases[name];
      const child = spawn(join(bin, 'timeit'), c.command, { env: { ...process.env, ...c.env } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      let applied = !c.idle;
      const timer = setInterval(() => {
        if (applied) {
          return;
        }
        const tid = supervisorOf(child.pid, c.supervisor);
        if (tid) {
          applied = true;
          execFileSync('chrt', ['-i', '-p', '0', String(tid)]);
        }
      }, 2);
      child.on('close', (code) => {
        clearInterval(timer);
        if (code !== 0 || !applied) {
          reject(new Error(`${name}: exited ${code}${applied ? '' : ', SCHED_IDLE never applied'}: ${err}`));
          return;
        }
        const result = json(out);
        if (result.outcome !== 'ok') {
          reject(new Error(`${name}: the opens ended with ${result.outcome}`));
          return;
        }
        resolve({ ...result, cpu_s: JSON.parse(err.split('\n').findLast((l) => l.startsWith('{'))).cpu });
      });
    });
  const traced = {};
  try {
    Object.assign(wakeups, await inShuffledRounds(Object.keys(cases), runCase));
    mountTracefs();
    for (const [name, c] of Object.entries(cases)) {
      if (!c.supervisor) {
        continue;
      }
      const bt = spawn('bpftrace', ['-f', 'json', join(here, 'wakeups.bt'), 'openloop', c.supervisor]);
      let text = '';
      bt.stdout.on('data', (d) => (text += d));
      bt.stderr.resume();
      const closed = new Promise((r) => bt.on('close', r));
      for (let i = 0; i < 3000 && !text.includes('attached_probes'); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      if (!text.includes('attached_probes')) {
        bt.kill('SIGKILL');
        throw new Error('bpftrace did not attach wakeups.bt');
      }
      const result = await runCase(name);
      bt.kill('SIGINT');
      const late = setTimeout(() => bt.kill('SIGKILL'), 30_000); // bpftrace prints its maps on SIGINT; never wait forever
      await closed;
      clearTimeout(late);
      const counts = text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((m) => m.data?.['@count']);
      const sums = text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((m) => m.data?.['@sum_ns']);
      const kinds = {};
      for (const [key, n] of Object.entries(counts?.data['@count'] ?? {})) {
        const [kind, same, idle] = key.split(',');
        const k = (kinds[kind] ??= { count: 0, same: 0, idle: 0, ns: 0 });
        k.count += n;
        k.same += same === '1' ? n : 0;
        k.idle += idle === '1' ? n : 0;
        k.ns += sums?.data['@sum_ns'][key] ?? 0;
      }
      traced[name] = { opens: result.calls, p50_us: result.p50_us, kinds };
    }
  } finally {
    cgroups.remove();
  }
  wakeups.traced = traced;
  console.log(`\n## Wake-ups of emulated opens (${OPENS.toLocaleString('en')} allowed opens per run)\n`);
  console.log('| case | p50 µs | p99 µs | CPU µs per open (supervisor + workload) |');
  console.log('|---|---:|---:|---:|');
  for (const name of Object.keys(cases)) {
    const runs = wakeups[name];
    const s = summary(runs);
    const cpu = median(runs.map((r) => (r.cpu_s * 1e6) / r.calls));
    console.log(`| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${cpu.toFixed(2)} |`);
  }
  console.log('\nTraced (one run each, bpftrace on; its own cost is in these runs):\n');
  console.log("| case | p50 µs traced | wake-up | per open | on the waker's CPU | to an idle CPU | mean µs to run |");
  console.log('|---|---:|---|---:|---:|---:|---:|');
  for (const [name, t] of Object.entries(traced)) {
    for (const [kind, k] of Object.entries(t.kinds).sort()) {
      const pct = (x) => `${((100 * x) / k.count).toFixed(1)} %`;
      console.log(
        `| ${name} | ${t.p50_us.toFixed(2)} | ${kind} | ${(k.count / t.opens).toFixed(3)} | ${pct(k.same)} | ${pct(k.idle)} | ${(k.ns / k.count / 1000).toFixed(2)} |`
      );
    }
  }
}
const sporadic = {};
const sporadicSteps = {};
if (PARTS.has('sporadic')) {
  // ---- 5. opens one at a time ----
  // A program's opens come one at a time, with its own work between them
  // (the demo's are seconds apart): the supervisor has slept, and the
  // machine's other work has had the CPU caches. The same allowed open, each
  // after a pause (not timed), under the C references and ZViz.
  const OPEN_FILE = '/etc/hostname';
  const PAUSE_US = Number(process.env.ZVIZ_BENCH_PAUSE_US ?? 10_000);
  const N = Number(process.env.ZVIZ_BENCH_SPORADIC ?? (SHORT ? 100 : 300));
  const cgroups = benchCgroups();
  const loop = [join(bin, 'openloop'), OPEN_FILE, 'read', String(N), '-', String(PAUSE_US)];
  const like = { ZVIZ_BENCH_CGROUP_PROCS: cgroups.files.join(':'), ZVIZ_BENCH_SETSID: '1' };
  const cases = {
    'C reference set up like a container': () => ({ command: [join(bin, 'reference-open'), ...loop], env: like }),
    "C reference with the broker's system calls, set up like a container": () => ({
      command: [join(bin, 'reference-open'), ...loop],
      env: { ...like, ZVIZ_BENCH_BROKER_STEPS: '1' },
    }),
    'ZViz strict': () => ({
      command: zvizRun(STRICT_BROKERED_READS, loop, ['--workdir', bin]),
      env: {},
    }),
  };
  const stepDir = mkdtempSync(join(tmpdir(), 'zviz-bench-sporadic-'));
  try {
    Object.assign(
      sporadic,
      await inShuffledRounds(Object.keys(cases), (name) => {
        const { command, env } = cases[name]();
        const result = json(run(command[0], command.slice(1), { env }).stdout);
        if (result.outcome !== 'ok') {
          throw new Error(`${name}: the opens ended with ${result.outcome}`);
        }
        return result;
      })
    );
    Object.assign(sporadicSteps, stepTimes(cases, Object.keys(cases), stepDir));
  } finally {
    cgroups.remove();
    rmSync(stepDir, { recursive: true, force: true });
  }
  console.log(
    `\n## Emulated opens one at a time (${OPEN_FILE}, allowed, ${PAUSE_US.toLocaleString('en')} µs apart, ${N} per run)\n`
  );
  console.log('| supervisor | p50 µs | p99 µs | work before answering, mean µs |');
  console.log('|---|---:|---:|---:|');
  const work = ['dispatch', 'path', 'bases', 'valid', 'resolve', 'name', 'judge', 'reopen'];
  for (const [name, runs] of Object.entries(sporadic)) {
    const s = summary(runs);
    const st = sporadicSteps[name];
    const w = work.reduce((sum, k) => sum + (st?.[k]?.count ? st[k].mean : 0), 0);
    console.log(`| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${w.toFixed(2)} |`);
  }
}
let pathRead = null;
if (PARTS.has('pathread')) {
  // ---- 6. the path read ----
  // What an emulated open's path read costs and what the two rejected ways
  // around its capset calls would save (pathread.c), side by side.
  const result = spawnSync(join(bin, 'pathread'), [String(SHORT ? 20_000 : OPENS), String(REPEAT)], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    console.error(`pathread failed: ${result.stderr}`);
    process.exit(1);
  }
  pathRead = result.stdout;
  console.log(`\n## The path read (CAP_SYS_PTRACE over the workload's user namespace)\n\n${result.stdout}`);
}

const creates = {};
if (PARTS.has('creates')) {
  // ---- 7. emulated creates: the umask known, or read from /proc ----
  const dir = mkdtempSync(join(tmpdir(), 'zviz-bench-creates-'));
  chmodSync(dir, 0o755);
  copyFileSync(join(bin, 'createloop'), join(dir, 'createloop'));
  chmodSync(join(dir, 'createloop'), 0o755);
  // ci-runner with its umask rule conditional (always true): the filter no
  // longer tells the broker every umask call, so each create reads /proc.
  const ciRunner = JSON.parse(readFileSync(join(repo, 'agent', 'profiles', 'ci-runner.json'), 'utf8'));
  const unknownUmask = {
    ...ciRunner,
    syscalls: [
      ...ciRunner.syscalls.map((rule) => ({ ...rule, names: rule.names.filter((name) => name !== 'umask') })),
      {
        names: ['umask'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ],
  };
  const profileDir = mkdtempSync(join(tmpdir(), 'zviz-bench-profile-'));
  const unknownProfile = join(profileDir, 'ci-runner-umask-unknown.json');
  writeFileSync(unknownProfile, JSON.stringify(unknownUmask));
  const loop = [join(dir, 'createloop'), String(CREATES)];
  const zvizIn = (profile) => zvizRun(profile, loop, ['--workdir', dir]);
  const cases = {
    bare: () => loop,
    'ZViz ci-runner, umask known': () => zvizIn('ci-runner'),
    'ZViz ci-runner, umask read from /proc': () => zvizIn(unknownProfile),
  };
  try {
    Object.assign(
      creates,
      await inShuffledRounds(Object.keys(cases), (name) => {
        const [command, ...args] = cases[name]();
        const result = json(spawnSync(command, args, { encoding: 'utf8', cwd: dir, maxBuffer: 1 << 24 }).stdout);
        return result;
      })
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  }
  const modes = new Set(Object.values(creates).flatMap((runs) => runs.map((r) => r.mode)));
  if (modes.size !== 1) {
    throw new Error(`the created files' modes differ between the cases: ${[...modes].join(', ')}`);
  }
  console.log(
    `\n## Emulated creates (new files in the workspace under \`ci-runner\`, ${CREATES.toLocaleString('en')} per run; mode ${[...modes][0]} in every case)\n`
  );
  console.log('| case | p50 µs | p99 µs | mean µs | creates/s |');
  console.log('|---|---:|---:|---:|---:|');
  const createSummary = Object.fromEntries(
    Object.entries(creates).map(([name, runs]) => [
      name,
      { ...summary(runs), mean: median(runs.map((r) => r.mean_us)) },
    ])
  );
  for (const [name, s] of Object.entries(createSummary)) {
    console.log(
      `| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.mean.toFixed(2)} | ${Math.round(s.rate).toLocaleString('en')} |`
    );
  }
  const known = createSummary['ZViz ci-runner, umask known'];
  const read = createSummary['ZViz ci-runner, umask read from /proc'];
  console.log(
    `\numask known / read from /proc: p50 **${(known.p50 / read.p50).toFixed(2)}x** (${(read.p50 - known.p50).toFixed(1)} µs less), ` +
      `p99 ${(known.p99 / read.p99).toFixed(2)}x, mean ${(known.mean / read.mean).toFixed(2)}x.`
  );
}

const truncates = {};
let truncateSteps = null;
if (PARTS.has('truncates')) {
  // ---- 8. truncating opens: the kernel's truncation, bare and brokered ----
  const parent = process.env.ZVIZ_BENCH_TRUNC_DIR ?? tmpdir();
  const dir = mkdtempSync(join(parent, 'zviz-bench-truncates-'));
  chmodSync(dir, 0o755);
  copyFileSync(join(bin, 'truncloop'), join(dir, 'truncloop'));
  chmodSync(join(dir, 'truncloop'), 0o755);
  const size = process.env.ZVIZ_BENCH_TRUNC_SIZE ?? '4096';
  const pauseUs = process.env.ZVIZ_BENCH_TRUNC_PAUSE_US ?? '2000';
  const pressureMs = process.env.ZVIZ_BENCH_TRUNC_PRESSURE_MS ?? '100';
  const loop = ['./truncloop', String(TRUNCATES), size, pauseUs, pressureMs];
  const cgroups = benchCgroups();
  const zvizIn = () => zvizRun('ci-runner', loop, ['--workdir', dir]);
  const cases = {
    bare: () => ({ command: loop, env: {} }),
    'C reference set up like a container': () => ({
      command: [join(bin, 'reference-open'), ...loop],
      // Every open allowed, writes too: the reference opens the relative path from its cwd, the workload's.
      env: {
        ZVIZ_BENCH_ALLOW: '',
        ZVIZ_BENCH_ALLOW_WRITE: '1',
        ZVIZ_BENCH_CGROUP_PROCS: cgroups.files.join(':'),
        ZVIZ_BENCH_SETSID: '1',
      },
    }),
    'ZViz ci-runner': () => ({ command: zvizIn(), env: {} }),
  };
  const stepDir = mkdtempSync(join(tmpdir(), 'zviz-bench-trunc-steps-'));
  try {
    Object.assign(
      truncates,
      await inShuffledRounds(Object.keys(cases), (name) => {
        const { command, env } = cases[name]();
        const r = spawnSync(command[0], command.slice(1), {
          encoding: 'utf8',
          cwd: dir,
          env: { ...process.env, ...env },
          maxBuffer: 1 << 24,
        });
        const result = json(r.stdout);
        if (r.status !== 0 || result.outcome !== 'ok') {
          throw new Error(`${name}: the truncating opens ended with ${result.outcome}: ${r.stderr}`);
        }
        return result;
      })
    );
    const file = join(stepDir, 'zviz.json');
    const [command, ...args] = zvizIn();
    const r = spawnSync(command, args, {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, ZVIZ_BROKER_STEP_TIMES: file },
    });
    if (r.status !== 0) {
      throw new Error(`ZViz ci-runner with the step timer: ${r.stderr}`);
    }
    truncateSteps = JSON.parse(readFileSync(file, 'utf8')).steps;
  } finally {
    cgroups.remove();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stepDir, { recursive: true, force: true });
  }
  const fsType = fileSystemOf(parent);
  console.log(
    `\n## Truncating opens (${TRUNCATES.toLocaleString('en')} per run of files of ${size} bytes in ${parent} (${fsType}), ` +
      `${pauseUs} µs apart, a child fsyncing 64 KiB every ${pressureMs} ms)\n`
  );
  console.log('| case | p50 µs | p90 µs | p99 µs | mean µs | above 100 µs (of each run, median) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const truncSummary = Object.fromEntries(
    Object.entries(truncates).map(([name, runs]) => [
      name,
      {
        p50: median(runs.map((r) => r.p50_us)),
        p90: median(runs.map((r) => r.p90_us)),
        p99: median(runs.map((r) => r.p99_us)),
        mean: median(runs.map((r) => r.mean_us)),
        above: median(runs.map((r) => r.above_100us)),
      },
    ])
  );
  for (const [name, s] of Object.entries(truncSummary)) {
    console.log(
      `| ${name} | ${s.p50.toFixed(2)} | ${s.p90.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.mean.toFixed(2)} | ${s.above} |`
    );
  }
  const bare = truncSummary.bare;
  const z = truncSummary['ZViz ci-runner'];
  const ref = truncSummary['C reference set up like a container'];
  const added = (s, k) => (s[k] - bare[k]).toFixed(1);
  console.log(
    `\nAdded to the bare open (difference of the medians' percentiles): ZViz p50 **${added(z, 'p50')} µs**, ` +
      `p99 ${added(z, 'p99')} µs; the C reference p50 ${added(ref, 'p50')} µs, p99 ${added(ref, 'p99')} µs.`
  );
  const st = (k) => truncateSteps?.[k];
  const fmt = (k) => {
    const s = st(k);
    return s?.count
      ? `${k} ${s.count} × p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} / max ${s.max.toFixed(1)} µs`
      : `${k} none`;
  };
  console.log(
    `\nStep timer, one ZViz run: ${fmt('truncate')} (the truncating reopen: the file system's work); ` +
      `${fmt('latency.truncate')} (the whole latency of those opens); ${fmt('latency.less_truncate')} ` +
      "(every decision less its truncating reopen: the broker's own part)."
  );
}

const mounts = {};
if (PARTS.has('mounts')) {
  // ---- 9. the host's cgroup mounts at a container start ----
  const extra = Number(process.env.ZVIZ_BENCH_EXTRA_MOUNTS ?? 1000);
  const rounds = SHORT ? 20 : 200;
  for (const n of [0, extra]) {
    mounts[n] = json(run(join(bin, 'cgroupmounts'), [String(n), String(rounds)]).stdout);
  }
  console.log(`\n## The host's cgroup mounts at a container start (${rounds} rounds, µs)\n`);
  console.log('| mounts on the node | read and parsed at every start p50 | p99 | kept list p50 | p99 |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of Object.values(mounts)) {
    console.log(
      `| ${r.mounts.toLocaleString('en')} | ${r.fresh_p50_us.toFixed(1)} | ${r.fresh_p99_us.toFixed(1)} | ` +
        `${r.kept_p50_us.toFixed(2)} | ${r.kept_p99_us.toFixed(2)} |`
    );
  }
}

const headOfLine = {};
if (PARTS.has('headofline')) {
  // ---- 10. head-of-line blocking behind truncating opens ----
  const dir = mkdtempSync(join(tmpdir(), 'zviz-bench-hol-'));
  chmodSync(dir, 0o755);
  for (const program of ['truncloop', 'openloop']) {
    copyFileSync(join(bin, program), join(dir, program));
    chmodSync(join(dir, program), 0o755);
  }
  writeFileSync(join(dir, 'probe.txt'), 'probe\n');
  mkdirSync(join(dir, 'other'));
  copyFileSync(join(bin, 'truncloop'), join(dir, 'other', 'truncloop'));
  chmodSync(join(dir, 'other', 'truncloop'), 0o755);
  const N = SHORT ? 200 : 1000;
  const probe = `./openloop probe.txt write ${N} - 2000`;
  // Truncating opens back to back until killed (far more than the probe's run needs).
  const truncating = './truncloop 100000000 4096 0 100 > /dev/null';
  const ciRunner = (workdir, script) => zvizRun('ci-runner', ['/bin/sh', '-c', script], ['--workdir', workdir]);
  const cases = {
    alone: () => ({ command: ciRunner(dir, probe) }),
    'truncating opens in the same container': () => ({
      command: ciRunner(dir, `${truncating} & t=$!; ${probe}; kill $t; wait`),
    }),
    'truncating opens in another container': () => ({
      command: ciRunner(dir, probe),
      beside: ciRunner(join(dir, 'other'), `exec ${truncating}`),
    }),
  };
  try {
    Object.assign(
      headOfLine,
      await inShuffledRounds(Object.keys(cases), async (name) => {
        const { command, beside } = cases[name]();
        const other = beside ? spawn(beside[0], beside.slice(1), { stdio: 'ignore' }) : undefined;
        try {
          const r = spawnSync(command[0], command.slice(1), { encoding: 'utf8', maxBuffer: 1 << 24 });
          const result = json(r.stdout);
          if (result.outcome !== 'ok') {
            throw new Error(`${name}: the probe's opens ended with ${result.outcome}: ${r.stderr}`);
          }
          return result;
        } finally {
          if (other) {
            const exited = new Promise((resolve) => other.once('exit', resolve));
            other.kill('SIGTERM');
            await exited;
          }
        }
      })
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\n## Head-of-line blocking (${N.toLocaleString('en')} emulated write opens 2 ms apart under \`ci-runner\`, beside truncating opens)\n`
  );
  console.log('| the probe | p50 µs | p99 µs | mean µs |');
  console.log('|---|---:|---:|---:|');
  for (const [name, runs] of Object.entries(headOfLine)) {
    console.log(
      `| ${name} | ${median(runs.map((r) => r.p50_us)).toFixed(2)} | ${median(runs.map((r) => r.p99_us)).toFixed(2)} | ` +
        `${median(runs.map((r) => r.mean_us)).toFixed(2)} |`
    );
  }
}

console.log(
  `\nload average at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
);

if (process.env.ZVIZ_BENCH_JSON) {
  writeFileSync(
    process.env.ZVIZ_BENCH_JSON,
    JSON.stringify(
      {
        machine,
        calls: CALLS,
        opens: OPENS,
        repeat: REPEAT,
        brokered,
        unbrokered,
        emulatedOpens: opens,
        openSteps: steps,
        placement,
        placementSteps,
        wakeups,
        sporadic,
        sporadicSteps,
        pathRead,
        creates,
        truncates,
        truncateSteps,
        mounts,
        headOfLine,
      },
      null,
      2
    )
  );
}
