import { describe, expect, it } from 'vitest';

import type { MetricSpec } from './catalog';
import {
  compileFamily,
  escapeLabelValue,
  formatValue,
  negotiateFormat,
  renderExposition as renderBuffer,
  renderSamples,
} from './render';
import type { HistogramSample, ValueSample } from './source';

async function renderExposition(...args: Parameters<typeof renderBuffer>) {
  const result = await renderBuffer(...args);
  return { ...result, body: result.body.toString('utf8') };
}

const counter: MetricSpec = {
  name: 'zviz_test_decisions_total',
  type: 'counter',
  help: 'Decisions "by" syscall\\outcome.',
  labels: ['syscall', 'decision'],
  component: 'agent',
};
const histogram: MetricSpec = {
  name: 'zviz_test_latency_seconds',
  type: 'histogram',
  help: 'Latency.',
  labels: [],
  buckets: [0.001, 0.5, 1],
  component: 'agent',
};
const gauge: MetricSpec = {
  name: 'zviz_test_ratio',
  type: 'gauge',
  help: 'A ratio.',
  labels: ['x'],
  component: 'agent',
};

describe('renderExposition', () => {
  it('renders counters and histograms in the text format', async () => {
    const { body } = await renderExposition(
      [
        {
          family: compileFamily(counter),
          parts: [[{ labels: { syscall: 'openat', decision: 'deny' }, value: 3 }]],
          seriesLimit: 100,
        },
        {
          family: compileFamily(histogram),
          parts: [[{ labels: {}, buckets: [1, 4, 5], sum: 1.25, count: 6 }]],
          seriesLimit: 100,
        },
      ],
      'text'
    );
    expect(body).toBe(
      [
        '# HELP zviz_test_decisions_total Decisions "by" syscall\\\\outcome.',
        '# TYPE zviz_test_decisions_total counter',
        'zviz_test_decisions_total{syscall="openat",decision="deny"} 3',
        '# HELP zviz_test_latency_seconds Latency.',
        '# TYPE zviz_test_latency_seconds histogram',
        'zviz_test_latency_seconds_bucket{le="0.001"} 1',
        'zviz_test_latency_seconds_bucket{le="0.5"} 4',
        'zviz_test_latency_seconds_bucket{le="1"} 5',
        'zviz_test_latency_seconds_bucket{le="+Inf"} 6',
        'zviz_test_latency_seconds_sum 1.25',
        'zviz_test_latency_seconds_count 6',
        '',
      ].join('\n')
    );
  });

  it('follows OpenMetrics: family names without _total, UNIT only for unit suffixes, escaped HELP, # EOF', async () => {
    const { body } = await renderExposition(
      [
        {
          family: compileFamily(counter),
          parts: [[{ labels: { syscall: 'read', decision: 'allow' }, value: 1 }]],
          seriesLimit: 9,
        },
        {
          family: compileFamily(histogram),
          parts: [[{ labels: {}, buckets: [0, 0, 0], sum: 0, count: 0 }]],
          seriesLimit: 9,
        },
        { family: compileFamily(gauge), parts: [[{ labels: { x: 'a' }, value: 0.5 }]], seriesLimit: 9 },
      ],
      'openmetrics'
    );
    const lines = body.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '# TYPE zviz_test_decisions counter',
      '# HELP zviz_test_decisions Decisions \\"by\\" syscall\\\\outcome.',
      'zviz_test_decisions_total{syscall="read",decision="allow"} 1',
    ]);
    expect(lines).toContain('# UNIT zviz_test_latency_seconds seconds');
    expect(lines).toContain('# UNIT zviz_test_ratio ratio');
    expect(body.endsWith('# EOF\n')).toBe(true);
    expect(body.match(/# EOF/g)).toHaveLength(1);
  });

  it('escapes label values and fills missing labels with the empty string', async () => {
    const { body } = await renderExposition(
      [{ family: compileFamily(counter), parts: [[{ labels: { syscall: 'a"b\\c\nd' }, value: 1 }]], seriesLimit: 9 }],
      'text'
    );
    expect(body).toContain('zviz_test_decisions_total{syscall="a\\"b\\\\c\\nd",decision=""} 1\n');
  });

  it('declares families without samples (HELP and TYPE only), and leaves out series past the limit (counted)', async () => {
    const samples = Array.from({ length: 5 }, (_, i) => ({
      labels: { syscall: `s${i}`, decision: 'allow' },
      value: i,
    }));
    const result = await renderExposition(
      [
        { family: compileFamily(counter), parts: [samples.slice(0, 3), samples.slice(3)], seriesLimit: 4 },
        { family: compileFamily(gauge), parts: [[]], seriesLimit: 4 },
      ],
      'text'
    );
    expect(result.body.match(/^zviz_test_decisions_total/gm)).toHaveLength(4);
    const text = result.body;
    expect(text).toContain(`# HELP zviz_test_ratio ${gauge.help}\n# TYPE zviz_test_ratio gauge\n`);
    expect(text).not.toMatch(/^zviz_test_ratio/m);
    // Declared once, at its place in the order given, even when empty.
    expect(text.match(/^# TYPE /gm)).toHaveLength(2);
    expect(text.indexOf('# TYPE zviz_test_decisions_total')).toBeLessThan(text.indexOf('# TYPE zviz_test_ratio'));
    expect(result.families.get(counter.name)).toEqual({ series: 4, dropped: 1, invalid: 0 });
  });

  it('counts histogram samples whose buckets do not match the catalog as invalid', async () => {
    const result = await renderExposition(
      [
        {
          family: compileFamily(histogram),
          parts: [[{ labels: {}, buckets: [1, 2], sum: 0, count: 2 }]],
          seriesLimit: 99,
        },
      ],
      'text'
    );
    expect(result.body).not.toMatch(/^zviz_test_latency/m);
    expect(result.families.get(histogram.name)?.invalid).toBe(1);
  });

  it('places samples rendered elsewhere exactly as it renders them, limit, drops and invalid ones counted alike', async () => {
    // Label values of several UTF-8 lengths: the limit cuts at a sample's end in bytes.
    const values: ValueSample[] = ['a', 'é', '日本', 'x"y', 'z'].map((v, i) => ({
      labels: { syscall: v, decision: 'allow' },
      value: i,
    }));
    const histograms = [
      { labels: {}, buckets: [1, 2, 3], sum: 0.5, count: 4 },
      { labels: {}, buckets: [0, 0, 9], sum: 2, count: 9 },
    ] as HistogramSample[];
    for (const limit of [0, 3, 6, 8, 100]) {
      const inputs = (render: boolean) => [
        {
          family: compileFamily(counter),
          parts: render
            ? [
                renderSamples(compileFamily(counter), values.slice(0, 2)),
                renderSamples(compileFamily(counter), values.slice(2)),
              ]
            : [values.slice(0, 2), values.slice(2)],
          seriesLimit: limit,
        },
        {
          family: compileFamily(histogram),
          parts: [render ? renderSamples(compileFamily(histogram), histograms) : histograms],
          seriesLimit: limit,
        },
      ];
      const direct = await renderBuffer(inputs(false), 'openmetrics');
      const placed = await renderBuffer(inputs(true), 'openmetrics');
      expect(placed.body.toString('utf8')).toBe(direct.body.toString('utf8'));
      expect(placed.families).toEqual(direct.families);
    }
    const all = await renderBuffer(
      [{ family: compileFamily(counter), parts: [renderSamples(compileFamily(counter), values)], seriesLimit: 3 }],
      'text'
    );
    expect(all.families.get(counter.name)).toEqual({ series: 3, dropped: 2, invalid: 0 });
    expect(all.body.toString('utf8')).toContain('zviz_test_decisions_total{syscall="日本",decision="allow"} 2\n');
    expect(all.body.toString('utf8')).not.toContain('x\\"y');
    // A sample that does not fit the catalog is counted as invalid (here at any limit: only the
    // samples rendered have a place).
    const invalid = await renderBuffer(
      [
        {
          family: compileFamily(histogram),
          parts: [renderSamples(compileFamily(histogram), [{ labels: {}, buckets: [1], sum: 0, count: 1 }])],
          seriesLimit: 100,
        },
      ],
      'text'
    );
    expect(invalid.families.get(histogram.name)).toEqual({ series: 0, dropped: 0, invalid: 1 });
  });

  it("reuses a series' lines while its values stay, and renders them again when they change, when asked", async () => {
    const labels = { syscall: 'read', decision: 'allow' };
    const histogramLabels = {};
    const buckets = [1, 2, 3];
    // Compiled once, as the registry does: what is kept is the family's own.
    const counterFamily = compileFamily(counter);
    const histogramFamily = compileFamily(histogram);
    const render = async (value: number) =>
      (
        await renderExposition(
          [
            {
              family: counterFamily,
              parts: [renderSamples(counterFamily, [{ labels, value }], { reuse: true })],
              seriesLimit: 9,
            },
            {
              family: histogramFamily,
              parts: [
                renderSamples(histogramFamily, [{ labels: histogramLabels, buckets, sum: value, count: 3 }], {
                  reuse: true,
                }),
              ],
              seriesLimit: 9,
            },
          ],
          'text'
        )
      ).body;
    expect(await render(5)).toContain('zviz_test_decisions_total{syscall="read",decision="allow"} 5\n');
    // Kept from the second scrape with the same values on.
    expect(await render(5)).toContain('zviz_test_decisions_total{syscall="read",decision="allow"} 5\n');
    // What the renderer keeps on the labels objects: marked, so a reuse shows.
    const kept = (target: object) =>
      Object.getOwnPropertySymbols(target)
        .map((key) => (target as Record<symbol, unknown>)[key])
        .find((v): v is { line?: string; lines?: string } => typeof v === 'object' && v !== null && !Array.isArray(v))!;
    kept(labels).line = 'reused value line\n';
    kept(histogramLabels).lines = 'reused histogram lines\n';
    const same = await render(5);
    expect(same).toContain('reused value line\n');
    expect(same).toContain('reused histogram lines\n');
    // A new value, or the same bucket array refilled in place, is rendered afresh.
    buckets[2] = 4;
    const changed = await render(6);
    expect(changed).not.toContain('reused');
    expect(changed).toContain('zviz_test_decisions_total{syscall="read",decision="allow"} 6\n');
    expect(changed).toContain('zviz_test_latency_seconds_bucket{le="1"} 4\n');
    expect(changed).toContain('zviz_test_latency_seconds_sum 6\n');
    await render(6);
    kept(histogramLabels).lines = 'reused histogram lines\n';
    expect(await render(6)).toContain('reused histogram lines\n');
    buckets[0] = 0;
    expect(await render(6)).toContain('zviz_test_latency_seconds_bucket{le="0.001"} 0\n');
    // The registry's own render of samples never reuses.
    await render(6);
    kept(labels).line = 'reused value line\n';
    const plain = await renderExposition(
      [{ family: counterFamily, parts: [[{ labels, value: 6 }]], seriesLimit: 9 }],
      'text'
    );
    expect(plain.body).toContain('zviz_test_decisions_total{syscall="read",decision="allow"} 6\n');
    expect(plain.body).not.toContain('reused');
  });

  it('yields to the event loop on large renders', async () => {
    const many = Array.from({ length: 20000 }, (_, i) => ({
      labels: { syscall: `s${i}`, decision: 'allow' },
      value: i,
    }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await renderExposition([{ family: compileFamily(counter), parts: [many], seriesLimit: 1e6 }], 'text', 0);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('formatting helpers', () => {
  it('formats special values the way Prometheus parses them', () => {
    expect([NaN, Infinity, -Infinity, 1e-7, 42].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '1e-7', '42']);
    expect(escapeLabelValue('plain')).toBe('plain');
  });

  it('negotiates OpenMetrics only when the scraper prefers it', () => {
    const prometheus =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    expect(negotiateFormat(prometheus)).toBe('openmetrics');
    expect(negotiateFormat('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5')).toBe('text');
    expect(negotiateFormat(undefined)).toBe('text');
    expect(negotiateFormat('*/*')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=0')).toBe('text');
  });
});
