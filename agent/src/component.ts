import type { ComponentHealth } from '@zviz/shared/agent-api';

import type { CoreConfig } from './config/schema';

/**
 * A long-running part of the agent (audit log, broker, tracer, cgroup
 * reader). The agent creates them from defaultComponents() in agent.ts, starts them
 * in that order, stops them in reverse on SIGTERM/SIGINT, and builds /health
 * and /ready from their reports.
 *
 * Two optional details of `health()` feed the top-level /health fields
 * (docs/agent.md, /health): a numeric `containers` (summed over components) and
 * `broker: { status, inflight }` (taken from the component that reports it).
 *
 * `Sections` are the configuration sections the component reads beside the
 * core's: its own, declared next to its code (the agent hands every component
 * the whole configuration, assembly/config-sections.ts).
 */
export interface Component<Sections extends object = object> {
  readonly name: string;
  /** /ready answers 503 until every required component reports `ok`. */
  readonly required: boolean;
  /** Throwing marks the component `failed` with the error as reason; the agent keeps running. */
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): ComponentHealth;
  /**
   * Applies a reloaded, validated configuration (SIGHUP). Throwing reports
   * the reload as failed; the component keeps what it had.
   */
  reload?(config: CoreConfig & Sections): void | Promise<void>;
}
