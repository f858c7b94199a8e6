// Fleet benchmark, one command: `npm run bench:fleet` (as root, after npm run build).
//
// Fifty real agents behind one datasource executable (bench/fleet/fleet.ts),
// measured in one run:
//   1. The fleet itself: start time, each agent's memory and idle CPU.
//   2. Queries over the whole fleet through the executable (health, audit,
//      decisions), beside the same work done directly (the agents' /health
//      and /api/v1/decisions fetched at once by this process and merged; the
//      decisions query's three PromQL queries sent straight to Prometheus),
//      at three fan-out limits.
//   3. The same queries and "Save & test" with five agents down and one hung
//      (SIGSTOP): time to answer, and what they say.
//   4. The live stream relaying every agent at once: connections held,
//      events per second relayed against those written to the agents' audit
//      logs, delay, the executable's CPU and memory; more channels; ten
//      agents restarted together: when each is relayed again and what was lost.
//
// ZVIZ_BENCH_SHORT=1 runs it with 5 agents and a few rounds (CI does, to check
// it runs); BENCH_AGENTS and BENCH_ROUNDS change the size; BENCH_JSON=FILE
// writes every figure as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { binary, file, root, seccompUserNotif, unmet } from '@zviz/test-support/machine';

import { decisionsPromQL } from '../../pkg-backend/src/datasource/queries/decisions';
import { planSteps } from '../../pkg-backend/src/datasource/queries/promql-text';
import { executable } from '../../pkg-backend/test/fixtures/plugin-process';
import { bundledDashboards } from '../../test/browser/harness/dashboard/bundled';
import { prepareTargets, promRequest } from '../../test/browser/harness/dashboard/targets';
import { AGENT_BUNDLE, Fleet, type FleetAgent } from './fleet';
import { compareWithAudit, LiveSubscription } from './live';

const SHORT = process.env.ZVIZ_BENCH_SHORT === '1';
const N = Number(process.env.BENCH_AGENTS ?? (SHORT ? 5 : 50));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SHORT ? 3 : 20));
const CONCURRENCIES = SHORT ? [32] : [8, 32, 64];
const LIVE_SECONDS = SHORT ? 5 : 30;
const CLOCK_TICK_MS = 10; // USER_HZ = 100
const results: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const median = (v: number[]) => percentile(v, 50);
const f1 = (n: number) => n.toFixed(1);

function cpuTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`))!;
    return Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return 0;
  }
}

/** CPU used by `pids` over `ms`, as a percentage of one core. */
async function cpuPercent(pids: number[], ms: number): Promise<number> {
  const before = pids.reduce((n, p) => n + cpuTicks(p), 0);
  await sleep(ms);
  const after = pids.reduce((n, p) => n + cpuTicks(p), 0);
  return ((after - before) * CLOCK_TICK_MS * 100) / ms;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

function line(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}

const BUILD = 'run npm run build first';

/** What this machine lacks to run the benchmark, in words, or undefined. */
function whatIsMissing(): string | undefined {
  return unmet([
    root,
    seccompUserNotif,
    binary('prometheus'),
    binary('perl'),
    file(AGENT_BUNDLE, BUILD),
    file(executable, BUILD),
  ]);
}

async function main(): Promise<number> {
  const missing = whatIsMissing();
  if (missing) {
    console.error(`bench:fleet: ${missing}`);
    return 1;
  }
  console.log(
    `bench:fleet: ${N} agents, ${ROUNDS} rounds, node ${process.version}, load ${loadavg().map(f1).join(' ')}`
  );

  // 1. The fleet.
  const startedAt = Date.now();
  const fleet = await Fleet.start({
    agents: N,
    canaryEvery: 5,
    roundsPerSecond: 10,
    scrapeIntervalSeconds: 5,
    log: (l) => console.log(`  ${l}`),
  });
  try {
    const startSeconds = (Date.now() - startedAt) / 1000;
    const pids = fleet.agents.map((a) => a.process!.pid!);
    const rss = pids.map((p) => rssMiB(p));
    await sleep(SHORT ? 2000 : 10_000); // let start-up work settle
    const idleCpu = await cpuPercent(pids, SHORT ? 2000 : 10_000);
    const plugin = fleet.plugin!;
    const pluginPid = plugin.started.child.pid!;
    results.fleet = {
      agents: N,
      canaries: fleet.canaries.length,
      startSeconds,
      agentRssMiB: { median: median(rss), max: Math.max(...rss), total: rss.reduce((a, b) => a + b, 0) },
      agentsCpuPercentOfCore: idleCpu,
    };
    console.log('\n## The fleet\n');
    console.log(
      line([
        'agents',
        'canaries',
        'start (s)',
        'agent RSS median (max) MiB',
        'all agents RSS MiB',
        'all agents CPU, % of a core',
      ])
    );
    console.log(line(['---', '---', '---', '---', '---', '---']));
    console.log(
      line([
        N,
        fleet.canaries.length,
        f1(startSeconds),
        `${f1(median(rss))} (${f1(Math.max(...rss))})`,
        f1(rss.reduce((a, b) => a + b, 0)),
        f1(idleCpu),
      ])
    );

    // 2. Queries over the fleet.
    const now = () => Date.now();
    const health = (config: ReturnType<Fleet['config']>) => async () => {
      const r = await plugin.client.queryDataRaw(
        [{ refId: 'A', model: { queryType: 'health' }, from: now() - 600_000, to: now() }],
        config
      );
      if (r.A.error) {
        throw new Error(r.A.error);
      }
    };
    const audit = (config: ReturnType<Fleet['config']>) => async () => {
      const r = await plugin.client.queryDataRaw(
        [{ refId: 'A', model: { queryType: 'audit', limit: 500 }, from: now() - 600_000, to: now() }],
        config
      );
      if (r.A.error) {
        throw new Error(r.A.error);
      }
    };
    const to = () => now();
    const decisions = (config: ReturnType<Fleet['config']>) => async () => {
      const r = await plugin.client.queryDataRaw(
        [
          {
            refId: 'A',
            model: { queryType: 'decisions' },
            from: to() - 600_000,
            to: to(),
            intervalMs: 5000,
            maxDataPoints: 60,
          },
        ],
        config
      );
      if (r.A.error) {
        throw new Error(r.A.error);
      }
    };
    // The references ask with fetch, whose pooled connections an agent may close while idle,
    // and on a loaded machine a connection can be refused for a moment: such a request is
    // retried (twice at most, after 100 ms; the datasource's client does not reuse a closed
    // socket), and the retries are counted and printed.
    let retried = 0;
    const get = async (url: string): Promise<unknown> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await (await fetch(url)).json();
        } catch (error) {
          if (attempt === 2) {
            throw new Error(`the direct reference could not ask ${url}: ${(error as Error).cause ?? error}`);
          }
          retried++;
          await sleep(100);
        }
      }
    };
    const directHealth = async () => {
      await Promise.all(fleet.agents.map((a) => get(`${a.url}/health`)));
    };
    const directAudit = async () => {
      const pages = (await Promise.all(fleet.agents.map((a) => get(`${a.url}/api/v1/decisions?limit=500`)))) as Array<{
        events: Array<{ timestamp: string }>;
      }>;
      pages
        .flatMap((p) => p.events)
        .sort((a, b) => (a.timestamp < b.timestamp ? 1 : -1))
        .slice(0, 500);
    };
    const promPost = async (path: string, params: Record<string, string>) => {
      const r = await fetch(`${fleet.prometheus!.url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
      return r.json();
    };
    const directDecisions = async () => {
      const end = to();
      const plan = planSteps(end - 600_000, end, 5000, 60, 5);
      const promql = decisionsPromQL(
        { mode: 'count', syscalls: [], decisions: [], selector: '' },
        600,
        Math.max(plan.step, 20)
      );
      await Promise.all([
        promPost('/api/v1/query', { query: promql.totals, time: String(end / 1000) }),
        promPost('/api/v1/query_range', {
          query: promql.trend,
          start: String(plan.start),
          end: String(plan.end),
          step: String(plan.step),
        }),
        promPost('/api/v1/query', { query: promql.p99, time: String(end / 1000) }),
      ]);
    };

    // Rounds are paced so the agents' rate limit (10 requests a second, burst 20) is never the bottleneck.
    const measure = async (viaPlugin: () => Promise<void>, direct: () => Promise<void>) => {
      const through: number[] = [];
      const ref: number[] = [];
      await viaPlugin(); // warm the instance and its connections
      await direct();
      for (let i = 0; i < ROUNDS; i++) {
        const pair = i % 2 === 0 ? [viaPlugin, direct] : [direct, viaPlugin];
        for (const fn of pair) {
          const { ms } = await timed(fn);
          (fn === viaPlugin ? through : ref).push(ms);
          await sleep(250);
        }
      }
      return { through, ref };
    };
    console.log('\n## Queries over the whole fleet (all agents up)\n');
    console.log(
      line(['query', 'agents at once', 'through the executable median (p90, max) ms', 'direct median ms', 'ratio'])
    );
    console.log(line(['---', '---', '---', '---', '---']));
    const queryResults: unknown[] = [];
    for (const concurrency of CONCURRENCIES) {
      const config = fleet.config(`c${concurrency}`, { agentConcurrency: concurrency });
      const kinds: Array<[string, () => Promise<void>, () => Promise<void>]> = [
        ['health', health(config), directHealth],
        ['audit (limit 500)', audit(config), directAudit],
      ];
      if (concurrency === 32) {
        kinds.push(['decisions (count, 10 min)', decisions(config), directDecisions]);
      }
      for (const [name, via, direct] of kinds) {
        const { through, ref } = await measure(via, direct);
        const row = {
          query: name,
          concurrency,
          median: median(through),
          p90: percentile(through, 90),
          max: Math.max(...through),
          direct: median(ref),
        };
        queryResults.push(row);
        console.log(
          line([
            name,
            concurrency,
            `${f1(row.median)} (${f1(row.p90)}, ${f1(row.max)})`,
            f1(row.direct),
            `${(row.median / row.direct).toFixed(2)}x`,
          ])
        );
      }
    }
    results.queries = queryResults;
    results.referenceRetries = retried;
    if (retried > 0) {
      console.log(`(the direct references retried ${retried} requests on connections an agent had closed)`);
    }

    // 3. Some agents down, one hung.
    const down = fleet.agents.slice(N - Math.min(5, N - 2));
    const hung = fleet.agents[1];
    await Promise.all(down.map((a) => a.stop('SIGKILL')));
    await fleet.untilUp(down, 0);
    const budgetSeconds = 5;
    const downRows: unknown[] = [];
    console.log(
      `\n## ${down.length} agents down (SIGKILL, Prometheus sees them down), then one more hung (SIGSTOP); timeout ${budgetSeconds} s\n`
    );
    console.log(line(['call', 'agents', 'took ms', 'outcome']));
    console.log(line(['---', '---', '---', '---']));
    const report = async (what: string, fn: () => Promise<string>) => {
      const { ms, value } = await timed(fn);
      downRows.push({ call: what, ms, outcome: value });
      console.log(
        line([what, `${N - down.length - (what.includes('hung') ? 1 : 0)} of ${N} answering`, f1(ms), value])
      );
    };
    const notice = async (queryType: string, uid: string) => {
      const r = await plugin.client.queryData(
        [{ refId: 'A', model: { queryType, limit: 500 }, from: now() - 600_000, to: now() }],
        fleet.config(uid, { timeoutSeconds: budgetSeconds })
      );
      return (
        r.A.error ||
        `${r.A.frames[0].fields[0].values.length} rows; notice: ${(r.A.frames[0].meta?.notices ?? []).map((n) => n.text.slice(0, 90)).join(' / ')}…`
      );
    };
    const saveAndTest = async (uid: string) => {
      const h = await plugin.client.checkHealth(fleet.config(uid, { timeoutSeconds: budgetSeconds }));
      return `${h.status}: ${h.message.slice(0, 160)}…`;
    };
    await report('health', () => notice('health', 'down-h'));
    await report('audit', () => notice('audit', 'down-a'));
    await report('Save & test', () => saveAndTest('down-s'));
    hung.pause();
    try {
      await report('health, one hung', () => notice('health', 'hung-h'));
      await report('audit, one hung', () => notice('audit', 'hung-a'));
      await report('Save & test, one hung', () => saveAndTest('hung-s'));
    } finally {
      hung.resume();
    }
    results.down = downRows;
    for (const a of down) {
      a.start();
    }
    await Promise.all(down.map((a) => a.ready()));
    await fleet.untilUp(down, 1);

    // 4. The live stream.
    const liveRows = await live(fleet, pluginPid);
    results.live = liveRows;

    // 5. Every dashboard query over the fleet's whole history.
    results.dashboards = await dashboards(fleet, startedAt);
    console.log(`\nload average at the end: ${loadavg().map(f1).join(' ')}`);
  } finally {
    await fleet.stop();
  }
  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
  }
  return 0;
}

