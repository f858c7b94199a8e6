// The agent's metric catalog: every family ZViz exports, with its type, help
// text, labels and buckets. It is the contract between the agent (which builds
// its registry from it), the dashboards and alert rules (whose PromQL a test
// checks against it) and the docs. Change a name here and those tests tell you
// what else must change.
//
// docs/metrics.md is generated from it (npm run generate:metrics-doc).
//
// Naming follows Prometheus conventions (base units, `_total` only on
// counters, no type names in metric names). The names ZViz's monitoring guide
// publishes are a contract its users copy into queries, alerts and runbooks:
// they are kept exactly, with the guide's types, even where `promtool check
// metrics` disagrees; such a family says why in `lintException`. Names from
// other products' guides are mapped onto conforming ZViz names (`knownAs`).

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Which part of the agent fills the family. */
export type Component = 'agent' | 'broker' | 'containers' | 'cgroups' | 'audit' | 'tracer';

/** Guides whose metric names users bring with them (docs/metrics.md names them). */
export type Guide = 'monitoring' | 'podtrace' | 'rollout';

export interface KnownName {
  guide: Guide;
  name: string;
}

/**
 * What a family shows from the moment its component runs, before anything
 * happened: `zero` a 0 sample for every label set it can have (no labels, or
 * labels from a closed list); `value` a sample with a current value (build
 * info, process metrics, readiness). Absent: only `# HELP` and `# TYPE` until
 * its first series, because its label values (a container, a syscall) cannot
 * be known in advance and inventing one would be a lie.
 */
export type Initial = 'zero' | 'value';

export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  /** Histogram bucket upper bounds, in the metric's base unit. */
  buckets?: readonly number[];
  component: Component;
  /** The unit of the values, for the docs; when absent it follows from the name (`_seconds`, `_bytes`, `_ratio`). */
  unit?: string;
  initial?: Initial;
  /** Names users of other guides know this family by. */
  knownAs?: readonly KnownName[];
  /** The promtool naming lint objects to this name, and why the name stays anyway. */
  lintException?: string;
  /** Why the name or shape differs from a guide, where it does. */
  note?: string;
}

/** Broker latency: from 1 µs, with a boundary at the 10 ms alert threshold. */
export const BROKER_LATENCY_BUCKETS = [
  0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
  0.05, 0.1, 0.25, 0.5, 1,
] as const;

/**
 * Tracer latencies: powers of two from 100 µs to about 52 s, as podtrace's
 * exponential buckets. Kernel maps keep log2 histograms, so these bounds are
 * exact re-bucketings of what the kernel counted.
 */
export const TRACE_LATENCY_BUCKETS = Array.from({ length: 20 }, (_, i) => Number((0.0001 * 2 ** i).toPrecision(6)));

/**
 * Syscall latencies: most syscalls take microseconds, so from 1 µs, in powers
 * of four (to keep per-syscall histograms small) up to about 67 s. Also exact
 * re-bucketings of the kernel's log2 histograms.
 */
export const SYSCALL_LATENCY_BUCKETS = Array.from({ length: 14 }, (_, i) => Number((0.000001 * 4 ** i).toPrecision(8)));

/** TCP states as the kernel names them (include/net/tcp_states.h), for zviz_tcp_state_changes_total. */
export const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
  'BOUND_INACTIVE',
] as const;

// Closed vocabularies for constrained labels live with the API types.
export { DECISIONS, DENIAL_LAYERS, CONTAINER_STATES } from '@zviz/shared/agent-api';
export type { Decision, DenialLayer, ContainerState } from '@zviz/shared/agent-api';

