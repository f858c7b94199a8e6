// One syscall's way from the kernel to the panel, checked at every link:
// a workload under a profile with exactly known outcomes makes the broker
// decide; the agent counts, audits and streams the decisions; Prometheus
// scrapes them and evaluates ZViz's generated rules; the backend executable,
// driven over Grafana's plugin protocol, turns them into frames; the alert on
// denials fires. Every number is the workload's own: if a link loses,
// doubles or mislabels a decision, a check here fails.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';

import { rulesWithFor, writeRules } from '../live/rules-for-test';
import { CHROMIUM_LAUNCH } from '../browser/harness/serve';
import { cell, mountPanel, openHarness } from './browser';
import {
  AGENT_BUNDLE,
  BackendProcess,
  buildChainWorkload,
  chainProfile,
  chainWorkspace,
  EXECUTABLE,
  REPO,
  SandboxAgent,
  type RunOutput,
} from './harness';

/** What the workload does: opens of each file, and ptrace calls. */
const ALLOWED = 25;
const LOGGED = 7;
const DENIED = 11;
// Enough refusals that their rate over 5 minutes passes ZVizSecurityViolation's 10 per second.
const PTRACES = 4000;

interface JsonFrame {
  schema: { name: string; fields: Array<{ name: string }> };
  data: { values: unknown[][] };
}

function rowsOf(frame: JsonFrame): Array<Record<string, unknown>> {
  const names = frame.schema.fields.map((f) => f.name);
  const length = frame.data.values[0]?.length ?? 0;
  return Array.from({ length }, (_, i) => Object.fromEntries(names.map((n, j) => [n, frame.data.values[j][i]])));
}

