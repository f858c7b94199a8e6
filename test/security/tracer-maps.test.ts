// Attack class: blinding the tracer (attacks/tracer-flood.c). The tracer
// keeps start-to-end entries (DNS queries, connects, blocked threads, block
// requests) and its histograms in kernel maps every traced container shares.
// A workload that fills one must not make the tracer lose another
// container's figures: each container has a reserved share of each map,
// taken before the insert in the kernel (docs/tracer.md "Fairness between
// containers"), what the flooder is refused is counted against it, and
// /health says degraded, naming it.
//
// Each test runs its own agent with small maps (so the flood is quick), the
// flooder and then a neighbour doing a known amount of work, under default
// (its sockets; the queries go to a loopback address nothing listens on), and
// reads the agent's /metrics while both still run.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { AttackAgent, attackSuite, outcomeOf, Scratch, type AttackRun, type AttackSuite } from './harness';

const MAX_CGROUPS = 16;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2];
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** A container of the test's agent, running tracer-flood until told to stop. */
interface Held {
  id: string;
  run: Promise<AttackRun>;
  stop(): Promise<AttackRun>;
}

async function hold(suite: AttackSuite, agent: AttackAgent, args: string[]): Promise<Held> {
  const before = new Set((await agent.containers()).map((c) => c.id));
  const scratch = Scratch.create();
  const run = suite.run({
    profile: 'default',
    mode: 'agent',
    agent,
    program: 'tracer-flood',
    args,
    scratch,
    timeoutMs: 150_000,
  });
  let ended: AttackRun | undefined;
  void run.then((r) => (ended = r));
  await waitFor(`tracer-flood ${args.join(' ')} to be ready`, async () => {
    if (ended) {
      throw new Error(`tracer-flood ${args.join(' ')} ended early:\n${ended.stdout}\n${ended.stderr}`);
    }
    return existsSync(join(scratch.workspace, 'ready'));
  });
  const id = (await agent.containers()).find((c) => !before.has(c.id))?.id;
  if (!id) {
    throw new Error('the container is running, but the agent does not list it');
  }
  return {
    id,
    run,
    stop: async () => {
      writeFileSync(join(scratch.workspace, 'stop'), '');
      return run;
    },
  };
}