/**
 * Every query of the six bundled dashboards, variables at "All", over the
 * fleet's history, with Prometheus' own accounting of the samples it loaded
 * (stats=all), then projected to longer ranges, more agents and a 15 s scrape:
 * a query's samples grow with series x range / scrape interval, and its time
 * with them.
 */
async function dashboards(fleet: Fleet, startedAt: number): Promise<unknown> {
  const prom = fleet.prometheus!.url;
  const window = { fromMs: startedAt, toMs: Date.now(), scrapeIntervalSeconds: fleet.scrapeIntervalSeconds };
  const windowSeconds = (window.toMs - window.fromMs) / 1000;
  const rows: Array<{ key: string; expr: string; instant: boolean; ms: number; total: number; peak: number }> = [];
  for (const { name, dashboard } of bundledDashboards()) {
    for (const t of prepareTargets(dashboard, window)) {
      const { path, params } = promRequest(t, window);
      params.set('stats', 'all');
      const times: number[] = [];
      let stats = { totalQueryableSamples: 0, peakSamples: 0 };
      for (let i = 0; i < 3; i++) {
        const { ms, value } = await timed(async () => {
          const r = await fetch(`${prom}${path}`, { method: 'POST', body: params });
          return (await r.json()) as { status: string; error?: string; data: { stats?: { samples: typeof stats } } };
        });
        if (value.status !== 'success') {
          throw new Error(`${name} / ${t.panel.title}: ${value.error}`);
        }
        times.push(ms);
        stats = value.data.stats?.samples ?? stats;
      }
      rows.push({
        key: `${name} / ${t.panel.title} / ${t.target.refId}`,
        expr: t.expr,
        instant: t.instant,
        ms: median(times),
        total: stats.totalQueryableSamples,
        peak: stats.peakSamples,
      });
    }
  }
  rows.sort((a, b) => b.total - a.total);
  const n = fleet.agents.length;
  const project = (value: number, rangeSeconds: number, agents: number) =>
    value * (rangeSeconds / windowSeconds) * (agents / n) * (fleet.scrapeIntervalSeconds / 15);
  const week = 7 * 86400;
  console.log(
    `\n## Dashboards over the fleet: ${rows.length} queries, variables at "All", over ${f1(windowSeconds / 60)} min of history (scrape ${fleet.scrapeIntervalSeconds} s)\n`
  );
  console.log(
    `slowest: ${f1(Math.max(...rows.map((r) => r.ms)))} ms; all ${rows.length} together: ${f1(rows.reduce((a, r) => a + r.ms, 0))} ms`
  );
  console.log(
    line([
      'query (dashboard / panel / ref)',
      'ms',
      'samples loaded (peak)',
      '7 days, 15 s scrape, 50 agents: samples (peak)',
      '… 1,000 agents',
    ])
  );
  console.log(line(['---', '---', '---', '---', '---']));
  for (const r of rows.slice(0, 15)) {
    const fmt = (x: number) => (x >= 1e6 ? `${f1(x / 1e6)}M` : x >= 1e3 ? `${f1(x / 1e3)}k` : String(Math.round(x)));
    console.log(
      line([
        r.key,
        f1(r.ms),
        `${fmt(r.total)} (${fmt(r.peak)})`,
        // A range query's peak is one step's window, which does not grow with the range as an instant query's does.
        `${fmt(project(r.total, week, 50))} (${r.instant ? fmt(project(r.peak, week, 50)) : '-'})`,
        `${fmt(project(r.total, week, 1000))} (${r.instant ? fmt(project(r.peak, week, 1000)) : '-'})`,
      ])
    );
  }
  return { windowSeconds, queries: rows };
}

