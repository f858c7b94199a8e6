// Grafana-managed versions of the alerting rules. Each becomes the chain
// Grafana's rule editor builds: A = the PromQL value (the alert expression
// left of its threshold, with recording rules inlined, so Prometheus needs
// none of them loaded), B = reduce to the last value, C = the threshold. Users
// see the value and can edit the threshold in the UI.
import type { GrafanaQuery, GrafanaRule, GrafanaRulePayloads } from '../../src/alerts/types';

import { configString, type RulesConfig } from './config';
import { GENERATED_HEADER, yaml } from './prometheus';
import { inlineRecorded, splitThreshold, type ComparisonOp } from './promql';
import { isAlert, recordedSeries, type AlertingRule, type RuleSet } from './source';

export type { GrafanaRulePayloads };

export const PLUGIN_ID = 'zviz-sandbox-app';
export const ZVIZ_DATASOURCE_TYPE = 'zviz-agent-datasource';
export const DATASOURCE_PLACEHOLDERS = {
  zviz: '__ZVIZ_DATASOURCE_UID__',
  prometheus: '__PROMETHEUS_DATASOURCE_UID__',
} as const;
export type QueryDatasource = keyof typeof DATASOURCE_PLACEHOLDERS;

const THRESHOLD_TYPES: Record<ComparisonOp, string> = {
  '>': 'gt',
  '<': 'lt',
  '>=': 'ge',
  '<=': 'le',
  '==': 'eq',
  '!=': 'ne',
};

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

export function durationSeconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(n) * UNITS[unit];
  }
  return total;
}

/** Grafana rule uids: at most 40 letters, digits, - and _. */
export function ruleUid(alert: string): string {
  const uid = `zviz-${alert
    .replace(/^ZViz/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()}`;
  if (uid.length > 40) {
    throw new Error(`${alert}: Grafana rule uid ${uid} is longer than 40 characters; shorten the alert name`);
  }
  return uid;
}

/** In Grafana templates $value is a string of every query's value; the threshold input is $values.B. */
export function grafanaTemplate(text: string): string {
  return text.replace(/\$value\b(?!s)/g, '$values.B.Value');
}

export function queryDatasource(config: RulesConfig): QueryDatasource {
  const kind = configString(config, 'grafanaQueryDatasource');
  if (kind !== 'zviz' && kind !== 'prometheus') {
    throw new Error(`grafanaQueryDatasource must be zviz or prometheus, got "${kind}"`);
  }
  return kind;
}

function queryModel(kind: QueryDatasource, expr: string): Record<string, unknown> {
  // The ZViz model is PromQLQuery of packages/shared/src/query.ts.
  return kind === 'zviz'
    ? { refId: 'A', queryType: 'promql', expr, instant: true }
    : { refId: 'A', expr, instant: true, range: false };
}

export function grafanaRule(
  rule: AlertingRule,
  recorded: ReadonlyMap<string, string>,
  kind: QueryDatasource,
  datasourceUid: string
): GrafanaRule {
  const threshold = splitThreshold(rule.expr);
  if (!threshold) {
    throw new Error(`${rule.alert}: expr must end in one comparison with a number`);
  }
  const expr = inlineRecorded(threshold.query, recorded);
  const query: GrafanaQuery = {
    refId: 'A',
    ...(kind === 'zviz' ? { queryType: 'promql' } : {}),
    relativeTimeRange: { from: 600, to: 0 },
    datasourceUid,
    model: queryModel(kind, expr),
  };
  const expression = (refId: string, model: Record<string, unknown>): GrafanaQuery => ({
    refId,
    relativeTimeRange: { from: 0, to: 0 },
    datasourceUid: '__expr__',
    model: { refId, datasource: { type: '__expr__', uid: '__expr__' }, ...model },
  });
  return {
    uid: ruleUid(rule.alert),
    title: rule.alert,
    condition: 'C',
    data: [
      query,
      expression('B', { type: 'reduce', expression: 'A', reducer: 'last' }),
      expression('C', {
        type: 'threshold',
        expression: 'B',
        conditions: [{ evaluator: { type: THRESHOLD_TYPES[threshold.op], params: [threshold.value] } }],
      }),
    ],
    for: rule.for,
    labels: { ...rule.labels },
    annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, grafanaTemplate(v)])),
    // No series means nothing matched the selector (no canary deployed, no
    // container at a limit); ZVizAgentAbsent covers a Prometheus with no agents.
    noDataState: 'OK',
    execErrState: 'Error',
    isPaused: false,
  };
}

interface GrafanaGroup {
  name: string;
  interval: string;
  rules: GrafanaRule[];
}

function grafanaGroups(rules: RuleSet, datasourceUid: string, kind: QueryDatasource): GrafanaGroup[] {
  const recorded = recordedSeries(rules);
  return rules.groups
    .filter((g) => g.rules.some(isAlert))
    .map((g) => ({
      name: g.name,
      interval: g.interval ?? '1m',
      rules: g.rules.filter(isAlert).map((r) => grafanaRule(r, recorded, kind, datasourceUid)),
    }));
}

/** provisioning/alerting/zviz-rules.yaml: Grafana's alerting file provisioning format. */
export function grafanaProvisioningFile(rules: RuleSet, config: RulesConfig): string {
  const kind = queryDatasource(config);
  const groups = grafanaGroups(rules, configString(config, 'grafanaDatasourceUid'), kind).map((g) => ({
    orgId: 1,
    name: g.name,
    folder: configString(config, 'grafanaFolder'),
    interval: g.interval,
    rules: g.rules,
  }));
  const note =
    `# Grafana-managed versions of the ZViz alerts. They query the datasource with uid ` +
    `"${configString(config, 'grafanaDatasourceUid')}" (${kind === 'zviz' ? ZVIZ_DATASOURCE_TYPE : 'prometheus'}).\n`;
  return GENERATED_HEADER + note + yaml({ apiVersion: 1, groups });
}

/** src/alerts/generated/grafana-rules.json: what the app's Alerts page installs through Grafana's API. */
export function grafanaRulePayloads(rules: RuleSet, config: RulesConfig): GrafanaRulePayloads {
  const kind = queryDatasource(config);
  const folder = { uid: configString(config, 'grafanaFolderUid'), title: configString(config, 'grafanaFolder') };
  const placeholder = DATASOURCE_PLACEHOLDERS[kind];
  return {
    source: 'src/alerts/rules.yaml (generated by npm run generate:rules; do not edit)',
    datasourcePlaceholder: placeholder,
    datasourceType: kind === 'zviz' ? ZVIZ_DATASOURCE_TYPE : 'prometheus',
    folder,
    groups: grafanaGroups(rules, placeholder, kind).map((g) => ({
      title: g.name,
      folderUid: folder.uid,
      interval: durationSeconds(g.interval),
      rules: g.rules.map((r) => ({
        ...r,
        folderUID: folder.uid,
        ruleGroup: g.name,
        // Grafana shows rules with this label as managed by the plugin.
        labels: { ...r.labels, __grafana_origin: `plugin/${PLUGIN_ID}` },
      })),
    })),
  };
}
