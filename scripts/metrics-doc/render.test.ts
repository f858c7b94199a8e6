// docs/metrics.md is the catalog, rendered: stale when a family is added,
// renamed or re-described without regenerating it, and complete.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { CATALOG } from '../../agent/src/metrics/catalog';
import { DOC_PATH, GUIDES, metricsDocMarkdown, renderMetricsDoc, SECTIONS, unitOf } from './render';

const REPO = join(__dirname, '..', '..');

/** The metric tables of ZViz's monitoring guide, as it prints them. */
const MONITORING_GUIDE = [
  'zviz_broker_requests_total',
  'zviz_broker_decisions_total',
  'zviz_broker_latency_seconds',
  'zviz_broker_inflight',
  'zviz_broker_errors_total',
  'zviz_containers_total',
  'zviz_containers_by_state',
  'zviz_container_uptime_seconds',
  'zviz_container_restarts_total',
  'zviz_security_denials_total',
  'zviz_seccomp_violations_total',
  'zviz_audit_events_total',
  'zviz_memory_usage_bytes',
  'zviz_cpu_usage_seconds',
  'zviz_io_read_bytes_total',
  'zviz_io_write_bytes_total',
];

/** Every family podtrace's metrics guide documents, by its name there. */
const PODTRACE_GUIDE = [
  'podtrace_rtt_seconds',
  'podtrace_rtt_latest_seconds',
  'podtrace_latency_seconds',
  'podtrace_latency_latest_seconds',
  'podtrace_dns_latency_seconds_gauge',
  'podtrace_dns_latency_seconds_histogram',
  'podtrace_fs_latency_seconds_gauge',
  'podtrace_fs_latency_seconds_histogram',
  'podtrace_cpu_block_seconds_gauge',
  'podtrace_cpu_block_seconds_histogram',
  'podtrace_network_bytes_total',
  'podtrace_filesystem_bytes_total',
  'podtrace_resource_limit_bytes',
  'podtrace_resource_usage_bytes',
  'podtrace_resource_utilization_percent',
  'podtrace_resource_alert_level',
];

/** The `## ` section of the page each family's row is in. */
function sectionOfRows(doc: string): Map<string, string> {
  const found = new Map<string, string>();
  let section = '';
  for (const line of doc.split('\n')) {
    if (line.startsWith('## ')) {
      section = line.slice(3);
    }
    const row = /^\| `(zviz_\w+)` \| (counter|gauge|histogram) \|/.exec(line);
    if (row) {
      found.set(row[1], section);
    }
  }
  return found;
}

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

  it('puts each family in the section of the component that exports it', () => {
    const sections = sectionOfRows(metricsDocMarkdown());
    for (const spec of CATALOG) {
      expect(sections.get(spec.name), spec.name).toBe(SECTIONS.find((s) => s.component === spec.component)?.title);
    }
  });

  it("indexes every family of the monitoring guide under its own name, and every one of podtrace's under ZViz's", () => {
    const doc = metricsDocMarkdown();
    const index = (guide: keyof typeof GUIDES) => {
      const start = doc.indexOf(`\n${GUIDES[guide]}:\n`);
      expect(start, guide).toBeGreaterThan(0);
      const rows = doc.slice(start).split('\n\n')[1].split('\n').slice(2);
      return new Map(rows.map((r) => r.split('|').map((c) => c.trim().replace(/`/g, ''))).map((c) => [c[1], c[2]]));
    };
    const monitoring = index('monitoring');
    expect([...monitoring.keys()].sort()).toEqual([...MONITORING_GUIDE].sort());
    for (const name of MONITORING_GUIDE) {
      expect(monitoring.get(name), name).toBe(name);
    }
    const podtrace = index('podtrace');
    expect([...podtrace.keys()].sort()).toEqual([...PODTRACE_GUIDE].sort());
    for (const [theirs, ours] of podtrace) {
      expect(
        CATALOG.some((spec) => spec.name === ours),
        `${theirs} -> ${ours}`
      ).toBe(true);
    }
    expect(index('rollout').get('zai_proxy_build_info')).toBe('zviz_build_info');
  });

  it('has a unit for every family that is not a plain count', () => {
    expect(unitOf(CATALOG.find((s) => s.name === 'zviz_broker_latency_seconds')!)).toBe('seconds');
    expect(unitOf(CATALOG.find((s) => s.name === 'zviz_agent_start_time_seconds')!)).toBe('seconds (Unix time)');
    expect(unitOf(CATALOG.find((s) => s.name === 'zviz_io_read_bytes_total')!)).toBe('bytes');
  });
});
