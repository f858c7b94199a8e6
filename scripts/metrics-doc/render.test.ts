// docs/metrics.md is the catalog, rendered: stale when a family is added,
// renamed or re-described without regenerating it, and complete.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { CATALOG } from '../../agent/src/metrics/catalog';
import { DOC_PATH, metricsDocMarkdown, renderMetricsDoc, unitOf } from './render';

const REPO = join(__dirname, '..', '..');

describe('docs/metrics.md', () => {
  it('is what the catalog renders (run `npm run generate:metrics-doc` after changing the catalog)', async () => {
    expect(readFileSync(join(REPO, DOC_PATH), 'utf8')).toBe(await renderMetricsDoc(REPO));
  });

  it('lists every family once with its type, labels, unit, help and the component section it belongs to', () => {
    const doc = metricsDocMarkdown();
    for (const spec of CATALOG) {
      const rows = doc.split('\n').filter((line) => line.startsWith(`| \`${spec.name}\` | ${spec.type} |`));
      expect(rows, spec.name).toHaveLength(1);
      expect(rows[0]).toContain(unitOf(spec));
      for (const label of spec.labels) {
        expect(rows[0]).toContain(`\`${label}\``);
      }
      expect(rows[0]).toContain(spec.help.replace(/\|/g, '\\|'));
    }
  });

  it("names each of the monitoring guide's families by its guide name, and says why promtool objects to two", () => {
    const doc = metricsDocMarkdown();
    for (const name of ['zviz_containers_total', 'zviz_cpu_usage_seconds', 'zviz_broker_latency_seconds']) {
      expect(doc).toContain(`| \`${name}\` | \`${name}\` |`);
    }
    expect(doc).toContain('| `podtrace_rtt_seconds` | `zviz_tcp_rtt_seconds` |');
    expect(doc).toMatch(/reports exactly 2 objections/);
  });

  it('has a unit for every family that is not a plain count', () => {
    expect(unitOf(CATALOG.find((s) => s.name === 'zviz_broker_latency_seconds')!)).toBe('seconds');
    expect(unitOf(CATALOG.find((s) => s.name === 'zviz_agent_start_time_seconds')!)).toBe('seconds (Unix time)');
    expect(unitOf(CATALOG.find((s) => s.name === 'zviz_io_read_bytes_total')!)).toBe('bytes');
  });
});
