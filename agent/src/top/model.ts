// What `zviz top` shows, computed from two consecutive polls of the agent
// (rates need two) and what the decision stream delivered. Pure: the same
// polls give the same view, which is how the tests drive it.
import {
  AGENT_PATHS,
  DECISIONS,
  type ComponentStatus,
  type ContainerInfo,
  type ContainerState,
  type Decision,
  type DecisionEvent,
  type HealthReport,
} from '@zviz/shared/agent-api';
import {
  BROKER_DECISIONS_TOTAL,
  BROKER_ERRORS_TOTAL,
  BROKER_EVENTS_DROPPED_TOTAL,
  BROKER_INFLIGHT,
  BROKER_LATENCY_SECONDS,
  BROKER_REQUESTS_TOTAL,
  CONTAINER_UPTIME_SECONDS,
} from '@zviz/shared/metric-names';

import { bucketDelta, quantile, type Exposition } from './exposition';

/**
 * Every family the view reads: top asks the agent for these alone
 * (`/metrics?name[]=`), a few hundred KiB where the whole exposition of a
 * thousand containers is 2 MiB the agent would render and top would cut up.
 */
export const TOP_FAMILIES: readonly string[] = [
  BROKER_DECISIONS_TOTAL,
  BROKER_ERRORS_TOTAL,
  BROKER_EVENTS_DROPPED_TOTAL,
  BROKER_INFLIGHT,
  BROKER_LATENCY_SECONDS,
  BROKER_REQUESTS_TOTAL,
  CONTAINER_UPTIME_SECONDS,
  'zviz_memory_usage_bytes',
  'zviz_resource_alert_level',
  'zviz_resource_usage',
  'zviz_resource_utilization_ratio',
  'zviz_security_denials_total',
];

/** One endpoint's answer in a poll: its value, or why there is none. */
export type Fetched<T> =
  | { ok: true; value: T }
  /** `absent`: the agent answered 404, the component serving it is not part of this agent. */
  | { ok: false; error: string; absent?: boolean };

export interface Poll {
  /** Milliseconds since the epoch when the poll was taken. */
  at: number;
  health: Fetched<HealthReport>;
  containers: Fetched<ContainerInfo[]>;
  metrics: Fetched<Exposition>;
}

/** `snapshot`: read once from the agent's ring (--once), not followed. */
export type StreamStatus = 'connecting' | 'connected' | 'reconnecting' | 'unavailable' | 'snapshot';

export interface StreamState {
  status: StreamStatus;
  /** Why the stream is not connected, when it is not. */
  reason?: string;
  /** Events received since top started. */
  received: number;
  /** Events the agent reported as gone from its ring before top read them. */
  missed: number;
  /** The newest events, oldest first. */
  recent: readonly DecisionEvent[];
  /** Refusals (deny, kill, trap) seen per container since top started. */
  refusedByContainer: ReadonlyMap<string, number>;
}

export const SYSCALL_SORTS = ['rate', 'total', 'refused', 'name'] as const;
export type SyscallSort = (typeof SYSCALL_SORTS)[number];
export const CONTAINER_SORTS = ['cpu', 'memory', 'uptime', 'restarts', 'name'] as const;
export type ContainerSort = (typeof CONTAINER_SORTS)[number];

/** Decisions that refuse the syscall: what an operator looks for first. */
export const REFUSALS: readonly Decision[] = ['deny', 'trap', 'kill'];

export interface Count {
  total: number;
  /** Per second over the last interval; undefined until two polls exist. */
  rate?: number;
}

export interface SyscallRow {
  syscall: string;
  all: Count;
  refused: Count;
  byDecision: Partial<Record<Decision, Count>>;
}

export interface ContainerRow {
  id: string;
  name: string;
  profile: string;
  state: ContainerState;
  uptimeSeconds?: number;
  restarts: number;
  exitCode?: number;
  cpuCores?: number;
  cpuRatio?: number;
  memoryBytes?: number;
  memoryRatio?: number;
  /** 0 none, 1 warning, 2 critical, 3 emergency, the highest over its resources. */
  alertLevel?: number;
  refusedSeen: number;
}

export interface ComponentRow {
  name: string;
  status: ComponentStatus;
  reason?: string;
}

