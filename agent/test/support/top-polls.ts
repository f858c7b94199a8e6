// Polls for zviz top's tests: /metrics rendered by the agent's own registry
// from chosen values (so the text is exactly what an agent serves), next to
// /health (test/support/agent-health.ts) and /api/v1/containers answers of
// the API's types.
import type { ContainerInfo } from '@zviz/shared/agent-api';
import { agentHealth } from '@zviz/test-support/agent-health';

import { MetricsRegistry } from '../../src/metrics/registry';
import type { FamilySamples } from '../../src/metrics/source';
import { Exposition } from '../../src/top/exposition';
import type { Fetched, Poll, StreamState } from '../../src/top/model';

export async function exposition(values: Record<string, FamilySamples>): Promise<Exposition> {
  const registry = new MetricsRegistry();
  registry.addSource({ families: Object.keys(values), collect: () => new Map(Object.entries(values)) });
  return Exposition.parse((await registry.scrape('text')).body.toString('utf8'));
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
  return { at, health: ok(agentHealth()), containers: ok(CONTAINERS), metrics: ok(metrics), ...overrides };
}

export function quietStream(overrides: Partial<StreamState> = {}): StreamState {
  return { status: 'connected', received: 0, missed: 0, recent: [], refusedByContainer: new Map(), ...overrides };
}
