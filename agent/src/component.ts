import type { ComponentHealth } from '@zviz/shared/agent-api';

/**
 * A long-running part of the agent (server, audit log, broker, tracer,
 * cgroup reader). The agent starts them in order, stops them in reverse, and
 * builds /health and /ready from their reports.
 */
export interface Component {
  readonly name: string;
  /** /ready answers 503 until every required component reports `ok`. */
  readonly required: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): ComponentHealth;
}
