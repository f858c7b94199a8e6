// The generated rules against the rest of ZViz: the monitoring guide's rules
// are there exactly (checked against a copy of the guide's, and docs/alerting.md
// quotes the same), every metric they read is in the agent's catalog, every
// alert has a runbook section and promtool tests that see it fire and stay
// silent, the generated files are what the generator produces now, and the
// Grafana-managed rules match the Prometheus ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  BROKER_LATENCY_BUCKETS,
  CATALOG,
  exposedSeriesNames,
  RESOURCE_ALERT_THRESHOLDS,
} from '../../agent/src/metrics/catalog';
import { configNumber } from '../../scripts/rules/config';
import { PLUGIN_ID, type GrafanaRulePayloads } from '../../scripts/rules/grafana';
import { defaultConfig, generate, loadRules, OUTPUT_PATHS, REPO } from '../../scripts/rules/outputs';
import { inlineRecorded, metricNames, oneLine, splitThreshold } from '../../scripts/rules/promql';
import { alertingRules, recordedSeries, runbookAnchor } from '../../scripts/rules/source';

const config = defaultConfig();
const rules = loadRules(config);
const alerts = alertingRules(rules);
const recorded = recordedSeries(rules);
const exposed = new Set(CATALOG.flatMap(exposedSeriesNames));
// Series Prometheus itself adds to every target.
const PROMETHEUS_SERIES = new Set(['up']);

/** The metrics an expression reads once recorded series are replaced by their definitions. */
function rawMetrics(expr: string): string[] {
  return metricNames(expr).flatMap((m) => (recorded.has(m) ? rawMetrics(recorded.get(m)!) : [m]));
}

function read(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

interface GuideRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * The monitoring guide's rule groups as it prints them, copied here (not read
 * from docs/alerting.md, which quotes them), so that renaming or rewording one
 * in both the docs and the generator still fails: users' Alertmanager routes,
 * silences and runbooks are keyed on these.
 */
const GUIDE_RULES = `
groups:
  - name: zviz.critical
    rules:
      - alert: ZVizBrokerDown
        expr: up{job="zviz"} == 0
        for: 1m
        labels:
          severity: critical
        annotations:
          summary: "ZViz broker is down"
          description: "ZViz broker on {{ $labels.instance }} is not responding"

      - alert: ZVizSecurityViolation
        expr: rate(zviz_security_denials_total[5m]) > 10
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: "High rate of security denials"
          description: "{{ $value }} security denials per second"

      - alert: ZVizBrokerLatencyHigh
        expr: histogram_quantile(0.99, rate(zviz_broker_latency_seconds_bucket[5m])) > 0.01
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "Broker p99 latency above 10ms"
          description: "Broker latency is {{ $value }}s"
  - name: zviz.warning
    rules:
      - alert: ZVizHighInflight
        expr: zviz_broker_inflight > 200
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "High number of in-flight broker requests"

      - alert: ZVizErrorRate
        expr: rate(zviz_broker_errors_total[5m]) > 1
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "Elevated broker error rate"
  - name: zviz.rules
    rules:
      - record: zviz:broker_latency:p99
        expr: histogram_quantile(0.99, rate(zviz_broker_latency_seconds_bucket[5m]))
`;

type GuideGroups = Array<{ name: string; rules: GuideRule[] }>;

function guideGroups(): GuideGroups {
  return (parse(GUIDE_RULES) as { groups: GuideGroups }).groups;
}

