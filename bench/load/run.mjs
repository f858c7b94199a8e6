#!/usr/bin/env node
// The agent on its worst day, one command: `npm run bench:load` (as root,
// after `npm run build`). One agent (`zviz agent`, its broker, audit log and
// tracer) is measured twice in the same run, side by side:
//
// 1. idle: no workload;
// 2. flood: one workload (test/faults/workloads/flood.c, static) makes
//    refused syscalls from several threads as fast as it can; each is a
//    broker decision and a decision event.
//
// In both, a scraper fetches /metrics and /health once a second, as
// Prometheus and a kubelet would. Reported per phase: scrape time p50/p99/max
// and timeouts (10 s, Prometheus' default), the agent's event-loop lag (its
// own zviz_agent_event_loop_lag_seconds, p99 per scrape interval), CPU of the
// agent process and of its JavaScript thread, what /health said; for the
// flood, decisions per second, audit records written, events dropped with a
// count and events lost without one. Ratios flood / idle.
//
// Options: --seconds N per phase (default 60; or ZVIZ_BENCH_SECONDS),
// --threads N flooding threads (default 2), --json FILE (or ZVIZ_BENCH_JSON),
// --event-rate-limit N (the agent's broker.event_rate_limit and event_burst,
// to see the pipeline without the per-container budget).
// ZVIZ_BENCH_SHORT=1: 3 s per phase, to check the bench runs (CI does).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const zviz = join(repo, 'agent', 'bin', 'zviz.js');
const floodSource = join(repo, 'test', 'faults', 'workloads', 'flood.c');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const SHORT = process.env.ZVIZ_BENCH_SHORT === '1';
const SECONDS = Number(option('seconds', process.env.ZVIZ_BENCH_SECONDS ?? (SHORT ? '3' : '60')));
const THREADS = Number(option('threads', '2'));
const JSON_OUT = option('json', process.env.ZVIZ_BENCH_JSON);
const RATE_LIMIT = option('event-rate-limit', undefined);
const SCRAPE_TIMEOUT_MS = 10_000;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

if (process.getuid?.() !== 0) {
  console.error('the load benchmark needs root (the broker runs workloads in cgroups)');
  process.exit(2);
}
if (!(SECONDS >= 1) || !(THREADS >= 1 && THREADS <= 64)) {
  console.error('--seconds must be at least 1 and --threads from 1 to 64');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'zviz-bench-load-'));
