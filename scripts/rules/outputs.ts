// Every generated file, as path -> content, from the rule source, the config
// and the dashboards. Pure: the command line writes these files and the
// staleness test compares them with the ones checked in.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';

import { loadConfig, overrideConfig, type RulesConfig } from './config';
import { dashboardsConfigMap, type DashboardFile } from './dashboards';
import { grafanaProvisioningFile, grafanaRulePayloads } from './grafana';
import { prometheusRuleFile, prometheusRuleManifest } from './prometheus';
import { loadRuleSet, type RuleSet } from './source';

export const REPO = join(__dirname, '..', '..');
export const SOURCE_PATH = 'src/alerts/rules.yaml';
export const CONFIG_PATH = 'src/alerts/config.yaml';
export const DASHBOARDS_DIR = 'src/dashboards';

export const OUTPUT_PATHS = {
  prometheus: 'deploy/prometheus/zviz-rules.yaml',
  prometheusRule: 'deploy/kubernetes/base/prometheusrule.yaml',
  dashboards: 'deploy/kubernetes/base/grafana-dashboards.yaml',
  grafanaProvisioning: 'provisioning/alerting/zviz-rules.yaml',
  grafanaPayloads: 'src/alerts/generated/grafana-rules.json',
} as const;

export function defaultConfig(): RulesConfig {
  return loadConfig(join(REPO, CONFIG_PATH));
}

export function readDashboards(dir = join(REPO, DASHBOARDS_DIR)): DashboardFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

export function loadRules(config: RulesConfig = defaultConfig()): RuleSet {
  return loadRuleSet(readFileSync(join(REPO, SOURCE_PATH), 'utf8'), config, SOURCE_PATH);
}

// Formatted as `npm run lint:fix` would format them, so that it leaves them alone.
async function prettier(path: string, content: string): Promise<string> {
  const options = await resolveConfig(join(REPO, path));
  return format(content, { ...options, filepath: path });
}

export async function generate(
  config: RulesConfig = defaultConfig(),
  dashboards: readonly DashboardFile[] = readDashboards()
): Promise<Map<string, string>> {
  const rules = loadRules(config);
  const raw = new Map([
    [OUTPUT_PATHS.prometheus, prometheusRuleFile(rules)],
    [OUTPUT_PATHS.prometheusRule, prometheusRuleManifest(rules)],
    [OUTPUT_PATHS.dashboards, dashboardsConfigMap(dashboards)],
    [OUTPUT_PATHS.grafanaProvisioning, grafanaProvisioningFile(rules, config)],
    [OUTPUT_PATHS.grafanaPayloads, JSON.stringify(grafanaRulePayloads(rules, config), null, 2)],
  ]);
  const formatted = new Map<string, string>();
  for (const [path, content] of raw) {
    formatted.set(path, await prettier(path, content));
  }
  return formatted;
}

export function configWith(overrides: RulesConfig, origin = 'overrides'): RulesConfig {
  return overrideConfig(defaultConfig(), overrides, origin);
}