describeWhere(
  [
    root,
    seccompUserNotif,
    binary('prometheus'),
    binary('promtool', 'prometheus'),
    binary('cc', 'gcc'),
    file(CHROMIUM_LAUNCH.executablePath, 'needs Debian’s Chromium (apt-get install chromium)'),
    file(join(REPO, 'dist/panels/decisions/module.js'), 'needs the built panel (npm run build)'),
    file(AGENT_BUNDLE, 'needs the built agent (npm run build)'),
    file(EXECUTABLE, 'needs the built backend executable (npm run build)'),
  ],
  'a decision from the kernel to the panel',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-e2e-'));
    let agent: SandboxAgent;
    let prom: TestPrometheus;
    let backend: BackendProcess;
    let profile: string;
    let workspace: string;
    let run: RunOutput;
    let from: number;
    let config: { uid: string; jsonData: Record<string, unknown> };
    /** The alert's states as seen from the moment the workload ran, every 200 ms. */
    const alertStates: string[] = [];
    let watching: NodeJS.Timeout | undefined;

    beforeAll(async () => {
      const workload = buildChainWorkload();
      profile = chainProfile(dir);
      workspace = chainWorkspace(dir, workload);
      agent = await SandboxAgent.start();
      prom = await TestPrometheus.start({
        scrape: [{ job: 'zviz', targets: [agent.address] }],
        ruleFiles: [writeRules(join(dir, 'zviz-rules.yaml'), rulesWithFor({ ZVizSecurityViolation: '2s' }))],
      });
      await prom.waitForSamples('up{job="zviz"} == 1');
      backend = await BackendProcess.start();
      config = {
        uid: 'e2e',
        jsonData: { prometheusUrl: prom.url, agentDiscovery: 'static', agents: [agent.url], scrapeIntervalSeconds: 1 },
      };
      from = Date.now() - 5_000;
      watching = setInterval(() => {
        void prom.alerts().then((alerts) => {
          const state = alerts.find((a) => a.labels.alertname === 'ZVizSecurityViolation')?.state ?? 'inactive';
          if (alertStates.at(-1) !== state) {
            alertStates.push(state);
          }
        });
      }, 200);
      run = await agent.run({
        profile,
        workdir: workspace,
        name: 'e2e-chain',
        command: ['./chain', String(ALLOWED), String(LOGGED), String(DENIED), String(PTRACES)],
      });
      // A scrape after the workload ended.
      await prom.waitForSamples(
        'zviz_broker_decisions_total{syscall="ptrace", decision="deny"}',
        (s) => s.length === 1 && Number(s[0].value![1]) === PTRACES
      );
    });

    afterAll(async () => {
      clearInterval(watching);
      await backend?.stop();
      await prom?.stop();
      await agent?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the workload ran in the sandbox and saw each outcome', () => {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(
        `allowed: ${ALLOWED} of ${ALLOWED} opened\n` +
          `logged: ${LOGGED} of ${LOGGED} opened\n` +
          `denied: 0 of ${DENIED} opened, refused with errno EACCES\n` +
          `ptrace: ${PTRACES} of ${PTRACES} refused\n`
      );
      expect(run.containerId).toMatch(/^\S+$/);
    });

    it('the agent counts exactly those decisions', async () => {
      const metrics = await agent.metrics();
      const series = metrics.split('\n').filter((l) => l.startsWith('zviz_broker_decisions_total{'));
      expect(series.sort()).toEqual(
        [
          `zviz_broker_decisions_total{syscall="openat",decision="emulate"} ${ALLOWED}`,
          `zviz_broker_decisions_total{syscall="openat",decision="log"} ${LOGGED}`,
          `zviz_broker_decisions_total{syscall="openat",decision="deny"} ${DENIED}`,
          `zviz_broker_decisions_total{syscall="ptrace",decision="deny"} ${PTRACES}`,
        ].sort()
      );
      expect(await agent.sample('zviz_security_denials_total{layer="broker"}')).toBe(DENIED);
      expect(await agent.sample('zviz_security_denials_total{layer="seccomp"}')).toBe(PTRACES);
    });

    it('the backend’s decisions frame, from Prometheus, holds exactly the counts the workload caused', async () => {
      const { A } = await backend.client.queryData(
        [{ refId: 'A', queryType: 'decisions', model: { mode: 'count' }, from, to: Date.now() }],
        config
      );
      expect(A.error).toBe('');
      const wide = A.frames.find((f) => f.name === 'decisions')!;
      const column = (name: string) => wide.fields.find((f) => f.name === name)!.values as unknown[];
      const rows = (column('syscall') as string[]).map((syscall, i) => ({
        syscall,
        allow: column('allow')[i],
        emulate: column('emulate')[i],
        log: column('log')[i],
        deny: column('deny')[i],
        trap: column('trap')[i],
        kill: column('kill')[i],
        total: column('total')[i],
      }));
      expect(rows).toEqual([
        { syscall: 'ptrace', allow: 0, emulate: 0, log: 0, deny: PTRACES, trap: 0, kill: 0, total: PTRACES },
        {
          syscall: 'openat',
          allow: 0,
          emulate: ALLOWED,
          log: LOGGED,
          deny: DENIED,
          trap: 0,
          kill: 0,
          total: ALLOWED + LOGGED + DENIED,
        },
      ]);
    });

    it('audit returns the logged and refused opens, with their paths, from the agent', async () => {
      const { A } = await backend.client.queryData(
        [{ refId: 'A', queryType: 'audit', model: { syscall: 'openat', limit: 1000 }, from, to: Date.now() }],
        config
      );
      expect(A.error).toBe('');
      const frame = A.frames[0];
      const column = (name: string) => frame.fields.find((f) => f.name === name)!.values as unknown[];
      const events = (column('decision') as string[]).map((decision, i) => ({
        decision,
        syscall: column('syscall')[i],
        layer: column('layer')[i],
        container: column('container_id')[i],
        errno: column('errno')[i],
        path: (JSON.parse(String(column('args')[i])) as { path?: string }).path,
      }));
      const count = (decision: string) => events.filter((e) => e.decision === decision).length;
      expect([count('log'), count('deny'), events.length]).toEqual([LOGGED, DENIED, LOGGED + DENIED]);
      for (const e of events) {
        expect(e).toMatchObject({ syscall: 'openat', layer: 'broker', container: run.containerId });
        expect(e.path).toBe(e.decision === 'log' ? 'logged' : 'denied');
        expect(e.errno).toBe(e.decision === 'deny' ? 13 : null);
      }
    });

    it('health reports the agent healthy, its broker ok', async () => {
      const { A } = await backend.client.queryData(
        [{ refId: 'A', queryType: 'health', model: {}, from, to: Date.now() }],
        config
      );
      expect(A.error).toBe('');
      const row = Object.fromEntries(A.frames[0].fields.map((f) => [f.name, (f.values as unknown[])[0]]));
      expect(row).toMatchObject({
        agent: agent.address,
        status: 'healthy',
        node: 'e2e',
        variant: 'production',
        broker_status: 'running',
        component_broker: 'ok',
        error: '',
      });
      const check = await backend.client.checkHealth(config);
      expect(check.status).toBe('OK');
    });

    it('the decisions panel, built, renders those frames in Chromium: every cell is the workload’s count', async () => {
      const harness = await openHarness(backend.client, config, from, Date.now());
      try {
        const { page } = harness;
        const { frames } = await mountPanel(page);
        expect(frames).toBe(2); // the wide table and the trend frame, from the real backend
        await expect.poll(() => page.getByRole('rowheader').allTextContents()).toEqual(['ptrace', 'openat']);
        const expected: Array<[string, string, number]> = [
          ['openat', 'allow', 0],
          ['openat', 'emulate', ALLOWED],
          ['openat', 'log', LOGGED],
          ['openat', 'deny', DENIED],
          ['openat', 'kill', 0],
          ['ptrace', 'deny', PTRACES],
          ['ptrace', 'allow', 0],
        ];
        for (const [syscall, decision, value] of expected) {
          await expect.poll(() => cell(page, syscall, decision).getAttribute('data-value')).toBe(String(value));
        }
        await expect
          .poll(() => cell(page, 'openat', 'deny').getAttribute('aria-label'))
          .toBe(`openat deny: ${DENIED}. Show audit events`);
        // A click on a cell asks the backend for its audit events: the refused opens of the workload.
        await cell(page, 'openat', 'deny').click();
        const drawer = page.getByRole('dialog');
        await expect.poll(() => drawer.getByText(/denied/).count()).toBeGreaterThanOrEqual(1);
        expect(harness.errors).toEqual([]);
      } finally {
        await harness.close();
      }
    });

    it('the live stream delivers a decision made while it is open', async () => {
      const call = backend.client.runStream('decisions', config);
      const packets: JsonFrame[] = [];
      call.on('data', (p: { data: Buffer }) => packets.push(JSON.parse(p.data.toString()) as JsonFrame));
      call.on('error', () => undefined);
      try {
        await waitFor(
          'the backend to follow the agent’s stream',
          async () => (await agent.sample('zviz_api_stream_clients')) === 1
        );
        const second = await agent.run({
          profile,
          workdir: workspace,
          name: 'e2e-live',
          command: ['./chain', '0', '0', '1', '0'],
        });
        expect(second.code).toBe(0);
        const live = await waitFor('the decision on the stream', async () =>
          packets.flatMap(rowsOf).find((r) => r.container_id === second.containerId)
        );
        expect(live).toMatchObject({ syscall: 'openat', decision: 'deny', layer: 'broker', errno: 13 });
        expect(JSON.parse(String(live.args))).toMatchObject({ path: 'denied' });
      } finally {
        call.cancel();
      }
    });

    it('ZVizSecurityViolation goes pending, then firing, for the seccomp layer', async () => {
      await waitFor('ZVizSecurityViolation to fire', async () => alertStates.at(-1) === 'firing', {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      expect(alertStates).toEqual(['inactive', 'pending', 'firing']);
      const firing = (await prom.alerts()).filter((a) => a.labels.alertname === 'ZVizSecurityViolation');
      expect(firing.map((a) => a.labels)).toEqual([
        expect.objectContaining({ layer: 'seccomp', severity: 'critical', job: 'zviz', instance: agent.address }),
      ]);
    });
  }
);