// The workload's program lives apart from the agent's files: every container
// sees the control socket's directory masked (docs/security.md).
const workloadDir = mkdtempSync(join(tmpdir(), 'zviz-bench-load-workload-'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const percentile = (xs, p) => {
  if (xs.length === 0) {
    return NaN;
  }
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** utime + stime in seconds, of the whole process and of its main (JavaScript) thread. */
function cpuSeconds(pid) {
  const read = (path) => {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  };
  return { process: read(`/proc/${pid}/stat`), js: read(`/proc/${pid}/task/${pid}/stat`) };
}

/** The value of one series (labels included) in a text exposition, or undefined. */
function sample(text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) {
      return Number(line.slice(series.length + 1));
    }
  }
  return undefined;
}

/** Sum of a family's samples whose label text contains every `parts`. */
function sumFamily(text, family, parts = []) {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${family}{`) || line.startsWith(`${family} `)) {
      const labels = line.slice(family.length, line.lastIndexOf(' '));
      if (parts.every((p) => labels.includes(p))) {
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
  }
  return found ? total : undefined;
}

async function get(url) {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    const body = await res.text();
    return { ms: performance.now() - started, status: res.status, body };
  } catch {
    return { ms: performance.now() - started, timedOut: true };
  }
}

/** Scrapes /metrics and asks /health once a second for `seconds`; CPU use over the same time. */
async function measure(agent, seconds) {
  const scrapes = [];
  const lags = [];
  const renders = [];
  const health = new Map();
  let timeouts = 0;
  const cpuBefore = cpuSeconds(agent.pid);
  const started = performance.now();
  for (let i = 0; i < seconds; i++) {
    const tick = started + (i + 1) * 1000;
    const scrape = await get(`${agent.url}/metrics`);
    if (scrape.timedOut) {
      timeouts++;
    } else {
      scrapes.push(scrape.ms);
      const lag = sample(scrape.body, 'zviz_agent_event_loop_lag_seconds');
      if (lag !== undefined) {
        lags.push(lag * 1000);
      }
      // The agent's own time to render the previous scrape, without the network or the wait for a CPU.
      const render = sample(scrape.body, 'zviz_agent_scrape_duration_seconds');
      if (render !== undefined) {
        renders.push(render * 1000);
      }
    }
    const probe = await get(`${agent.url}/health`);
    const status = probe.timedOut ? 'timed out' : JSON.parse(probe.body).status;
    health.set(status, (health.get(status) ?? 0) + 1);
    await sleep(Math.max(0, tick - performance.now()));
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(agent.pid);
  return {
    scrapes: scrapes.length,
    timeouts,
    scrapeP50Ms: percentile(scrapes, 50),
    scrapeP95Ms: percentile(scrapes, 95),
    scrapeP99Ms: percentile(scrapes, 99),
    scrapeMaxMs: scrapes.length ? Math.max(...scrapes) : NaN,
    lagP50Ms: percentile(lags, 50),
    lagMaxMs: lags.length ? Math.max(...lags) : NaN,
    renderP50Ms: percentile(renders, 50),
    renderMaxMs: renders.length ? Math.max(...renders) : NaN,
    cpuPercent: ((cpuAfter.process - cpuBefore.process) / elapsed) * 100,
    jsCpuPercent: ((cpuAfter.js - cpuBefore.js) / elapsed) * 100,
    health: Object.fromEntries(health),
    scrapeMs: scrapes,
    lagMs: lags,
  };
}

async function startAgent() {
  const port = await freePort();
  const config = {
    metrics: { address: `127.0.0.1:${port}` },
    logging: { output: join(dir, 'agent.log'), audit: { path: join(dir, 'audit.json') } },
    broker: {
      control_socket: join(dir, 'agent.sock'),
      cgroup_group: `zviz-bench-load-${process.pid}`,
      ...(RATE_LIMIT ? { event_rate_limit: Number(RATE_LIMIT), event_burst: Number(RATE_LIMIT) } : {}),
    },
  };
  // JSON is YAML: no YAML library needed here.
  writeFileSync(join(dir, 'config.yaml'), JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [zviz, 'agent', '--config', join(dir, 'config.yaml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ZVIZ_METRICS_ADDR: '', ZVIZ_CONFIG: '' },
  });
  const agent = { child, pid: child.pid, url: `http://127.0.0.1:${port}`, socket: join(dir, 'agent.sock') };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) {
      throw new Error(`the agent exited with ${child.exitCode}; see ${join(dir, 'agent.log')}`);
    }
    const ready = await get(`${agent.url}/ready`);
    if (ready.status === 200) {
      return agent;
    }
    await sleep(100);
  }
  throw new Error('the agent did not become ready within 30 s');
}

function runFlood(agent, floodBinary, seconds) {
  const child = spawn(
    process.execPath,
    [zviz, 'run', '--socket', agent.socket, '--name', 'flood', '--', floodBinary, String(seconds), String(THREADS)],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const out = [];
  child.stdout.on('data', (c) => out.push(c.toString()));
  child.stderr.on('data', (c) => out.push(c.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      const text = out.join('');
      resolve({
        code,
        text,
        containerId: /^zviz: (\S+) \(/m.exec(text)?.[1],
        decisions: Number(/broker: (\d+) decisions/.exec(text)?.[1] ?? NaN),
      });
    })
  );
}

/** Audit records of one container in the audit log and its rotated files. */
function auditRecords(containerId) {
  let count = 0;
  const needle = `"container_id":"${containerId}"`;
  for (const name of readdirSync(dir)) {
    if (/^audit.*\.json$/.test(name)) {
      for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
        if (line.includes(needle)) {
          count++;
        }
      }
    }
  }
  return count;
}

const floodBinary = join(workloadDir, 'flood');
execFileSync('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', floodBinary, floodSource]);

const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Linux ${release()}`;
console.log(
  `# Load benchmark\n\n${machine}; load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; node ${process.version}`
);
console.log(
  `${SECONDS} s per phase, a scrape and a /health probe every second; flood: ${THREADS} threads of refused ptrace calls.\n`
);

