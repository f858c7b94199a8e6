// Attack class: a configured container's output files (attacks/outputs.c).
// The agent opens a `containers:` entry's stdout and stderr files itself, as
// the node's root, at every start of the agent (agent/src/broker/component.ts).
// An output file in the container's own workspace is one the workload may
// change: under every profile it replaces the file with a link to a file
// outside, its directory with a link to a directory outside, and another
// container's output with a FIFO. The agent is then started again with the
// same configuration. What it must not do: append the workload's output to
// the file outside, make a file in the directory outside, or refuse to start
// at all (a FIFO found at an output path was a configuration error: one
// workload kept the agent and every configured container down). Judged on
// the host: the tree outside the workspace entry by entry, the agent's
// /health, and an honest container of the same configuration whose output
// arrives. A refused output is counted
// (zviz_container_start_failures_total{reason="output"}) and named in /health
// (the broker degraded, naming the container and the path); it was only logged.
//
// Configured containers exist only through an agent: there is no standalone
// form of this attack.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AGENT_BUNDLE, AttackAgent, buildAttacks, PROFILES, Scratch } from './harness';

const DONE = new Set(['exited', 'failed']);

async function settled(agent: AttackAgent, names: string[]): Promise<Record<string, string>> {
  let states: Record<string, string> = {};
  await waitFor(
    `containers ${names.join(', ')} to end`,
    async () => {
      const list = await agent.containers();
      states = Object.fromEntries(list.map((c) => [c.name, c.state]));
      return names.every((name) => DONE.has(states[name] ?? ''));
    },
    { timeoutMs: 30_000 }
  );
  return states;
}

describeWhere(
  [root, seccompUserNotif, file(AGENT_BUNDLE, 'needs the built agent (npm run build)')],
  "a configured container's output files, changed by its workload for the next agent start",
  () => {
    const scratches: Scratch[] = [];
    const agents: AttackAgent[] = [];

    beforeAll(() => {
      buildAttacks();
    });

    afterAll(async () => {
      for (const agent of agents) {
        await agent.stop();
      }
      scratches.forEach((scratch) => scratch.remove());
    });

    it.each(PROFILES)(
      '%s: the agent follows no link the workload planted, waits on no FIFO, and starts',
      async (profile) => {
        const scratch = Scratch.create();
        scratches.push(scratch);
        const program = scratch.install('outputs');
        const ws = scratch.workspace;
        const honestWs = join(ws, 'honest');
        mkdirSync(honestWs);
        // strict runs programs only from the workspace (and system directories): its own copy.
        const honestProgram = join(honestWs, 'outputs');
        copyFileSync(program, honestProgram);
        chmodSync(honestProgram, 0o755);
        mkdirSync(join(ws, 'logs'));
        const marker = `ZVIZ-OUTPUT-${randomBytes(8).toString('hex')}`;
        const env = scratch.env();
        const attacker = (command: string[]) => ({
          name: 'attacker',
          profile,
          command,
          workdir: ws,
          env,
          restart: 'no',
          stdout: join(ws, 'out.log'),
          stderr: join(ws, 'logs', 'err.log'),
        });

        // First start: the workload plants its links and its FIFO.
        const first = await AttackAgent.start({ containers: [attacker([program, 'plant'])] });
        agents.push(first);
        expect(await settled(first, ['attacker'])).toEqual({ attacker: 'exited' });
        // What the workload left, seen on the host.
        expect(lstatSync(join(ws, 'out.log')).isSymbolicLink()).toBe(true);
        expect(lstatSync(join(ws, 'logs')).isSymbolicLink()).toBe(true);
        expect(lstatSync(join(ws, 'fifo.log')).isFIFO()).toBe(true);
        await first.stop();
        agents.splice(agents.indexOf(first), 1);

        // The next start of the agent, the same containers and two more: one
        // whose output is the planted FIFO, one honest.
        const second = await AttackAgent.start({
          notReady: true,
          containers: [
            attacker([program, 'write', marker]),
            {
              name: 'fifo',
              profile,
              command: [program, 'write', marker],
              workdir: ws,
              env,
              restart: 'no',
              stdout: join(ws, 'fifo.log'),
            },
            {
              name: 'honest',
              profile,
              command: [honestProgram, 'write', `${marker}-honest`],
              workdir: honestWs,
              env,
              restart: 'no',
              stdout: join(honestWs, 'out.log'),
            },
          ],
        });
        agents.push(second);
        expect(await settled(second, ['honest'])).toMatchObject({ honest: 'exited' });
        expect(await second.notAlive()).toBeUndefined();

        // Nothing outside the workspace changed: the victim file was not
        // appended to, and no err.log appeared in the victim directory.
        expect(scratch.changedOutside()).toEqual([]);
        expect(readFileSync(scratch.victimPath, 'utf8')).not.toContain(marker);
        // The honest container ran and its output arrived.
        expect(readFileSync(join(honestWs, 'out.log'), 'utf8')).toBe(
          `${marker}-honest stdout\n${marker}-honest stderr\n`
        );
        // The refused outputs are named, with why, in the agent's log.
        const log = second.fullLog();
        expect(log).toContain(`${join(ws, 'out.log')}`);
        expect(log).toMatch(/out\.log[^\n]*symbolic link/);
        expect(log).toMatch(/fifo\.log[^\n]*a FIFO/);
        const names = (await second.containers()).map((c) => c.name);
        expect(names).not.toContain('attacker');
        expect(names).not.toContain('fifo');
        // Counted and shown, not only logged: one refused output each.
        const metrics = await (await fetch(`${second.url}/metrics`)).text();
        expect(metrics).toMatch(/^zviz_container_start_failures_total\{reason="output"\} 2$/m);
        const health = (await (await fetch(`${second.url}/health`)).json()) as {
          status: string;
          components: { broker: { status: string; reason?: string } };
        };
        expect(health.status).toBe('degraded');
        expect(health.components.broker.status).toBe('degraded');
        const reason = health.components.broker.reason ?? '';
        expect(reason).toContain('2 configured containers not started');
        expect(reason).toMatch(new RegExp(`attacker \\(${join(ws, 'out.log')}: [^)]*symbolic link`));
        expect(reason).toMatch(new RegExp(`fifo \\(${join(ws, 'fifo.log')}: is a FIFO`));
        expect(reason).not.toContain('honest');
        // Degraded, not down: the broker starts and supervises the others, so
        // a workload's planted link neither takes the agent out of readiness
        // nor fires ZVizBrokerNotReady.
        const ready = await fetch(`${second.url}/ready`);
        expect(ready.status).toBe(200);
        expect(metrics).toMatch(/^zviz_component_ready\{component="broker"\} 1$/m);
      },
      120_000
    );
  }
);
