import { describe, expect, it } from 'vitest';

import { loadRuleSet } from './source';

const config = { runbookUrlBase: 'https://example.test/runbooks.md', sel: 'job="zviz"' };

function source(rule: string): string {
  return `groups:\n  - name: g\n    rules:\n${rule
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;
}

const good = `- alert: ZVizThingBroken
  expr: thing{%(sel)s} > 1
  for: 5m
  labels: {severity: warning}
  annotations:
    summary: Thing is broken.
    description: Thing on {{ $labels.instance }} is {{ $value }}.`;

describe('loadRuleSet', () => {
  it('expands placeholders and derives the runbook link from the alert name', () => {
    const rules = loadRuleSet(source(good), config, 'rules.yaml');
    expect(rules.groups[0].rules[0]).toEqual({
      alert: 'ZVizThingBroken',
      expr: 'thing{job="zviz"} > 1',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Thing is broken.',
        description: 'Thing on {{ $labels.instance }} is {{ $value }}.',
        runbook_url: 'https://example.test/runbooks.md#zvizthingbroken',
      },
    });
  });

  it.each([
    ['a name without the prefix', good.replace('ZVizThingBroken', 'ThingBroken'), 'CamelCase and start with ZViz'],
    ['an unknown severity', good.replace('warning', 'page'), 'severity must be one of critical, warning, info'],
    [
      'a templated summary',
      good.replace('Thing is broken.', 'Thing {{ $value }} is broken.'),
      'summary must be static',
    ],
    ['a summary in lower case', good.replace('Thing is broken.', 'thing is broken.'), 'summary must be static'],
    ['a static description', good.replace('Thing on {{ $labels.instance }} is {{ $value }}.', 'Broken.'), 'templated'],
    ['no threshold', good.replace('thing{%(sel)s} > 1', 'thing{%(sel)s}'), 'one comparison with a number'],
    ['a bad duration', good.replace('for: 5m', 'for: 5 minutes'), 'not a Prometheus duration'],
    ['invalid PromQL', good.replace('thing{%(sel)s} > 1', 'rate(thing > 1'), 'PromQL syntax error'],
  ])('refuses %s', (_why, rule, message) => {
    expect(() => loadRuleSet(source(rule), config, 'rules.yaml')).toThrow(message);
  });

  it('refuses a hand-written runbook_url', () => {
    const rule = `${good}\n    runbook_url: https://elsewhere`;
    expect(() => loadRuleSet(source(rule), config, 'rules.yaml')).toThrow('runbook_url is derived');
  });

  it('refuses recording rule names that do not follow level:metric:operations', () => {
    expect(() => loadRuleSet(source('- record: zviz_rate\n  expr: rate(x[5m])'), config, 'rules.yaml')).toThrow(
      'level:metric:operations'
    );
  });

  it('refuses recorded series used with matchers in an alert', () => {
    const rules = `- record: instance:x:rate5m\n  expr: rate(x_total[5m])\n${good.replace('thing{%(sel)s}', 'instance:x:rate5m{a="b"}')}`;
    expect(() => loadRuleSet(source(rules), config, 'rules.yaml')).toThrow('used with label matchers');
  });

  it('lists every problem at once', () => {
    const rule = good.replace('ZVizThingBroken', 'thing').replace('warning', 'loud');
    expect(() => loadRuleSet(source(rule), config, 'rules.yaml')).toThrow('2 problem(s)');
  });
});