/** The guide's rule groups, as docs/alerting.md quotes them. */
function quotedGroups(): GuideGroups {
  const doc = read('docs/alerting.md');
  const section = doc.slice(doc.indexOf("## The monitoring guide's rules"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) {
    throw new Error('docs/alerting.md has no yaml block under "The monitoring guide\'s rules"');
  }
  return (parse(block[1]) as { groups: GuideGroups }).groups;
}

/** The guide writes one bare selector or none; ZViz's selector (job="zviz") goes on every metric. */
function withSelector(expr: string): string {
  return oneLine(expr).replace(/\b(zviz_[a-z_]+)(?![a-z_{])/g, '$1{job="zviz"}');
}

describe("the monitoring guide's rules, exactly", () => {
  const generated = parse(read(OUTPUT_PATHS.prometheus)) as {
    groups: Array<{ name: string; rules: Array<GuideRule & Record<string, unknown>> }>;
  };
  const cases = guideGroups().flatMap((g) =>
    g.rules.map((rule) => ({ group: g.name, name: rule.alert ?? rule.record, rule }))
  );

  it('quotes the five alerts and the recording rule of the guide', () => {
    expect(cases.map((c) => `${c.group}/${c.name}`)).toEqual([
      'zviz.critical/ZVizBrokerDown',
      'zviz.critical/ZVizSecurityViolation',
      'zviz.critical/ZVizBrokerLatencyHigh',
      'zviz.warning/ZVizHighInflight',
      'zviz.warning/ZVizErrorRate',
      'zviz.rules/zviz:broker_latency:p99',
    ]);
  });

  it('docs/alerting.md quotes them as the guide prints them (its descriptions aside)', () => {
    const withoutDescriptions = (groups: GuideGroups) =>
      groups.map((g) => ({
        name: g.name,
        rules: g.rules.map(({ annotations, ...rule }) => ({
          ...rule,
          ...(annotations ? { annotations: { summary: annotations.summary } } : {}),
        })),
      }));
    expect(withoutDescriptions(quotedGroups())).toEqual(withoutDescriptions(guideGroups()));
  });

  it.each(cases)(
    '$group/$name is generated by that name, in that group, with its expression, for, labels and summary',
    ({ group, rule }) => {
      const mine = generated.groups
        .find((g) => g.name === group)
        ?.rules.find((r) => (rule.alert ? r.alert === rule.alert : r.record === rule.record));
      expect(mine, `${group} has no rule ${rule.alert ?? rule.record}`).toBeDefined();
      expect(oneLine(mine!.expr)).toBe(withSelector(rule.expr));
      if (rule.alert) {
        expect(mine!.for).toBe(rule.for);
        expect(mine!.labels).toEqual(rule.labels);
        expect(mine!.annotations?.summary).toBe(rule.annotations?.summary);
        // ZViz's description says more, but first what the guide's says, with the same templates.
        if (rule.annotations?.description) {
          expect(String(mine!.annotations?.description).startsWith(rule.annotations.description)).toBe(true);
        }
      }
    }
  );

  it('no other alert fires on the same condition as one of the guide (recorded series inlined)', () => {
    const guideExprs = new Set(cases.filter((c) => c.rule.alert).map((c) => withSelector(c.rule.expr)));
    const others = alerts.filter((a) => !cases.some((c) => c.rule.alert === a.alert));
    const same = others.filter((a) => guideExprs.has(oneLine(inlineRecorded(a.expr, recorded))));
    expect(same.map((a) => a.alert)).toEqual([]);
  });
});

describe('metric names in the rules', () => {
  const exprs = rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ name: 'alert' in r ? r.alert : r.record, expr: r.expr }))
  );

  it.each(exprs)('$name reads only catalog metrics, recorded series and up', ({ expr }) => {
    const unknown = metricNames(expr).filter((m) => !exposed.has(m) && !recorded.has(m) && !PROMETHEUS_SERIES.has(m));
    expect(unknown).toEqual([]);
  });

  it('recorded series never shadow a catalog metric', () => {
    expect([...recorded.keys()].filter((r) => exposed.has(r))).toEqual([]);
  });
});

describe('thresholds agree with the agent', () => {
  it('resource levels are the 90 % and 95 % levels of zviz_resource_alert_level, as the agent computes them', () => {
    expect(configNumber(config, 'resourceCriticalRatio')).toBe(RESOURCE_ALERT_THRESHOLDS[1]);
    expect(configNumber(config, 'resourceEmergencyRatio')).toBe(RESOURCE_ALERT_THRESHOLDS[2]);
  });

  it('the broker latency threshold is a bucket bound, so the p99 crosses it exactly', () => {
    expect(BROKER_LATENCY_BUCKETS).toContain(configNumber(config, 'brokerLatencyP99Seconds'));
  });
});

