// The demo's Prometheus: Debian's binary, deploy/demo/prometheus.yml with the
// agent's address and the generated rules filled in, data in the demo's
// directory. Also the few API reads the demo prints from.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export const REPO = join(__dirname, '..', '..');
export const DEMO_PROMETHEUS_CONFIG = join(REPO, 'deploy/demo/prometheus.yml');
export const RULES = join(REPO, 'deploy/prometheus/zviz-rules.yaml');

interface PromConfig {
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
}

/** deploy/demo/prometheus.yml for an agent at `agent`, with `rules` (absolute) as its rule file. */
export function demoPrometheusConfig(agent: string, rules = RULES): string {
  const config = parse(readFileSync(DEMO_PROMETHEUS_CONFIG, 'utf8')) as PromConfig;
  config.rule_files = [rules];
  const job = config.scrape_configs.find((s) => s.job_name === 'zviz');
  if (!job) {
    throw new Error(`${DEMO_PROMETHEUS_CONFIG} has no zviz job`);
  }
  job.static_configs = [{ targets: [agent] }];
  return stringify(config);
}

export function prometheusVersion(): string | undefined {
  try {
    const out = execFileSync('prometheus', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** Arguments of a Prometheus with its config and data under `dir`, listening on `address`. */
export function prometheusArgs(dir: string, address: string, agent: string, rules = RULES): string[] {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, demoPrometheusConfig(agent, rules));
  return [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ];
}

export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

async function api<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') {
    throw new Error(`${path}: ${body.error ?? response.status}`);
  }
  return body.data;
}

export async function alerts(url: string): Promise<PromAlert[]> {
  return (await api<{ alerts: PromAlert[] }>(url, '/api/v1/alerts')).alerts;
}

export async function ruleCount(url: string): Promise<number> {
  const data = await api<{ groups: Array<{ rules: unknown[] }> }>(url, '/api/v1/rules');
  return data.groups.reduce((n, g) => n + g.rules.length, 0);
}

export async function targetHealth(url: string, job: string): Promise<string | undefined> {
  const data = await api<{ activeTargets: Array<{ labels: Record<string, string>; health: string }> }>(
    url,
    '/api/v1/targets?state=active'
  );
  return data.activeTargets.find((t) => t.labels.job === job)?.health;
}

export async function instantValue(url: string, expr: string): Promise<number | undefined> {
  const data = await api<{ result: Array<{ value: [number, string] }> }>(
    url,
    `/api/v1/query?query=${encodeURIComponent(expr)}`
  );
  return data.result.length ? Number(data.result[0].value[1]) : undefined;
}

/** The `for` of an alert rule in the loaded rules, e.g. "5m". */
export function alertFor(name: string, rules = RULES): string | undefined {
  const file = parse(readFileSync(rules, 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; for?: string }> }>;
  };
  return file.groups.flatMap((g) => g.rules).find((r) => r.alert === name)?.for;
}

/** The demo Prometheus' scrape interval in seconds (Grafana's datasource setting behind $__rate_interval). */
export function demoScrapeIntervalSeconds(): number {
  const config = parse(readFileSync(DEMO_PROMETHEUS_CONFIG, 'utf8')) as { global?: { scrape_interval?: string } };
  const match = /^(\d+)s$/.exec(config.global?.scrape_interval ?? '');
  if (!match) {
    throw new Error(`${DEMO_PROMETHEUS_CONFIG}: global.scrape_interval should be whole seconds like "2s"`);
  }
  return Number(match[1]);
}
