// The datasource's query model and settings, shared by the frontend editors
// and the backend handlers.

export const QUERY_TYPES = ['decisions', 'promql', 'audit', 'health'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

export interface BaseQuery {
  refId: string;
  queryType?: QueryType;
  hide?: boolean;
}

/** Per-syscall decision counts or rates over the range, for the decisions panel. */
export interface DecisionsQuery extends BaseQuery {
  queryType: 'decisions';
  /** `count` over the range, `rate` per second, or one time series per syscall and decision. */
  mode?: 'count' | 'rate' | 'timeseries';
  syscalls?: string[];
  decisions?: string[];
  /** Extra PromQL label matchers, for example `instance="node-1:9090"`. */
  selector?: string;
}

/** PromQL pass-through; usable by Grafana-managed alert rules. */
export interface PromQLQuery extends BaseQuery {
  queryType: 'promql';
  expr: string;
  instant?: boolean;
  legendFormat?: string;
}

/** Recent decision events from the agents' /api/v1/decisions. */
export interface AuditQuery extends BaseQuery {
  queryType: 'audit';
  syscall?: string;
  decision?: string;
  container?: string;
  agent?: string;
  limit?: number;
}

/** Each agent's /health, as a table. */
export interface HealthQuery extends BaseQuery {
  queryType: 'health';
  agent?: string;
}

export type ZVizQuery = DecisionsQuery | PromQLQuery | AuditQuery | HealthQuery;

/** Datasource `jsonData`. */
export interface ZVizDataSourceOptions {
  prometheusUrl?: string;
  prometheusAuth?: 'none' | 'basic' | 'bearer';
  prometheusUser?: string;
  /** `static`: the `agents` list; `prometheus`: the `up{job=agentJob}` targets. */
  agentDiscovery?: 'static' | 'prometheus';
  agents?: string[];
  agentJob?: string;
  /** Scheme of discovered agents (`up` targets carry host:port only); default `http`. */
  agentScheme?: 'http' | 'https';
  agentAuth?: 'none' | 'basic' | 'bearer';
  agentUser?: string;
  timeoutSeconds?: number;
  /** Most agents one query asks at once (audit, health, Save & test, resources); default 32. */
  agentConcurrency?: number;
  /** Prometheus' scrape interval of the agents; rate windows span at least four. Default 15. */
  scrapeIntervalSeconds?: number;
  tlsSkipVerify?: boolean;
}

/** Datasource `secureJsonData`; never sent back to the browser. */
export interface ZVizSecureOptions {
  prometheusPassword?: string;
  prometheusToken?: string;
  agentPassword?: string;
  agentToken?: string;
  tlsCACert?: string;
}

/** Grafana Live path of the decisions stream: `ds/<uid>/decisions[/<container>]`. */
export const DECISIONS_STREAM_PATH = 'decisions';
