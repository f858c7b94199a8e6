// The real exposition, with every catalog family populated, passes
// `promtool check metrics` (the lints a Prometheus operator runs) with no
// complaint at all, and `zviz metrics` prints the same format.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';
import { CATALOG, exposedSeriesNames } from '../src/metrics/catalog';
import { ProcessSource } from '../src/metrics/process-source';
import { MetricsRegistry } from '../src/metrics/registry';
import { catalogSource } from './support/catalog-source';
import { zviz } from './support/agent-process';

function promtool(exposition: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function fullExposition(): Promise<string> {
  const registry = new MetricsRegistry();
  const process_ = new ProcessSource({ variant: 'production' });
  registry.addSource(process_);
  // The registry's own families come from the previous scrape; the process
  // source owns its five; the test source fills the rest.
  registry.addSource(
    catalogSource([
      ...process_.families,
      'zviz_agent_scrape_duration_seconds',
      'zviz_exported_series',
      'zviz_exported_series_limit',
      'zviz_exported_series_dropped',
    ])
  );
  await registry.scrape('text');
  const body = (await registry.scrape('text')).body.toString('utf8');
  process_.close();
  return body;
}

describeWhere([binary('promtool', 'prometheus')], 'promtool check metrics', () => {
  it('accepts the exposition with every catalog family populated, without a single complaint', async () => {
    const exposition = await fullExposition();
    for (const spec of CATALOG) {
      for (const name of exposedSeriesNames(spec)) {
        expect(exposition, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
      }
    }
    expect(promtool(exposition)).toEqual({ status: 0, output: '' });
  });

  it('is a real check: it refuses a gauge named like a counter', () => {
    const bad = '# HELP zviz_bad_total Bad.\n# TYPE zviz_bad_total gauge\nzviz_bad_total 1\n';
    const result = promtool(bad);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/non-counter metrics should not have "_total" suffix/);
  });

  it('accepts what `zviz metrics` prints', () => {
    const result = zviz(['metrics']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^zviz_build_info\{version="[^"]+",variant="production",commit="[^"]+"\} 1$/m);
    expect(promtool(result.stdout)).toEqual({ status: 0, output: '' });
  });
});

it('`zviz metrics --format openmetrics` ends with # EOF and names counter families without _total', () => {
  const result = zviz(['metrics', '--format', 'openmetrics']);
  expect(result.status).toBe(0);
  expect(result.stdout.endsWith('# EOF\n')).toBe(true);
  expect(result.stdout).toContain('# TYPE zviz_agent_cpu_seconds counter\n# UNIT zviz_agent_cpu_seconds seconds\n');
  expect(result.stdout).toMatch(/^zviz_agent_cpu_seconds_total [\d.]+$/m);
});
