// Every bundled dashboard: the shape Grafana and the dashboard linter expect
// (schema version, null id, unique uids, revision, one `datasource` variable,
// panels with title, description and unit) and PromQL that Prometheus parses,
// over metrics the agent really exports (agent/src/metrics/catalog.ts) or
// recording rules ZViz ships, with label matchers those metrics carry; and
// the monitoring guide's Overview panels, in the overview dashboard.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';

import { CATALOG, exposedSeriesNames } from '../../agent/src/metrics/catalog';
import { defaultConfig, loadRules } from '../../scripts/rules/outputs';
import { metricNames } from '../../scripts/rules/promql';
import { recordedSeries } from '../../scripts/rules/source';
import { binary, describeWhere } from '@zviz/test-support/requirements';

import { dashboardIncludes, findPlugins, src } from './plugins';
import { interpolate, parsePromQL } from './promql';

interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { uid?: string } }>;
  panels?: Panel[];
}

interface Dashboard {
  id: unknown;
  uid: string;
  title: string;
  schemaVersion: number;
  revision?: number;
  templating: {
    list: Array<{ name: string; type: string; label?: string; query?: unknown; datasource?: { uid?: string } }>;
  };
  panels: Panel[];
}

/** Recording rules ZViz ships (src/alerts), and the ones agreed before they land. */
function recordingRules(): Map<string, string[]> {
  const rules = new Map<string, string[]>([
    ['zviz:broker_latency:p99', ['instance', 'job']],
    ['instance_syscall_decision:zviz_broker_decisions:rate5m', ['instance', 'job', 'syscall', 'decision']],
    ['instance_layer:zviz_security_denials:rate5m', ['instance', 'job', 'layer']],
    ['instance:zviz_broker_requests:rate5m', ['instance', 'job']],
  ]);
  const alerts = join(src, 'alerts');
  if (existsSync(alerts)) {
    for (const name of readdirSync(alerts).filter((f) => /\.ya?ml$/.test(f))) {
      const doc = parseYaml(readFileSync(join(alerts, name), 'utf8')) as {
        groups?: Array<{ rules?: Array<{ record?: string }> }>;
      };
      for (const rule of doc?.groups?.flatMap((g) => g.rules ?? []) ?? []) {
        if (rule.record && !rules.has(rule.record)) {
          // Labels of a recorded series follow its name's level prefix (instance_syscall_decision: ...).
          rules.set(rule.record, [...rule.record.split(':')[0].split('_'), 'job', 'instance']);
        }
      }
    }
  }
  return rules;
}

const TARGET_LABELS = ['instance', 'job'];
const known = new Map<string, string[]>();
for (const spec of CATALOG) {
  for (const series of exposedSeriesNames(spec)) {
    known.set(series, [...spec.labels, ...TARGET_LABELS, ...(series.endsWith('_bucket') ? ['le'] : [])]);
  }
}
for (const [name, labels] of recordingRules()) {
  known.set(name, labels);
}
// Prometheus' own series for every target.
known.set('up', TARGET_LABELS);

const app = findPlugins().find((p) => p.dir === '')!;
const files = findPlugins().flatMap(dashboardIncludes);
const dashboards = files.map(({ file }) => ({ file, json: JSON.parse(readFileSync(file, 'utf8')) as Dashboard }));

function panelsOf(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

function exprsOf(d: Dashboard): Array<{ panel: string; expr: string }> {
  const fromPanels = panelsOf(d).flatMap((p) =>
    (p.targets ?? []).filter((t) => t.expr).map((t) => ({ panel: p.title ?? '?', expr: t.expr! }))
  );
  const fromVars = d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ panel: `variable ${v.name}`, expr: labelValuesSelector(v.query) }))
    .filter((e): e is { panel: string; expr: string } => Boolean(e.expr));
  return [...fromPanels, ...fromVars];
}

/** `label_values(selector, label)` queries the selector's series. */
function labelValuesSelector(query: unknown): string | undefined {
  const q = typeof query === 'string' ? query : (query as { query?: string })?.query;
  const m = q ? /^label_values\((.+),\s*\w+\)$/.exec(q) : null;
  return m?.[1];
}