export interface TopView {
  at: number;
  /** Seconds between the two polls the rates come from. */
  windowSeconds?: number;
  /** Set when the agent could not be asked for /health at all. */
  unreachable?: string;
  agent?: {
    status: HealthReport['status'];
    version: string;
    uptimeSeconds: number;
    node?: string;
    variant?: string;
    components: ComponentRow[];
  };
  broker: {
    status: string;
    inflight?: number;
    requests?: Count;
    errors?: Count;
    eventsDropped?: number;
    /** p99 over the last interval, seconds; undefined without new observations. */
    p99Recent?: number;
    /** p99 since the agent started, seconds. */
    p99All?: number;
  };
  denials: { total?: Count; byLayer: Array<{ layer: string } & Count> };
  syscalls: SyscallRow[];
  /** Why there are no syscall rows, when there are none. */
  syscallsNote?: string;
  containers: ContainerRow[];
  containersNote?: string;
  stream: StreamState;
  metricsError?: string;
}

export interface ViewOptions {
  syscallSort: SyscallSort;
  containerSort: ContainerSort;
}

function count(now: number, before: number | undefined, seconds: number | undefined): Count {
  if (before === undefined || seconds === undefined || seconds <= 0) {
    return { total: now };
  }
  // A counter that went down was reset (the agent restarted): count from 0, as rate() does.
  return { total: now, rate: (now >= before ? now - before : now) / seconds };
}

function decisionsBySyscall(metrics: Exposition): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const s of metrics.series(BROKER_DECISIONS_TOTAL)) {
    const syscall = s.labels.syscall ?? '';
    const decision = s.labels.decision ?? '';
    const row = out.get(syscall) ?? new Map<string, number>();
    row.set(decision, (row.get(decision) ?? 0) + s.value);
    out.set(syscall, row);
  }
  return out;
}

function syscallRows(now: Exposition, before: Exposition | undefined, seconds: number | undefined): SyscallRow[] {
  const current = decisionsBySyscall(now);
  const previous = before ? decisionsBySyscall(before) : undefined;
  const rows: SyscallRow[] = [];
  for (const [syscall, decisions] of current) {
    const prior = previous?.get(syscall);
    const sum = (m: ReadonlyMap<string, number> | undefined, pick: (d: string) => boolean) =>
      m ? [...m].reduce((acc, [d, v]) => (pick(d) ? acc + v : acc), 0) : undefined;
    const byDecision: Partial<Record<Decision, Count>> = {};
    for (const d of DECISIONS) {
      const v = decisions.get(d);
      if (v !== undefined) {
        byDecision[d] = count(v, previous ? (prior?.get(d) ?? 0) : undefined, seconds);
      }
    }
    const refused = (d: string) => (REFUSALS as readonly string[]).includes(d);
    rows.push({
      syscall,
      all: count(sum(decisions, () => true) ?? 0, previous ? (sum(prior, () => true) ?? 0) : undefined, seconds),
      refused: count(sum(decisions, refused) ?? 0, previous ? (sum(prior, refused) ?? 0) : undefined, seconds),
      byDecision,
    });
  }
  return rows;
}

export function sortSyscalls(rows: SyscallRow[], by: SyscallSort): SyscallRow[] {
  const key: Record<SyscallSort, (r: SyscallRow) => number> = {
    rate: (r) => r.all.rate ?? 0,
    total: (r) => r.all.total,
    refused: (r) => r.refused.rate ?? r.refused.total,
    name: () => 0,
  };
  // Ties (and every row when sorting by name) fall back to the syscall name, so rows do not jump between frames.
  return [...rows].sort((a, b) => key[by](b) - key[by](a) || a.syscall.localeCompare(b.syscall));
}

export function sortContainers(rows: ContainerRow[], by: ContainerSort): ContainerRow[] {
  const key: Record<ContainerSort, (r: ContainerRow) => number> = {
    cpu: (r) => r.cpuCores ?? -1,
    memory: (r) => r.memoryBytes ?? -1,
    uptime: (r) => r.uptimeSeconds ?? -1,
    restarts: (r) => r.restarts,
    name: () => 0,
  };
  const running = (r: ContainerRow) => (r.state === 'running' ? 1 : 0);
  return [...rows].sort((a, b) => running(b) - running(a) || key[by](b) - key[by](a) || a.name.localeCompare(b.name));
}