async function streamClients(agent: FleetAgent): Promise<number> {
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  return Number(/^zviz_api_stream_clients (\S+)/m.exec(text)?.[1] ?? 0);
}

async function live(fleet: Fleet, pluginPid: number): Promise<unknown> {
  const plugin = fleet.plugin!;
  const out: Record<string, unknown> = {};
  console.log('\n## Live stream relaying every agent at once\n');
  const idleCpu = await cpuPercent([pluginPid], 3000);
  const rssBefore = rssMiB(pluginPid);
  const sub = new LiveSubscription(plugin.client, 'decisions', fleet.config('live'));
  const all = () => fleet.agents.every((a) => sub.of(a.address).length > 0);
  const connectStarted = Date.now();
  while (!all()) {
    if (Date.now() - connectStarted > 60_000) {
      throw new Error('the relay did not bring events of every agent within 60 s');
    }
    await sleep(100);
  }
  const allConnectedMs = Date.now() - connectStarted;
  const held = (await Promise.all(fleet.agents.map(streamClients))).reduce((a, b) => a + b, 0);
  // A window of steady relaying, compared with the agents' audit logs.
  const from = Date.now();
  const cpu = await cpuPercent([pluginPid], LIVE_SECONDS * 1000);
  const until = Date.now() - 2000; // what reached the audit log by then has reached the stream
  await sleep(1000);
  let written = 0;
  let lost = 0;
  const delays: number[] = [];
  for (const agent of fleet.agents) {
    const audit = agent.auditSince(from, until);
    const relayed = sub
      .of(agent.address)
      .filter((e) => Date.parse(e.timestamp) >= from && Date.parse(e.timestamp) <= until);
    written += audit.length;
    lost += compareWithAudit(audit, relayed).missing.length;
    delays.push(...relayed.map((e) => e.receivedAt - Date.parse(e.timestamp)));
  }
  const seconds = (until - from) / 1000;
  const rssDuring = rssMiB(pluginPid);
  out.steady = {
    connections: held,
    allConnectedMs,
    eventsPerSecondWritten: written / seconds,
    eventsLost: lost,
    delayMsMedian: median(delays),
    delayMsP99: percentile(delays, 99),
    pluginCpuPercent: cpu,
    pluginIdleCpuPercent: idleCpu,
    pluginRssMiB: { before: rssBefore, during: rssDuring },
  };
  console.log(
    line([
      'agents',
      'connections held',
      'all relayed after ms',
      'events/s written (relayed, lost)',
      'delay median (p99) ms',
      'executable CPU % of a core (idle)',
      'executable RSS MiB (before)',
    ])
  );
  console.log(line(['---', '---', '---', '---', '---', '---', '---']));
  console.log(
    line([
      fleet.agents.length,
      held,
      allConnectedMs,
      `${f1(written / seconds)} (${f1((written - lost) / seconds)}, ${lost})`,
      `${f1(median(delays))} (${f1(percentile(delays, 99))})`,
      `${f1(cpu)} (${f1(idleCpu)})`,
      `${f1(rssDuring)} (${f1(rssBefore)})`,
    ])
  );

  // More channels: a panel per container opens its own relay of every agent.
  const channels = SHORT ? 2 : 8;
  const containers = (await (await fetch(`${fleet.agents[0].url}/api/v1/containers`)).json()) as {
    containers: Array<{ id: string }>;
  };
  const extra = Array.from(
    { length: channels - 1 },
    (_, i) =>
      new LiveSubscription(
        plugin.client,
        `decisions/${containers.containers[0]?.id ?? 'none'}${i === 0 ? '' : `-${i}`}`,
        fleet.config('live')
      )
  );
  await sleep(5000);
  const heldMany = (await Promise.all(fleet.agents.map(streamClients))).reduce((a, b) => a + b, 0);
  const cpuMany = await cpuPercent([pluginPid], 10_000);
  const rssMany = rssMiB(pluginPid);
  extra.forEach((s) => s.cancel());
  out.channels = { channels, connections: heldMany, pluginCpuPercent: cpuMany, pluginRssMiB: rssMany };
  console.log(
    `\n${channels} channels (1 for all decisions, ${channels - 1} for one container each): ${heldMany} agent connections held, executable CPU ${f1(cpuMany)} % of a core, RSS ${f1(rssMany)} MiB`
  );

  // Ten agents restart together.
  const restarted = fleet.agents.slice(0, Math.min(10, fleet.agents.length));
  const before = Date.now();
  await Promise.all(restarted.map((a) => a.stop()));
  const stoppedAt = Date.now();
  restarted.forEach((a) => a.start());
  await Promise.all(restarted.map((a) => a.ready()));
  const readyAt = Date.now();
  // For each restarted agent: its first event after the restart, and how long it took to reach the subscriber.
  const back = new Map<string, number>();
  while (back.size < restarted.length && Date.now() - readyAt < 120_000) {
    for (const a of restarted) {
      if (!back.has(a.address)) {
        const first = sub.of(a.address).find((e) => Date.parse(e.timestamp) > stoppedAt);
        if (first) {
          back.set(a.address, first.receivedAt - Date.parse(first.timestamp));
        }
      }
    }
    await sleep(100);
  }
  await sleep(3000);
  const windowEnd = Date.now() - 2000;
  let restartWritten = 0;
  let restartLost = 0;
  for (const agent of fleet.agents) {
    const audit = agent.auditSince(before, windowEnd);
    const relayed = sub
      .of(agent.address)
      .filter((e) => Date.parse(e.timestamp) >= before && Date.parse(e.timestamp) <= windowEnd);
    restartWritten += audit.length;
    restartLost += compareWithAudit(audit, relayed).missing.length;
  }
  const reconnect = [...back.values()];
  sub.cancel();
  out.restart = {
    agents: restarted.length,
    stopSeconds: (stoppedAt - before) / 1000,
    startSeconds: (readyAt - stoppedAt) / 1000,
    relayedAgain: back.size,
    firstEventDelayMsMedian: median(reconnect),
    firstEventDelayMsMax: Math.max(...reconnect),
    eventsWritten: restartWritten,
    eventsLost: restartLost,
  };
  console.log(
    `\nten agents restarted together (${restarted.length}): stopped in ${f1((stoppedAt - before) / 1000)} s, ready again ${f1((readyAt - stoppedAt) / 1000)} s later; ` +
      `relayed again: ${back.size} of ${restarted.length}, the first event of each new run reached the subscriber ${f1(median(reconnect))} ms after it happened (median), ${f1(Math.max(...reconnect))} ms (max); ` +
      `events written by the fleet meanwhile ${restartWritten}, missing from the stream ${restartLost}`
  );
  if (sub.error) {
    throw sub.error;
  }
  return out;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  }
);
