// Names of the agent's metric families that the other parts read: the
// backend's queries and Save & test, the app pages, the decisions panel and
// the editors, zviz top. The agent's catalog (agent/src/metrics/catalog.ts)
// defines every family; test/plugin/metric-names.test.ts holds these names
// to it, and test/plugin/dashboards.test.ts holds the dashboards' PromQL to
// it. Names from ZViz's monitoring guide are a contract: never renamed.

export const BROKER_DECISIONS_TOTAL = 'zviz_broker_decisions_total';
export const BROKER_REQUESTS_TOTAL = 'zviz_broker_requests_total';
export const BROKER_ERRORS_TOTAL = 'zviz_broker_errors_total';
export const BROKER_EVENTS_DROPPED_TOTAL = 'zviz_broker_events_dropped_total';
export const BROKER_INFLIGHT = 'zviz_broker_inflight';
/** A histogram: PromQL reads its `_bucket`, `_sum` and `_count` series. */
export const BROKER_LATENCY_SECONDS = 'zviz_broker_latency_seconds';

export const BUILD_INFO = 'zviz_build_info';
export const COMPONENT_READY = 'zviz_component_ready';

export const CONTAINER_INFO = 'zviz_container_info';
export const CONTAINER_UPTIME_SECONDS = 'zviz_container_uptime_seconds';
export const CONTAINER_RESTARTS_TOTAL = 'zviz_container_restarts_total';
export const CONTAINERS_BY_STATE = 'zviz_containers_by_state';
