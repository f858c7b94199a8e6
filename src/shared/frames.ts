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
 * `decisions` query, trend shape: next to the wide frame, one time series
 * frame per syscall named DECISION_TREND_FRAME, with a `time` field and a
 * number field `value` labelled {syscall, decision}: the decision rate per
 * second over the range, which the panel draws as sparklines.
 */
export const DECISION_TREND_FRAME = 'decision_trend';

/** `audit` query: a logs frame (time, body, severity, labels) plus the record fields. */
export const AUDIT_FRAME = 'audit';

/** `health` query: one row per agent. */
export const HEALTH_FRAME = 'agents';
