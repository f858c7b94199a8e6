// The bundled dashboards (src/dashboards/*.json) against the demo's live
// pipeline: sandboxed workloads under the built-in profiles, the agent with
// its broker and tracer, Prometheus scraping it with ZViz's rules. Every
// target of every panel, with the variables at "All" as Grafana sends them,
// must return a series with data, except the few listed below whose metrics
// have nothing to count in this setup; a metric renamed in the catalog, a
// recording rule that no longer exists, a label a query groups by that the
// agent stopped writing, all show up here as a new empty panel. Then each
// dashboard is drawn by the dashboard preview (Grafana's UI components, in
// Chromium) and no panel may fail to draw.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { binary, btf, describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';

import { Demo } from '../../scripts/demo/demo';
import { demoScrapeIntervalSeconds } from '../../scripts/demo/prometheus';
import { bundledDashboards } from '../browser/harness/dashboard/bundled';
import { prepareTargets, promRequest, type QueryWindow } from '../browser/harness/dashboard/targets';
import { CHROMIUM_LAUNCH } from '../browser/harness/serve';
import { mountDashboard, openHarness } from './browser';
import { AGENT_BUNDLE, EXECUTABLE, REPO } from './harness';

/**
 * Targets (dashboard / panel / refId) that are empty with the demo's
 * workloads, and why. Anything else empty fails the test; so does an entry
 * here that has data now (the list must stay true).
 */
const EMPTY_IN_THE_DEMO: Record<string, string> = {
  'broker / Events dropped per container / A':
    'no workload comes near the per-container event rate limit (1,000/s, burst 5,000): nothing is dropped (> 0)',
  'containers / Limits exceeded / A': 'no workload goes over its limits (noisy stays under 64M, half a CPU, 16 pids)',
  'overview / Series left out by the series budget / A':
    'three workloads stay far under every family’s series budget: nothing is left out (> 0)',
  'overview / Series left out by the series budget / B':
    'nor does any tracer family reach its cap and fold into "other" (> 0)',
  'rollout / Canary p95 vs production / A': 'the demo runs one agent, variant production: there is no canary',
  'rollout / Canary refusal ratio vs production / A': 'the demo runs one agent, variant production: there is no canary',
  'security / Kills in range / A': 'the workloads’ forbidden calls are denied (EPERM/EACCES); no rule of theirs kills',
  'tracing / DNS latency / A': 'the workloads resolve no names: they reach the agent by address',
  'tracing / DNS latency / B': 'the workloads resolve no names: they reach the agent by address',
};

interface PromAnswer {
  status: string;
  error?: string;
  data: { resultType: string; result: Array<{ values?: Array<[number, string]>; value?: [number, string] }> };
}

/** Series with at least one sample that is a number (histogram_quantile of nothing is NaN). */
function seriesWithData(answer: PromAnswer): number {
  if (answer.data.resultType === 'scalar') {
    return 1;
  }
  return answer.data.result.filter((s) =>
    (s.values ?? (s.value ? [s.value] : [])).some(([, v]) => !Number.isNaN(Number(v)))
  ).length;
}

describeWhere(
  [
    root,
    seccompUserNotif,
    btf,
    binary('prometheus'),
    file(CHROMIUM_LAUNCH.executablePath, 'needs Debian’s Chromium (apt-get install chromium)'),
    file(join(REPO, 'dist/panels/decisions/module.js'), 'needs the built panel (npm run build)'),
    file(AGENT_BUNDLE, 'needs the built agent (npm run build)'),
    file(EXECUTABLE, 'needs the built backend executable (npm run build)'),
  ],
  'the bundled dashboards with live data',
  () => {
    let demo: Demo;
    let window: QueryWindow;
    const dashboards = bundledDashboards();

    beforeAll(async () => {
      demo = new Demo({
        agentAddress: `127.0.0.1:${await freePort()}`,
        prometheusAddress: `127.0.0.1:${await freePort()}`,
        summarySeconds: 3600,
        keep: false,
      });
      const started = Date.now();
      await demo.startAll();
      // Every workload has run to its end at least once (ci-build again after 10 s, untrusted-tool
      // after 15 s), and the rate windows hold a few scrapes of it.
      await new Promise((resolve) => setTimeout(resolve, 24_000));
      await waitFor(
        'a rule evaluation with broker requests',
        async () => {
          const r = await fetch(`${demo.prometheusUrl}/api/v1/query?query=instance:zviz_broker_requests:rate5m`);
          return ((await r.json()) as PromAnswer).data.result.length > 0;
        },
        { timeoutMs: 20_000 }
      );
      window = { fromMs: started, toMs: Date.now(), scrapeIntervalSeconds: demoScrapeIntervalSeconds() };
    }, 120_000);

    afterAll(async () => {
      expect(await demo?.stop()).toBe(0);
    });

    it('every panel target returns data, except the listed ones', async () => {
      const empty: string[] = [];
      let queried = 0;
      for (const { name, dashboard } of dashboards) {
        for (const t of prepareTargets(dashboard, window)) {
          const { path, params } = promRequest(t, window);
          const answer = (await (await fetch(`${demo.prometheusUrl}${path}?${params}`)).json()) as PromAnswer;
          const key = `${name} / ${t.panel.title} / ${t.target.refId}`;
          expect(answer.status, `${key}: ${t.expr}: ${answer.error}`).toBe('success');
          queried++;
          if (seriesWithData(answer) === 0) {
            empty.push(key);
          }
        }
      }
      expect(queried).toBeGreaterThan(80);
      const unexpected = empty.filter((k) => !(k in EMPTY_IN_THE_DEMO));
      const stale = Object.keys(EMPTY_IN_THE_DEMO).filter((k) => !empty.includes(k));
      expect(unexpected, 'empty panel targets with the demo’s workloads').toEqual([]);
      expect(stale, 'listed as empty but have data now: take them off EMPTY_IN_THE_DEMO').toEqual([]);
    });

    it('the preview draws every dashboard in Chromium without a panel error', async () => {
      const backend = demo.backend!;
      const harness = await openHarness(
        backend.client,
        { ...backend.config, uid: 'zviz' },
        window.fromMs,
        window.toMs,
        demo.prometheusUrl
      );
      try {
        for (const { name, dashboard } of dashboards) {
          const panels = await mountDashboard(harness.page, dashboard, window.scrapeIntervalSeconds);
          expect(panels.length, name).toBeGreaterThan(5);
          expect(
            panels.filter((p) => p.error).map((p) => `${name} / ${p.title}: ${p.error}`),
            'panels that failed'
          ).toEqual([]);
          // Each panel in Grafana's chrome, drawn: canvases for the graphs, the decisions grid.
          const drawn = harness.page.locator('[data-panel-title]');
          expect(await drawn.count(), name).toBe(panels.length);
          expect(await harness.page.locator('[data-panel-error]').count(), name).toBe(0);
        }
        expect(harness.errors).toEqual([]);
      } finally {
        await harness.close();
      }
    });
  }
);
