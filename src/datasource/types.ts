import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';

import type { ZVizDataSourceOptions } from '@zviz/shared/query';

export type ZVizOptions = ZVizDataSourceOptions & DataSourceJsonData;

export const VARIABLE_KINDS = ['agents', 'containers', 'syscalls', 'profiles', 'label-values'] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

/** A template variable's query: which resource lists the values. */
export interface ZVizVariableQuery extends DataQuery {
  kind: VariableKind;
  /** label-values: the Prometheus label. */
  label?: string;
  /** label-values: a series selector limiting the values, e.g. `zviz_broker_decisions_total{instance="$instance"}`. */
  match?: string;
  /** containers: only this agent's (instance). */
  agent?: string;
  /** Keep values matching this regular expression. */
  regex?: string;
}

export const DEFAULT_AGENT_JOB = 'zviz';
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Agents one query asks at once (the backend's default, pkg-backend/src/datasource/settings.ts). */
export const DEFAULT_AGENT_CONCURRENCY = 32;
