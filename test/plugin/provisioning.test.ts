// provisioning/ and docker-compose.yml fit together and fit the plugin: the
// app is enabled with settings it knows, its datasource uids exist, the
// dashboard provider reads what is mounted, the alert rules query a
// provisioned datasource, and Grafana can run the plugin.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { DEFAULT_SETTINGS } from '../../src/settings';
import { findPlugins, repo } from './plugins';

const prov = join(repo, 'provisioning');
const yaml = <T>(path: string): T => parse(readFileSync(join(prov, path), 'utf8')) as T;
const ids = findPlugins().map((p) => p.json.id);

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url?: string;
  jsonData?: Record<string, unknown>;
}
const datasources: Datasource[] = readdirSync(join(prov, 'datasources'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => yaml<{ datasources: Datasource[] }>(`datasources/${f}`).datasources);

// The keys of ZVizDataSourceOptions (packages/shared/src/query.ts).
const DATASOURCE_KEYS = [
  'prometheusUrl',
  'prometheusAuth',
  'prometheusUser',
  'agentDiscovery',
  'agents',
  'agentJob',
  'agentScheme',
  'agentAuth',
  'agentUser',
  'timeoutSeconds',
  'scrapeIntervalSeconds',
  'tlsSkipVerify',
];

describe('provisioning', () => {
  const app = yaml<{ apps: Array<{ type: string; disabled: boolean; jsonData: Record<string, unknown> }> }>(
    'plugins/apps.yaml'
  ).apps[0];

  it('enables the app with settings it knows', () => {
    expect(app.type).toBe('zviz-sandbox-app');
    expect(app.disabled).toBe(false);
    for (const key of Object.keys(app.jsonData)) {
      expect(Object.keys(DEFAULT_SETTINGS), `unknown app setting ${key}`).toContain(key);
    }
  });

  it('provisions the datasources the app settings name', () => {
    const zviz = datasources.find((d) => d.uid === app.jsonData.datasourceUid);
    const prometheus = datasources.find((d) => d.uid === app.jsonData.prometheusUid);
    expect(zviz?.type).toBe('zviz-agent-datasource');
    expect(prometheus?.type).toBe('prometheus');
    for (const key of Object.keys(zviz!.jsonData ?? {})) {
      expect(DATASOURCE_KEYS, `unknown ZViz datasource option ${key}`).toContain(key);
    }
    expect(() => new URL(String(zviz!.jsonData!.prometheusUrl))).not.toThrow();
  });

  it('has a dashboard provider whose dashboards exist and use the plugin', () => {
    const provider = yaml<{ providers: Array<{ options: { path: string } }> }>('dashboards/zviz.yaml').providers[0];
    const local = provider.options.path.replace('/etc/grafana/provisioning', prov);
    const files = readdirSync(local).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(local, f), 'utf8'));
      const dsVar = d.templating.list.find((v: { type: string }) => v.type === 'datasource');
      expect(dsVar).toMatchObject({ name: 'datasource', query: 'zviz-agent-datasource' });
      expect(d.panels.map((p: { type: string }) => p.type)).toContain('zviz-decisions-panel');
      // Not one of the bundled dashboards: one uid, one dashboard.
      expect(existsSync(join(repo, 'src', 'dashboards', f))).toBe(false);
    }
  });

  it('has alert rules that query a provisioned datasource or an expression', () => {
    const uids = new Set(datasources.map((d) => d.uid));
    const files = readdirSync(join(prov, 'alerting')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const doc = yaml<{ groups: Array<{ rules: Array<{ data: Array<{ datasourceUid: string }> }> }> }>(
        `alerting/${f}`
      );
      for (const q of doc.groups.flatMap((g) => g.rules.flatMap((r) => r.data))) {
        expect(q.datasourceUid === '__expr__' || uids.has(q.datasourceUid), q.datasourceUid).toBe(true);
      }
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8')) as {
    volumes?: Record<string, unknown>;
    services: Record<
      string,
      {
        image?: string;
        volumes?: string[];
        environment?: Record<string, string>;
        privileged?: boolean;
        pid?: string;
        command?: string[];
      }
    >;
  };
  const grafana = compose.services.grafana;

  it('runs Grafana on a glibc (-ubuntu) image with the plugin mounted and allowed unsigned', () => {
    expect(grafana.image).toMatch(/-ubuntu$/);
    expect(grafana.volumes).toContain('./dist:/var/lib/grafana/plugins/zviz-sandbox-app:ro');
    expect(grafana.volumes).toContain('./provisioning:/etc/grafana/provisioning:ro');
    expect(grafana.environment!.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS.split(',').sort()).toEqual([...ids].sort());
  });

  it("keeps Grafana's and Prometheus' data in named volumes, which survive docker compose down", () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['grafana-data', 'prometheus-data']);
    expect(grafana.volumes).toContain('grafana-data:/var/lib/grafana');
    const prometheus = compose.services.prometheus;
    expect(prometheus.volumes).toContain('prometheus-data:/prometheus');
    expect(prometheus.command).toContain('--storage.tsdb.path=/prometheus');
  });

  it('runs the agent privileged in the host PID namespace', () => {
    const agent = compose.services.agent;
    expect(agent.privileged).toBe(true);
    expect(agent.pid).toBe('host');
  });

  it('points the ZViz datasource at the Prometheus service', () => {
    const zviz = datasources.find((d) => d.type === 'zviz-agent-datasource')!;
    expect(String(zviz.jsonData!.prometheusUrl)).toBe('http://prometheus:9090');
    expect(compose.services.prometheus).toBeDefined();
  });
});
