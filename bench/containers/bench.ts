// A thousand containers on one node, one command: `npm run bench:containers`
// (as root, after npm run build).
//
// One real agent, tracer on, measured twice in one run: first with no
// container (the reference), then supervising 1,000 short and long
// containers: 850 long ones and 100 short ones (jobs of 20 to 60 s, run again
// when they end) from its configuration, 50 long ones handed to it by `zviz run`,
// and short `zviz run` jobs one after another while it is measured. A tenth
// of the long ones keep making refused syscalls of seven kinds, which the
// broker answers and the decisions panel shows. Measured:
//   - the scrape at that size: series, bytes, the agent's own render time,
//     its event-loop lag, and Prometheus' view of the scrape;
//   - the series budget: what each family exports and leaves out, and that
//     every series left out is counted;
//   - the agent's memory, CPU, threads and descriptors;
//   - the `containers` resource through the datasource executable, `zviz top
//     --once`, the decisions panel's query, and a short `zviz run`.
//
// ZVIZ_BENCH_SHORT=1 runs it with 50 containers (CI does, to check it runs);
// BENCH_CONTAINERS changes the size (split in the same proportions);
// BENCH_JSON=FILE writes every figure as JSON.
// BENCH_PROFILE=DIR profiles the loaded agent: V8's CPU profile of its life
// (node --cpu-prof, written when it stops), its /proc smaps and a heap
// snapshot taken once it has been measured (node --heapsnapshot-signal), into
// DIR; and `zviz top --once`'s CPU profile into DIR/top, and each measured
// scrape's start and end on the monotonic clock (DIR/scrapes.json), to find
// in the profile what ran while a slow one waited.
// BENCH_AGENT_REPO=DIR runs the agent, zviz run and zviz top of another
// checkout, built there (an older commit, measured beside this one in the same
// load); the rest of the harness stays this one's.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { AGENT_PATHS } from '@zviz/shared/agent-api';
import { stringify } from 'yaml';
import { freePort, waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, btf, file, root, unmet } from '@zviz/test-support/machine';

import { GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import { executable, start as startPlugin } from '../../pkg-backend/test/fixtures/plugin-process';

const REPO = join(__dirname, '..', '..');
const AGENT_REPO = process.env.BENCH_AGENT_REPO ?? REPO;
const AGENT_BIN = join(AGENT_REPO, 'agent/bin/zviz.js');
const AGENT_BUNDLE = join(AGENT_REPO, 'agent/dist/zviz.js');
const SHORT = process.env.ZVIZ_BENCH_SHORT === '1';
const TOTAL = Number(process.env.BENCH_CONTAINERS ?? (SHORT ? 50 : 1000));
const LONG_CONFIG = Math.round(TOTAL * 0.85);
const SHORT_CONFIG = Math.round(TOTAL * 0.1);
const LONG_RUN = TOTAL - LONG_CONFIG - SHORT_CONFIG;
const SCRAPES = SHORT ? 5 : 20;
const PROFILE_DIR = process.env.BENCH_PROFILE;
/** BENCH_AGENT_ENV='NAME=value ...': more environment for both agents (an allocator's tunables, say). */
const AGENT_ENV = Object.fromEntries(
  (process.env.BENCH_AGENT_ENV ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])
);
const CLOCK_TICK_MS = 10;
/** zviz top's default --interval, between the two polls of --once. */
const TOP_INTERVAL_MS = 2000;
const results: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const f1 = (n: number) => n.toFixed(1);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (v: number[]) => percentile(v, 50);