let agent;
try {
  agent = await startAgent();
  await sleep(2000); // let start-up work settle
  const idle = await measure(agent, SECONDS);
  // The flood runs a little longer than the measurement, so it floods all of it.
  const flood = runFlood(agent, floodBinary, SECONDS + 2);
  await sleep(500);
  const loaded = await measure(agent, SECONDS);
  const ran = await flood;
  if (ran.code !== 0 || !ran.containerId) {
    throw new Error(`the flooding workload failed (exit ${ran.code}):\n${ran.text}`);
  }
  // Everything the broker handed over is written or dropped once the queues are empty.
  let queued = Infinity;
  for (let i = 0; i < 600 && queued > 0; i++) {
    await sleep(100);
    const h = await get(`${agent.url}/health`);
    queued = h.timedOut ? Infinity : (JSON.parse(h.body).components?.audit?.queued ?? 0);
  }
  const after = await get(`${agent.url}/metrics`);
  const text = after.body ?? '';
  const written = auditRecords(ran.containerId);
  // Per container where the agent says it; else the agent-wide counters.
  const perContainer = text.includes('# TYPE zviz_container_events_dropped_total ')
    ? (sumFamily(text, 'zviz_container_events_dropped_total', [`container_id="${ran.containerId}"`]) ?? 0)
    : undefined;
  const counted =
    perContainer ??
    (sumFamily(text, 'zviz_broker_events_dropped_total') ?? 0) +
      (sumFamily(text, 'zviz_audit_events_dropped_total') ?? 0);
  const result = {
    machine,
    seconds: SECONDS,
    threads: THREADS,
    idle,
    flood: {
      ...loaded,
      decisions: ran.decisions,
      decisionsPerSecond: ran.decisions / (SECONDS + 2),
      auditRecords: written,
      auditLossPercent: (1 - written / ran.decisions) * 100,
      droppedCounted: counted,
      lostUncounted: Math.max(0, ran.decisions - written - counted),
    },
  };
  if (JSON_OUT) {
    writeFileSync(JSON_OUT, `${JSON.stringify(result, null, 2)}\n`);
  }
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const ratio = (a, b) => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(1)}x` : '–');
  const h = (phase) =>
    Object.entries(phase.health)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
  const l = result.flood;
  console.log('| | idle | flood | flood / idle |');
  console.log('|---|---:|---:|---:|');
  console.log(`| scrapes answered (of ${SECONDS}) | ${idle.scrapes} | ${l.scrapes} | |`);
  console.log(`| scrapes timed out (10 s) | ${idle.timeouts} | ${l.timeouts} | |`);
  for (const [name, key] of [
    ['scrape p50 ms', 'scrapeP50Ms'],
    ['scrape p95 ms', 'scrapeP95Ms'],
    ['scrape p99 ms', 'scrapeP99Ms'],
    ['scrape max ms', 'scrapeMaxMs'],
    ['event-loop lag p99, median over intervals, ms', 'lagP50Ms'],
    ['event-loop lag p99, worst interval, ms', 'lagMaxMs'],
    ['agent render time p50 ms (zviz_agent_scrape_duration_seconds)', 'renderP50Ms'],
    ['agent render time max ms', 'renderMaxMs'],
    ['agent CPU % (all threads)', 'cpuPercent'],
    ['agent CPU % (JavaScript thread)', 'jsCpuPercent'],
  ]) {
    console.log(`| ${name} | ${f(idle[key])} | ${f(l[key])} | ${ratio(l[key], idle[key])} |`);
  }
  console.log(`| /health said | ${h(idle)} | ${h(l)} | |`);
  console.log(
    `\nFlood: ${Math.round(l.decisions).toLocaleString('en')} decisions (${Math.round(l.decisionsPerSecond).toLocaleString('en')}/s); ` +
      `audit records ${l.auditRecords.toLocaleString('en')} (${f(l.auditLossPercent)} % not in the audit log); ` +
      `dropped with a count ${l.droppedCounted.toLocaleString('en')}${perContainer === undefined ? ' (agent-wide counters)' : ' (zviz_container_events_dropped_total of the container)'}; ` +
      `lost without a count ${l.lostUncounted.toLocaleString('en')}.`
  );
  console.log(
    'Goals under the flood: scrape p99 < 100 ms, /health degraded while events are dropped, nothing lost without a count.'
  );
} finally {
  if (agent && agent.child.exitCode === null) {
    const exited = new Promise((resolve) => agent.child.once('exit', resolve));
    agent.child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(workloadDir, { recursive: true, force: true });
}
