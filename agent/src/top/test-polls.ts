// Polls for tests: /metrics rendered by the agent's own registry from
// chosen values (so the text is exactly what an agent serves), next to
// /health and /api/v1/containers answers of the API's types.
import type { ContainerInfo, HealthReport } from '@zviz/shared/agent-api';

import { MetricsRegistry } from '../metrics/registry';
import type { FamilySamples } from '../metrics/source';
import { Exposition } from './exposition';
import type { Fetched, Poll, StreamState } from './model';

export async function exposition(values: Record<string, FamilySamples>): Promise<Exposition> {
  const registry = new MetricsRegistry();
  registry.addSource({ families: Object.keys(values), collect: () => new Map(Object.entries(values)) });
  return Exposition.parse((await registry.scrape('text')).body.toString('utf8'));
}

export function health(overrides: Partial<HealthReport> = {}): HealthReport {
  return {
    status: 'healthy',
    version: '0.1.0',
    uptime: 3723,
    containers: 2,
    broker: { status: 'running', inflight: 1 },
    node: 'node-1',
    variant: 'production',
    components: {
      http: { status: 'ok' },
      audit: { status: 'ok', path: '/var/log/zviz/audit.json', queued: 0, dropped: 0, written: 10 },
      broker: { status: 'ok' },
      tracer: { status: 'degraded', reason: 'tcp family not attached: tracepoint tcp:tcp_probe missing' },
    },
    ...overrides,
  };
}

export const CONTAINERS: ContainerInfo[] = [
  {
    id: 'c0ffee000001aaaa',
    name: 'ci-job',
    profile: 'ci-runner',
    state: 'running',
    pid: 4242,
    started_at: '2024-01-15T10:00:00.000Z',
    restarts: 1,
  },
  { id: 'c0ffee000002bbbb', name: 'noisy', profile: 'strict', state: 'exited', restarts: 0, exit_code: 1 },
];

export function ok<T>(value: T): Fetched<T> {
  return { ok: true, value };
}

export function poll(at: number, metrics: Exposition, overrides: Partial<Poll> = {}): Poll {
  return { at, health: ok(health()), containers: ok(CONTAINERS), metrics: ok(metrics), ...overrides };
}

export function quietStream(overrides: Partial<StreamState> = {}): StreamState {
  return { status: 'connected', received: 0, missed: 0, recent: [], refusedByContainer: new Map(), ...overrides };
}
