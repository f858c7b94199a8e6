// Resource endpoints of the backend datasource (CallResource), which the query,
// variable and config editors call through `getResource(path, params)`:
// `/api/datasources/uid/<uid>/resources/<path>`. Every endpoint answers JSON
// with one named list, so a new field never breaks an older editor.

export const RESOURCE_AGENTS = 'agents';
export const RESOURCE_CONTAINERS = 'containers';
export const RESOURCE_SYSCALLS = 'syscalls';
export const RESOURCE_PROFILES = 'profiles';
export const RESOURCE_LABEL_VALUES = 'label-values';

/** One agent the datasource knows, from static config or Prometheus discovery. */
export interface AgentRef {
  /** Base URL the backend reaches the agent at, for example `http://node-1:9090`. */
  url: string;
  /** Prometheus `instance` label (or the URL's host:port for static agents). */
  instance: string;
  up: boolean;
  version?: string;
  variant?: string;
  /** Why the agent is down or unknown, when it is. */
  error?: string;
}

/** GET agents */
export interface AgentsResource {
  agents: AgentRef[];
}

/** GET containers[?agent=<instance>] */
export interface ContainersResource {
  containers: Array<{ id: string; name: string; profile: string; state: string; agent: string }>;
}

/** GET syscalls[?selector=<matchers>]: syscall names seen in zviz_broker_decisions_total. */
export interface SyscallsResource {
  syscalls: string[];
}

/** GET profiles: profile names from zviz_container_info. */
export interface ProfilesResource {
  profiles: string[];
}

/** GET label-values?label=<name>[&match=<series selector>]: Prometheus label values. */
export interface LabelValuesResource {
  values: string[];
}
