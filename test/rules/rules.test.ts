// The generated rules against the rest of ZViz: every metric they read is in
// the agent's catalog, every alert has a runbook section and promtool tests
// that see it fire and stay silent, the generated files are what the
// generator produces now, and the Grafana-managed rules match the Prometheus
// ones.
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
import { metricNames, splitThreshold } from '../../scripts/rules/promql';
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
  it('resource levels are seed 001 levels as the catalog defines them', () => {
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