describe('bundled dashboards', () => {
  it('includes the six dashboards, each declared once with a file that exists', () => {
    expect(files.map((f) => f.include.path).sort()).toEqual(
      ['broker', 'containers', 'overview', 'rollout', 'security', 'tracing'].map((n) => `dashboards/${n}.json`)
    );
    for (const { file } of files) {
      expect(existsSync(file), file).toBe(true);
    }
  });

  it("the overview has the monitoring guide's Overview dashboard and key panels, each reading what the guide's query reads", () => {
    // [the guide's title, ZViz's, the guide's query]. "Active Containers" is the
    // overview's stat of that name in the row's sentence case; the key panels
    // "Request Rate" and "Latency Percentiles" are the first two.
    const GUIDE_PANELS: Array<[string, string, string]> = [
      ['Broker Requests/sec', 'Broker Requests/sec', 'rate(zviz_broker_requests_total[5m])'],
      [
        'Broker Latency (p99)',
        'Broker Latency (p99)',
        'histogram_quantile(0.99, rate(zviz_broker_latency_seconds_bucket[5m]))',
      ],
      ['Security Denials', 'Security Denials', 'rate(zviz_security_denials_total[5m])'],
      ['Active Containers', 'Active containers', 'zviz_containers_by_state{state="running"}'],
      ['Decision Breakdown', 'Decision Breakdown', 'sum by (decision) (rate(zviz_broker_decisions_total[5m]))'],
      ['Error Rate', 'Error Rate', 'rate(zviz_broker_errors_total[5m])'],
      ['Container Count', 'Container Count', 'zviz_containers_total'],
    ];
    const recorded = recordedSeries(loadRules(defaultConfig()));
    const raw = (expr: string): string[] =>
      metricNames(expr).flatMap((m) => (recorded.has(m) ? raw(recorded.get(m)!) : [m]));
    const overview = dashboards.find((d) => d.file.endsWith('overview.json'))!.json;
    for (const [guideTitle, title, guideExpr] of GUIDE_PANELS) {
      const panel = panelsOf(overview).find((p) => p.title === title);
      expect(panel, `${guideTitle}: no panel "${title}"`).toBeDefined();
      const exprs = (panel!.targets ?? []).map((t) => interpolate(t.expr ?? ''));
      const reads = new Set(exprs.flatMap(raw));
      for (const metric of metricNames(guideExpr)) {
        expect(reads.has(metric), `${guideTitle} reads ${metric}`).toBe(true);
      }
      if (guideExpr.includes('state="running"')) {
        expect(exprs.some((e) => e.includes('state="running"'))).toBe(true);
      }
      if (guideExpr.includes('by (decision)')) {
        expect(exprs.some((e) => /by \(decision\)/.test(e))).toBe(true);
      }
      if (guideExpr.includes('0.99')) {
        expect(exprs.some((e) => e.includes('zviz:broker_latency:p99') || e.includes('0.99'))).toBe(true);
      }
    }
  });

  it('name only alerts that exist in the rules (src/alerts/rules.yaml)', () => {
    const rules = readFileSync(join(src, 'alerts', 'rules.yaml'), 'utf8');
    const defined = new Set([...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]));
    expect(defined.size).toBeGreaterThan(10);
    const named = dashboards.flatMap((d) =>
      [...JSON.stringify(d.json).matchAll(/\bZViz[A-Z]\w*/g)].map((m) => `${d.json.title}: ${m[0]}`)
    );
    expect(named.filter((n) => !defined.has(n.split(': ')[1]))).toEqual([]);
  });

  it('graph every count of something lost or left out (dropped events, lost tracer events, series over budget)', () => {
    // The agent counts whatever it cannot deliver instead of losing it silently
    // (docs/metrics.md); a count nobody sees on a dashboard is lost all the same.
    const losses = CATALOG.map((m) => m.name).filter((n) => /_(dropped|lost|overflow)(_total)?$/.test(n));
    expect(losses).toContain('zviz_container_events_dropped_total');
    // A recorded series counts as the metrics its rule reads (src/alerts/rules.yaml).
    const recorded = recordedSeries(loadRules(defaultConfig()));
    const raw = (metric: string): string[] =>
      recorded.has(metric) ? metricNames(recorded.get(metric)!).flatMap(raw) : [metric];
    const queried = new Set(
      dashboards.flatMap((d) =>
        exprsOf(d.json).flatMap(({ expr }) => parsePromQL(expr).selectors.flatMap((s) => raw(s.metric)))
      )
    );
    expect(losses.filter((n) => !queried.has(n))).toEqual([]);
  });

  it('have unique uids', () => {
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) {
      expect(uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    }
  });

  describe.each(dashboards.map((d) => [d.json.title, d.json] as [string, Dashboard]))('%s', (_title, d) => {
    it('has a null id, a revision and a current schema version', () => {
      expect(d.id).toBeNull();
      expect(Number.isInteger(d.revision) && d.revision! >= 1).toBe(true);
      expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    });

    it('has exactly one datasource variable, named datasource, labelled Data Source', () => {
      const dsVars = d.templating.list.filter((v) => v.type === 'datasource');
      expect(dsVars).toHaveLength(1);
      expect(dsVars[0]).toMatchObject({ name: 'datasource', label: 'Data Source', query: 'prometheus' });
    });

    it('uses only the datasource variable, never a hard-coded uid', () => {
      for (const p of panelsOf(d)) {
        expect(p.datasource?.uid, p.title).toBe('${datasource}');
        for (const t of p.targets ?? []) {
          expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe('${datasource}');
        }
      }
      for (const v of d.templating.list.filter((v) => v.type === 'query')) {
        expect(v.datasource?.uid, v.name).toBe('${datasource}');
      }
    });

    it('gives every panel a title, a description, a unit and unique ids', () => {
      const panels = panelsOf(d);
      expect(panels.length).toBeGreaterThan(3);
      for (const p of panels) {
        expect(p.title, `panel ${p.id}`).toBeTruthy();
        expect(p.description, p.title).toBeTruthy();
        expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
        expect((p.targets ?? []).length, `${p.title} has no query`).toBeGreaterThan(0);
      }
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('queries only metrics the agent exports or ZViz records, with labels they carry', () => {
      const problems: string[] = [];
      for (const { panel, expr } of exprsOf(d)) {
        const parsed = parsePromQL(expr);
        problems.push(...parsed.syntaxErrors.map((e) => `${panel}: ${e} in ${expr}`));
        for (const s of parsed.selectors) {
          const labels = known.get(s.metric);
          if (!labels) {
            problems.push(`${panel}: ${s.metric} is not in the agent's metric catalog or ZViz's recording rules`);
            continue;
          }
          for (const l of s.labels.filter((x) => !labels.includes(x))) {
            problems.push(`${panel}: ${s.metric} has no label "${l}"`);
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('uses $__rate_interval (or $__range) in rate() and increase(), not fixed windows', () => {
      const fixed = exprsOf(d).flatMap(({ panel, expr }) =>
        [...expr.matchAll(/\b(rate|irate|increase)\([^[]*\[([^\]]+)\]/g)]
          .filter((m) => !['$__rate_interval', '$__range'].includes(m[2]))
          .map((m) => `${panel}: ${m[1]}(...[${m[2]}])`)
      );
      expect(fixed).toEqual([]);
    });

    it('uses only panel types Grafana ships or this app declares', () => {
      const nested = (app.json.includes ?? []).filter((i) => i.type === 'panel').map((i) => i.path);
      const builtin = ['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'heatmap', 'state-timeline', 'row', 'text'];
      for (const p of panelsOf(d)) {
        if (!builtin.includes(p.type)) {
          expect(p.type).toBe('zviz-decisions-panel');
          expect(nested).toContain('panels/decisions/plugin.json');
        }
      }
    });
  });
});

describeWhere([binary('promtool', 'prometheus')], 'dashboard PromQL checked by promtool', () => {
  it('parses every expression', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-dash-'));
    try {
      const rules = dashboards.flatMap((d) =>
        exprsOf(d.json).map(({ expr }, i) => ({
          record: `dashboard:${d.json.uid.replace(/-/g, '_')}:${i}`,
          expr: expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?(\w+)(:\w+)?\}?/g, 'x'),
        }))
      );
      const path = join(dir, 'dashboards.rules.yml');
      writeFileSync(path, stringify({ groups: [{ name: 'dashboards', rules }] }));
      const result = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toMatch(/SUCCESS: \d+ rules found/);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