describe('runbooks', () => {
  const runbooks = read('docs/runbooks.md');
  // GitHub's anchors: the heading in lower case.
  const sections = new Map<string, string>();
  for (const part of runbooks.split(/^## /m).slice(1)) {
    const [heading, ...body] = part.split('\n');
    sections.set(heading.trim().toLowerCase(), body.join('\n'));
  }

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s links to its section, which says what it means, what to check and what to do',
    (_name, alert) => {
      const anchor = runbookAnchor(alert.alert);
      expect(alert.annotations.runbook_url).toBe(`${config.runbookUrlBase}#${anchor}`);
      const body = sections.get(anchor);
      expect(body, `docs/runbooks.md has no "## ${alert.alert}" section`).toBeDefined();
      for (const part of ['**What it means.**', '**What to check.**', '**What to do.**']) {
        expect(body).toContain(part);
      }
    }
  );

  it('docs/alerting.md lists every alert and recording rule', () => {
    const doc = read('docs/alerting.md');
    const listed = (name: string) => new RegExp(`\\|\\s*\`?${name}\`?\\s*\\|`).test(doc);
    expect([...alerts.map((a) => a.alert), ...recorded.keys()].filter((name) => !listed(name))).toEqual([]);
  });

  it('has no section for an alert that does not exist', () => {
    const names = new Set(alerts.map((a) => runbookAnchor(a.alert)));
    expect([...sections.keys()].filter((s) => !names.has(s))).toEqual([]);
  });
});

