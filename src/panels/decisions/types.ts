import type { InputKind } from './data/matrix';
import type { DisplayMode, SortKey } from './data/view';

export interface DecisionsPanelOptions {
  mode: DisplayMode;
  /** Decisions shown; empty shows every decision in the data. */
  decisions: string[];
  sortBy: SortKey;
  sortDesc: boolean;
  /** 0 shows every syscall. */
  topN: number;
  showToolbar: boolean;
  showTrend: boolean;
  showLegend: boolean;
  showLatency: boolean;
  /** Which cells the field config thresholds colour: denial-type decisions only, or all. */
  thresholdScope: 'attention' | 'all';
  inputKind: InputKind;
  /** ZViz datasource for the audit drawer when the panel's query is not one (for example raw Prometheus). */
  auditDatasourceUid?: string;
  auditLimit: number;
}

export const defaultOptions: DecisionsPanelOptions = {
  mode: 'count',
  decisions: [],
  sortBy: 'total',
  sortDesc: true,
  topN: 0,
  showToolbar: true,
  showTrend: true,
  showLegend: true,
  showLatency: true,
  thresholdScope: 'attention',
  inputKind: 'auto',
  auditLimit: 100,
};

/** Decisions that refuse or end the workload: they stand out and take thresholds by default. */
export const ATTENTION_DECISIONS = ['deny', 'trap', 'kill'];
