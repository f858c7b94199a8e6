import { describe, expect, it } from 'vitest';

import { BytePool, SLAB_BYTES } from './byte-pool';
import type { MetricSpec } from './catalog';
import {
  ExpositionBuilder,
  Slicer,
  compileFamily,
  escapeLabelValue,
  formatValue,
  negotiateFormat,
  renderExposition as renderBuffer,
} from './render';

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

  it('writes each family whole and in catalog order from interleaved sources, multi-byte text and lines longer than a slab included', async () => {
    const first = compileFamily(counter);
    const second = compileFamily(gauge);
    const pool = new BytePool();
    const builder = new ExpositionBuilder('text', new Slicer(0), () => Infinity, pool);
    // One line larger than a slab, multi-byte values, and the two families'
    // samples handed over alternately, as two sources each filling both would.
    const long = 'é'.repeat(SLAB_BYTES);
    const expected = { first: [] as string[], second: [] as string[] };
    for (let part = 0; part < 6; part++) {
      const values = Array.from({ length: 700 }, (_, i) => ({ syscall: `s${part}-${i}-€`, x: `x${part}-${i}` }));
      if (part === 3) {
        values[0].x = long;
      }
      await builder.add(
        second,
        values.map((v, i) => ({ labels: { x: v.x }, value: i }))
      );
      await builder.add(
        first,
        values.map((v, i) => ({ labels: { syscall: v.syscall, decision: 'deny' }, value: i }))
      );
      values.forEach((v, i) => {
        expected.first.push(`zviz_test_decisions_total{syscall="${v.syscall}",decision="deny"} ${i}`);
        expected.second.push(`zviz_test_ratio{x="${v.x}"} ${i}`);
      });
    }
    const { body } = builder.finish([first, second]);
    expect(body.toString('utf8')).toBe(
      `${first.header.text}${expected.first.join('\n')}\n${second.header.text}${expected.second.join('\n')}\n`
    );
    // The text did not fit in one slab: it was written across several, and the body put together from them.
    expect(pool.allocatedBytes).toBeGreaterThan(3 * SLAB_BYTES);
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