describe('promtool tests cover every rule', () => {
  const testDir = join(REPO, 'test/rules');
  const groups = readdirSync(testDir)
    .filter((f) => f.endsWith('.test.yaml'))
    .flatMap(
      (f) =>
        (
          parse(readFileSync(join(testDir, f), 'utf8')) as {
            tests: Array<{
              name: string;
              input_series?: Array<{ series: string }>;
              alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
              promql_expr_test?: Array<{ expr: string }>;
            }>;
          }
        ).tests
    );
  const cases = groups.flatMap((g) => g.alert_rule_test ?? []);

  it.each(alerts.map((a) => a.alert))('%s is seen firing and seen silent', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(
      mine.some((c) => (c.exp_alerts ?? []).length > 0),
      'no case where it fires'
    ).toBe(true);
    expect(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      'no case where it stays silent'
    ).toBe(true);
  });

  it('feed series the agent really exports: its names, its label names, its histogram bounds', () => {
    const families = new Map(CATALOG.flatMap((spec) => exposedSeriesNames(spec).map((n) => [n, spec] as const)));
    const wrong: string[] = [];
    let checked = 0;
    for (const group of groups) {
      for (const { series } of group.input_series ?? []) {
        checked++;
        const m = /^([a-zA-Z_:][\w:]*)\{(.*)\}$/.exec(series.trim());
        const labels = new Map([...(m?.[2] ?? '').matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map((l) => [l[1], l[2]]));
        const name = m?.[1] ?? series;
        if (PROMETHEUS_SERIES.has(name)) {
          continue;
        }
        const spec = families.get(name);
        if (!spec) {
          wrong.push(`${group.name}: ${name} is not a series the agent exports`);
          continue;
        }
        // Prometheus adds job and instance; a histogram's buckets have le.
        const allowed = new Set([...spec.labels, 'job', 'instance', ...(name.endsWith('_bucket') ? ['le'] : [])]);
        for (const label of labels.keys()) {
          if (!allowed.has(label)) {
            wrong.push(`${group.name}: ${name} has no label ${label}`);
          }
        }
        const le = labels.get('le');
        if (le !== undefined && le !== '+Inf' && !(spec.buckets ?? []).includes(Number(le))) {
          wrong.push(`${group.name}: ${name}: le="${le}" is not one of its buckets`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(wrong).toEqual([]);
  });

  it.each([...recorded.keys()])('%s has a promql_expr_test', (record) => {
    const exprs = groups.flatMap((g) => g.promql_expr_test ?? []).map((t) => t.expr);
    expect(exprs).toContain(record);
  });
});

describe('generated files', () => {
  it('are what npm run generate:rules produces from the current sources', async () => {
    const stale: string[] = [];
    for (const [path, content] of await generate(config)) {
      let current: string | undefined;
      try {
        current = read(path);
      } catch {
        current = undefined;
      }
      if (current !== content) {
        stale.push(path);
      }
    }
    expect(stale, 'run npm run generate:rules and commit the result').toEqual([]);
  });

  it('the PrometheusRule holds exactly the groups of the Prometheus rule file', () => {
    const file = parse(read(OUTPUT_PATHS.prometheus)) as { groups: unknown };
    const manifest = parse(read(OUTPUT_PATHS.prometheusRule)) as { kind: string; spec: { groups: unknown } };
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.spec.groups).toEqual(file.groups);
  });
});

describe('Grafana-managed rules', () => {
  const payloads = JSON.parse(read(OUTPUT_PATHS.grafanaPayloads)) as GrafanaRulePayloads;
  const provisioning = parse(read(OUTPUT_PATHS.grafanaProvisioning)) as {
    apiVersion: number;
    groups: Array<{
      orgId: number;
      name: string;
      folder: string;
      interval: string;
      rules: GrafanaRulePayloads['groups'][0]['rules'];
    }>;
  };
  const apiRules = payloads.groups.flatMap((g) => g.rules);
  const fileRules = provisioning.groups.flatMap((g) => g.rules);

  it('exist once for every alert, in both forms, with unique uids', () => {
    const names = alerts.map((a) => a.alert).sort();
    expect(apiRules.map((r) => r.title).sort()).toEqual(names);
    expect(fileRules.map((r) => r.title).sort()).toEqual(names);
    expect(new Set(apiRules.map((r) => r.uid)).size).toBe(names.length);
    for (const r of apiRules) {
      expect(r.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    }
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s keeps the Prometheus rule's value, threshold, for, labels and annotations",
    (_name, alert) => {
      const threshold = splitThreshold(alert.expr)!;
      for (const rule of [
        apiRules.find((r) => r.title === alert.alert)!,
        fileRules.find((r) => r.title === alert.alert)!,
      ]) {
        const [a, b, c] = rule.data;
        const expr = (a.model as { expr: string }).expr;
        expect(
          metricNames(expr).filter((m) => recorded.has(m)),
          'recording rules must be inlined'
        ).toEqual([]);
        expect(new Set(metricNames(expr))).toEqual(new Set(rawMetrics(alert.expr)));
        expect(b.model).toMatchObject({ type: 'reduce', expression: 'A' });
        expect(
          (c.model as { conditions: Array<{ evaluator: { params: number[] } }> }).conditions[0].evaluator.params
        ).toEqual([threshold.value]);
        expect(rule.condition).toBe('C');
        expect(rule.for).toBe(alert.for);
        expect(rule.labels).toMatchObject(alert.labels);
        expect(rule.annotations.summary).toBe(alert.annotations.summary);
        expect(rule.annotations.runbook_url).toBe(alert.annotations.runbook_url);
        expect(rule.annotations.description).not.toMatch(/\$value\b(?!s)/);
      }
    }
  );

  it('API payloads query the datasource placeholder and carry the plugin origin label', () => {
    for (const rule of apiRules) {
      expect(rule.data[0].datasourceUid).toBe(payloads.datasourcePlaceholder);
      expect(rule.labels.__grafana_origin).toBe(`plugin/${PLUGIN_ID}`);
      expect(rule.folderUID).toBe(payloads.folder.uid);
    }
    expect(payloads.datasourcePlaceholder).toBe('__ZVIZ_DATASOURCE_UID__');
  });

  it('the provisioning file has the fields Grafana requires and queries the configured datasource', () => {
    expect(provisioning.apiVersion).toBe(1);
    for (const group of provisioning.groups) {
      expect(group).toMatchObject({
        orgId: 1,
        folder: config.grafanaFolder,
        interval: expect.stringMatching(/^\d+[smh]$/),
      });
      for (const rule of group.rules) {
        expect(rule).toMatchObject({ noDataState: 'OK', execErrState: 'Error' });
        expect(rule.data[0].datasourceUid).toBe(config.grafanaDatasourceUid);
        expect(rule.labels.__grafana_origin).toBeUndefined();
      }
    }
  });
});
