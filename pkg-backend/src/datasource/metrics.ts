// The backend's own metrics, served to Grafana through CollectMetrics (and
// from there at /metrics/plugins/zviz-agent-datasource): queries by type and
// outcome, their durations, upstream failures, health checks, resources and
// live streams, plus the process' default metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How often the event loop delay histogram samples, in ms. */
export const EVENT_LOOP_SAMPLING_MS = 100;

export class BackendMetrics {
  readonly registry = new Registry();

  readonly queries = new Counter({
    name: 'zviz_datasource_queries_total',
    help: 'Queries answered, by query type and status (ok, or the error source: plugin, downstream).',
    labelNames: ['query_type', 'status'] as const,
    registers: [this.registry],
  });

  readonly queryDuration = new Histogram({
    name: 'zviz_datasource_query_duration_seconds',
    help: 'Time to answer one query, by query type.',
    labelNames: ['query_type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({
    name: 'zviz_datasource_upstream_errors_total',
    help: 'Failed requests to Prometheus or agents, by upstream and reason (network, timeout, tls, http, api, response).',
    labelNames: ['upstream', 'reason'] as const,
    registers: [this.registry],
  });

  readonly healthChecks = new Counter({
    name: 'zviz_datasource_health_checks_total',
    help: 'Health checks ("Save & test") answered, by result.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly resourceRequests = new Counter({
    name: 'zviz_datasource_resource_requests_total',
    help: 'Resource requests from the editors, by resource and HTTP status code.',
    labelNames: ['resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly streams = new Gauge({
    name: 'zviz_datasource_streams_running',
    help: 'Live decision streams running for Grafana Live channels.',
    registers: [this.registry],
  });

  readonly streamEvents = new Counter({
    name: 'zviz_datasource_stream_events_total',
    help: 'Decision events relayed from agents to Grafana Live.',
    registers: [this.registry],
  });

  readonly streamReconnects = new Counter({
    name: 'zviz_datasource_stream_reconnects_total',
    help: 'Reconnections to an agent decision stream after it ended or failed.',
    registers: [this.registry],
  });

  readonly streamInvalidEvents = new Counter({
    name: 'zviz_datasource_stream_invalid_events_total',
    help: "Events from agent decision streams left out because they did not have the agent API's shape.",
    registers: [this.registry],
  });

  readonly streamDroppedEvents = new Counter({
    name: 'zviz_datasource_stream_events_dropped_total',
    help: 'Decision events from agents not relayed to Grafana Live, by reason: grafana_slow (Grafana had not taken 16 MiB sent before), too_large (an event over 64 KiB, which no agent sends).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly instances = new Gauge({
    name: 'zviz_datasource_instances',
    help: 'Configured data source instances held in memory.',
    registers: [this.registry],
  });

  private processMetrics: boolean;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.processMetrics = options.processMetrics !== false;
  }

  /**
   * Registers the process' default metrics, once: at the first scrape
   * (text()), not at start. Setting up the ~20 metrics and the event loop
   * monitor took 3 to 5 ms of the start, and the monitor's timer wakes the
   * process ten times a second (docs/benchmarks.md), for no one while nobody
   * scrapes the plugin. Counters of the process' life (CPU
   * seconds, start time) cover it whole anyway; the event loop delay and GC
   * series cover the time since the first scrape.
   */
  startProcessMetrics(): void {
    if (this.processMetrics) {
      this.processMetrics = false;
      // The event loop delay histogram (nodejs_eventloop_lag_*_seconds) samples
      // with a timer; at prom-client's default of every 10 ms that timer woke
      // an idle plugin 87 times a second (0.9 % of a core, docs/benchmarks.md).
      // Every 100 ms still catches most stalls that matter to a query.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLING_MS });
    }
  }

  text(): Promise<string> {
    this.startProcessMetrics();
    return this.registry.metrics();
  }
}
