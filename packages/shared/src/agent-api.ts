// JSON shapes of the agent's HTTP API (/health, /api/v1/*), shared by the
// agent that serves them, the backend datasource that reads them and the
// frontend that renders them. Field names are snake_case, as docs/agent.md
// (HTTP API) documents them.

/**
 * Paths of the agent's HTTP API from the agent's root: what the agent routes
 * and what its clients (zviz top and health, the backend datasource) ask.
 */
export const AGENT_PATHS = {
  metrics: '/metrics',
  health: '/health',
  ready: '/ready',
  containers: '/api/v1/containers',
  decisions: '/api/v1/decisions',
  decisionStream: '/api/v1/decisions/stream',
} as const;

export const DECISIONS = ['allow', 'emulate', 'log', 'deny', 'trap', 'kill'] as const;
export type Decision = (typeof DECISIONS)[number];

export const DENIAL_LAYERS = ['seccomp', 'broker', 'cgroup'] as const;
export type DenialLayer = (typeof DENIAL_LAYERS)[number];

export const CONTAINER_STATES = ['created', 'running', 'restarting', 'exited', 'failed'] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** One audit record, as written to the audit log and served by /api/v1/decisions. */
export interface AuditRecord {
  timestamp: string;
  event_type: string;
  container_id: string;
  syscall: string;
  args: Record<string, string | number | boolean>;
  decision: Decision;
  latency_us: number;
  layer: DenialLayer;
}

/** An audit record as the API serves it: with a sequence number for resuming. */
export interface DecisionEvent extends AuditRecord {
  /** Monotonic per agent process; `since` and SSE `Last-Event-ID` take it. */
  seq: number;
  pid?: number;
  profile?: string;
  /** errno returned to the workload, for deny decisions. */
  errno?: number;
}

/** GET /api/v1/decisions */
export interface DecisionsResponse {
  events: DecisionEvent[];
  /** Pass as `since` to get only newer events. */
  next: number;
  /** Events that had left the bounded ring before this request asked for them. */
  missed: number;
}

export interface ContainerInfo {
  id: string;
  name: string;
  profile: string;
  state: ContainerState;
  pid?: number;
  started_at?: string;
  restarts: number;
  exit_code?: number;
  cgroup?: string;
  limits?: { memory_bytes?: number; cpus?: number; pids?: number; io_read_bps?: number; io_write_bps?: number };
}

/** GET /api/v1/containers */
export interface ContainersResponse {
  containers: ContainerInfo[];
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';
export type ComponentStatus = 'ok' | 'degraded' | 'disabled' | 'failed' | 'starting';

export interface ComponentHealth {
  status: ComponentStatus;
  /** Why the component is not ok, in words an operator can act on. */
  reason?: string;
  /**
   * A degraded component that still does its whole job says so: /ready and
   * zviz_component_ready count it ready. What its reason names then is not the
   * component's to fix (a workload may have caused it), and a readiness probe,
   * a rollout or ZVizBrokerNotReady must not turn on it.
   */
  ready?: boolean;
  [detail: string]: unknown;
}

/** GET /health: the top-level fields of docs/agent.md (/health) first, then each component's own report. */
export interface HealthReport {
  status: HealthStatus;
  version: string;
  uptime: number;
  containers: number;
  broker: { status: string; inflight: number };
  node?: string;
  variant?: string;
  components: Record<string, ComponentHealth>;
}
