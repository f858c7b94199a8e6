// The one /health answer tests use for a ZViz agent, as the agent composes it
// (agent/src/agent.ts): a tracer family the kernel cannot attach leaves the
// agent degraded; the broker's top-level status is its component's own word,
// `running` (agent/src/broker/component.ts). Tests change what they need
// through overrides.
import type { HealthReport } from '@zviz/shared/agent-api';

export function agentHealth(overrides: Partial<HealthReport> = {}): HealthReport {
  return {
    status: 'degraded',
    version: '0.1.0',
    uptime: 3723.5,
    containers: 2,
    broker: { status: 'running', inflight: 1 },
    node: 'node-1',
    variant: 'production',
    components: {
      http: { status: 'ok' },
      audit: { status: 'ok', path: '/var/log/zviz/audit.json', queued: 0, dropped: 0, written: 10 },
      broker: { status: 'ok', sync_wakeup: true },
      tracer: { status: 'degraded', reason: 'tracepoint tcp:tcp_probe unavailable; TCP RTT disabled' },
      cgroups: { status: 'ok' },
    },
    ...overrides,
  };
}
