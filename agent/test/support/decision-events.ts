// Decision events for tests: the audit record example of docs/agent.md (Audit log), with overrides.
import type { NewDecisionEvent } from '../../src/events/hub';

/** The monitoring guide's eight audit record fields, in its order; ZViz's own fields follow them. */
export const GUIDE_AUDIT_FIELDS = [
  'timestamp',
  'event_type',
  'container_id',
  'syscall',
  'args',
  'decision',
  'latency_us',
  'layer',
];

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
