// An agent configured with many containers answers while it starts them:
// the broker is up first, the configured containers start one per turn of the
// event loop, /health says how far it got (the broker component `starting`,
// "starting the configured containers: k of n"), /ready waits for all of
// them, and the agent never runs into its start timeout however many there
// are (docs/benchmarks.md, a thousand containers on one node).
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { scratchDir } from '@zviz/test-support/scratch';

import { AgentProcess } from '../support/agent-process';

const DIST = join(__dirname, '..', '..', 'dist', 'zviz.js');
const COUNT = 40;

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'an agent starting many configured containers',
  () => {
    let agent: AgentProcess | undefined;
    afterAll(async () => {
      await agent?.stop();
    });

    it('keeps answering /health with its progress, and is ready once all of them run', async () => {
      const workdir = scratchDir('zviz-configured-');
      agent = await AgentProcess.start(
        {
          tracer: { enabled: false },
          containers: Array.from({ length: COUNT }, (_, i) => ({
            name: `sleeper-${i}`,
            profile: 'default',
            workdir,
            command: ['/bin/sleep', '1000'],
          })),
        },
        { waitForHealth: false }
      );
      const seen: string[] = [];
      await waitFor(
        'the agent to be ready',
        async () => {
          const health = (await (await fetch(`${agent!.url}/health`)).json()) as {
            components: Record<string, { status: string; reason?: string }>;
          };
          const broker = health.components.broker;
          if (broker) {
            seen.push(`${broker.status}: ${broker.reason ?? ''}`);
          }
          return (await fetch(`${agent!.url}/ready`)).status === 200;
        },
        { timeoutMs: 120_000, intervalMs: 10 }
      );
      const progress = seen
        .map((s) => /^starting: starting the configured containers: (\d+) of (\d+)$/.exec(s))
        .filter((m) => m !== null);
      expect(progress.length, seen.join('\n')).toBeGreaterThan(0);
      expect(progress.every((m) => Number(m![2]) === COUNT)).toBe(true);
      expect(progress.some((m) => Number(m![1]) < COUNT)).toBe(true);
      const after = (await (await fetch(`${agent.url}/health`)).json()) as {
        components: Record<string, { status: string; reason?: string }>;
      };
      expect(after.components.broker).toMatchObject({ status: 'ok' });
      expect(after.components.broker.reason).toBeUndefined();
      const { containers } = (await (await fetch(`${agent.url}/api/v1/containers`)).json()) as {
        containers: Array<{ state: string }>;
      };
      const errors = agent.log.split('\n').filter((line) => /"level":"(error|warn)"/.test(line));
      expect(
        containers.filter((c) => c.state === 'running'),
        errors.join('\n')
      ).toHaveLength(COUNT);
    });
  }
);