async function scrape(agent: AttackAgent): Promise<Sample[]> {
  const response = await fetch(`${agent.url}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

async function tracerHealth(agent: AttackAgent): Promise<{ status: string; reason?: string }> {
  const health = (await (await fetch(`${agent.url}/health`)).json()) as {
    components: Record<string, { status: string; reason?: string }>;
  };
  return health.components.tracer;
}

attackSuite('attack: blinding the tracer through its shared maps', (suite) => {
  const agents: AttackAgent[] = [];
  afterAll(async () => {
    for (const agent of agents) {
      await agent.stop();
    }
  });

  async function agentWith(tracer: Record<string, unknown>): Promise<AttackAgent> {
    const agent = await AttackAgent.start({
      sections: { tracer: { max_cgroups: MAX_CGROUPS, read_interval_seconds: 0, ...tracer } },
    });
    agents.push(agent);
    return agent;
  }

  it("unanswered DNS queries by the thousand: the neighbour's queries are all timed, the flooder's excess refused and named", async () => {
    // pending 512 over 16 cgroups: 16 reserved each, a pool of 256.
    const agent = await agentWith({ map_sizes: { pending: 512 } });
    const flooder = await hold(suite, agent, ['dns-flood', '3000']);
    const neighbour = await hold(suite, agent, ['dns-victim', '20']);
    const samples = await scrape(agent);
    const health = await tracerHealth(agent);
    const [flooded, victim] = await Promise.all([flooder.stop(), neighbour.stop()]);

    expect(outcomeOf(flooded, 'dns-flood')).toBe('sent 3000');
    expect(outcomeOf(victim, 'dns-victim')).toBe('answered 20');
    expect(valueOf(samples, 'zviz_dns_latency_seconds_count', { container_id: neighbour.id })).toBe(20);
    // Counted from its first syscall: the tracer knows the container before its workload runs.
    expect(valueOf(samples, 'zviz_syscalls_total', { container_id: neighbour.id, syscall: 'execve' })).toBeGreaterThan(
      0
    );
    // What the flooder could not insert: all of it but its share and the pool (give or take a CPU's race).
    const refused = valueOf(samples, 'zviz_tracer_quota_refused_total', {
      container_id: flooder.id,
      map: 'dns_pending',
    });
    expect(refused).toBeGreaterThanOrEqual(3000 - 16 - 256 - 4);
    expect(valueOf(samples, 'zviz_tracer_events_lost_total', { family: 'dns', reason: 'quota' })).toBe(refused);
    expect(valueOf(samples, 'zviz_tracer_events_lost_total', { family: 'dns', reason: 'map_full' })).toBe(0);
    expect(samples.filter((s) => s.labels.container_id === neighbour.id && s.name.includes('quota'))).toEqual([]);
    expect(health.status).toBe('degraded');
    expect(health.reason).toContain(`container ${flooder.id} was refused`);
    expect(health.reason).toContain('dns_pending');
    await suite.expectContained(flooded);
    await suite.expectContained(victim);
  }, 200_000);

  it("thousands of thread names with process_name on: the neighbour's histograms still get their entries", async () => {
    // stats 4096 over 16 cgroups: 128 reserved each, a pool of 2048.
    const agent = await agentWith({ labels: { process_name: true }, map_sizes: { stats: 4096 } });
    const flooder = await hold(suite, agent, ['names', '5000']);
    const neighbour = await hold(suite, agent, ['dns-victim', '20']);
    const samples = await scrape(agent);
    const [flooded, victim] = await Promise.all([flooder.stop(), neighbour.stop()]);

    expect(outcomeOf(flooded, 'names')).toBe('renamed 5000');
    expect(outcomeOf(victim, 'dns-victim')).toBe('answered 20');
    expect(
      valueOf(samples, 'zviz_dns_latency_seconds_count', {
        container_id: neighbour.id,
        process_name: 'tracer-flood',
      })
    ).toBe(20);
    expect(
      valueOf(samples, 'zviz_tracer_quota_refused_total', { container_id: flooder.id, map: 'stats' })
    ).toBeGreaterThan(5000 - 128 - 2048);
    expect(valueOf(samples, 'zviz_tracer_events_lost_total', { family: 'syscalls', reason: 'quota' })).toBeGreaterThan(
      0
    );
    await suite.expectContained(flooded);
    await suite.expectContained(victim);
  }, 200_000);

  it('thousands of thread names spend the series budget first: a container that starts later still gets its own series', async () => {
    // 64,000 syscall series over 16 containers: 2,000 reserved each (111 rows of 18 series; the
    // neighbour makes some 60 with its start-up's zviz-spawn and zviz-init), a pool of 32,000 (1,777
    // rows) that the flooder's 5,000 names spend.
    const agent = await agentWith({ labels: { process_name: true }, series_limits: { syscalls: 64_000 } });
    const flooder = await hold(suite, agent, ['names', '5000']);
    const first = await scrape(agent); // the flooder's label sets are admitted first
    const neighbour = await hold(suite, agent, ['dns-victim', '20']);
    const samples = await scrape(agent);
    const [flooded, victim] = await Promise.all([flooder.stop(), neighbour.stop()]);

    expect(outcomeOf(flooded, 'names')).toBe('renamed 5000');
    expect(outcomeOf(victim, 'dns-victim')).toBe('answered 20');
    expect(valueOf(first, 'zviz_series_overflow_total', { family: 'syscalls' })).toBeGreaterThan(0);
    // Its 20 queries' sends and the 20 answers its second socket sent: its own series, not `other`.
    expect(
      valueOf(samples, 'zviz_syscalls_total', {
        container_id: neighbour.id,
        syscall: 'sendto',
        process_name: 'tracer-flood',
      })
    ).toBe(40);
    expect(samples.some((s) => s.name === 'zviz_syscalls_total' && s.labels.container_id === flooder.id)).toBe(true);
    await suite.expectContained(flooded);
    await suite.expectContained(victim);
  }, 200_000);

  it("connects held in SYN_SENT by the thousand: the neighbour's connects are all timed", async () => {
    // pending 512 over 16 cgroups: 16 reserved each, a pool of 256.
    const agent = await agentWith({ map_sizes: { pending: 512 } });
    const flooder = await hold(suite, agent, ['connect-flood', '1000']);
    const neighbour = await hold(suite, agent, ['connect-victim', '20']);
    const samples = await scrape(agent);
    const health = await tracerHealth(agent);
    const [flooded, victim] = await Promise.all([flooder.stop(), neighbour.stop()]);

    expect(outcomeOf(flooded, 'connect-flood')).toBe('pending 1000');
    expect(outcomeOf(victim, 'connect-victim')).toBe('connected 20');
    expect(valueOf(samples, 'zviz_tcp_connect_latency_seconds_count', { container_id: neighbour.id })).toBe(20);
    expect(
      valueOf(samples, 'zviz_tracer_quota_refused_total', { container_id: flooder.id, map: 'connecting' })
    ).toBeGreaterThanOrEqual(1000 - 16 - 256 - 4);
    expect(health.reason).toContain(`container ${flooder.id} was refused`);
    await suite.expectContained(flooded);
    await suite.expectContained(victim);
  }, 200_000);

  it("threads asleep by the thousand: the neighbour's blocked time is still measured", async () => {
    // blocked_threads 1024 over 16 cgroups: 32 reserved each, a pool of 512.
    const agent = await agentWith({ map_sizes: { blocked_threads: 1024 } });
    const flooder = await hold(suite, agent, ['block-threads', '1500']);
    const neighbour = await hold(suite, agent, ['sleeps', '50']);
    const samples = await scrape(agent);
    const [flooded, victim] = await Promise.all([flooder.stop(), neighbour.stop()]);

    expect(outcomeOf(flooded, 'block-threads')).toBe('started 1500');
    expect(outcomeOf(victim, 'sleeps')).toBe('slept 50');
    // Its 50 sleeps, and whatever else it waited for.
    expect(valueOf(samples, 'zviz_cpu_block_seconds_count', { container_id: neighbour.id })).toBeGreaterThanOrEqual(50);
    expect(
      valueOf(samples, 'zviz_tracer_quota_refused_total', { container_id: flooder.id, map: 'blocked' })
    ).toBeGreaterThan(0);
    expect(valueOf(samples, 'zviz_tracer_events_lost_total', { family: 'cpu_block', reason: 'map_full' })).toBe(0);
    await suite.expectContained(flooded);
    await suite.expectContained(victim);
  }, 200_000);

  it('32-bit syscalls (int 0x80, which default lets through as Docker does) are counted, as syscall="unknown"', async () => {
    // Where a profile's archMap leaves i386 out, they are refused before the tracepoint (compat-abi.test.ts).
    const agent = await agentWith({});
    const compat = await hold(suite, agent, ['compat', '1000']);
    const samples = await scrape(agent);
    const run = await compat.stop();

    expect(outcomeOf(run, 'compat')).toBe('ok 1000');
    // Not hidden from the counts: counted apart, since their numbers mean other calls (docs/tracer.md).
    expect(
      valueOf(samples, 'zviz_syscalls_total', { container_id: compat.id, syscall: 'unknown' })
    ).toBeGreaterThanOrEqual(1000);
    // 64 is x86_64's semop: nothing counts them under a name they do not have.
    expect(valueOf(samples, 'zviz_syscalls_total', { container_id: compat.id, syscall: 'semop' })).toBeUndefined();
    expect(valueOf(samples, 'zviz_syscalls_total', { container_id: compat.id, syscall: 'getppid' }) ?? 0).toBeLessThan(
      1000
    );
    await suite.expectContained(run);
  }, 200_000);
});
