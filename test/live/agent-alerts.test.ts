// The generated rules in a real Prometheus scraping a real agent: every rule
// evaluates without error against the agent's exposition, and alerts go
// pending, then firing in /api/v1/alerts when the agent refuses a
// configuration reload and when it stops. `for` durations are shortened to
// seconds (rules-for-test.ts); the expressions are the shipped ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere, file } from '@zviz/test-support/requirements';

import { REPO } from '../../scripts/rules/outputs';
import { rulesWithFor, writeRules } from './rules-for-test';

const AGENT = join(REPO, 'agent/bin/zviz.js');

interface RuleHealth {
  name: string;
  health: string;
  lastError?: string;
}

async function alertState(prom: TestPrometheus, name: string): Promise<string | undefined> {
  const alerts = await prom.alerts();
  return alerts.find((a) => a.labels.alertname === name)?.state;
}

/** Waits until the alert has been seen pending and then firing. */
async function pendingThenFiring(prom: TestPrometheus, name: string): Promise<string[]> {
  const seen: string[] = [];
  await waitFor(
    `${name} to fire`,
    async () => {
      const state = await alertState(prom, name);
      if (state && seen[seen.length - 1] !== state) {
        seen.push(state);
      }
      return state === 'firing';
    },
    { timeoutMs: 30_000, intervalMs: 200 }
  );
  return seen;
}

describeWhere(
  [binary('prometheus'), file(join(REPO, 'agent/dist/zviz.js'), 'needs the built agent (npm run build)')],
  'ZViz rules in a live Prometheus scraping a live agent',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-live-rules-'));
    const configPath = join(dir, 'config.yaml');
    let agent: ChildProcess | undefined;
    let prom: TestPrometheus | undefined;
    let agentLog = '';

    beforeAll(async () => {
      const port = await freePort();
      writeFileSync(configPath, `logging:\n  audit:\n    path: ${join(dir, 'audit.json')}\n`);
      agent = spawn(process.execPath, [AGENT, 'agent', '--config', configPath, '--addr', `127.0.0.1:${port}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ZVIZ_VARIANT: 'production' },
      });
      agent.stdout?.on('data', (c: Buffer) => (agentLog += c.toString()));
      agent.stderr?.on('data', (c: Buffer) => (agentLog += c.toString()));
      await waitFor('the agent to answer /health', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok);

      const rules = rulesWithFor({ ZVizBrokerDown: '3s', ZVizConfigReloadFailed: '3s' });
      prom = await TestPrometheus.start({
        scrape: [{ job: 'zviz', targets: [`127.0.0.1:${port}`] }],
        ruleFiles: [writeRules(join(dir, 'zviz-rules.yaml'), rules)],
      });
    });

    afterAll(async () => {
      if (agent && agent.exitCode === null) {
        agent.kill('SIGKILL');
      }
      await prom?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('evaluates every rule against the agent without an error', async () => {
      await prom!.waitForSamples('zviz_build_info{job="zviz"}');
      const groups = await waitFor(
        'every rule to be evaluated',
        async () => {
          const response = await fetch(`${prom!.url}/api/v1/rules`);
          const body = (await response.json()) as { data: { groups: Array<{ name: string; rules: RuleHealth[] }> } };
          const rules = body.data.groups.flatMap((g) => g.rules);
          return rules.length > 0 && rules.every((r) => r.health !== 'unknown') ? body.data.groups : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250 }
      );
      const broken = groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
      expect(broken).toEqual([]);
      expect(groups.map((g) => g.name)).toEqual(
        expect.arrayContaining(['zviz.critical', 'zviz.warning', 'zviz.rules', 'zviz.agent', 'zviz.canary'])
      );
    });

    it('stays quiet about a healthy agent', async () => {
      const firing = (await prom!.alerts()).filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
      expect(firing).toEqual([]);
    });

    it('ZVizConfigReloadFailed goes pending, then firing, when the agent refuses a reload', async () => {
      writeFileSync(configPath, 'logging:\n  level: loudest\n');
      agent!.kill('SIGHUP');
      expect(await pendingThenFiring(prom!, 'ZVizConfigReloadFailed'), agentLog).toEqual(['pending', 'firing']);
      const alert = (await prom!.alerts()).find((a) => a.labels.alertname === 'ZVizConfigReloadFailed')!;
      expect(alert.labels).toMatchObject({ severity: 'warning', job: 'zviz' });
      expect(alert.annotations.runbook_url).toMatch(/docs\/runbooks\.md#zvizconfigreloadfailed$/);
    });

    it('ZVizBrokerDown goes pending, then firing, when the agent stops', async () => {
      const exited = new Promise((resolve) => agent!.once('exit', resolve));
      agent!.kill('SIGTERM');
      await exited;
      expect(await pendingThenFiring(prom!, 'ZVizBrokerDown')).toEqual(['pending', 'firing']);
      const alert = (await prom!.alerts()).find((a) => a.labels.alertname === 'ZVizBrokerDown')!;
      expect(alert.labels).toMatchObject({ severity: 'critical', job: 'zviz' });
      expect(alert.annotations.description).toContain(alert.labels.instance);
    });
  }
);
