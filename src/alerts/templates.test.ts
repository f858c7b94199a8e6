import { ALERT_TEMPLATES, bindDatasource, ruleGroupRequests } from './templates';

describe('alert templates', () => {
  it('carry the datasource placeholder and the plugin origin label in every rule', () => {
    const rules = ALERT_TEMPLATES.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(20);
    for (const rule of rules) {
      expect(rule.data[0].datasourceUid).toBe(ALERT_TEMPLATES.datasourcePlaceholder);
      expect(rule.labels.__grafana_origin).toBe('plugin/zviz-sandbox-app');
    }
  });

  it('bind the chosen datasource to the queries and leave the expressions on __expr__', () => {
    const groups = bindDatasource(ALERT_TEMPLATES, 'my-zviz');
    const uids = new Set(groups.flatMap((g) => g.rules.flatMap((r) => r.data.map((d) => d.datasourceUid))));
    expect(uids).toEqual(new Set(['my-zviz', '__expr__']));
    // The templates themselves are left untouched for the next installation.
    expect(ALERT_TEMPLATES.groups[0].rules[0].data[0].datasourceUid).toBe(ALERT_TEMPLATES.datasourcePlaceholder);
  });

  it('refuse something that is not a datasource uid', () => {
    expect(() => bindDatasource(ALERT_TEMPLATES, '')).toThrow('is not a datasource uid');
    expect(() => bindDatasource(ALERT_TEMPLATES, 'a/b')).toThrow('is not a datasource uid');
  });

  it('become one PUT per rule group into the templates folder', () => {
    const requests = ruleGroupRequests('my-zviz');
    expect(requests.map((r) => r.url)).toContain('/api/v1/provisioning/folder/zviz-alerts/rule-groups/zviz.agent');
    expect(requests).toHaveLength(ALERT_TEMPLATES.groups.length);
    for (const request of requests) {
      expect(request.body.rules.every((r) => r.folderUID === 'zviz-alerts' && r.ruleGroup === request.body.title)).toBe(
        true
      );
    }
  });
});
