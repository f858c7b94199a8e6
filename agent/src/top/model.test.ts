import { agentHealth } from '@zviz/test-support/agent-health';
import { describe, expect, it, vi } from 'vitest';

import { exposition, ok, poll, quietStream } from '../../test/support/top-polls';
import { Exposition } from './exposition';
import { buildView, TOP_FAMILIES, type ViewOptions } from './model';

const OPTIONS: ViewOptions = { syscallSort: 'rate', containerSort: 'cpu' };
const LATENCY_BOUNDS = 19;

/** Cumulative buckets: `fast` observations at or below 10 µs, `slow` more at or below 1 ms. */
function latency(fast: number, slow: number) {
  const buckets = Array.from({ length: LATENCY_BOUNDS }, (_, i) => (i < 3 ? 0 : i < 9 ? fast : fast + slow));
  return [{ labels: {}, buckets, sum: 0, count: fast + slow }];
}

async function brokerPolls() {
  const first = await exposition({
    zviz_broker_decisions_total: [
      { labels: { syscall: 'openat', decision: 'allow' }, value: 100 },
      { labels: { syscall: 'openat', decision: 'deny' }, value: 10 },
      { labels: { syscall: 'connect', decision: 'log' }, value: 5 },
      { labels: { syscall: 'ptrace', decision: 'kill' }, value: 1 },
    ],
    zviz_broker_requests_total: [{ labels: {}, value: 116 }],
    zviz_broker_errors_total: [{ labels: {}, value: 0 }],
    zviz_broker_inflight: [{ labels: {}, value: 0 }],
    zviz_broker_latency_seconds: latency(100, 16),
    zviz_security_denials_total: [
      { labels: { layer: 'seccomp' }, value: 50 },
      { labels: { layer: 'broker' }, value: 11 },
    ],
    zviz_resource_usage: [{ labels: { container_id: 'c0ffee000001aaaa', resource_type: 'cpu' }, value: 0.5 }],
    zviz_resource_utilization_ratio: [
      { labels: { container_id: 'c0ffee000001aaaa', resource_type: 'memory' }, value: 0.92 },
    ],
    zviz_resource_alert_level: [{ labels: { container_id: 'c0ffee000001aaaa', resource_type: 'memory' }, value: 2 }],
    zviz_memory_usage_bytes: [{ labels: { container_id: 'c0ffee000001aaaa' }, value: 64 * 1024 * 1024 }],
    zviz_container_uptime_seconds: [{ labels: { container_id: 'c0ffee000001aaaa' }, value: 90 }],
  });
  // Two seconds later: 40 more allowed and 20 more denied openat, nothing else on the syscalls,
  // and every new broker answer slow.
  const second = await exposition({
    zviz_broker_decisions_total: [
      { labels: { syscall: 'openat', decision: 'allow' }, value: 140 },
      { labels: { syscall: 'openat', decision: 'deny' }, value: 30 },
      { labels: { syscall: 'connect', decision: 'log' }, value: 5 },
      { labels: { syscall: 'ptrace', decision: 'kill' }, value: 1 },
      { labels: { syscall: 'mount', decision: 'deny' }, value: 2 },
    ],
    zviz_broker_requests_total: [{ labels: {}, value: 178 }],
    zviz_broker_errors_total: [{ labels: {}, value: 0 }],
    zviz_broker_inflight: [{ labels: {}, value: 3 }],
    zviz_broker_latency_seconds: latency(100, 78),
    zviz_security_denials_total: [
      { labels: { layer: 'seccomp' }, value: 60 },
      { labels: { layer: 'broker' }, value: 33 },
    ],
  });
  return { first: poll(10_000, first), second: poll(12_000, second) };
}

