// A scale-out store behind Prometheus: Prometheus scrapes a small fleet
// (bench/fleet) with ZViz's rules and remote-writes everything, recorded
// series included, to VictoriaMetrics (single node, built from the Go module
// proxy by scripts/setup.sh), as docs/install.md sets it up for Mimir, Thanos
// or Cortex. Every query of the six bundled dashboards, with the variables at
// "All" as Grafana sends them, must answer the same series from both, with
// values within a tolerance; and the datasource, pointed at the store, must
// find the agents and answer the decisions panel's query as it does from
// Prometheus.
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere, file, type Requirement, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { TestVictoriaMetrics, victoriaMetricsMissing } from '@zviz/test-support/victoria-metrics';

import { AGENT_BUNDLE, Fleet, RULES } from '../../bench/fleet/fleet';
import type { DecodedFrame } from '../../pkg-backend/src/frames/arrow';
import { executable } from '../../pkg-backend/test/fixtures/plugin-process';
import { bundledDashboards } from '../browser/harness/dashboard/bundled';
import { prepareTargets, promRequest, type QueryWindow } from '../browser/harness/dashboard/targets';
import { type ApiAnswer, compareAnswers, type Tolerance } from './compare';

const victoriaMetrics: Requirement = victoriaMetricsMissing;

/**
 * rate() and increase() are where the two differ by design: Prometheus
 * extrapolates to the window's edges, VictoriaMetrics takes the sample before
 * the window instead. Over the four scrapes of Grafana's $__rate_interval a
 * single point of a sparse series (a latency histogram's tail) can differ by
 * a factor of several, so each series is held to its mean over the panel's
 * points; the scattered single points are counted and printed. A series of
 * a few events may differ by more than that in its mean and still by less
 * than one event in its sum (CI saw 3.2 against 4.0 events over 27 points of
 * a latency bucket's increase), which is the same answer.
 */
const TOLERANCE: Tolerance = { relative: 0.1, absolute: 1e-9, sumAbsolute: 1 };
/**
 * A quantile read from a histogram is only known to the width of its bucket:
 * the broker's latency buckets grow by up to 2.5 times (1, 2.5, 5, 10 µs ...),
 * and a tail quantile over a window of four scrapes rests on a few events, so
 * two estimates agree when they are within one bucket of each other.
 */
const QUANTILE_TOLERANCE: Tolerance = { relative: 1 - 1 / 2.5, absolute: 1e-9 };

async function ask(base: string, path: string, params: URLSearchParams): Promise<ApiAnswer> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body: params });
  return (await response.json()) as ApiAnswer;
}

function column(frame: DecodedFrame, name: string): unknown[] {
  return frame.fields.find((f) => f.name === name)?.values ?? [];
}

