// The ZViz alert rule templates, ready for the app to install into Grafana:
// the generated payloads with the datasource placeholder replaced by the
// datasource the user picked.
import payloads from './generated/grafana-rules.json';
import type { GrafanaRuleGroup, GrafanaRulePayloads } from './types';

export const ALERT_TEMPLATES = payloads as GrafanaRulePayloads;

/** One request per rule group: PUT replaces the group, so installing twice updates it. */
export interface RuleGroupRequest {
  method: 'PUT';
  url: string;
  body: GrafanaRuleGroup;
}

export function bindDatasource(templates: GrafanaRulePayloads, datasourceUid: string): GrafanaRuleGroup[] {
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(datasourceUid)) {
    throw new Error(`"${datasourceUid}" is not a datasource uid (letters, digits, - and _, at most 40)`);
  }
  return templates.groups.map((group) => ({
    ...group,
    rules: group.rules.map((rule) => ({
      ...rule,
      data: rule.data.map((query) =>
        query.datasourceUid === templates.datasourcePlaceholder ? { ...query, datasourceUid } : query
      ),
    })),
  }));
}

/** Grafana's provisioning API calls that install every template group into the templates' folder. */
export function ruleGroupRequests(datasourceUid: string, templates = ALERT_TEMPLATES): RuleGroupRequest[] {
  return bindDatasource(templates, datasourceUid).map((group) => ({
    method: 'PUT',
    url: `/api/v1/provisioning/folder/${encodeURIComponent(group.folderUid)}/rule-groups/${encodeURIComponent(group.title)}`,
    body: group,
  }));
}
