// The shipping examples in agent/contrib agree with what the agent writes:
// the example configuration validates, the paths match it, and every field a
// shipper extracts exists in a real log line and a real audit record.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { auditLine } from '../src/audit/writer';
import { loadConfig } from '../src/assembly/load-config';
import type { Config } from '../src/assembly/config-sections';
import { decision, GUIDE_AUDIT_FIELDS } from './support/decision-events';
import { AgentLog } from '../src/log/logger';

const contrib = join(__dirname, '..', 'contrib');
const scratch = mkdtempSync(join(tmpdir(), 'zviz-contrib-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function exampleConfig(): Config {
  const result = loadConfig({ path: join(contrib, 'config.example.yaml'), env: {} });
  if (!result.ok) {
    throw new Error(result.errors.join('\n'));
  }
  return result.config;
}

/** A line the agent's logger really writes, and a record the audit log really writes. */
function realRecords(): { log: Record<string, unknown>; audit: Record<string, unknown> } {
  const output = join(scratch, 'zviz.log');
  const log = AgentLog.create({ level: 'info', format: 'json', output });
  log.logger.child({ container_id: 'abc123', profile: 'ci-runner', pid: 4242 }).info('container created');
  log.flush();
  const line = readFileSync(output, 'utf8').trim().split('\n').pop()!;
  return { log: JSON.parse(line), audit: JSON.parse(auditLine({ ...decision(), seq: 1 } as never)) };
}

const ISO_MILLIS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('agent/contrib', () => {
  const config = exampleConfig();
  const records = realRecords();

  it('has a log line and an audit record in the formats of docs/agent.md (Logs, Audit log)', () => {
    expect(records.log).toMatchObject({
      level: 'info',
      message: 'container created',
      container_id: 'abc123',
      profile: 'ci-runner',
      pid: 4242,
    });
    expect(records.log.timestamp).toMatch(ISO_MILLIS_UTC);
    expect(Object.keys(records.audit)).toEqual(GUIDE_AUDIT_FIELDS);
  });

  it('config.example.yaml validates and writes both logs to files', () => {
    expect(config.logging.output).toBe('/var/log/zviz/zviz.log');
    expect(config.logging.audit.path).toBe('/var/log/zviz/audit.json');
  });

  it('promtail tails the configured files and extracts only fields the records have', () => {
    const promtail = parse(readFileSync(join(contrib, 'promtail/promtail.yaml'), 'utf8')) as {
      scrape_configs: Array<{
        job_name: string;
        static_configs: Array<{ labels: Record<string, string> }>;
        pipeline_stages: Array<Record<string, Record<string, unknown>>>;
      }>;
    };
    const jobs = Object.fromEntries(promtail.scrape_configs.map((job) => [job.job_name, job]));
    expect(jobs.zviz.static_configs[0].labels.__path__).toBe(config.logging.output);
    expect(jobs['zviz-audit'].static_configs[0].labels.__path__).toBe(config.logging.audit.path);
    for (const [job, record] of [
      ['zviz', records.log],
      ['zviz-audit', records.audit],
    ] as const) {
      const stages = jobs[job].pipeline_stages;
      const json = stages.find((s) => s.json)!.json.expressions as Record<string, string>;
      for (const field of Object.values(json)) {
        expect(record, `${job} extracts ${field}`).toHaveProperty(field);
      }
      const labels = Object.keys(stages.find((s) => s.labels)!.labels);
      for (const label of labels) {
        expect(Object.keys(json), `${job} labels ${label}`).toContain(label);
      }
      expect(labels).not.toContain('container_id');
      expect(stages.find((s) => s.timestamp)!.timestamp).toEqual({ source: 'timestamp', format: 'RFC3339Nano' });
    }
  });

  it('Fluentd tails the configured files and parses the timestamp field', () => {
    const conf = readFileSync(join(contrib, 'fluentd/fluent.conf'), 'utf8');
    const paths = [...conf.matchAll(/^\s*path (\S+)$/gm)].map((m) => m[1]).filter((p) => p.startsWith('/var/log/zviz'));
    expect(paths).toEqual([config.logging.output, config.logging.audit.path]);
    expect([...conf.matchAll(/^\s*time_key (\S+)$/gm)].map((m) => m[1])).toEqual(['timestamp', 'timestamp']);
    // %Y-%m-%dT%H:%M:%S.%L%z reads exactly the agent's ISO 8601 with milliseconds.
    expect(conf).toContain('time_format %Y-%m-%dT%H:%M:%S.%L%z');
    expect(records.audit.timestamp).toMatch(ISO_MILLIS_UTC);
  });
});
