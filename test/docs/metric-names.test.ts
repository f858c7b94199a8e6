// Every metric name README.md and docs/*.md give a user to query, graph or
// alert on exists: a family (or a series of one: _bucket, _sum, _count) of the
// agent's catalog, one of the backend datasource's own metrics, or a part of a
// recorded series' name (`level:metric:operations`). A family renamed in the
// catalog but not in the docs, or a docs typo, fails here instead of as an
// empty panel in a user's Grafana.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { CATALOG, exposedSeriesNames } from '../../agent/src/metrics/catalog';
import { BackendMetrics } from '../../pkg-backend/src/datasource/metrics';

const repo = join(__dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(repo, 'docs')).map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'));

/** The native addons are named zviz_broker and zviz_tracer too (agent/binding.gyp); they are not metrics. */
function addonNames(): Set<string> {
  const gyp = readFileSync(join(repo, 'agent', 'binding.gyp'), 'utf8');
  return new Set([...gyp.matchAll(/"target_name":\s*"(\w+)"/g)].map((m) => m[1]));
}

function backendSeries(): Set<string> {
  const metrics = new BackendMetrics();
  const names = metrics.registry.getMetricsAsArray().map((m) => m.name);
  metrics.registry.clear();
  return new Set(names.flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
}

/** `zviz_...` words of a text that are not a part of a longer name (a recorded series, a path, a file name). */
function namesIn(text: string): Array<{ name: string; line: number }> {
  const found: Array<{ name: string; line: number }> = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(?<![\w:./-])zviz_[a-z0-9_]*[a-z0-9](?![\w:./-])/g)) {
      found.push({ name: m[0], line: i + 1 });
    }
  });
  return found;
}

describe('metric names in README.md and docs/*.md', () => {
  const known = new Set([
    ...CATALOG.map((spec) => spec.name),
    ...CATALOG.flatMap(exposedSeriesNames),
    ...backendSeries(),
    ...addonNames(),
  ]);

  it('are found in the text, and parts of recorded series are left to the rules tests', () => {
    expect(namesIn('rate(zviz_broker_requests_total[5m]) and `zviz_containers_total`').map((n) => n.name)).toEqual([
      'zviz_broker_requests_total',
      'zviz_containers_total',
    ]);
    expect(namesIn('job_variant:zviz_broker_requests:rate5m, zviz_build.json, /x/zviz_y')).toEqual([]);
  });

  it('are metrics the agent or the datasource exports', () => {
    const unknown: string[] = [];
    let checked = 0;
    for (const path of DOCS) {
      for (const { name, line } of namesIn(readFileSync(join(repo, path), 'utf8'))) {
        checked++;
        if (!known.has(name)) {
          unknown.push(`${path}:${line}: ${name}`);
        }
      }
    }
    // docs/metrics.md alone names every family of the catalog.
    expect(checked).toBeGreaterThan(CATALOG.length);
    expect(unknown).toEqual([]);
  });
});