describe('buildView', () => {
  it('turns two polls into per-syscall rates, refusals and decision counts', async () => {
    const { first, second } = await brokerPolls();
    const view = buildView(second, first, quietStream(), OPTIONS);
    expect(view.windowSeconds).toBe(2);
    const openat = view.syscalls.find((r) => r.syscall === 'openat')!;
    expect(openat.all).toEqual({ total: 170, rate: 30 });
    expect(openat.refused).toEqual({ total: 30, rate: 10 });
    expect(openat.byDecision).toEqual({ allow: { total: 140, rate: 20 }, deny: { total: 30, rate: 10 } });
    // A syscall first seen in the second poll counts from 0.
    expect(view.syscalls.find((r) => r.syscall === 'mount')!.refused).toEqual({ total: 2, rate: 1 });
    expect(view.syscalls.find((r) => r.syscall === 'ptrace')!.refused).toEqual({ total: 1, rate: 0 });
    expect(view.syscalls.map((r) => r.syscall)).toEqual(['openat', 'mount', 'connect', 'ptrace']);
  });

  it('gives the broker load, the p99 of the last interval and since start, and denials by layer', async () => {
    const { first, second } = await brokerPolls();
    const view = buildView(second, first, quietStream(), OPTIONS);
    expect(view.broker).toMatchObject({ status: 'running', inflight: 3, requests: { total: 178, rate: 31 } });
    // All 62 answers of the interval took between 100 µs and 1 ms (bucket 0.0001..0.00025 … 0.001).
    expect(view.broker.p99Recent).toBeGreaterThan(0.0005);
    expect(view.broker.p99Recent).toBeLessThanOrEqual(0.001);
    expect(view.broker.p99All).toBeLessThanOrEqual(0.001);
    expect(view.denials.total).toEqual({ total: 93, rate: 16 });
    expect(view.denials.byLayer).toEqual([
      { layer: 'broker', total: 33, rate: 11 },
      { layer: 'seccomp', total: 60, rate: 5 },
    ]);
  });

  it('shows totals without rates from a single poll', async () => {
    const { first } = await brokerPolls();
    const view = buildView(first, undefined, quietStream(), OPTIONS);
    expect(view.windowSeconds).toBeUndefined();
    expect(view.syscalls.find((r) => r.syscall === 'openat')!.all).toEqual({ total: 110 });
    expect(view.broker.p99Recent).toBeUndefined();
    expect(view.broker.p99All).toBeGreaterThan(0);
  });

  it('reads no family but those top asks the agent for (TOP_FAMILIES)', async () => {
    const { first, second } = await brokerPolls();
    const read = new Set<string>();
    const methods = ['has', 'series', 'value', 'histogram', 'ofContainer'] as const;
    const spies = methods.map((method) => {
      const original = Exposition.prototype[method] as (family: string, ...rest: unknown[]) => unknown;
      return vi.spyOn(Exposition.prototype, method).mockImplementation(function (
        this: Exposition,
        family: string,
        ...rest: unknown[]
      ) {
        read.add(family);
        return original.call(this, family, ...rest);
      } as never);
    });
    try {
      buildView(second, first, quietStream(), OPTIONS);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    expect(read.size).toBeGreaterThan(8);
    expect([...read].filter((family) => !TOP_FAMILIES.includes(family))).toEqual([]);
  });

  it('counts from zero after the agent restarted, as rate() does', async () => {
    const { second, first } = await brokerPolls();
    const view = buildView({ ...first, at: 14_000 }, second, quietStream(), OPTIONS);
    expect(view.syscalls.find((r) => r.syscall === 'openat')!.all).toEqual({ total: 110, rate: 55 });
    expect(view.broker.p99Recent).toBeUndefined();
  });

  it('sorts syscalls by the chosen key, ties by name', async () => {
    const { first, second } = await brokerPolls();
    const order = (syscallSort: ViewOptions['syscallSort']) =>
      buildView(second, first, quietStream(), { ...OPTIONS, syscallSort }).syscalls.map((r) => r.syscall);
    expect(order('total')).toEqual(['openat', 'connect', 'mount', 'ptrace']);
    expect(order('refused')).toEqual(['openat', 'mount', 'connect', 'ptrace']);
    expect(order('name')).toEqual(['connect', 'mount', 'openat', 'ptrace']);
  });

  it('joins containers with their resource use and the refusals the stream showed', async () => {
    const { first } = await brokerPolls();
    const stream = quietStream({ refusedByContainer: new Map([['c0ffee000001aaaa', 4]]) });
    const view = buildView(first, undefined, stream, OPTIONS);
    expect(view.containers).toEqual([
      expect.objectContaining({
        id: 'c0ffee000001aaaa',
        state: 'running',
        uptimeSeconds: 90,
        restarts: 1,
        cpuCores: 0.5,
        memoryBytes: 64 * 1024 * 1024,
        memoryRatio: 0.92,
        alertLevel: 2,
        refusedSeen: 4,
      }),
      expect.objectContaining({ id: 'c0ffee000002bbbb', state: 'exited', exitCode: 1, uptimeSeconds: undefined }),
    ]);
  });

  it('says which part is missing: no container manager, no broker, no metrics, no agent', async () => {
    const bare = await exposition({ zviz_broker_inflight: [] });
    const noBroker = buildView(
      poll(0, bare, {
        health: ok(agentHealth({ broker: { status: 'disabled', inflight: 0 } })),
        containers: { ok: false, absent: true, error: '/api/v1/containers: HTTP 404' },
      }),
      undefined,
      quietStream(),
      OPTIONS
    );
    expect(noBroker.containersNote).toMatch(/no container manager/);
    expect(noBroker.syscallsNote).toBe('no broker decisions exported (broker disabled)');
    expect(noBroker.unreachable).toBeUndefined();

    // A broker that has decided nothing yet: its requests count from 0, its decisions have no series.
    const idle = buildView(
      poll(0, await exposition({ zviz_broker_requests_total: [{ labels: {}, value: 0 }] }), {
        health: ok(agentHealth()),
      }),
      undefined,
      quietStream(),
      OPTIONS
    );
    expect(idle.syscallsNote).toBe('no decisions yet');

    const refused = 'cannot reach http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1';
    const down = buildView(
      poll(0, bare, {
        health: { ok: false, error: refused },
        containers: { ok: false, error: refused },
        metrics: { ok: false, error: refused },
      }),
      undefined,
      quietStream({ status: 'reconnecting' }),
      OPTIONS
    );
    expect(down.unreachable).toBe(refused);
    expect(down.agent).toBeUndefined();
  });
});
