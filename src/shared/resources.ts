// The backend datasource's resources, for the query editors and app pages:
// GET /api/datasources/uid/<uid>/resources/<path>. Every answer is JSON;
// errors are `{ "error": "..." }` with a 4xx/5xx status.
import type { ContainerInfo } from './agent-api';

export const RESOURCE_PATHS = ['agents', 'containers', 'syscalls', 'profiles', 'label-values'] as const;
export type ResourcePath = (typeof RESOURCE_PATHS)[number];

export interface AgentEntry {
  /** `host:port`, as Prometheus' `instance` label names it. */
  name: string;
  url: string;
  source: 'static' | 'prometheus';
  /** Prometheus' `up` for the target (discovery through Prometheus only). */
  up?: boolean;
}

/** GET agents */
export interface AgentsResource {
  agents: AgentEntry[];
}

/** One agent that could not answer a fan-out request. */
export interface AgentFailure {
  agent: string;
  error: string;
}

/** GET containers: the union of every agent's /api/v1/containers. */
export interface ContainersResource {
  containers: Array<ContainerInfo & { agent: string }>;
  errors: AgentFailure[];
}

/** GET syscalls: values of `syscall` in zviz_broker_decisions_total, sorted. */
export interface SyscallsResource {
  syscalls: string[];
}

/** GET profiles: profile names in use (agents' containers and zviz_container_info). */
export interface ProfilesResource {
  profiles: string[];
  errors: AgentFailure[];
}

/** GET label-values?label=<name>[&match=<series selector>]: Prometheus label values. */
export interface LabelValuesResource {
  values: string[];
}

export interface ResourceError {
  error: string;
}
