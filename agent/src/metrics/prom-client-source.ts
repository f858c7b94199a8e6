// Metrics that JavaScript itself updates (HTTP requests, config reloads) live
// in prom-client counters and gauges, declared from the catalog so their help
// and labels cannot drift. This source hands their values to the registry.
import { Counter, Gauge, Registry } from 'prom-client';

import { CATALOG_BY_NAME, type MetricSpec } from './catalog';
import type { FamilySamples, MetricSource, ValueSample } from './source';

function specOf(name: string, type: MetricSpec['type']): MetricSpec {
  const spec = CATALOG_BY_NAME.get(name);
  if (!spec) {
    throw new Error(`${name} is not in the metric catalog`);
  }
  if (spec.type !== type) {
    throw new Error(`${name} is a ${spec.type} in the metric catalog, not a ${type}`);
  }
  return spec;
}

/** A prom-client registry per source keeps these metrics out of prom-client's global one. */
export class PromClientSource implements MetricSource {
  private readonly registry = new Registry();
  private readonly metrics: Array<Counter<string> | Gauge<string>> = [];

  get families(): readonly string[] {
    return this.metrics.map((m) => (m as unknown as { name: string }).name);
  }

  counter(name: string): Counter<string> {
    const spec = specOf(name, 'counter');
    const metric = new Counter({ name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] });
    this.metrics.push(metric);
    return metric;
  }

  /** A gauge; with `read`, its value is read at each scrape. */
  gauge(name: string, read?: () => number): Gauge<string> {
    const spec = specOf(name, 'gauge');
    const metric: Gauge<string> = new Gauge({
      name,
      help: spec.help,
      labelNames: [...spec.labels],
      registers: [this.registry],
      ...(read ? { collect: (): void => metric.set(read()) } : {}),
    });
    this.metrics.push(metric);
    return metric;
  }

  async collect(): Promise<Map<string, FamilySamples>> {
    const out = new Map<string, FamilySamples>();
    for (const metric of this.metrics) {
      const { name, values } = await metric.get();
      out.set(
        name,
        values.map((v): ValueSample => ({ labels: v.labels as Record<string, string>, value: v.value }))
      );
    }
    return out;
  }
}
