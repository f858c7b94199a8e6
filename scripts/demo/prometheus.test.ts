import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';

import { alertFor, demoPrometheusConfig, DEMO_PROMETHEUS_CONFIG, RULES } from './prometheus';

const dir = mkdtempSync(join(tmpdir(), 'zviz-demo-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWhere([binary('promtool')], "the demo's Prometheus configuration", () => {
  it('is valid as checked in, with the generated rules it names', () => {
    const out = execFileSync('promtool', ['check', 'config', DEMO_PROMETHEUS_CONFIG], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("points the zviz job at the demo's agent and loads the rules by absolute path", () => {
    const text = demoPrometheusConfig('127.0.0.1:19090');
    const config = parse(text);
    expect(config.rule_files).toEqual([RULES]);
    expect(config.scrape_configs).toEqual([
      expect.objectContaining({ job_name: 'zviz', static_configs: [{ targets: ['127.0.0.1:19090'] }] }),
    ]);
    expect(config.global.scrape_interval).toBe('2s');
    const path = join(dir, 'prometheus.yml');
    writeFileSync(path, text);
    expect(execFileSync('promtool', ['check', 'config', path], { encoding: 'utf8' })).toContain('SUCCESS');
  });
});

it('reads the for of an alert from the generated rules', () => {
  expect(alertFor('ZVizSecurityViolation')).toMatch(/^\d+[smh]$/);
  expect(alertFor('NoSuchAlert')).toBeUndefined();
});
