// ZVizSecurityViolation from a real sandboxed workload: the generated rule
// (its `for` shortened to seconds, its expression and threshold as shipped)
// in a real Prometheus scraping a real agent whose broker refuses a workload's
// ptrace calls. Below the threshold (10 refusals a second over 5 minutes) it
// stays quiet; past it, it goes pending, then firing, for the seccomp layer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';

import { AGENT_BUNDLE, buildChainWorkload, chainProfile, chainWorkspace, SandboxAgent } from '../e2e/harness';
import { rulesWithFor, writeRules } from './rules-for-test';

const ALERT = 'ZVizSecurityViolation';
/** Refusals over the 5-minute window that make the shipped threshold (10/s): 3000. */
const THRESHOLD_COUNT = 10 * 300;

describeWhere(
  [
    root,
    seccompUserNotif,
    binary('prometheus'),
    binary('cc', 'gcc'),
    file(AGENT_BUNDLE, 'needs the built agent (npm run build)'),
  ],
  `${ALERT} in a live Prometheus, from a sandboxed workload`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-live-denials-'));
    let agent: SandboxAgent;
    let prom: TestPrometheus;
    let profile: string;
    let workspace: string;

    const ptraces = async (n: number) => {
      const run = await agent.run({ profile, workdir: workspace, command: ['./chain', '0', '0', '0', String(n)] });
      expect(run.stdout).toContain(`ptrace: ${n} of ${n} refused`);
    };
    const state = async () => (await prom.alerts()).find((a) => a.labels.alertname === ALERT)?.state;

    beforeAll(async () => {
      profile = chainProfile(dir);
      workspace = chainWorkspace(dir, buildChainWorkload());
      agent = await SandboxAgent.start();
      prom = await TestPrometheus.start({
        scrape: [{ job: 'zviz', targets: [agent.address] }],
        ruleFiles: [writeRules(join(dir, 'rules.yaml'), rulesWithFor({ [ALERT]: '3s' }))],
      });
      await prom.waitForSamples('instance_layer:zviz_security_denials:rate5m{layer="seccomp"}');
    });

    afterAll(async () => {
      await prom?.stop();
      await agent?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('stays quiet while the refusals stay under the threshold', async () => {
      await ptraces(THRESHOLD_COUNT / 2);
      await prom.waitForSamples(
        'zviz_security_denials_total{layer="seccomp"}',
        (s) => Number(s[0]?.value?.[1]) >= THRESHOLD_COUNT / 2
      );
      // Several evaluations (every second) with the refusals in the window.
      const rate = await prom.waitForSamples('instance_layer:zviz_security_denials:rate5m{layer="seccomp"} > 0');
      expect(Number(rate[0].value![1])).toBeLessThan(10);
      for (let i = 0; i < 4; i++) {
        expect(await state()).toBeUndefined();
        await new Promise((r) => setTimeout(r, 1000));
      }
    });

    it('goes pending, then firing, once they pass it', async () => {
      await ptraces(THRESHOLD_COUNT);
      const seen: string[] = [];
      await waitFor(
        `${ALERT} to fire`,
        async () => {
          const s = await state();
          if (s && seen.at(-1) !== s) {
            seen.push(s);
          }
          return s === 'firing';
        },
        { timeoutMs: 30_000, intervalMs: 200 }
      );
      expect(seen).toEqual(['pending', 'firing']);
      const alert = (await prom.alerts()).find((a) => a.labels.alertname === ALERT)!;
      expect(alert.labels).toMatchObject({
        layer: 'seccomp',
        severity: 'critical',
        job: 'zviz',
        instance: agent.address,
      });
      expect(alert.annotations.description).toContain(
        `security denials per second by the seccomp layer on ${agent.address}`
      );
    });
  }
);