function containerRows(
  containers: readonly ContainerInfo[],
  metrics: Exposition | undefined,
  stream: StreamState,
  at: number
): ContainerRow[] {
  return containers.map((c) => {
    const id = { container_id: c.id };
    const resource = (family: string, type: string) =>
      metrics?.value(family, { container_id: c.id, resource_type: type });
    const levels = metrics?.ofContainer('zviz_resource_alert_level', c.id).map((s) => s.value);
    const started = c.started_at ? Date.parse(c.started_at) : NaN;
    const uptime =
      metrics?.value(CONTAINER_UPTIME_SECONDS, id) ??
      (c.state === 'running' && Number.isFinite(started) ? Math.max(0, (at - started) / 1000) : undefined);
    return {
      id: c.id,
      name: c.name,
      profile: c.profile,
      state: c.state,
      uptimeSeconds: c.state === 'running' ? uptime : undefined,
      restarts: c.restarts,
      exitCode: c.exit_code,
      cpuCores: resource('zviz_resource_usage', 'cpu'),
      cpuRatio: resource('zviz_resource_utilization_ratio', 'cpu'),
      memoryBytes: metrics?.value('zviz_memory_usage_bytes', id),
      memoryRatio: resource('zviz_resource_utilization_ratio', 'memory'),
      alertLevel: levels && levels.length > 0 ? Math.max(...levels) : undefined,
      refusedSeen: stream.refusedByContainer.get(c.id) ?? 0,
    };
  });
}

export function buildView(
  current: Poll,
  previous: Poll | undefined,
  stream: StreamState,
  options: ViewOptions
): TopView {
  const metrics = current.metrics.ok ? current.metrics.value : undefined;
  const before = previous?.metrics.ok ? previous.metrics.value : undefined;
  const seconds = before && previous ? (current.at - previous.at) / 1000 : undefined;
  const health = current.health.ok ? current.health.value : undefined;

  const view: TopView = {
    at: current.at,
    windowSeconds: seconds,
    broker: { status: health?.broker.status ?? 'unknown' },
    denials: { byLayer: [] },
    syscalls: [],
    containers: [],
    stream,
  };
  if (!current.health.ok && !current.metrics.ok) {
    view.unreachable = current.health.error;
  }
  if (health) {
    view.agent = {
      status: health.status,
      version: health.version,
      uptimeSeconds: health.uptime,
      node: health.node,
      variant: health.variant,
      components: Object.entries(health.components ?? {}).map(([name, c]) => ({
        name,
        status: c.status,
        reason: c.reason,
      })),
    };
  }
  if (!current.metrics.ok) {
    view.metricsError = current.metrics.error;
  }

  if (metrics) {
    const counter = (family: string, labels = {}) => {
      const now = metrics.value(family, labels);
      return now === undefined
        ? undefined
        : count(now, before ? (before.value(family, labels) ?? 0) : undefined, seconds);
    };
    view.broker.inflight = metrics.value(BROKER_INFLIGHT);
    view.broker.requests = counter(BROKER_REQUESTS_TOTAL);
    view.broker.errors = counter(BROKER_ERRORS_TOTAL);
    view.broker.eventsDropped = metrics.value(BROKER_EVENTS_DROPPED_TOTAL);
    const latency = metrics.histogram(BROKER_LATENCY_SECONDS);
    if (latency) {
      view.broker.p99All = quantile(0.99, latency.buckets);
      const prior = before?.histogram(BROKER_LATENCY_SECONDS);
      const delta = prior ? bucketDelta(prior.buckets, latency.buckets) : undefined;
      view.broker.p99Recent = delta ? quantile(0.99, delta) : undefined;
    }
    view.denials.total = counter('zviz_security_denials_total');
    view.denials.byLayer = metrics
      .series('zviz_security_denials_total')
      .map((s) => ({
        layer: s.labels.layer ?? '',
        ...counter('zviz_security_denials_total', { layer: s.labels.layer })!,
      }))
      .sort((a, b) => a.layer.localeCompare(b.layer));
    view.syscalls = sortSyscalls(syscallRows(metrics, before, seconds), options.syscallSort);
    if (view.syscalls.length === 0) {
      // A running broker counts its requests from 0; decisions have series only once made.
      view.syscallsNote = metrics.has(BROKER_REQUESTS_TOTAL)
        ? 'no decisions yet'
        : `no broker decisions exported (broker ${view.broker.status})`;
    }
  } else {
    view.syscallsNote = `no metrics: ${view.metricsError ?? ''}`;
  }

  if (current.containers.ok) {
    view.containers = sortContainers(
      containerRows(current.containers.value, metrics, stream, current.at),
      options.containerSort
    );
    if (view.containers.length === 0) {
      view.containersNote = 'no containers';
    }
  } else {
    view.containersNote = current.containers.absent
      ? `this agent runs no container manager (${AGENT_PATHS.containers}: 404)`
      : `containers unavailable: ${current.containers.error}`;
  }
  return view;
}