function status(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/**
 * Nanoseconds the agent's main thread (its JavaScript) has run: with other jobs
 * on the machine, a scrape's wall time includes the waits for a core, its CPU
 * time does not.
 */
/**
 * The agent's main thread's time on a core and its time runnable but waiting
 * for one (the run queue), in nanoseconds: what the rest of the machine takes
 * from a scrape, told apart from what the scrape costs.
 */
function mainThreadSched(pid: number): { runNs: number; waitNs: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
  return { runNs: Number(run), waitNs: Number(wait) };
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Refused syscalls of seven kinds, harmless even if one were allowed:
 * ptrace(PTRACE_ATTACH, 1), mount(NULL...), unshare(0), keyctl(0), bpf(-1),
 * perf_event_open(NULL), swapoff(NULL).
 */
const REFUSER = [
  'while (1) {',
  '  syscall(101, 16, 1, 0, 0); syscall(165, 0, 0, 0, 0, 0); syscall(272, 0); syscall(250, 0, 0, 0, 0, 0);',
  '  syscall(321, -1, 0, 0); syscall(298, 0, 0, -1, -1, 0); syscall(168, 0);',
  '  select(undef, undef, undef, 5);',
  '}',
].join('\n');

interface AgentRun {
  child: ChildProcess;
  url: string;
  socket: string;
}

function startAgent(dir: string, port: number, containers: unknown[], name: string, profile = false): AgentRun {
  // A directory of its own, apart from the workspace: containers see the control socket's directory masked.
  const socket = join(dir, `${name}-control`, 'agent.sock');
  mkdirSync(dirname(socket), { recursive: true });
  const config = {
    node_name: 'bench-containers',
    logging: { level: 'warn', output: join(dir, `${name}.log`), audit: { path: join(dir, `${name}-audit.json`) } },
    // Prometheus, this benchmark's scrapes, zviz top and the datasource share the agent.
    metrics: { address: `127.0.0.1:${port}`, rate_limit: { rps: 200, burst: 400 } },
    broker: { control_socket: socket, cgroup_group: `zviz-bench-${port}` },
    // Every container traced (the default, 256, is below this benchmark's size).
    tracer: { enabled: true, max_cgroups: TOTAL + 100 },
    containers,
  };
  writeFileSync(join(dir, `${name}.yaml`), stringify(config));
  const node =
    profile && PROFILE_DIR
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${PROFILE_DIR}`,
          '--heapsnapshot-signal=SIGUSR2',
          `--diagnostic-dir=${PROFILE_DIR}`,
        ]
      : [];
  const child = spawn(process.execPath, [...node, AGENT_BIN, 'agent', '--config', join(dir, `${name}.yaml`)], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...AGENT_ENV },
  });
  return { child, url: `http://127.0.0.1:${port}`, socket };
}

async function stopAgent(agent: AgentRun): Promise<number> {
  if (agent.child.exitCode !== null) {
    return 0;
  }
  const started = Date.now();
  const exited = new Promise((resolve) => agent.child.once('exit', resolve));
  agent.child.kill('SIGTERM');
  await exited;
  return Date.now() - started;
}

interface ScrapeFigures {
  series: number;
  bytes: number;
  wallMs: number[];
  /** The agent's main thread's CPU time while it answered (an upper bound: other work of that thread counts too). */
  cpuMs: number[];
  /** Time the agent's main thread was runnable but waiting for a core while it answered. */
  waitMs: number[];
  renderMs: number[];
  /** The agent's main thread's states during the measured GETs (every millisecond). */
  threadStates: ThreadStates;
  /** Each GET's start and end, CLOCK_MONOTONIC in microseconds (the clock of V8's CPU profiles). */
  spansUs: Array<[number, number]>;
  lagMs: number;
  families: Map<string, { exported: number; limit: number; dropped: number }>;
  text: string;
}

/** Values of a metric's series in a text exposition. */
function gauge(text: string, name: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

/**
 * A GET on a connection of its own, read to the end. Every client of this
 * benchmark shares 127.0.0.1, and the agent closes a client's oldest idle
 * keep-alive connections past its per-client limit (docs/agent.md): a pooled
 * connection could be gone when reused, and the measurement would be of the
 * retry. A loopback connect costs well under a millisecond.
 */
function getText(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * Watches the agent's main thread from a worker thread of this process: its
 * state every millisecond (R running or waiting for a core, S sleeping, D
 * blocked in the kernel), and while it is blocked, where (the first frames of
 * its kernel stack). A thread blocked in the kernel is neither on a core nor
 * in the run queue: this tells what the rest of a slow GET was.
 */
function watchMainThread(pid: number): { during: Int32Array; stop: () => Promise<ThreadStates> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    const task = '/proc/' + workerData.pid + '/task/' + workerData.pid;
    const states = {}; const blocked = {}; let stop = false;
    parentPort.on('message', () => { stop = true; });
    const tick = new Int32Array(new SharedArrayBuffer(4));
    const during = new Int32Array(workerData.during);
    (async function loop() {
      while (!stop) {
        try {
          if (Atomics.load(during, 0) === 0) {
            Atomics.wait(tick, 0, 0, 1);
            await new Promise((r) => setImmediate(r));
            continue;
          }
          const stat = readFileSync(task + '/stat', 'utf8');
          const state = stat[stat.lastIndexOf(')') + 2];
          states[state] = (states[state] || 0) + 1;
          if (state === 'D') {
            const where = readFileSync(task + '/stack', 'utf8').split('\\n').slice(0, 3)
              .map((l) => l.replace(/^\\[<[^>]*>\\] /, '').replace(/\\+.*/, '')).filter(Boolean).join(' < ');
            blocked[where] = (blocked[where] || 0) + 1;
          }
        } catch { break; }
        Atomics.wait(tick, 0, 0, 1);
        await new Promise((r) => setImmediate(r));
      }
      parentPort.postMessage({ states, blocked });
    })();`;
  // Set while a GET is under way: only those moments are counted.
  const during = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(code, { eval: true, workerData: { pid, during: during.buffer } });
  const result = new Promise<ThreadStates>((resolve) => worker.once('message', resolve));
  return {
    during,
    stop: async () => {
      worker.postMessage('stop');
      const states = await result;
      await worker.terminate();
      return states;
    },
  };
}

interface ThreadStates {
  /** Samples by state letter of /proc/<pid>/task/<tid>/stat. */
  states: Record<string, number>;
  /** Samples blocked in the kernel (D), by the first frames of the kernel stack. */
  blocked: Record<string, number>;
}

async function scrapes(url: string, pid: number, n: number): Promise<ScrapeFigures> {
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  const waitMs: number[] = [];
  const renderMs: number[] = [];
  const spansUs: Array<[number, number]> = [];
  let text = '';
  const watched = watchMainThread(pid);
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    const before = mainThreadSched(pid);
    Atomics.store(watched.during, 0, 1);
    text = (await getText(`${url}/metrics`)).text;
    Atomics.store(watched.during, 0, 0);
    const after = mainThreadSched(pid);
    cpuMs.push((after.runNs - before.runNs) / 1e6);
    waitMs.push((after.waitNs - before.waitNs) / 1e6);
    const ended = process.hrtime.bigint();
    wallMs.push(Number(ended - started) / 1e6);
    spansUs.push([Number(started / 1000n), Number(ended / 1000n)]);
    await sleep(500);
    // The agent reports the previous render's duration.
    const m = (await getText(`${url}/metrics`)).text;
    renderMs.push((gauge(m, 'zviz_agent_scrape_duration_seconds')[0] ?? NaN) * 1000);
    await sleep(500);
  }
  const threadStates = await watched.stop();
  const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  const families = new Map<string, { exported: number; limit: number; dropped: number }>();
  for (const line of text.split('\n')) {
    const m = /^zviz_exported_series(_limit|_dropped)?\{family="([^"]+)"\} (\S+)$/.exec(line);
    if (m) {
      const entry = families.get(m[2]) ?? { exported: 0, limit: 0, dropped: 0 };
      entry[m[1] === '_limit' ? 'limit' : m[1] === '_dropped' ? 'dropped' : 'exported'] = Number(m[3]);
      families.set(m[2], entry);
    }
  }
  return {
    series,
    bytes: Buffer.byteLength(text),
    wallMs,
    cpuMs,
    waitMs,
    renderMs,
    spansUs,
    threadStates,
    lagMs: (gauge(text, 'zviz_agent_event_loop_lag_seconds')[0] ?? NaN) * 1000,
    families,
    text,
  };
}

/**
 * The agent's responsiveness while its containers start: every 500 ms, a GET
 * of its event-loop lag alone (`?name[]=`: a few bytes to render), timed
 * here. The agent's gauge is the 99th percentile of the loop's delay since
 * the previous scrape of it, so with no other scraper yet each reading covers
 * the half second before it; the GET's wall time is what a probe or an API
 * client waits for.
 */
function watchStartStorm(
  url: string,
  pid: number
): { stop: () => Promise<{ lagMs: number[]; getMs: number[]; runMs: number; waitMs: number; wallMs: number }> } {
  const lagMs: number[] = [];
  const getMs: number[] = [];
  let stopped = false;
  // The main thread's time on a core and waiting for one over the whole start: what it did, and what the node took from it.
  const before = mainThreadSched(pid);
  const startedAt = Date.now();
  const loop = (async () => {
    while (!stopped) {
      const started = process.hrtime.bigint();
      try {
        const r = await getText(`${url}/metrics?name[]=zviz_agent_event_loop_lag_seconds`);
        if (r.status === 200) {
          getMs.push(Number(process.hrtime.bigint() - started) / 1e6);
          lagMs.push((gauge(r.text, 'zviz_agent_event_loop_lag_seconds')[0] ?? NaN) * 1000);
        }
      } catch {
        // not listening yet
      }
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      const after = mainThreadSched(pid);
      return {
        lagMs,
        getMs,
        runMs: (after.runNs - before.runNs) / 1e6,
        waitMs: (after.waitNs - before.waitNs) / 1e6,
        wallMs: Date.now() - startedAt,
      };
    },
  };
}

/** `zviz run` of a short job through the agent: wall time, or throws. */
function runShort(socket: string, workdir: string): number {
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      AGENT_BIN,
      'run',
      '--socket',
      socket,
      '--profile',
      'ci-runner',
      '--workdir',
      workdir,
      '--',
      '/bin/sh',
      '-c',
      'exit 0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 }
  );
  if (r.status !== 0) {
    throw new Error(`zviz run exited ${r.status}: ${r.stderr}`);
  }
  return Date.now() - started;
}

/**
 * The agent's resident memory every second from its start, by phase of the
 * run: when its peak is reached (the configured containers starting, the
 * clients starting theirs, the measurement) and of what (anonymous memory
 * or files).
 */
function watchMemory(pid: number, startedAt: number) {
  let phase = 'the configured containers start';
  const peaks = new Map<string, { rssMiB: number; anonMiB: number; atSeconds: number }>();
  const byKind = new Map<string, Record<string, number>>();
  const timer = setInterval(() => {
    try {
      const rssMiB = status(pid, 'VmRSS') / 1024;
      const peak = peaks.get(phase);
      if (!peak || rssMiB > peak.rssMiB) {
        peaks.set(phase, {
          rssMiB,
          anonMiB: status(pid, 'RssAnon') / 1024,
          atSeconds: (Date.now() - startedAt) / 1000,
        });
      }
    } catch {
      // exited
    }
  }, 1000);
  return {
    /** Ends a phase, with where its memory is at its end, and starts the next. */
    phase: (name: string) => {
      byKind.set(phase, residentByKind(pid));
      phase = name;
    },
    stop: () => {
      clearInterval(timer);
      byKind.set(phase, residentByKind(pid));
      return { peaks, byKind };
    },
  };
}

/**
 * The process's resident memory by kind of mapping, MiB, from its smaps (read
 * once per phase: at a thousand containers it lists some 4,500 mappings):
 * glibc's main arena, V8's heap pages (256 KiB each), thread stacks (8 MiB),
 * files, and other anonymous memory (glibc's thread arenas, V8's large objects).
 */
function residentByKind(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = '';
  for (const row of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(row);
    if (mapping) {
      const kib = (parseInt(mapping[2], 16) - parseInt(mapping[1], 16)) / 1024;
      const name = mapping[3];
      kind =
        name === '[heap]'
          ? 'glibc main arena'
          : name.startsWith('/')
            ? 'files'
            : name
              ? 'other'
              : kib === 256
                ? 'V8 pages'
                : kib === 8192
                  ? 'thread stacks'
                  : 'other anonymous';
      continue;
    }
    if (row.startsWith('Rss:')) {
      out[kind] = (out[kind] ?? 0) + Number(row.split(/\s+/)[1]) / 1024;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Number(v.toFixed(1))]));
}

/** CPU ticks of each of the process's threads, summed by thread name (digits dropped: one row per kind). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const name =
      tid === String(pid)
        ? 'main (JavaScript)'
        : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+/g, 'N');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
  }
  return out;
}

/** The process's CPU over `ms`, in % of a core, and each kind of thread's share (threads that ended meanwhile count only in the total). */
async function cpuPercent(pid: number, ms: number): Promise<{ total: number; byThread: Record<string, number> }> {
  const before = cpuTicks(pid);
  const threadsBefore = threadTicks(pid);
  await sleep(ms);
  const total = ((cpuTicks(pid) - before) * CLOCK_TICK_MS * 100) / ms;
  const byThread: Record<string, number> = {};
  for (const [name, ticks] of threadTicks(pid)) {
    const used = ((ticks - (threadsBefore.get(name) ?? 0)) * CLOCK_TICK_MS * 100) / ms;
    if (used > 0) {
      byThread[name] = Number(used.toFixed(1));
    }
  }
  return { total, byThread };
}

function line(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}

const BUILD = 'run npm run build first';

/** What this machine lacks to run the benchmark, in words, or undefined. */
function whatIsMissing(): string | undefined {
  return unmet([root, btf, binary('prometheus'), binary('perl'), file(AGENT_BUNDLE, BUILD), file(executable, BUILD)]);
}

async function main(): Promise<number> {
  const missing = whatIsMissing();
  if (missing) {
    console.error(`bench:containers: ${missing}`);
    return 1;
  }
  console.log(
    `bench:containers: ${TOTAL} containers (${LONG_CONFIG} long and ${SHORT_CONFIG} short from the configuration, ` +
      `${LONG_RUN} long by zviz run), node ${process.version}, load ${loadavg().map(f1).join(' ')}` +
      (AGENT_REPO === REPO ? '' : `; the agent of ${AGENT_REPO}`)
  );
  const dir = mkdtempSync(join(tmpdir(), 'zviz-bench-containers-'));
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  const port = await freePort();
  const runs: ChildProcess[] = [];
  let agent: AgentRun | undefined;
  // Interrupted, it still stops its agent (and with it a thousand containers) and its clients.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runs.forEach((r) => r.kill('SIGKILL'));
      agent?.child.kill('SIGTERM');
      agent?.child.once('exit', () => process.exit(130));
      if (!agent || agent.child.exitCode !== null) {
        process.exit(130);
      }
    });
  }
  let prom: TestPrometheus | undefined;
  let plugin: Awaited<ReturnType<typeof startPlugin>> | undefined;
  let client: GrafanaClient | undefined;
  try {
    // The reference: the same agent with no container.
    agent = startAgent(dir, port, [], 'idle');
    await waitFor('the idle agent to be ready', async () => (await fetch(`${agent!.url}/ready`)).ok, {
      timeoutMs: 120_000,
    });
    await sleep(5000);
    const idle = await scrapes(agent.url, agent.child.pid!, SCRAPES);
    const idleRss = status(agent.child.pid!, 'VmRSS') / 1024;
    const idleCpu = (await cpuPercent(agent.child.pid!, 10_000)).total;
    const idleRun = median(Array.from({ length: SHORT ? 2 : 5 }, () => runShort(agent!.socket, workspace)));
    await stopAgent(agent);

    // The thousand.
    const containers: unknown[] = [];
    for (let i = 0; i < LONG_CONFIG; i++) {
      const refuser = i % 10 === 0;
      containers.push({
        name: `long-${i}`,
        profile: 'default',
        workdir: workspace,
        restart: 'always',
        command: refuser ? ['/usr/bin/perl', '-e', REFUSER] : ['/bin/sleep', '1000000'],
      });
    }
    for (let i = 0; i < SHORT_CONFIG; i++) {
      // A job of 20 to 60 s, run again as soon as it ends: about one container start
      // every 0.4 s across the hundred.
      containers.push({
        name: `short-${i}`,
        profile: 'ci-runner',
        workdir: workspace,
        restart: 'always',
        command: ['/bin/sh', '-c', `sleep ${20 + ((i * 7) % 41)}`],
      });
    }
    const startedAt = Date.now();
    agent = startAgent(dir, port, containers, 'loaded', true);
    const memory = watchMemory(agent.child.pid!, startedAt);
    const storm = watchStartStorm(agent.url, agent.child.pid!);
    // How fast the configured containers start, from the broker's progress in /health.
    const startCurve: Array<{ seconds: number; started: number }> = [];
    let lastLogged = 0;
    await waitFor(
      'the agent to be ready',
      async () => {
        try {
          const health = (await (await fetch(`${agent!.url}/health`)).json()) as {
            components: Record<string, { reason?: string }>;
          };
          const m = /(\d+) of \d+$/.exec(health.components.broker?.reason ?? '');
          const seconds = (Date.now() - startedAt) / 1000;
          if (m && seconds - lastLogged >= 15) {
            startCurve.push({ seconds, started: Number(m[1]) });
            console.log(
              `  ${m[1]} of ${LONG_CONFIG + SHORT_CONFIG} configured containers started after ${f1(seconds)} s`
            );
            lastLogged = seconds;
          }
        } catch {
          // not listening yet
        }
        return (await fetch(`${agent!.url}/ready`)).ok;
      },
      { timeoutMs: 1_800_000, intervalMs: 1000 }
    );
    const readyMs = Date.now() - startedAt;
    memory.phase('the zviz run containers start');
    results.startCurve = startCurve;
    for (let i = 0; i < LONG_RUN; i++) {
      runs.push(
        spawn(
          process.execPath,
          [
            AGENT_BIN,
            'run',
            '--socket',
            agent.socket,
            '--profile',
            'default',
            '--name',
            `run-${i}`,
            '--workdir',
            workspace,
            '--',
            '/bin/sleep',
            '1000000',
          ],
          { stdio: 'ignore' }
        )
      );
      if (i % 10 === 9) {
        await sleep(1000); // each client is a Node process starting
      }
    }
    const list = async () =>
      (
        JSON.parse((await getText(`${agent!.url}${AGENT_PATHS.containers}`)).text) as {
          containers: Array<{ state: string }>;
        }
      ).containers;
    await waitFor(
      `${TOTAL} containers`,
      async () => {
        const all = await list();
        return all.length >= TOTAL && all.filter((c) => c.state === 'running').length >= LONG_CONFIG + LONG_RUN;
      },
      { timeoutMs: 600_000, intervalMs: 2000 }
    );
    const allMs = Date.now() - startedAt;
    const stormFigures = await storm.stop();
    memory.phase('all supervised, before the measurement');
    console.log(
      `  ${TOTAL} containers supervised ${f1(allMs / 1000)} s after the agent started (ready after ${f1(readyMs / 1000)} s)`
    );
    const spread = (v: number[]) =>
      `median ${f1(median(v))}, p95 ${f1(percentile(v, 95))}, max ${f1(Math.max(...v))} ms`;
    console.log(
      `  while they started (${stormFigures.lagMs.length} probes, one every 0.5 s): event-loop lag p99 of each ` +
        `half second ${spread(stormFigures.lagMs)}; the probe's GET ${spread(stormFigures.getMs)}; ` +
        `the main thread ran ${f1(stormFigures.runMs / 1000)} s and waited for a core ${f1(stormFigures.waitMs / 1000)} s ` +
        `of the ${f1(stormFigures.wallMs / 1000)} s`
    );
    results.startStorm = {
      lagMs: {
        median: median(stormFigures.lagMs),
        p95: percentile(stormFigures.lagMs, 95),
        max: Math.max(...stormFigures.lagMs),
      },
      getMs: {
        median: median(stormFigures.getMs),
        p95: percentile(stormFigures.getMs, 95),
        max: Math.max(...stormFigures.getMs),
      },
      probes: stormFigures.lagMs.length,
      mainThreadRunMs: stormFigures.runMs,
      mainThreadWaitMs: stormFigures.waitMs,
      wallMs: stormFigures.wallMs,
    };

    prom = await TestPrometheus.start({
      scrapeInterval: '5s',
      evaluationInterval: '5s',
      scrape: [{ job: 'zviz', targets: [agent.url.replace('http://', '')], extra: { scrape_timeout: '5s' } }],
    });
    plugin = await startPlugin({ ZVIZ_LOG_LEVEL: 'warn' });
    client = new GrafanaClient(plugin.address);
    const config = {
      uid: 'containers',
      jsonData: { prometheusUrl: prom.url, agents: [agent.url], scrapeIntervalSeconds: 5 },
    };
    // Let the sampler, the tracer and a few of Prometheus' scrapes run.
    await sleep(SHORT ? 15_000 : 40_000);

    const pid = agent.child.pid!;
    memory.phase('measured');
    const loaded = await scrapes(agent.url, pid, SCRAPES);
    const { total: cpu, byThread: cpuByThread } = await cpuPercent(pid, SHORT ? 5000 : 30_000);
    const rss = status(pid, 'VmRSS') / 1024;
    const hwm = status(pid, 'VmHWM') / 1024;
    const { peaks: memoryPeaks, byKind: memoryByKind } = memory.stop();
    const threads = status(pid, 'Threads');
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    const shortRuns = Array.from({ length: SHORT ? 2 : 10 }, () => runShort(agent!.socket, workspace));
    const states = (await list()).reduce<Record<string, number>>(
      (acc, c) => ({ ...acc, [c.state]: (acc[c.state] ?? 0) + 1 }),
      {}
    );

    // Prometheus' view of the scrape.
    const promScrape = async (expr: string) => Number((await prom!.query(expr))[0]?.value?.[1] ?? NaN);
    const promDuration = await promScrape('max_over_time(scrape_duration_seconds{job="zviz"}[1m])');
    const promSamples = await promScrape('max_over_time(scrape_samples_scraped{job="zviz"}[2m])');
    const promUp = await promScrape('sum_over_time(up{job="zviz"}[2m])');
    const promScrapes = await promScrape('count_over_time(up{job="zviz"}[2m])');

    // Through the datasource.
    const resource = async () => {
      const started = Date.now();
      const r = await client!.callResource('containers', config);
      const body = JSON.parse(r.body) as { containers: unknown[]; errors: unknown[] };
      return { ms: Date.now() - started, bytes: Buffer.byteLength(r.body), containers: body.containers.length };
    };
    const resources = [];
    for (let i = 0; i < (SHORT ? 2 : 5); i++) {
      resources.push(await resource());
    }
    const decisions = async () => {
      const started = Date.now();
      const now = Date.now();
      const r = await client!.queryData(
        [
          {
            refId: 'D',
            model: { queryType: 'decisions' },
            from: now - 600_000,
            to: now,
            intervalMs: 5000,
            maxDataPoints: 60,
          },
        ],
        config
      );
      if (r.D.error) {
        throw new Error(r.D.error);
      }
      return { ms: Date.now() - started, syscalls: r.D.frames[0].fields[0].values as string[] };
    };
    const decided = [await decisions(), await decisions(), await decisions()];

    // zviz top, one frame.
    const topStarted = Date.now();
    const top = spawnSync(
      process.execPath,
      [
        // Profiled too with BENCH_PROFILE: where its time beyond the interval goes.
        ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, 'top')}`] : []),
        AGENT_BIN,
        'top',
        '--addr',
        agent.url.replace('http://', ''),
        '--once',
        '--no-color',
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
      }
    );
    const topMs = Date.now() - topStarted;

    const scrapeRow = (name: string, s: ScrapeFigures) =>
      line([
        name,
        s.series,
        f1(s.bytes / 1024),
        `${f1(median(s.wallMs))} (${f1(percentile(s.wallMs, 95))})`,
        `${f1(median(s.cpuMs))} (${f1(percentile(s.cpuMs, 95))})`,
        `${f1(median(s.waitMs))} (${f1(percentile(s.waitMs, 95))})`,
        f1(median(s.renderMs)),
        f1(s.lagMs),
      ]);
    console.log('\n## The scrape\n');
    console.log(
      line([
        'agent',
        'series',
        'KiB',
        'GET /metrics median (p95) ms',
        'main-thread CPU during it median (p95) ms',
        'main thread waiting for a core during it median (p95) ms',
        'render median ms',
        'event-loop lag p99 ms',
      ])
    );
    console.log(line(['---', '---', '---', '---', '---', '---', '---', '---']));
    console.log(scrapeRow('no container (reference)', idle));
    console.log(scrapeRow(`${TOTAL} containers`, loaded));
    // What the slow ones were made of: the main thread's work, its waits for
    // a core, and the rest (waiting for the thread pool or the network).
    const slowest = loaded.wallMs
      .map((wall, i) => ({ wall, cpu: loaded.cpuMs[i], wait: loaded.waitMs[i] }))
      .sort((a, b) => b.wall - a.wall)
      .slice(0, 5);
    console.log(
      `the ${slowest.length} slowest GET /metrics, wall = main-thread CPU + waiting for a core + neither (ms): ` +
        slowest.map((x) => `${f1(x.wall)} = ${f1(x.cpu)} + ${f1(x.wait)} + ${f1(x.wall - x.cpu - x.wait)}`).join('; ')
    );
    const stateLine = (label: string, t: ThreadStates) => {
      const all = Object.values(t.states).reduce((a, b) => a + b, 0);
      const pct = (k: string) => `${f1(((t.states[k] ?? 0) * 100) / Math.max(1, all))} %`;
      const where = Object.entries(t.blocked)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([w, c]) => `${f1((c * 100) / Math.max(1, all))} % in ${w}`)
        .join('; ');
      return `${label}: ${all} samples, on a core or waiting for one (R) ${pct('R')}, sleeping (S) ${pct('S')}, blocked in the kernel (D) ${pct('D')}${where ? ` (${where})` : ''}`;
    };
    console.log(`the agent's main thread during the measured GETs, sampled every ms`);
    console.log(`  ${stateLine('no container', idle.threadStates)}`);
    console.log(`  ${stateLine(`${TOTAL} containers`, loaded.threadStates)}`);
    console.log(
      `Prometheus (scrape timeout 5 s): ${promSamples} samples a scrape, the slowest scrape in the last minute ${f1(promDuration * 1000)} ms, ${promUp} of ${promScrapes} scrapes in the last 2 minutes succeeded`
    );

    console.log('\n## The series budget (families over their limit leave series out, and count them)\n');
    console.log(line(['family', 'exported', 'limit', 'left out (counted)']));
    console.log(line(['---', '---', '---', '---']));
    const familyRows = [...loaded.families.entries()].sort((a, b) => b[1].exported - a[1].exported);
    for (const [family, f] of familyRows.slice(0, 12)) {
      console.log(line([family, f.exported, f.limit, f.dropped]));
    }
    const overflow = loaded.text
      .split('\n')
      .filter((l) => l.startsWith('zviz_series_overflow_total{') && !l.endsWith(' 0'));
    console.log(`tracer observations folded into "other" series: ${overflow.join(', ') || 'none'}`);
    const lost = loaded.text.split('\n').filter((l) => /^zviz_tracer_events_lost_total\{.*\} [1-9]/.test(l));
    console.log(`tracer events lost (counted): ${lost.join(', ') || 'none'}`);

    console.log('\n## The agent\n');
    console.log(
      line(['agent', 'RSS MiB (peak)', 'CPU % of a core', 'threads', 'descriptors', 'short zviz run median ms'])
    );
    console.log(line(['---', '---', '---', '---', '---', '---']));
    console.log(line(['no container (reference)', f1(idleRss), f1(idleCpu), '', '', idleRun]));
    console.log(line([`${TOTAL} containers`, `${f1(rss)} (${f1(hwm)})`, f1(cpu), threads, fds, median(shortRuns)]));
    console.log(
      `its highest RSS by phase (sampled every second), MiB: ${[...memoryPeaks]
        .map(([name, p]) => `${name} ${f1(p.rssMiB)} (anonymous ${f1(p.anonMiB)}) at ${f1(p.atSeconds)} s`)
        .join('; ')}`
    );
    for (const [name, kinds] of memoryByKind) {
      console.log(
        `  at the end of "${name}": ${Object.entries(kinds)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, mib]) => `${kind} ${mib}`)
          .join(', ')} MiB`
      );
    }
    console.log(
      `its CPU by thread, % of a core: ${Object.entries(cpuByThread)
        .sort((a, b) => b[1] - a[1])
        .map(([name, used]) => `${name} ${used}`)
        .join(', ')}`
    );
    console.log(`containers by state: ${JSON.stringify(states)}`);

    console.log('\n## Through the datasource and the CLI\n');
    console.log(
      `containers resource: ${resources[0].containers} containers, ${f1(resources[0].bytes / 1024)} KiB, ` +
        `${f1(median(resources.map((r) => r.ms)))} ms median`
    );
    console.log(
      `decisions panel query: ${decided[0].syscalls.length} syscalls (${decided[0].syscalls.join(', ')}), ${f1(median(decided.map((d) => d.ms)))} ms median`
    );
    // --once measures its rates over one --interval (2 s by default): the rest is top's and the agent's work.
    console.log(
      `zviz top --once: exit ${top.status}, ${topMs} ms (${topMs - TOP_INTERVAL_MS} ms beyond its ${TOP_INTERVAL_MS / 1000} s interval), ${top.stdout.split('\n').length} lines`
    );
    if (top.status !== 0) {
      console.log(top.stderr);
    }

    results.reference = {
      series: idle.series,
      bytes: idle.bytes,
      scrapeMs: median(idle.wallMs),
      scrapeCpuMs: median(idle.cpuMs),
      renderMs: median(idle.renderMs),
      lagMs: idle.lagMs,
      rssMiB: idleRss,
      cpuPercent: idleCpu,
      shortRunMs: idleRun,
    };
    results.loaded = {
      containers: TOTAL,
      states,
      readyMs,
      allSupervisedMs: allMs,
      series: loaded.series,
      bytes: loaded.bytes,
      scrapeMs: { median: median(loaded.wallMs), p95: percentile(loaded.wallMs, 95) },
      scrapeCpuMs: { median: median(loaded.cpuMs), p95: percentile(loaded.cpuMs, 95) },
      scrapeWaitMs: { median: median(loaded.waitMs), p95: percentile(loaded.waitMs, 95) },
      renderMs: median(loaded.renderMs),
      mainThreadStates: loaded.threadStates,
      each: { wallMs: loaded.wallMs, cpuMs: loaded.cpuMs, waitMs: loaded.waitMs, renderMs: loaded.renderMs },
      lagMs: loaded.lagMs,
      prometheus: {
        samples: promSamples,
        slowestScrapeMs: promDuration * 1000,
        scrapesOk: promUp,
        scrapes: promScrapes,
      },
      families: Object.fromEntries(loaded.families),
      rssMiB: rss,
      peakRssMiB: hwm,
      rssPeaksByPhase: Object.fromEntries(memoryPeaks),
      residentByKindAtPhaseEnds: Object.fromEntries(memoryByKind),
      cpuPercent: cpu,
      cpuPercentByThread: cpuByThread,
      threads,
      descriptors: fds,
      shortRunMs: shortRuns,
      resource: resources,
      decisions: decided.map((d) => ({ ms: d.ms, syscalls: d.syscalls.length })),
      top: { status: top.status, ms: topMs },
    };
    if (PROFILE_DIR) {
      writeFileSync(
        join(PROFILE_DIR, 'scrapes.json'),
        JSON.stringify(
          loaded.spansUs.map(([startUs, endUs], i) => ({
            startUs,
            endUs,
            wallMs: loaded.wallMs[i],
            cpuMs: loaded.cpuMs[i],
            waitMs: loaded.waitMs[i],
            renderMs: loaded.renderMs[i],
          }))
        )
      );
      // Where the resident memory is, mapping by mapping.
      writeFileSync(join(PROFILE_DIR, 'smaps'), readFileSync(`/proc/${agent.child.pid}/smaps`));
      // Once measured: what the heap holds at this size (the snapshot blocks the agent while it is written).
      const before = new Set(readdirSync(PROFILE_DIR));
      agent.child.kill('SIGUSR2');
      await waitFor(
        'the heap snapshot',
        async () => readdirSync(PROFILE_DIR).some((f) => !before.has(f) && f.endsWith('.heapsnapshot')),
        { timeoutMs: 300_000, intervalMs: 1000 }
      );
      await fetch(`${agent.url}/ready`); // answered once the snapshot is written
      console.log(`profiles in ${PROFILE_DIR}`);
    }
    const stopMs = await stopAgent(agent);
    console.log(
      `\nagent stopped (every container removed) in ${f1(stopMs / 1000)} s; load average ${loadavg().map(f1).join(' ')}`
    );
    (results.loaded as Record<string, unknown>).stopMs = stopMs;
  } catch (error) {
    // Whatever broke, say what the agent said (its log is removed with the run's directory).
    const exit = agent?.child.exitCode ?? agent?.child.signalCode;
    console.error(
      `bench:containers failed; the agent ${exit === null || exit === undefined ? 'was running' : `had exited (${exit})`}`
    );
    for (const name of ['loaded.log', 'idle.log']) {
      try {
        console.error(`--- the end of ${name}\n${readFileSync(join(dir, name), 'utf8').slice(-4000)}`);
      } catch {
        // not written
      }
    }
    throw error;
  } finally {
    client?.close();
    if (plugin) {
      plugin.child.kill('SIGTERM');
      await plugin.exited;
    }
    await prom?.stop();
    if (agent) {
      await stopAgent(agent);
    }
    for (const r of runs) {
      r.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    if (error.cause) {
      console.error('cause:', error.cause);
    }
    process.exit(1);
  }
);
