// The shipped rules with shorter `for` durations, so that a live test sees
// alerts go pending and then firing in seconds instead of minutes. Everything
// else (expressions, labels, annotations) is exactly what the generator
// writes to deploy/prometheus/zviz-rules.yaml.
import { writeFileSync } from 'node:fs';

import { configWith, loadRules } from '../../scripts/rules/outputs';
import { prometheusRuleFile } from '../../scripts/rules/prometheus';
import { isAlert, type RuleSet } from '../../scripts/rules/source';

export function rulesWithFor(durations: Readonly<Record<string, string>>, settings = {}): RuleSet {
  const rules = loadRules(configWith(settings, 'live test'));
  const unknown = Object.keys(durations).filter(
    (name) => !rules.groups.some((g) => g.rules.some((r) => isAlert(r) && r.alert === name))
  );
  if (unknown.length > 0) {
    throw new Error(`no such alert: ${unknown.join(', ')}`);
  }
  return {
    groups: rules.groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => (isAlert(r) && durations[r.alert] ? { ...r, for: durations[r.alert] } : r)),
    })),
  };
}

export function writeRules(path: string, rules: RuleSet): string {
  writeFileSync(path, prometheusRuleFile(rules));
  return path;
}