describeWhere(
  [
    root,
    seccompUserNotif,
    binary('prometheus'),
    binary('perl'),
    victoriaMetrics,
    file(AGENT_BUNDLE, 'needs the built agent (npm run build)'),
    file(executable, 'needs the built backend executable (npm run build)'),
    file(RULES, 'needs the generated rules'),
  ],
  'VictoriaMetrics behind Prometheus answers as Prometheus does',
  () => {
    let vm: TestVictoriaMetrics;
    let fleet: Fleet;
    let window: QueryWindow;

    beforeAll(async () => {
      vm = await TestVictoriaMetrics.start();
      fleet = await Fleet.start({
        agents: 3,
        canaryEvery: 3,
        scrapeIntervalSeconds: 1,
        prometheus: { remoteWrite: [{ url: vm.writeUrl, queue_config: { batch_send_deadline: '1s' } }] },
      });
      const started = Date.now();
      // A minute of history: every rate window of the dashboards and rules holds many scrapes.
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      // Compare up to a moment both have surely stored (remote write sends within a second or two).
      const toMs = Date.now() - 5_000;
      await waitFor(
        'VictoriaMetrics to hold the recorded series up to the comparison time',
        async () => {
          const params = new URLSearchParams({
            query: 'count(job_variant:zviz_broker_requests:rate5m)',
            time: String(toMs / 1000),
          });
          const answer = await ask(vm.url, '/api/v1/query', params);
          return (answer.data.result as unknown[]).length > 0;
        },
        { timeoutMs: 30_000 }
      );
      // The first half-minute is left out: both stores start with partial windows there.
      window = { fromMs: started + 30_000, toMs, scrapeIntervalSeconds: fleet.scrapeIntervalSeconds };
    }, 300_000);

    afterAll(async () => {
      await fleet?.stop();
      await vm?.stop();
    }, 120_000);

    it('answers every query of the bundled dashboards with the same series and values', async () => {
      const report: string[] = [];
      let queried = 0;
      let withData = 0;
      let points = 0;
      let scattered = 0;
      for (const { name, dashboard } of bundledDashboards()) {
        for (const t of prepareTargets(dashboard, window)) {
          const key = `${name} / ${t.panel.title} / ${t.target.refId}`;
          const { path, params } = promRequest(t, window);
          const [fromProm, fromVm] = await Promise.all([
            ask(fleet.prometheus!.url, path, params),
            ask(vm.url, path, params),
          ]);
          queried++;
          expect(fromProm.status, `${key}: Prometheus: ${fromProm.error}`).toBe('success');
          expect(fromVm.status, `${key}: VictoriaMetrics: ${fromVm.error}`).toBe('success');
          const c = compareAnswers(
            fromProm,
            fromVm,
            t.expr.includes('histogram_quantile') ? QUANTILE_TOLERANCE : TOLERANCE
          );
          if (c.compared > 0) {
            withData++;
          }
          points += c.compared;
          scattered += c.differences.length;
          if (c.onlyLeft.length || c.onlyRight.length || c.meanDifferences.length) {
            report.push(
              `${key}: ${t.expr}\n  only Prometheus: ${c.onlyLeft.join(' ')}\n  only VictoriaMetrics: ${c.onlyRight.join(' ')}\n` +
                `  means that differ: ${JSON.stringify(c.meanDifferences.slice(0, 3))}`
            );
          }
        }
      }
      console.log(
        `${queried} dashboard queries, ${withData} with data: ${points} points compared, ` +
          `${scattered} single points beyond the tolerance (rate windows of four scrapes), no series mean beyond it`
      );
      expect(queried).toBeGreaterThan(80);
      // The fleet runs no tracer and no container near its limits: those panels are empty on both sides.
      expect(withData).toBeGreaterThan(40);
      expect(report, report.join('\n')).toEqual([]);
    });

    it('serves the datasource: agents found through up{job="zviz"}, the decisions panel as from Prometheus', async () => {
      const plugin = fleet.plugin!;
      const fromStore = fleet.config('victoria-metrics', { prometheusUrl: vm.url });
      const now = Date.now();
      const { A } = await plugin.client.queryData(
        [{ refId: 'A', model: { queryType: 'health' }, from: now - 60_000, to: now }],
        fromStore
      );
      expect(A.error).toBe('');
      expect([...column(A.frames[0], 'agent')].sort()).toEqual(fleet.agents.map((a) => a.address).sort());

      const health = await plugin.client.checkHealth(fromStore);
      expect(health.status).toBe('OK');
      expect(health.message).toBe(
        `Prometheus at ${vm.url}: OK, 3 agents report zviz_build_info; 3 of 3 agents reachable`
      );

      const decisions = {
        refId: 'D',
        model: { queryType: 'decisions' },
        from: window.fromMs,
        to: window.toMs,
        intervalMs: 1000,
        maxDataPoints: 60,
      };
      const [viaProm, viaStore] = await Promise.all([
        plugin.client.queryData([decisions], fleet.plugin!.config),
        plugin.client.queryData([decisions], fromStore),
      ]);
      expect(viaStore.D.error).toBe('');
      const table = (r: typeof viaProm) => {
        const frame = r.D.frames[0];
        const syscalls = column(frame, 'syscall') as string[];
        return Object.fromEntries(syscalls.map((s, i) => [s, column(frame, 'total')[i] as number]));
      };
      const p = table(viaProm);
      const v = table(viaStore);
      expect(Object.keys(v).sort()).toEqual(Object.keys(p).sort());
      for (const syscall of Object.keys(p)) {
        expect(
          Math.abs(v[syscall] - p[syscall]),
          `${syscall}: ${v[syscall]} from the store, ${p[syscall]} from Prometheus`
        ).toBeLessThanOrEqual(TOLERANCE.relative * Math.max(v[syscall], p[syscall]) + 1);
      }
      // The trend frame: the same (syscall, decision) series.
      const series = (r: typeof viaProm) =>
        r.D.frames[1].fields
          .slice(1)
          .map((f) => JSON.stringify(f.labels))
          .sort();
      expect(series(viaStore)).toEqual(series(viaProm));
    });
  }
);
