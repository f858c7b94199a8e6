// Loads the rule source (src/alerts/rules.yaml), expands its placeholders
// and checks the conventions every ZViz rule follows, so that a rule that
// breaks one fails generation with a message naming it.
import { parse } from 'yaml';

import { configString, type RulesConfig } from './config';
import { inlineRecorded, parsePromQL, splitThreshold } from './promql';
import { expandDeep } from './template';

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface RuleSet {
  groups: RuleGroup[];
}

export const SEVERITIES = ['critical', 'warning', 'info'] as const;

const ALERT_NAME = /^ZViz([A-Z][a-z0-9]*)+$/; // mixtool's CamelCase rule, with the ZViz prefix
const RECORD_NAME = /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/; // level:metric:operations
const SUMMARY_STYLE = /^[A-Z]/; // the guide's own summaries end without a period
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

export function isAlert(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}

export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

function asStringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined) {
    return {};
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where}: expected a map`);
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new Error(`${where}.${key}: expected a string, got ${JSON.stringify(item)}`);
    }
    out[key] = item.trim();
  }
  return out;
}

function readRule(raw: unknown, where: string, config: RulesConfig): Rule {
  if (raw === null || typeof raw !== 'object') {
    throw new Error(`${where}: expected a rule`);
  }
  const r = raw as Record<string, unknown>;
  const known = new Set(['alert', 'record', 'expr', 'for', 'labels', 'annotations']);
  const unknown = Object.keys(r).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(`${where}: unknown field ${unknown.join(', ')}`);
  }
  if (typeof r.expr !== 'string') {
    throw new Error(`${where}: expr must be a string`);
  }
  const expr = r.expr.trim();
  if (typeof r.record === 'string') {
    if (r.labels !== undefined || r.annotations !== undefined || r.for !== undefined) {
      throw new Error(`${where} (${r.record}): recording rules carry no for, labels or annotations here`);
    }
    return { record: r.record, expr };
  }
  if (typeof r.alert !== 'string') {
    throw new Error(`${where}: a rule needs alert or record`);
  }
  if (typeof r.for !== 'string') {
    throw new Error(`${where} (${r.alert}): give for explicitly, "0m" if the alert fires at once`);
  }
  const annotations = asStringMap(r.annotations, `${where}.annotations`);
  if (annotations.runbook_url !== undefined) {
    throw new Error(`${where} (${r.alert}): runbook_url is derived from runbookUrlBase; do not set it`);
  }
  annotations.runbook_url = `${configString(config, 'runbookUrlBase')}#${runbookAnchor(r.alert)}`;
  return { alert: r.alert, expr, for: r.for, labels: asStringMap(r.labels, `${where}.labels`), annotations };
}

function checkAlert(rule: AlertingRule, recorded: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${rule.alert}: ${what}`);
  if (!ALERT_NAME.test(rule.alert)) {
    say('name must be CamelCase and start with ZViz');
  }
  if (!DURATION.test(rule.for)) {
    say(`for "${rule.for}" is not a Prometheus duration`);
  }
  if (!(SEVERITIES as readonly string[]).includes(rule.labels.severity ?? '')) {
    say(`severity must be one of ${SEVERITIES.join(', ')}`);
  }
  const { summary, description } = rule.annotations;
  if (!summary) {
    say('summary is missing');
  } else if (summary.includes('{{') || !SUMMARY_STYLE.test(summary)) {
    say('summary must be static and start with a capital');
  }
  if (!description) {
    say('description is missing');
  } else if (!description.includes('{{')) {
    say('description must be templated ({{ $labels.instance }}, {{ $value }})');
  }
  try {
    if (!splitThreshold(rule.expr)) {
      say('expr must end in one comparison with a number: <value> <op> <threshold>');
    }
    inlineRecorded(rule.expr, recorded);
  } catch (error) {
    say((error as Error).message);
  }
  return problems;
}

/** Parses and checks the rule source; throws listing every problem found. */
export function loadRuleSet(sourceText: string, config: RulesConfig, origin: string): RuleSet {
  const raw = expandDeep(parse(sourceText), config, origin) as { groups?: unknown };
  if (!Array.isArray(raw?.groups)) {
    throw new Error(`${origin}: expected a Prometheus rule file with groups`);
  }
  const groups: RuleGroup[] = raw.groups.map((g: Record<string, unknown>, i: number) => {
    const where = `${origin}: groups[${i}]`;
    if (typeof g.name !== 'string' || !Array.isArray(g.rules)) {
      throw new Error(`${where}: a group needs a name and rules`);
    }
    const group: RuleGroup = {
      name: g.name,
      rules: g.rules.map((r: unknown, j: number) => readRule(r, `${where}.rules[${j}]`, config)),
    };
    if (typeof g.interval === 'string') {
      group.interval = g.interval;
    }
    return group;
  });

  const problems: string[] = [];
  const recorded = new Map<string, string>();
  const names = new Set<string>();
  for (const group of groups) {
    if (names.has(group.name)) {
      problems.push(`group ${group.name} is defined twice`);
    }
    names.add(group.name);
    for (const rule of group.rules) {
      try {
        parsePromQL(rule.expr);
      } catch (error) {
        problems.push(`${isAlert(rule) ? rule.alert : rule.record}: ${(error as Error).message}`);
        continue;
      }
      if (!isAlert(rule)) {
        if (!RECORD_NAME.test(rule.record)) {
          problems.push(`${rule.record}: recording rule names follow level:metric:operations`);
        }
        if (recorded.has(rule.record)) {
          problems.push(`${rule.record}: recorded twice`);
        }
        recorded.set(rule.record, rule.expr);
      }
    }
  }
  const alerts = new Set<string>();
  for (const rule of groups.flatMap((g) => g.rules).filter(isAlert)) {
    if (alerts.has(rule.alert)) {
      problems.push(`${rule.alert}: defined twice`);
    }
    alerts.add(rule.alert);
    problems.push(...checkAlert(rule, recorded));
  }
  if (problems.length > 0) {
    throw new Error(`${origin}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }
  return { groups };
}

/** Recorded series name -> defining expression. */
export function recordedSeries(rules: RuleSet): Map<string, string> {
  return new Map(
    rules.groups
      .flatMap((g) => g.rules)
      .filter((r): r is RecordingRule => !isAlert(r))
      .map((r) => [r.record, r.expr])
  );
}

export function alertingRules(rules: RuleSet): AlertingRule[] {
  return rules.groups.flatMap((g) => g.rules).filter(isAlert);
}
