// The metric names the backend, the app and zviz top read from
// @zviz/shared/metric-names are families the agent exports, of the type their
// readers assume: a renamed or retyped family in the catalog fails here, not
// in a dashboard that quietly shows nothing.
import { describe, expect, it } from 'vitest';

import * as names from '@zviz/shared/metric-names';

import { CATALOG } from '../../agent/src/metrics/catalog';

const byName = new Map(CATALOG.map((spec) => [spec.name, spec]));

describe('@zviz/shared/metric-names', () => {
  const entries = Object.entries(names) as Array<[string, string]>;

  it('names families of the agent catalog', () => {
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter(([, name]) => !byName.has(name))).toEqual([]);
  });

  it('names each constant after its family', () => {
    expect(entries.filter(([key, name]) => `zviz_${key.toLowerCase()}` !== name)).toEqual([]);
  });

  it('keeps the types the readers assume: _total counters, a latency histogram', () => {
    for (const [, name] of entries) {
      if (name.endsWith('_total')) {
        expect(byName.get(name)?.type, name).toBe('counter');
      }
    }
    expect(byName.get(names.BROKER_LATENCY_SECONDS)?.type).toBe('histogram');
  });
});
