// ZViz's monitoring guide, followed as a user follows it: `zviz metrics
// serve`, a workload through `zviz run`, a real Prometheus (Debian's)
// scraping the agent. Its metric table (names and types, copied here from
// the guide, not from the catalog) is the contract: every family is in the
// exposition from the start with that type, and every query the guide
// prints (dashboard panels, key panels, alert and recording rule
// expressions) answers with data. Then short jobs: a 2-second job is seen by
// a Prometheus that scrapes every 15 s, because an ended container's series
// stay for two scrapes; with that retention off, the same job is missed.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { TestPrometheus, type PromSample } from '@zviz/test-support/prometheus';
import { binary, btf, describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { CATALOG_BY_NAME } from '../../src/metrics/catalog';
import { AgentProcess, BIN } from '../support/agent-process';
import { buildWorkloads, workspace } from './harness';

/**
 * The guide's "Available Metrics" tables, as printed, with the label names its
 * descriptions and queries give them: "by syscall and outcome" (and `sum by
 * (decision)`), "by state" (`{state="running"}`), "by layer", "by type" (the
 * audit record's event_type), "per container" (the container_id of its logs).
 */
const GUIDE_TABLE: ReadonlyArray<[string, 'counter' | 'gauge' | 'histogram', string[]]> = [
  ['zviz_broker_requests_total', 'counter', []],
  ['zviz_broker_decisions_total', 'counter', ['syscall', 'decision']],
  ['zviz_broker_latency_seconds', 'histogram', []],
  ['zviz_broker_inflight', 'gauge', []],
  ['zviz_broker_errors_total', 'counter', []],
  ['zviz_containers_total', 'gauge', []],
  ['zviz_containers_by_state', 'gauge', ['state']],
  ['zviz_container_uptime_seconds', 'gauge', ['container_id']],
  ['zviz_container_restarts_total', 'counter', ['container_id']],
  ['zviz_security_denials_total', 'counter', ['layer']],
  ['zviz_seccomp_violations_total', 'counter', []],
  ['zviz_audit_events_total', 'counter', ['event_type']],
  ['zviz_memory_usage_bytes', 'gauge', ['container_id']],
  ['zviz_cpu_usage_seconds', 'counter', ['container_id']],
  ['zviz_io_read_bytes_total', 'counter', ['container_id']],
  ['zviz_io_write_bytes_total', 'counter', ['container_id']],
];

/** Samples of one family in a text exposition. */
function samplesOf(exposition: string, name: string): Array<{ line: string; value: number }> {
  const suffixes = CATALOG_BY_NAME.get(name)?.type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
  return exposition
    .split('\n')
    .filter((line) => suffixes.some((s) => line.startsWith(`${name}${s}{`) || line.startsWith(`${name}${s} `)))
    .map((line) => ({ line, value: Number(line.slice(line.lastIndexOf(' ') + 1)) }));
}

function numbers(samples: PromSample[]): number[] {
  return samples.map((s) => Number(s.value?.[1])).filter((v) => !Number.isNaN(v));
}

function zvizRun(socket: string, args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, 'run', '--socket', socket, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describeWhere([root, seccompUserNotif, btf, binary('prometheus')], "the monitoring guide's metrics, live", () => {
  beforeAll(() => buildWorkloads());

  describe('zviz metrics serve, a workload, and Prometheus', () => {
    let agent: AgentProcess;
    let prom: TestPrometheus;
    let first = '';

    beforeAll(async () => {
      agent = await AgentProcess.start({}, { command: ['metrics', 'serve'] });
      first = await agent.metrics();
      prom = await TestPrometheus.start({
        scrapeInterval: '1s',
        scrape: [{ job: 'zviz', targets: [`127.0.0.1:${agent.port}`] }],
      });
    }, 60_000);

    afterAll(async () => {
      await prom?.stop();
      await agent?.stop();
    });

    it("has every family of the guide's table in the catalog, with the guide's type and labels", () => {
      for (const [name, type, labels] of GUIDE_TABLE) {
        expect(CATALOG_BY_NAME.get(name)?.type, name).toBe(type);
        expect(CATALOG_BY_NAME.get(name)?.labels, name).toEqual(labels);
      }
    });

    it('shows every catalog family from the start: HELP and TYPE, 0 where that is true, nothing invented', () => {
      for (const spec of CATALOG_BY_NAME.values()) {
        expect(first, spec.name).toContain(`# HELP ${spec.name} `);
        expect(first, spec.name).toContain(`# TYPE ${spec.name} ${spec.type}\n`);
        const samples = samplesOf(first, spec.name);
        if (spec.initial === 'zero') {
          expect(samples.length, spec.name).toBeGreaterThan(0);
          for (const s of samples) {
            expect(s.value, s.line).toBe(0);
          }
        } else if (spec.initial === 'value') {
          expect(samples.length, spec.name).toBeGreaterThan(0);
        } else if (spec.labels.includes('container_id') || spec.labels.includes('syscall')) {
          // No container ran and nothing was decided yet: no series to show.
          expect(samples, spec.name).toEqual([]);
        }
      }
      // The guide's own types, in the exposition itself.
      for (const [name, type] of GUIDE_TABLE) {
        expect(first).toContain(`# TYPE ${name} ${type}\n`);
      }
    });

    it("answers the guide's queries with data once a workload has run", async () => {
      // Scraped before the workload, so rates see its increments.
      await prom.waitForSamples('up{job="zviz"} == 1');
      const ws = workspace();
      // Brokered opens, a refused write (ci-runner keeps /etc read-only),
      // and long enough to be scraped while it runs.
      const result = zvizRun(
        agent.controlSocket,
        [
          '--profile',
          'ci-runner',
          '--name',
          'guide-job',
          '--',
          'sh',
          '-c',
          'cat /etc/hostname >/dev/null; echo x > /etc/zviz-guide 2>/dev/null; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 3',
        ],
        ws
      );
      expect(result.stderr).toMatch(/zviz: \S+ \(ci-runner\) exited with code 0/);
      const value = async (expr: string, accept: (v: number[]) => boolean = (v) => v.length > 0) =>
        numbers(await prom.waitForSamples(expr, (s) => accept(numbers(s)), 30_000));

      // Overview dashboard and key panels.
      expect((await value('rate(zviz_broker_requests_total[5m])', (v) => v[0] > 0))[0]).toBeGreaterThan(0);
      expect(
        (await value('histogram_quantile(0.99, rate(zviz_broker_latency_seconds_bucket[5m]))'))[0]
      ).toBeGreaterThan(0);
      expect(await value('rate(zviz_security_denials_total[5m])', (v) => v.length === 3)).toHaveLength(3);
      const layers = await prom.query('rate(zviz_security_denials_total[5m])');
      expect(layers.map((s) => s.metric.layer).sort()).toEqual(['broker', 'cgroup', 'seccomp']);
      await value('zviz_containers_by_state{state="running"}');
      const decisions = await prom.waitForSamples('sum by (decision) (rate(zviz_broker_decisions_total[5m]))', (s) =>
        s.some((x) => x.metric.decision === 'deny')
      );
      expect(decisions.map((s) => s.metric.decision)).toContain('deny');
      expect(await value('rate(zviz_broker_errors_total[5m])')).toEqual([0]);
      expect((await value('zviz_containers_total'))[0]).toBeGreaterThanOrEqual(0);
      // Alert and recording rule expressions, without their thresholds.
      await value('up{job="zviz"}', (v) => v[0] === 1);
      await value('zviz_broker_inflight');
      // The container's own families.
      const info = await prom.waitForSamples('zviz_container_info{name="guide-job"}');
      const id = info[0].metric.container_id;
      for (const family of [
        'zviz_memory_usage_bytes',
        'zviz_cpu_usage_seconds',
        'zviz_io_read_bytes_total',
        'zviz_io_write_bytes_total',
        'zviz_container_uptime_seconds',
        'zviz_container_restarts_total',
      ]) {
        // Over the last minutes, not at this instant: the usage gauges and the
        // uptime describe a running workload and end with it (a removed
        // container keeps only its counters), and the job has ended by now.
        await value(`last_over_time(${family}{container_id="${id}"}[5m])`);
      }
      expect(
        (await value(`rate(zviz_cpu_usage_seconds{container_id="${id}"}[5m])`, (v) => v[0] > 0))[0]
      ).toBeGreaterThan(0);
      await value('zviz_seccomp_violations_total');
      await value('zviz_audit_events_total{event_type="syscall"}', (v) => v[0] > 0);
      await value('zviz_containers_total', (v) => v[0] === 1);
    });

    it("keeps the guide's types in Prometheus' metadata", async () => {
      const metadata = await waitFor('the metadata of every guide family', async () => {
        const m = await prom.metadata();
        // OpenMetrics keys a counter's metadata by its family name, without _total.
        const found = GUIDE_TABLE.every(([name]) => m[name] ?? m[name.replace(/_total$/, '')]);
        return found ? m : undefined;
      });
      for (const [name, type] of GUIDE_TABLE) {
        const entry = (metadata[name] ?? metadata[name.replace(/_total$/, '')])[0];
        // OpenMetrics (what Prometheus asks for) cannot call a family whose
        // samples lack _total a counter; docs/metrics.md says so.
        expect(entry.type, name).toBe(name === 'zviz_cpu_usage_seconds' ? 'unknown' : type);
        expect(entry.help, name).toBe(CATALOG_BY_NAME.get(name)?.help);
      }
    });
  });

  describe('short jobs', () => {
    let agent: AgentProcess;
    let prom: TestPrometheus;

    beforeAll(async () => {
      agent = await AgentProcess.start({}, { command: ['metrics', 'serve'] });
      prom = await TestPrometheus.start({
        scrapeInterval: '15s',
        scrape: [{ job: 'zviz', targets: [`127.0.0.1:${agent.port}`] }],
      });
    }, 60_000);

    afterAll(async () => {
      await prom?.stop();
      await agent?.stop();
    });

    const lastScrape = async () => (await prom.targets())[0]?.lastScrape;

    /** Resolves with the time of a scrape just made: the next one is about 15 s away. */
    async function justScraped(): Promise<string> {
      const last = lastScrape;
      const before = await waitFor(
        'a first scrape',
        async () => {
          const t = await last();
          return t && !t.startsWith('0001') ? t : undefined;
        },
        { timeoutMs: 40_000 }
      );
      return waitFor(
        'the next scrape',
        async () => {
          const t = await last();
          return t !== before ? t : undefined;
        },
        { timeoutMs: 40_000, intervalMs: 50 }
      );
    }

    /**
     * A 2-second job that no scrape saw running, so that only a retained
     * series can show it; resolves with its container id once it ended. Started
     * right after a scrape; on a machine so loaded that the next scrape still
     * came while it ran, it is run again.
     */
    async function twoSecondJob(name: string): Promise<{ startedAt: number; id: string }> {
      for (let attempt = 1; ; attempt++) {
        const scrapedAt = await justScraped();
        const job = await runTwoSecondJob(name);
        if ((await lastScrape()) === scrapedAt) {
          return job;
        }
        if (attempt === 3) {
          throw new Error(`a scrape came while each of ${attempt} runs of ${name} ran: the machine is too slow`);
        }
      }
    }

    async function runTwoSecondJob(name: string): Promise<{ startedAt: number; id: string }> {
      const startedAt = Date.now();
      const run = spawn(
        process.execPath,
        [
          BIN,
          'run',
          '--socket',
          agent.controlSocket,
          '--name',
          name,
          '--',
          'sh',
          '-c',
          'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 2',
        ],
        { cwd: workspace(), stdio: ['ignore', 'ignore', 'pipe'] }
      );
      let stderr = '';
      run.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      await new Promise((resolve) => run.once('close', resolve));
      const id = /zviz: (\S+) \(default\) exited with code 0/.exec(stderr)?.[1];
      expect(id, stderr).toBeDefined();
      return { startedAt, id: id! };
    }

    it('is seen by a Prometheus scraping every 15 s, with its final values and state, in at least two scrapes', async () => {
      const job = await twoSecondJob('short-job');
      // Two scrapes after its end.
      await new Promise((r) => setTimeout(r, 32_000 - (Date.now() - job.startedAt)));
      const seen = await prom.query(`count_over_time(zviz_container_state{container_id="${job.id}"}[1m])`);
      expect(seen).toHaveLength(1);
      expect(seen[0].metric.state).toBe('exited');
      expect(Number(seen[0].value![1])).toBeGreaterThanOrEqual(2);
      const cpu = numbers(await prom.query(`max_over_time(zviz_cpu_usage_seconds{container_id="${job.id}"}[1m])`));
      expect(cpu[0]).toBeGreaterThan(0);
      const info = await prom.query(`last_over_time(zviz_container_info{container_id="${job.id}"}[1m])`);
      expect(info[0].metric.name).toBe('short-job');
    }, 150_000);

    it('is missed when the retention is off: what the test above would see without it', async () => {
      agent.rewrite(
        [
          'metrics:',
          `  address: 127.0.0.1:${agent.port}`,
          '  ended_container_retention_seconds: 0',
          'logging:',
          `  audit: { path: ${join(agent.dir, 'audit.json')} }`,
          'broker:',
          `  control_socket: ${agent.controlSocket}`,
          `  cgroup_group: zviz-test-agent-${agent.port}`,
          '',
        ].join('\n')
      );
      agent.signal('SIGHUP');
      await waitFor('the reload', async () => agent.log.includes('configuration reloaded'));
      const job = await twoSecondJob('missed-job');
      await new Promise((r) => setTimeout(r, 32_000 - (Date.now() - job.startedAt)));
      expect(await prom.query(`count_over_time(zviz_container_state{container_id="${job.id}"}[1m])`)).toEqual([]);
    }, 150_000);
  });
});
