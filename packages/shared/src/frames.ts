// Names in the data frames the backend datasource returns and the frontend
// reads. The backend builds these frames; the decisions panel, the editors and
// the app pages consume them. Keep both sides on these constants.

/**
 * `decisions` query, table shape: one wide frame named DECISIONS_FRAME with a
 * string field `syscall`, one number field per decision (named after the
 * decision: allow, emulate, log, deny, trap, kill) and `total`. Values are
 * counts over the range (mode `count`) or per-second rates (mode `rate`);
 * `meta.custom` carries DecisionsFrameMeta.
 */
export const DECISIONS_FRAME = 'decisions';
export const SYSCALL_FIELD = 'syscall';
export const TOTAL_FIELD = 'total';

export interface DecisionsFrameMeta {
  mode: 'count' | 'rate';
  /** Seconds covered by the counts or rates. */
  rangeSeconds: number;
  /** Broker p99 latency over the range in seconds, when Prometheus has it. */
  p99LatencySeconds?: number;
}

/**
 * `decisions` query, trend shape: next to the wide frame, ONE time series
 * frame named DECISION_TREND_FRAME (meta.type `timeseries-wide`): a `time`
 * field, then one number field `value` per (syscall, decision) labelled
 * {syscall, decision}, holding the decision rate per second over the range,
 * which the panel draws as sparklines. Read every `value` field of the frame,
 * not only the first. (One frame for all series keeps 300 syscalls to one
 * Arrow file.) Mode `timeseries` returns only this frame.
 */
export const DECISION_TREND_FRAME = 'decision_trend';
export const TIME_FIELD = 'time';
export const VALUE_FIELD = 'value';

/**
 * `audit` query and the live stream `ds/<uid>/decisions[/<container>]`: a
 * logs frame in Grafana's log-lines shape (timestamp, body, severity, id,
 * labels as JSON), then the record fields, newest first.
 */
export const AUDIT_FRAME = 'audit';
export const AUDIT_FIELDS = {
  timestamp: 'timestamp',
  body: 'body',
  severity: 'severity',
  /** `<agent>/<seq>`: unique across agents. */
  id: 'id',
  labels: 'labels',
  agent: 'agent',
  containerId: 'container_id',
  syscall: 'syscall',
  decision: 'decision',
  layer: 'layer',
  latencyUs: 'latency_us',
  eventType: 'event_type',
  seq: 'seq',
  profile: 'profile',
  pid: 'pid',
  errno: 'errno',
  /** The syscall's arguments as JSON text. */
  args: 'args',
} as const;

/**
 * `health` query: one row per agent. Fixed fields first, then per component
 * reported by any agent `component_<name>` (its status) and
 * `component_<name>_reason`. An agent that did not answer has status
 * `unreachable` and the reason in `error`.
 */
export const HEALTH_FRAME = 'agents';
export const HEALTH_FIELDS = {
  agent: 'agent',
  status: 'status',
  version: 'version',
  /** Seconds. */
  uptime: 'uptime',
  containers: 'containers',
  brokerStatus: 'broker_status',
  brokerInflight: 'broker_inflight',
  node: 'node',
  variant: 'variant',
  error: 'error',
} as const;
export const HEALTH_COMPONENT_PREFIX = 'component_';
export const UNREACHABLE_STATUS = 'unreachable';
/** The health row of an agent that answered, but not with a ZViz health report (the reason is in `error`). */
export const INVALID_ANSWER_STATUS = 'invalid answer';
