import { expect, it } from 'vitest';

import { bundledDashboards } from './bundled';
import { type DashboardJson, interpolate, intervals, prepareTargets, promRequest } from './targets';

const dashboard: DashboardJson = {
  title: 'test',
  panels: [],
  templating: {
    list: [
      { name: 'datasource', type: 'datasource' },
      { name: 'instance', type: 'query', multi: true, includeAll: true, allValue: '.*' },
      { name: 'job', type: 'query', multi: true, includeAll: true },
    ],
  },
};
// Two minutes with a 2 s scrape: $__interval is the scrape interval, $__rate_interval four of them.
const window = { fromMs: 1_700_000_000_000, toMs: 1_700_000_120_000, scrapeIntervalSeconds: 2 };

it('replaces variables at "All" and Grafana’s interval and range variables', () => {
  expect(
    interpolate('rate(x{instance=~"$instance", job=~"${job}"}[$__rate_interval]) / [[instance]]', dashboard, window)
  ).toBe('rate(x{instance=~".*", job=~".*"}[8s]) / .*');
  expect(interpolate('increase(x[$__range]) $__interval $__range_s', dashboard, window)).toBe(
    'increase(x[120s]) 2s 120'
  );
});

it('follows Grafana’s $__rate_interval: one interval plus a scrape once the interval outgrows the scrape', () => {
  // Six hours over 1000 points: 21.6 s, rounded to 20 s; 20 s + 2 s > 4 × 2 s.
  const six = { ...window, toMs: window.fromMs + 6 * 3600_000 };
  expect(intervals(six)).toEqual({ intervalMs: 20_000, rateIntervalMs: 22_000, rangeMs: 6 * 3600_000 });
});

it('refuses a variable the dashboard does not define, and $datasource inside PromQL', () => {
  expect(() => interpolate('x{a=~"$nope"}', dashboard, window)).toThrow(/\$nope .* neither a variable/);
  expect(() => interpolate('x{a=~"$datasource"}', dashboard, window)).toThrow(/belongs in a datasource field/);
});

it('sends instant targets to /api/v1/query and range targets to query_range aligned to their step', () => {
  const d: DashboardJson = {
    ...dashboard,
    panels: [
      {
        type: 'stat',
        gridPos: { x: 0, y: 0, w: 4, h: 4 },
        targets: [
          { refId: 'A', expr: 'sum(up)', instant: true, range: false },
          { refId: 'B', expr: 'up', range: true },
          { refId: 'C', expr: 'hidden', hide: true },
        ],
      },
    ],
  };
  const [a, b, ...rest] = prepareTargets(d, { ...window, fromMs: window.fromMs + 1 });
  expect(rest).toEqual([]);
  expect(promRequest(a, window)).toEqual({
    path: '/api/v1/query',
    params: new URLSearchParams({ query: 'sum(up)', time: '1700000120' }),
  });
  const range = promRequest(b, { ...window, fromMs: window.fromMs + 1 });
  expect(range.path).toBe('/api/v1/query_range');
  expect(Object.fromEntries(range.params)).toEqual({ query: 'up', start: '1700000000', end: '1700000120', step: '2' });
});

it('every bundled dashboard’s every target interpolates: no unknown variable, no datasource in PromQL', () => {
  const all = bundledDashboards().flatMap(({ dashboard: d }) => prepareTargets(d, window));
  expect(all.length).toBeGreaterThan(80);
  for (const t of all) {
    expect(t.expr, t.panel.title).not.toMatch(/\$|\[\[/);
  }
});
