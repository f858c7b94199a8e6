// Prometheus' own rule checker and unit tester on the generated rules:
// `promtool check rules` on every generated rule set, and `promtool test
// rules` on each test group of test/rules/*.test.yaml, one vitest test per
// group. For every firing case of those groups, the Grafana-managed rule's
// query and threshold are evaluated on the same input and must select the
// same series, so the inlined Grafana queries are proven equivalent too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { binary, describeWhere } from '@zviz/test-support/requirements';

import { OUTPUT_PATHS, REPO } from '../../scripts/rules/outputs';
import type { GrafanaRulePayloads } from '../../scripts/rules/grafana';

const TESTS_DIR = __dirname;
const scratch = mkdtempSync(join(tmpdir(), 'zviz-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
}

interface TestGroup {
  name: string;
  interval?: string;
  input_series?: unknown[];
  alert_rule_test?: AlertCase[];
  promql_expr_test?: unknown[];
}

interface TestFile {
  rule_files: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests: TestGroup[];
}

function promtool(args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('promtool', args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function writeScratch(name: string, value: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof value === 'string' ? value : stringify(value, { lineWidth: 0 }));
  return path;
}

const testFiles = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith('.test.yaml'))
  .sort();

const payloads = JSON.parse(readFileSync(join(REPO, OUTPUT_PATHS.grafanaPayloads), 'utf8')) as GrafanaRulePayloads;
const grafanaRules = new Map(payloads.groups.flatMap((g) => g.rules).map((r) => [r.title, r]));
const ruleFile = parse(readFileSync(join(REPO, OUTPUT_PATHS.prometheus), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert?: string; labels?: Record<string, string> }> }>;
};
const staticLabels = new Map(
  ruleFile.groups.flatMap((g) => g.rules).flatMap((r) => (r.alert ? [[r.alert, r.labels ?? {}] as const] : []))
);

const COMPARISON: Record<string, string> = { gt: '>', lt: '<', ge: '>=', le: '<=', eq: '==', ne: '!=' };

/** Grafana's A query compared with its C threshold, as one PromQL expression. */
function grafanaCondition(alertname: string): string {
  const rule = grafanaRules.get(alertname);
  if (!rule) {
    throw new Error(`no Grafana-managed rule for ${alertname}`);
  }
  const expr = (rule.data[0].model as { expr: string }).expr;
  const threshold = rule.data[2].model as { conditions: Array<{ evaluator: { type: string; params: number[] } }> };
  const { type, params } = threshold.conditions[0].evaluator;
  return `((${expr}) ${COMPARISON[type]} ${params[0]}) * 0 + 1`;
}

/** promql_expr_test cases: at each firing case, Grafana's condition holds for exactly the alerting series. */
function grafanaEquivalence(group: TestGroup): unknown[] {
  return (group.alert_rule_test ?? [])
    .filter((c) => (c.exp_alerts ?? []).length > 0)
    .map((c) => ({
      expr: grafanaCondition(c.alertname),
      eval_time: c.eval_time,
      exp_samples: (c.exp_alerts ?? []).map((a) => {
        const labels = Object.entries(a.exp_labels ?? {}).filter(
          ([k]) => !(k in (staticLabels.get(c.alertname) ?? {}))
        );
        return { labels: `{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`, value: 1 };
      }),
    }));
}

describeWhere([binary('promtool', 'prometheus')], 'promtool check rules on the generated rules', () => {
  it('accepts deploy/prometheus/zviz-rules.yaml', () => {
    const result = promtool(['check', 'rules', '--lint=all', '--lint-fatal', join(REPO, OUTPUT_PATHS.prometheus)]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('accepts the groups of the PrometheusRule', () => {
    const manifest = parse(readFileSync(join(REPO, OUTPUT_PATHS.prometheusRule), 'utf8')) as { spec: unknown };
    const result = promtool(['check', 'rules', writeScratch('prometheusrule-spec.yaml', manifest.spec)]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('accepts every query of the Grafana-managed rules (file provisioning and API payloads)', () => {
    const provisioning = parse(readFileSync(join(REPO, OUTPUT_PATHS.grafanaProvisioning), 'utf8')) as {
      groups: Array<{ rules: Array<{ data: Array<{ model: { expr?: string } }> }> }>;
    };
    const exprs = [...provisioning.groups.flatMap((g) => g.rules), ...payloads.groups.flatMap((g) => g.rules)].map(
      (r) => r.data[0].model.expr as string
    );
    expect(exprs.length).toBeGreaterThan(0);
    const rules = exprs.map((expr, i) => ({ record: `zviz_grafana_query_${i}`, expr }));
    const result = promtool([
      'check',
      'rules',
      writeScratch('grafana-queries.yaml', { groups: [{ name: 'g', rules }] }),
    ]);
    expect(result.output).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(result.ok).toBe(true);
  });
});

for (const file of testFiles) {
  const spec = parse(readFileSync(join(TESTS_DIR, file), 'utf8')) as TestFile;
  const ruleFiles = spec.rule_files.map((f) => resolve(TESTS_DIR, f));

  describeWhere([binary('promtool', 'prometheus')], `promtool test rules ${file}`, () => {
    for (const group of spec.tests) {
      it(group.name, () => {
        const single = { ...spec, rule_files: ruleFiles, tests: [group] };
        const result = promtool(['test', 'rules', writeScratch(`${file}-${spec.tests.indexOf(group)}.yaml`, single)]);
        expect(result.output, result.output).toContain('SUCCESS');
        expect(result.ok).toBe(true);
      });

      const equivalence = grafanaEquivalence(group);
      if (equivalence.length > 0) {
        it(`${group.name} (the Grafana-managed rules select the same series)`, () => {
          const { alert_rule_test: _alerts, ...inputs } = group;
          const grafana = {
            ...spec,
            rule_files: ruleFiles,
            tests: [{ ...inputs, name: `${group.name} (Grafana)`, promql_expr_test: equivalence }],
          };
          const result = promtool([
            'test',
            'rules',
            writeScratch(`${file}-${spec.tests.indexOf(group)}-grafana.yaml`, grafana),
          ]);
          expect(result.output, result.output).toContain('SUCCESS');
          expect(result.ok).toBe(true);
        });
      }
    }
  });
}
