// The real exposition, with every catalog family populated, passes
// `promtool check metrics` (the lints a Prometheus operator runs) with no
// complaint but the two the monitoring guide's names cause (kept on purpose,
// docs/metrics.md), and `zviz metrics` prints the same format.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';
import { CATALOG, exposedSeriesNames } from '../src/metrics/catalog';
import { ProcessSource } from '../src/metrics/process-source';
import { MetricsRegistry } from '../src/metrics/registry';
import { catalogSource } from './support/catalog-source';
import { zviz } from './support/agent-process';
import { expectedObjections, promtoolCheck } from './support/promtool';

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
  it('accepts the exposition with every catalog family populated, but for the guide names it objects to', async () => {
    const exposition = await fullExposition();
    for (const spec of CATALOG) {
      for (const name of exposedSeriesNames(spec)) {
        expect(exposition, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
      }
    }
    const result = promtoolCheck(exposition);
    expect(result.problems).toEqual([]);
    // Exactly the objections docs/metrics.md explains, no more, no fewer.
    expect(result.accepted.sort()).toEqual(expectedObjections().sort());
    expect(result.accepted).toContain('zviz_cpu_usage_seconds counter metrics should have "_total" suffix');
  });

  it('is a real check: it refuses a gauge named like a counter', () => {
    const bad = '# HELP zviz_bad_total Bad.\n# TYPE zviz_bad_total gauge\nzviz_bad_total 1\n';
    const result = promtool(bad);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/non-counter metrics should not have "_total" suffix/);
  });

  it('accepts what `zviz metrics` prints', () => {
    const result = zviz(['metrics', '--local']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^zviz_build_info\{version="[^"]+",variant="production",commit="[^"]+",build_time="[^"]+"\} 1$/m
    );
    const check = promtoolCheck(result.stdout);
    expect(check.problems).toEqual([]);
  });
});

it('`zviz metrics --format openmetrics` ends with # EOF and names counter families without _total', () => {
  const result = zviz(['metrics', '--local', '--format', 'openmetrics']);
  expect(result.status).toBe(0);
  expect(result.stdout.endsWith('# EOF\n')).toBe(true);
  expect(result.stdout).toContain('# TYPE zviz_agent_cpu_seconds counter\n# UNIT zviz_agent_cpu_seconds seconds\n');
  expect(result.stdout).toMatch(/^zviz_agent_cpu_seconds_total [\d.]+$/m);
  // The guide's counter without _total keeps its sample name: typed unknown, not renamed.
  expect(result.stdout).toContain('# TYPE zviz_cpu_usage_seconds unknown\n# UNIT zviz_cpu_usage_seconds seconds\n');
  expect(result.stdout).not.toContain('# TYPE zviz_cpu_usage_seconds counter');
});

describeWhere([binary('promtool', 'prometheus')], 'the OpenMetrics exposition', () => {
  it("is valid OpenMetrics, every family populated, for Prometheus' own parser", async () => {
    const registry = new MetricsRegistry();
    registry.addSource(catalogSource());
    const body = (await registry.scrape('openmetrics')).body.toString('utf8');
    // promtool reads OpenMetrics through the TSDB backfill, with the parser a
    // scrape uses; it refuses what a scrape would refuse. Backfilled samples
    // need timestamps.
    const dir = mkdtempSync(join(tmpdir(), 'zviz-om-'));
    const input = join(dir, 'in.om');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(input, body.replace(/^([a-z_]+(?:\{[^}]*\})? \S+)$/gm, `$1 ${now}`));
    const result = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'data')], {
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).not.toMatch(/error|invalid/i);
    expect(result.status).toBe(0);
  });
});
