// Shapes of the Grafana-managed alert rules that the generator writes to
// src/alerts/generated/grafana-rules.json and the app's Alerts page installs
// through Grafana's alerting provisioning API.

export interface GrafanaQuery {
  refId: string;
  queryType?: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, unknown>;
}

/** One rule, as POST /api/v1/provisioning/alert-rules takes it (Grafana's ProvisionedAlertRule). */
export interface GrafanaRule {
  uid: string;
  title: string;
  condition: string;
  data: GrafanaQuery[];
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  noDataState: 'OK';
  execErrState: 'Error';
  isPaused: false;
}

export interface GrafanaRuleGroup {
  title: string;
  folderUid: string;
  /** Evaluation interval in seconds. */
  interval: number;
  rules: Array<GrafanaRule & { folderUID: string; ruleGroup: string }>;
}

export interface GrafanaRulePayloads {
  /** Where the rules came from, for people reading the file. */
  source: string;
  /** The placeholder standing for the datasource uid in every query. */
  datasourcePlaceholder: string;
  /** The datasource type the queries are written for. */
  datasourceType: string;
  folder: { uid: string; title: string };
  /** Bodies for PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{title}. */
  groups: GrafanaRuleGroup[];
}
