import { describe, expect, it } from 'vitest';

import { MetricsRegistry as Registry } from './registry';

/** The registry with its body as text, for assertions. */
class MetricsRegistry extends Registry {
  async scrapeText() {
    return (await this.scrape('text')).body.toString('utf8');
  }
}
import type { FamilySamples, MetricSource } from './source';

function source(families: string[], values: Record<string, FamilySamples>): MetricSource {
  return { families, collect: () => new Map(Object.entries(values)) };
}

describe('MetricsRegistry', () => {
  it('shows a source’s values from the next scrape on and forgets them once removed', async () => {
    const registry = new MetricsRegistry();
    const broker = source(['zviz_broker_inflight'], { zviz_broker_inflight: [{ labels: {}, value: 7 }] });
    const inflight = /^zviz_broker_inflight /m;
    expect(await registry.scrapeText()).not.toMatch(inflight);
    registry.addSource(broker);
    expect(await registry.scrapeText()).toContain('zviz_broker_inflight 7\n');
    registry.removeSource(broker);
    expect(await registry.scrapeText()).not.toMatch(inflight);
  });

  it('answers scrapes that arrive during a render with that render, and renders afresh after it', async () => {
    const registry = new MetricsRegistry();
    let collected = 0;
    registry.addSource({
      families: ['zviz_broker_inflight'],
      collect: async () => {
        collected++;
        await new Promise((resolve) => setImmediate(resolve));
        return new Map([['zviz_broker_inflight', [{ labels: {}, value: collected }]]]);
      },
    });
    const [a, b, om] = await Promise.all([
      registry.scrape('text'),
      registry.scrape('text'),
      registry.scrape('openmetrics'),
    ]);
    expect(b.body).toBe(a.body);
    expect(om.body).not.toBe(a.body);
    expect(collected).toBe(2);
    const later = await registry.scrape('text');
    expect(later.body.toString()).not.toBe(a.body.toString());
    expect(collected).toBe(3);
  });

  it('renders only the families asked for, asks no source that fills none, and keeps its own numbers from whole scrapes', async () => {
    const registry = new MetricsRegistry();
    const asked: string[] = [];
    const counting = (families: string[], value: number): MetricSource => ({
      families,
      collect: () => {
        asked.push(families[0]);
        return new Map(families.map((f) => [f, [{ labels: {}, value }]]));
      },
    });
    registry.addSource(counting(['zviz_broker_inflight', 'zviz_broker_requests_total'], 3));
    registry.addSource(counting(['zviz_tracer_family_active'], 1));
    const whole = await registry.scrape('text');
    asked.length = 0;
    const only = await registry.scrape('text', new Set(['zviz_broker_inflight', 'zviz_no_such_family']));
    const text = only.body.toString('utf8');
    expect(text).toBe(
      '# HELP zviz_broker_inflight ' +
        text.split('\n')[0].slice('# HELP zviz_broker_inflight '.length) +
        '\n# TYPE zviz_broker_inflight gauge\nzviz_broker_inflight 3\n'
    );
    // The tracer's source fills none of them: not asked.
    expect(asked).toEqual(['zviz_broker_inflight']);
    // The registry's own numbers are the whole scrape's, not the filtered one's.
    expect(registry.lastScrape?.families).toBe(whole.families);
    expect(registry.lastScrape?.durationSeconds).toBe(whole.durationSeconds);
    const after = (await registry.scrape('text')).body.toString('utf8');
    expect(after).toMatch(/^zviz_exported_series\{family="zviz_tracer_family_active"\} 1$/m);
  });

  it('refuses a source naming families the catalog does not have', () => {
    const registry = new MetricsRegistry();
    expect(() => registry.addSource(source(['zviz_made_up_total'], {}))).toThrow(/zviz_made_up_total/);
  });

  it('merges sources filling the same family and reports exported series the next scrape', async () => {
    const registry = new MetricsRegistry();
    registry.addSource(
      source(['zviz_container_uptime_seconds'], {
        zviz_container_uptime_seconds: [{ labels: { container_id: 'a' }, value: 1 }],
      })
    );
    registry.addSource(
      source(['zviz_container_uptime_seconds'], {
        zviz_container_uptime_seconds: [{ labels: { container_id: 'b' }, value: 2 }],
      })
    );
    const first = await registry.scrapeText();
    expect(first).toContain('zviz_container_uptime_seconds{container_id="a"} 1');
    expect(first).toContain('zviz_container_uptime_seconds{container_id="b"} 2');
    const second = await registry.scrapeText();
    expect(second).toContain('zviz_exported_series{family="zviz_container_uptime_seconds"} 2');
    expect(second).toContain('zviz_exported_series_limit{family="zviz_container_uptime_seconds"} 50000');
  });

  it('keeps the other families when one source throws, and says so once', async () => {
    const warnings: string[] = [];
    const registry = new MetricsRegistry({ warn: (message) => warnings.push(message) });
    registry.addSource({
      families: ['zviz_broker_inflight'],
      collect: () => {
        throw new Error('addon gone');
      },
    });
    registry.addSource(source(['zviz_broker_errors_total'], { zviz_broker_errors_total: [{ labels: {}, value: 1 }] }));
    await registry.scrape('text');
    const body = await registry.scrapeText();
    expect(body).toContain('zviz_broker_errors_total 1');
    expect(body).not.toMatch(/^zviz_broker_inflight /m);
    expect(warnings).toEqual(['metric source failed; its families are left out']);
  });

  it('ignores families a source returns without declaring them', async () => {
    const registry = new MetricsRegistry();
    registry.addSource(
      source(['zviz_broker_inflight'], {
        zviz_broker_inflight: [{ labels: {}, value: 1 }],
        zviz_broker_errors_total: [{ labels: {}, value: 5 }],
      })
    );
    const body = await registry.scrapeText();
    expect(body).toContain('zviz_broker_inflight 1');
    expect(body).not.toMatch(/^zviz_broker_errors_total /m);
  });

  it('caps a family at its series limit and exports what it dropped', async () => {
    const registry = new MetricsRegistry({ seriesLimit: 2 });
    registry.addSource(
      source(['zviz_container_uptime_seconds'], {
        zviz_container_uptime_seconds: ['a', 'b', 'c'].map((id) => ({ labels: { container_id: id }, value: 1 })),
      })
    );
    await registry.scrape('text');
    const body = await registry.scrapeText();
    expect(body.match(/^zviz_container_uptime_seconds\{/gm)).toHaveLength(2);
    expect(body).toContain('zviz_exported_series_dropped{family="zviz_container_uptime_seconds"} 1');
  });

  describe('the bytes a render writes into', () => {
    /** A registry whose one family's values change at every collect: a body overwritten by a later render shows it. */
    function changing(series = 2000) {
      const registry = new MetricsRegistry();
      let generation = 0;
      registry.addSource({
        families: ['zviz_container_uptime_seconds'],
        collect: () => {
          generation++;
          const samples = Array.from({ length: series }, (_, i) => ({
            labels: { container_id: `c${i}` },
            value: generation,
          }));
          return new Map([['zviz_container_uptime_seconds', samples]]);
        },
      });
      return registry;
    }
    const generationsIn = (body: Buffer) =>
      new Set([...body.toString('utf8').matchAll(/^zviz_container_uptime_seconds\{[^}]*\} (\d+)$/gm)].map((m) => m[1]));

    it('reuses a released body and allocates nothing more once steady', async () => {
      const registry = changing();
      for (let i = 0; i < 3; i++) {
        (await registry.scrape('text')).release();
      }
      const steady = registry.renderBytesAllocated;
      expect(steady).toBeGreaterThan(0);
      let previous: ArrayBufferLike | undefined;
      for (let i = 0; i < 20; i++) {
        const scrape = await registry.scrape('text');
        expect(generationsIn(scrape.body)).toEqual(new Set([String(4 + i)]));
        if (previous) {
          expect(scrape.body.buffer === previous).toBe(true);
        }
        previous = scrape.body.buffer;
        scrape.release();
        scrape.release(); // twice is once
      }
      expect(registry.renderBytesAllocated).toBe(steady);
    });

    it('never hands out a body that a caller still holds: one not released, or shared and released by one caller only', async () => {
      const registry = changing();
      const kept = await registry.scrape('text');
      const [a, b] = await Promise.all([registry.scrape('text'), registry.scrape('text')]);
      expect(b.body === a.body).toBe(true);
      a.release();
      for (let i = 0; i < 5; i++) {
        const later = await registry.scrape('text');
        expect(later.body.buffer === kept.body.buffer).toBe(false);
        expect(later.body.buffer === b.body.buffer).toBe(false);
        later.release();
      }
      expect(generationsIn(kept.body)).toEqual(new Set(['1']));
      expect(generationsIn(b.body)).toEqual(new Set(['2']));
      // Once the last who shared it is done, its bytes are reused: two
      // renders held at once need no new body.
      b.release();
      const allocated = registry.renderBytesAllocated;
      const [next, after] = [await registry.scrape('text'), await registry.scrape('text')];
      expect([next.body.buffer, after.body.buffer].includes(b.body.buffer)).toBe(true);
      expect(registry.renderBytesAllocated).toBe(allocated);
      expect(generationsIn(next.body)).toEqual(new Set(['8']));
      expect(generationsIn(after.body)).toEqual(new Set(['9']));
    });
  });
});
