// A source that fills every family of the catalog, with label values that
// need escaping, for exposition checks (promtool, a real Prometheus).
import { CATALOG } from '../../src/metrics/catalog';
import type { FamilySamples, MetricSource } from '../../src/metrics/source';

const AWKWARD = 'quote " backslash \\ newline \n end';

export function catalogSource(exclude: readonly string[] = []): MetricSource {
  const families = CATALOG.filter((spec) => !exclude.includes(spec.name));
  return {
    families: families.map((spec) => spec.name),
    collect: () => {
      const out = new Map<string, FamilySamples>();
      for (const spec of families) {
        const labelSets = [0, 1].map((i) =>
          Object.fromEntries(spec.labels.map((label) => [label, i === 0 ? `${label}-value` : AWKWARD]))
        );
        const sets = spec.labels.length === 0 ? [{}] : labelSets;
        if (spec.type === 'histogram') {
          const bounds = spec.buckets ?? [];
          out.set(
            spec.name,
            sets.map((labels) => ({
              labels,
              buckets: bounds.map((_, b) => b + 1),
              sum: 0.5,
              count: bounds.length + 2,
            }))
          );
        } else {
          out.set(
            spec.name,
            sets.map((labels, i) => ({ labels, value: i === 0 ? 42 : 0.25 }))
          );
        }
      }
      return out;
    },
  };
}
