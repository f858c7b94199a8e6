// "A profile that does not validate ... never starts a workload" (docs/security.md,
// Fail closed). `zviz profile check` is tested on the corpus of broken profiles
// (agent/src/cli/commands/profile.test.ts); here each of them is handed to `zviz run`,
// standalone and through an agent, with a command that would write as the node's
// root where only root may: nothing may run, whatever the mistake, and the user is
// told the mistake.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, BIN } from '../support/agent-process';

const DIST = join(__dirname, '..', '..', 'dist', 'zviz.js');
const BROKEN = join(__dirname, '..', 'fixtures', 'broken-profiles');
const expected = JSON.parse(readFileSync(join(BROKEN, 'expected.json'), 'utf8')) as Record<
  string,
  { pointer: string; reason: string }
>;

function zvizRun(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'run', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ZVIZ_AGENT_SOCKET: '', ZVIZ_CONFIG: '' },
      timeout: 30_000,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'zviz run with a broken profile',
  () => {
    let rootOnly: string;
    let agent: AgentProcess;

    beforeAll(async () => {
      // Root's, 0755, outside every runner's TMPDIR: only a process of the node's root writes here.
      rootOnly = mkdtempSync('/run/zviz-bp-');
      chmodSync(rootOnly, 0o755);
      agent = await AgentProcess.start();
    }, 60_000);

    afterAll(async () => {
      await agent?.stop();
      rmSync(rootOnly, { recursive: true, force: true });
    });

    it.each(Object.entries(expected))('%s: nothing runs, standalone or through an agent', async (name, { reason }) => {
      const profile = join(BROKEN, name);
      for (const via of [['--standalone'], ['--socket', agent.controlSocket]]) {
        const marker = join(rootOnly, `${name}-${via[0].slice(2)}`);
        const run = await zvizRun([...via, '--profile', profile, '--', '/bin/sh', '-c', `echo ran > ${marker}`]);
        expect(run.status, `${via[0]}: ${run.stderr}`).toBe(125);
        expect(run.stderr, via[0]).toContain(reason);
        expect(existsSync(marker), `${via[0]}: the workload ran`).toBe(false);
      }
      const containers = (await (await fetch(`${agent.url}/api/v1/containers`)).json()) as { containers: unknown[] };
      expect(containers.containers).toEqual([]);
    });
  }
);