export const RESOURCE_TYPES = ['memory', 'cpu', 'pids', 'io'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The resource alert levels (docs/alerting.md): 0 none, 1 warning (80 %), 2 critical (90 %), 3 emergency (95 %). */
export const RESOURCE_ALERT_THRESHOLDS = [0.8, 0.9, 0.95] as const;

export const CATALOG: readonly MetricSpec[] = [
  // Identity and the agent's own health.
  {
    name: 'zviz_build_info',
    type: 'gauge',
    help: 'Build and deployment of this agent; always 1. Join on it to split any series by variant.',
    labels: ['version', 'variant', 'commit', 'build_time'],
    component: 'agent',
    unit: 'always 1',
    initial: 'value',
    knownAs: [{ guide: 'rollout', name: 'zai_proxy_build_info' }],
  },
  {
    name: 'zviz_component_ready',
    type: 'gauge',
    help: 'Whether an agent component is ready (1) or not (0); /ready answers 503 while any required one is 0.',
    labels: ['component'],
    component: 'agent',
    initial: 'value',
    unit: '1 ready, 0 not',
  },
  {
    name: 'zviz_agent_start_time_seconds',
    type: 'gauge',
    help: 'Unix time the agent started.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_agent_event_loop_lag_seconds',
    type: 'gauge',
    help: 'Event loop delay of the agent, 99th percentile over the last scrape interval.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_agent_scrape_duration_seconds',
    type: 'gauge',
    help: 'Time the agent took to render the previous /metrics response.',
    labels: [],
    component: 'agent',
  },
  {
    name: 'zviz_agent_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory of the agent process.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_agent_cpu_seconds_total',
    type: 'counter',
    help: 'CPU time the agent process has used, user and system.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_http_requests_total',
    type: 'counter',
    help: 'HTTP requests the agent answered, by route and status code.',
    labels: ['route', 'code'],
    component: 'agent',
  },
  {
    name: 'zviz_http_open_connections',
    type: 'gauge',
    help: 'Connections open to the HTTP server.',
    labels: [],
    component: 'agent',
  },
  {
    name: 'zviz_http_connections_closed_total',
    type: 'counter',
    help:
      'Connections the HTTP server closed itself, by reason: timeout (no request head in time), ' +
      'evicted (closed while waiting, to make room for a newer one), refused (no room at all), ' +
      'workload (from a sandboxed workload), slow_reader (its client left its answer untaken, closed to make ' +
      'room in the response budget).',
    labels: ['reason'],
    component: 'agent',
  },
  {
    name: 'zviz_http_response_pending_bytes',
    type: 'gauge',
    help:
      'Bytes of answers the HTTP server has written and its clients have not yet taken (answers to clients ' +
      'that stopped reading stay here), held against zviz_http_response_budget_bytes.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_http_response_budget_bytes',
    type: 'gauge',
    help:
      'Answer bytes the HTTP server holds for all its clients at most (metrics.response_budget_mb); ' +
      '/metrics may use all of it, the JSON API three quarters.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_http_response_budget_refusals_total',
    type: 'counter',
    help:
      'Requests answered 503 because the answers held for clients left no room in the response budget, by route ' +
      '(after closing the connections of clients that had stopped reading).',
    labels: ['route'],
    component: 'agent',
  },
  {
    name: 'zviz_http_password_hashes_total',
    type: 'counter',
    help:
      'bcrypt comparisons run to check basic-auth passwords (credentials checked before are remembered; ' +
      'the rest are bounded per client and overall, past which requests get 429 without one).',
    labels: [],
    component: 'agent',
  },
  {
    name: 'zviz_exported_series',
    type: 'gauge',
    help: 'Series the agent exports per family group, after caps.',
    labels: ['family'],
    component: 'agent',
    unit: 'series',
  },
  {
    name: 'zviz_exported_series_limit',
    type: 'gauge',
    help: 'Configured cap on exported series per family group.',
    labels: ['family'],
    component: 'agent',
    unit: 'series',
  },
  {
    name: 'zviz_series_overflow_total',
    type: 'counter',
    help: 'Observations folded into the "other" series because a family reached its series cap.',
    labels: ['family'],
    component: 'agent',
    initial: 'zero',
  },

  {
    name: 'zviz_exported_series_dropped',
    type: 'gauge',
    help: 'Series the registry left out of the last scrape because their family was over its limit.',
    labels: ['family'],
    component: 'agent',
    unit: 'series',
  },
  {
    name: 'zviz_config_last_reload_successful',
    type: 'gauge',
    help: 'Whether the last configuration load or reload succeeded (1) or was refused (0); a refused reload keeps the running configuration.',
    labels: [],
    component: 'agent',
    initial: 'value',
    unit: '1 succeeded, 0 refused',
  },
  {
    name: 'zviz_config_last_reload_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last configuration load or reload that succeeded.',
    labels: [],
    component: 'agent',
    initial: 'value',
  },
  {
    name: 'zviz_config_reloads_total',
    type: 'counter',
    help: 'Configuration reloads (SIGHUP) by result: success or failure.',
    labels: ['result'],
    component: 'agent',
    initial: 'zero',
  },
  {
    name: 'zviz_log_write_errors_total',
    type: 'counter',
    help: "Failed writes of the agent's own log (logging.output), such as on a full disk; the text is kept and written with the next line that succeeds.",
    labels: [],
    component: 'agent',
  },
  {
    name: 'zviz_log_lines_dropped_total',
    type: 'counter',
    help: "Lines of the agent's own log lost because the output refused writes for longer than its 1 MiB of pending text lasted.",
    labels: [],
    component: 'agent',
  },
  {
    name: 'zviz_api_stream_clients',
    type: 'gauge',
    help: 'Clients connected to the decision stream (/api/v1/decisions/stream).',
    labels: [],
    component: 'agent',
    initial: 'zero',
    unit: 'clients',
  },
  {
    name: 'zviz_api_stream_slow_disconnects_total',
    type: 'counter',
    help: 'Decision stream clients disconnected because they read too slowly and their buffer filled.',
    labels: [],
    component: 'agent',
    initial: 'zero',
  },

  // Broker (the monitoring guide's).
  {
    name: 'zviz_broker_requests_total',
    type: 'counter',
    help: 'Seccomp notifications the broker received.',
    labels: [],
    component: 'broker',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_broker_requests_total' }],
  },
  {
    name: 'zviz_broker_decisions_total',
    type: 'counter',
    help: 'Decisions by syscall and outcome, in the broker and, when denial auditing is on, in the kernel filter.',
    labels: ['syscall', 'decision'],
    component: 'broker',
    knownAs: [{ guide: 'monitoring', name: 'zviz_broker_decisions_total' }],
  },
  {
    name: 'zviz_broker_latency_seconds',
    type: 'histogram',
    help: 'Time from a notification received to its response sent.',
    labels: [],
    buckets: BROKER_LATENCY_BUCKETS,
    component: 'broker',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_broker_latency_seconds' }],
  },
  {
    name: 'zviz_broker_inflight',
    type: 'gauge',
    help: 'Notifications received and not yet answered.',
    labels: [],
    component: 'broker',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_broker_inflight' }],
    unit: 'requests',
  },
  {
    name: 'zviz_broker_errors_total',
    type: 'counter',
    help: 'Broker failures: receive or send errors, unreadable target memory, invalid notification ids.',
    labels: [],
    component: 'broker',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_broker_errors_total' }],
  },
  {
    name: 'zviz_control_refusals_total',
    type: 'counter',
    help: "Connections to the agent's control socket refused: uid (not root or the agent's user), workload (a sandboxed workload), unidentified.",
    labels: ['reason'],
    component: 'broker',
    initial: 'zero',
  },
  {
    name: 'zviz_control_response_pending_bytes',
    type: 'gauge',
    help:
      'Bytes of answers the control socket has written and its clients have not yet read, held against ' +
      'the response budget (metrics.response_budget_mb; a budget of that size of its own).',
    labels: [],
    component: 'broker',
    initial: 'value',
  },
  {
    name: 'zviz_control_response_budget_disconnects_total',
    type: 'counter',
    help:
      'Control-socket sessions closed because their clients left answers unread while the response budget had ' +
      'no room (closing a session stops its container, as its client closing it does).',
    labels: [],
    component: 'broker',
    initial: 'zero',
  },
  {
    name: 'zviz_broker_events_dropped_total',
    type: 'counter',
    help: 'Decision events the broker could not queue for the audit log and API because the queue was full.',
    labels: [],
    component: 'broker',
    initial: 'zero',
  },
  {
    name: 'zviz_broker_paced_seconds_total',
    type: 'counter',
    help: "Seconds the broker held back a container's syscalls to keep its own work for the container within the container's CPU limit.",
    labels: [],
    component: 'broker',
    initial: 'zero',
  },
  {
    name: 'zviz_broker_installs_interrupted_total',
    type: 'counter',
    help: 'Emulated opens whose descriptor an interrupted install withdrew after the kernel had marked the call answered; the opener was killed rather than left with a descriptor it did not open.',
    labels: [],
    component: 'broker',
    initial: 'zero',
  },

  // Containers (the monitoring guide's).
  {
    name: 'zviz_containers_total',
    type: 'gauge',
    help: 'Containers that exist now, in any state (an ended one until its series are retired); equals sum(zviz_containers_by_state).',
    labels: [],
    component: 'containers',
    unit: 'containers',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_containers_total' }],
    lintException:
      'The monitoring guide publishes this name as a gauge ("Container Count"); promtool wants no _total on a gauge. Containers created: zviz_containers_created_total.',
  },
  {
    name: 'zviz_containers_created_total',
    type: 'counter',
    help: 'Containers created since the agent started.',
    labels: [],
    component: 'containers',
    unit: 'containers',
    initial: 'zero',
  },
  {
    name: 'zviz_container_start_failures_total',
    type: 'counter',
    help: "Container starts and restarts that failed, by reason: timeout (past broker.start_timeout_seconds), setup (a step of the set-up failed), exec (the program could not be executed), agent (the agent could not prepare it), output (a configured container's stdout or stderr file was refused: a link on its path, a FIFO, a device).",
    labels: ['reason'],
    component: 'containers',
    unit: 'starts',
    initial: 'zero',
  },
  {
    name: 'zviz_containers_by_state',
    type: 'gauge',
    help: 'Containers by state.',
    labels: ['state'],
    component: 'containers',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_containers_by_state' }],
  },
  {
    name: 'zviz_container_info',
    type: 'gauge',
    help: 'One series per container, always 1, carrying its name and profile for joins.',
    labels: ['container_id', 'name', 'profile'],
    component: 'containers',
  },
  {
    name: 'zviz_container_state',
    type: 'gauge',
    help: 'The state of each container, always 1; an ended one keeps its final state until its series are retired.',
    labels: ['container_id', 'state'],
    component: 'containers',
    unit: 'always 1',
  },
  {
    name: 'zviz_container_exit_code',
    type: 'gauge',
    help: "Exit code of the container's last run that ended (128 + the signal when a signal ended it).",
    labels: ['container_id'],
    component: 'containers',
    unit: 'exit code',
  },
  {
    name: 'zviz_container_uptime_seconds',
    type: 'gauge',
    help: 'Seconds since the container last started.',
    labels: ['container_id'],
    component: 'containers',
    knownAs: [{ guide: 'monitoring', name: 'zviz_container_uptime_seconds' }],
  },
  {
    name: 'zviz_container_restarts_total',
    type: 'counter',
    help: 'Times the restart policy restarted the container.',
    labels: ['container_id'],
    component: 'containers',
    knownAs: [{ guide: 'monitoring', name: 'zviz_container_restarts_total' }],
  },

  // Security (the monitoring guide's).
  {
    name: 'zviz_security_denials_total',
    type: 'counter',
    help: 'Refusals by enforcing layer: seccomp (in-kernel filter), broker (user-space decision), cgroup (resource limit).',
    labels: ['layer'],
    component: 'broker',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_security_denials_total' }],
  },
  {
    name: 'zviz_seccomp_violations_total',
    type: 'counter',
    help: 'Syscalls whose profile action ended or trapped the task (SCMP_ACT_KILL*, SCMP_ACT_TRAP, broker kill).',
    labels: [],
    component: 'broker',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_seccomp_violations_total' }],
  },
  {
    name: 'zviz_audit_events_total',
    type: 'counter',
    help: 'Audit events produced, by type.',
    labels: ['event_type'],
    component: 'audit',
    initial: 'zero',
    knownAs: [{ guide: 'monitoring', name: 'zviz_audit_events_total' }],
  },
  {
    name: 'zviz_audit_events_dropped_total',
    type: 'counter',
    help: 'Audit events dropped because the write queue was full.',
    labels: [],
    component: 'audit',
    initial: 'zero',
  },
  {
    name: 'zviz_audit_write_errors_total',
    type: 'counter',
    help: 'Failed writes, rotations or compressions of the audit log.',
    labels: [],
    component: 'audit',
    initial: 'zero',
  },
  {
    name: 'zviz_container_events_dropped_total',
    type: 'counter',
    help: 'Decision events of a container that did not reach the audit log, by reason: rate_limit (over the per-container event rate limit; not in the stream or API either), queue_full (the broker event queue was full; likewise), audit_queue_full (the audit write queue was full). Past the container budget, container_id="other".',
    labels: ['container_id', 'reason'],
    component: 'agent',
  },

  // Resources (the monitoring guide's and podtrace's), from cgroup files.
  {
    name: 'zviz_memory_usage_bytes',
    type: 'gauge',
    help: 'Memory charged to the container cgroup.',
    labels: ['container_id'],
    component: 'cgroups',
    knownAs: [{ guide: 'monitoring', name: 'zviz_memory_usage_bytes' }],
  },
  {
    name: 'zviz_cpu_usage_seconds',
    type: 'counter',
    help: 'CPU time used by the container cgroup.',
    labels: ['container_id'],
    component: 'cgroups',
    knownAs: [{ guide: 'monitoring', name: 'zviz_cpu_usage_seconds' }],
    lintException:
      'The monitoring guide publishes this name as a counter; promtool wants counters to end in _total. OpenMetrics cannot call a family without _total samples a counter, so that format types it unknown (the samples keep this name).',
  },
  {
    name: 'zviz_io_read_bytes_total',
    type: 'counter',
    help: 'Bytes the container cgroup read from block devices.',
    labels: ['container_id'],
    component: 'cgroups',
    knownAs: [{ guide: 'monitoring', name: 'zviz_io_read_bytes_total' }],
  },
  {
    name: 'zviz_io_write_bytes_total',
    type: 'counter',
    help: 'Bytes the container cgroup wrote to block devices.',
    labels: ['container_id'],
    component: 'cgroups',
    knownAs: [{ guide: 'monitoring', name: 'zviz_io_write_bytes_total' }],
  },
  {
    name: 'zviz_resource_limit',
    type: 'gauge',
    help: 'Limit of a container cgroup: memory in bytes, cpu in cores, pids in tasks, io in bytes per second (the read or write limit nearest to being reached).',
    labels: ['container_id', 'resource_type'],
    component: 'cgroups',
    note: 'podtrace mixes units under _bytes; here the unit is fixed per resource_type and stated in the help.',
    unit: 'memory: bytes; cpu: cores; pids: tasks; io: bytes per second',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_resource_limit_bytes' }],
  },
  {
    name: 'zviz_resource_usage',
    type: 'gauge',
    help: 'Usage of a container cgroup in the unit of its limit: memory in bytes, cpu in cores, pids in tasks, io in bytes per second (the limited direction nearest its limit; reads and writes together when neither is limited).',
    labels: ['container_id', 'resource_type'],
    component: 'cgroups',
    unit: 'as zviz_resource_limit',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_resource_usage_bytes' }],
  },
  {
    name: 'zviz_resource_utilization_ratio',
    type: 'gauge',
    help: 'Usage divided by limit (0 to 1, above 1 when exceeded); absent when there is no limit.',
    labels: ['container_id', 'resource_type'],
    component: 'cgroups',
    note: 'podtrace reports percent; Prometheus uses ratios. 0.8/0.9/0.95 are its 80/90/95 % levels.',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_resource_utilization_percent' }],
  },
  {
    name: 'zviz_resource_alert_level',
    type: 'gauge',
    help: 'Resource alert level: 0 none, 1 warning (80 %), 2 critical (90 %), 3 emergency (95 %).',
    labels: ['container_id', 'resource_type'],
    component: 'cgroups',
    unit: 'level 0 to 3',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_resource_alert_level' }],
  },
  {
    name: 'zviz_container_oom_kills_total',
    type: 'counter',
    help: 'Processes of the container killed by the OOM killer at its memory limit.',
    labels: ['container_id'],
    component: 'cgroups',
  },
  {
    name: 'zviz_container_pids_limit_hits_total',
    type: 'counter',
    help: 'Forks refused because the container reached its pids limit.',
    labels: ['container_id'],
    component: 'cgroups',
  },

  // Tracer (podtrace's families, from tracepoints only). `process_name` is
  // exported only when tracer.labels.process_name is on (off by default: a
  // series per process name is, in podtrace's words, expensive forever).
  {
    name: 'zviz_syscalls_total',
    type: 'counter',
    help: 'Syscalls made by traced cgroups (raw_syscalls tracepoints).',
    labels: ['container_id', 'syscall', 'process_name'],
    component: 'tracer',
  },
  {
    name: 'zviz_syscall_latency_seconds',
    type: 'histogram',
    help: 'Syscall duration from sys_enter to sys_exit for traced cgroups; with sampling on, of the sampled calls.',
    labels: ['container_id', 'syscall', 'process_name'],
    buckets: SYSCALL_LATENCY_BUCKETS,
    component: 'tracer',
  },
  {
    name: 'zviz_tcp_rtt_seconds',
    type: 'histogram',
    help: 'Smoothed TCP round-trip time of traced sockets (tcp:tcp_probe).',
    labels: ['container_id'],
    buckets: TRACE_LATENCY_BUCKETS,
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_rtt_seconds' }],
  },
  {
    name: 'zviz_tcp_rtt_latest_seconds',
    type: 'gauge',
    help: 'Most recent smoothed TCP round-trip time.',
    labels: ['container_id'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_rtt_latest_seconds' }],
  },
  {
    name: 'zviz_tcp_connect_latency_seconds',
    type: 'histogram',
    help: 'Active TCP connect latency, SYN_SENT to ESTABLISHED (sock:inet_sock_set_state).',
    labels: ['container_id', 'process_name'],
    buckets: TRACE_LATENCY_BUCKETS,
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_latency_seconds' }],
  },
  {
    name: 'zviz_tcp_state_changes_total',
    type: 'counter',
    help: 'TCP state transitions of traced sockets, by new state (sock:inet_sock_set_state); connects that failed = SYN_SENT minus connect latency count.',
    labels: ['container_id', 'state'],
    component: 'tracer',
  },
  {
    name: 'zviz_tcp_connect_latency_latest_seconds',
    type: 'gauge',
    help: 'Most recent TCP connect latency.',
    labels: ['container_id', 'process_name'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_latency_latest_seconds' }],
  },
  {
    name: 'zviz_dns_latency_seconds',
    type: 'histogram',
    help: 'DNS query latency: a send to port 53 until the first reply on the same socket.',
    labels: ['container_id', 'process_name'],
    buckets: TRACE_LATENCY_BUCKETS,
    component: 'tracer',
    note: 'podtrace names the pair _seconds_histogram/_seconds_gauge; type names in metric names fail promtool.',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_dns_latency_seconds_histogram' }],
  },
  {
    name: 'zviz_dns_latency_latest_seconds',
    type: 'gauge',
    help: 'Most recent DNS query latency.',
    labels: ['container_id', 'process_name'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_dns_latency_seconds_gauge' }],
  },
  {
    name: 'zviz_fs_latency_seconds',
    type: 'histogram',
    help: 'File system operation latency (read, write, fsync), from syscall tracepoints.',
    labels: ['container_id', 'operation', 'process_name'],
    buckets: TRACE_LATENCY_BUCKETS,
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_fs_latency_seconds_histogram' }],
  },
  {
    name: 'zviz_fs_latency_latest_seconds',
    type: 'gauge',
    help: 'Most recent file system operation latency.',
    labels: ['container_id', 'operation', 'process_name'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_fs_latency_seconds_gauge' }],
  },
  {
    name: 'zviz_cpu_block_seconds',
    type: 'histogram',
    help: 'Time threads spent blocked off CPU, from switch-out to wakeup (sched_switch, sched_wakeup).',
    labels: ['container_id', 'process_name'],
    buckets: TRACE_LATENCY_BUCKETS,
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_cpu_block_seconds_histogram' }],
  },
  {
    name: 'zviz_cpu_block_latest_seconds',
    type: 'gauge',
    help: 'Most recent off-CPU blocked time.',
    labels: ['container_id', 'process_name'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_cpu_block_seconds_gauge' }],
  },
  {
    name: 'zviz_block_io_latency_seconds',
    type: 'histogram',
    help: 'Block device request latency, issue to completion (block:block_rq_issue, block_rq_complete).',
    labels: ['container_id', 'operation'],
    buckets: TRACE_LATENCY_BUCKETS,
    component: 'tracer',
  },
  {
    name: 'zviz_network_bytes_total',
    type: 'counter',
    help: 'Bytes sent and received on INET sockets (sock:sock_send_length, sock_recv_length).',
    labels: ['container_id', 'direction', 'process_name'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_network_bytes_total' }],
  },
  {
    name: 'zviz_filesystem_bytes_total',
    type: 'counter',
    help: 'Bytes read and written through file system syscalls.',
    labels: ['container_id', 'operation', 'process_name'],
    component: 'tracer',
    knownAs: [{ guide: 'podtrace', name: 'podtrace_filesystem_bytes_total' }],
  },

  // Tracer self-observation.
  {
    name: 'zviz_tracer_family_active',
    type: 'gauge',
    help: 'Whether a tracer family is attached (1) or not (0); /health says why not.',
    labels: ['family'],
    component: 'tracer',
    unit: '1 attached, 0 not',
    initial: 'value',
  },
  {
    name: 'zviz_tracer_events_lost_total',
    type: 'counter',
    help: 'Events the tracer could not record, by reason: map_full (a kernel map full), quota (the container over its share of a shared map), no_start (an end seen without its start), read_error (an address it could not read), expired (a DNS query never answered).',
    labels: ['family', 'reason'],
    component: 'tracer',
    initial: 'zero',
  },
  {
    name: 'zviz_tracer_quota_refused_total',
    type: 'counter',
    help: "Inserts into a tracer map every container shares, refused to a container holding more than its reserved share while the shared pool was spent (that container's events, counted as lost with reason quota).",
    labels: ['container_id', 'map'],
    component: 'tracer',
  },
  {
    name: 'zviz_tracer_map_fill_ratio',
    type: 'gauge',
    help: 'Entries in a BPF map divided by its capacity.',
    labels: ['map'],
    component: 'tracer',
    initial: 'value',
  },
  {
    name: 'zviz_tracer_program_runs_total',
    type: 'counter',
    help: 'Runs of a BPF program; present only when kernel.bpf_stats_enabled is 1.',
    labels: ['program'],
    component: 'tracer',
  },
  {
    name: 'zviz_tracer_program_run_seconds_total',
    type: 'counter',
    help: 'Time spent in a BPF program; present only when kernel.bpf_stats_enabled is 1.',
    labels: ['program'],
    component: 'tracer',
  },
];

export const CATALOG_BY_NAME: ReadonlyMap<string, MetricSpec> = new Map(CATALOG.map((m) => [m.name, m]));

/**
 * The series names a family exposes on the wire: histograms add `_bucket`,
 * `_sum` and `_count`. Used to check PromQL in dashboards and rules.
 */
export function exposedSeriesNames(spec: MetricSpec): string[] {
  if (spec.type === 'histogram') {
    return [`${spec.name}_bucket`, `${spec.name}_sum`, `${spec.name}_count`];
  }
  return [spec.name];
}
