// Decision events for tests: the audit record example of docs/agent.md (Audit log), with overrides.
import type { NewDecisionEvent } from '../../src/events/hub';

export function decision(overrides: Partial<NewDecisionEvent> = {}): NewDecisionEvent {
  return {
    timestamp: '2024-01-15T10:30:00.123Z',
    event_type: 'syscall',
    container_id: 'abc123',
    syscall: 'openat',
    args: { path: '/etc/passwd', flags: 'O_RDONLY' },
    decision: 'allow',
    latency_us: 45,
    layer: 'broker',
    ...overrides,
  };
}
