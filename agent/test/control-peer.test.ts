// The control socket's peer check fails closed (docs/security.md, The control
// socket): a peer the agent cannot identify is refused, whoever it was. A
// client that is gone by the time the agent looks at it is the case the
// kernel makes easy: its connection and its request (with its descriptors)
// wait in the socket's queue while the agent is busy, and its pid may by then
// name another process. Here the agent is held (SIGSTOP) while a root client
// of the node sends a complete run request and exits; the agent, let go,
// must run nothing for it.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root } from '@zviz/test-support/requirements';
import { AgentProcess, sample } from './support/agent-process';

const ADDON = join(__dirname, '..', 'build', 'Release', 'zviz_broker.node');

/** Runs node code to its end (reaped), with its output. */
function runNode(code: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

describeWhere([root], 'the control socket against a peer that is gone', () => {
  let outside: string;
  beforeAll(() => {
    outside = mkdtempSync('/run/zviz-cp-');
    chmodSync(outside, 0o755);
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('a root client that sent a whole run request and exited before the agent looked: refused as unidentified, nothing runs', async () => {
    const marker = join(outside, 'ran-for-a-gone-peer');
    const agent = await AgentProcess.start();
    try {
      const request = {
        type: 'run',
        version: 1,
        profile: 'observe',
        command: ['/bin/sh', '-c', `echo ran > ${marker}`],
        env: {},
        cwd: '/',
        limits: {},
        restart: 'no',
      };
      agent.signal('SIGSTOP');
      let sent: { status: number | null; output: string };
      try {
        // Connect and send complete in the kernel without the agent's accept: the listener's queue holds them.
        sent = await runNode(`
          const addon = require(${JSON.stringify(ADDON)});
          const socket = require('node:net').createConnection(${JSON.stringify(agent.controlSocket)}, () => {
            // Not its own stdio: the queued copies would hold this test's pipes open until the agent runs.
            const stdio = [0, 1, 2].map(() => require('node:fs').openSync('/dev/null', 'r+'));
            addon.sendWithFds(socket._handle.fd, Buffer.from(${JSON.stringify(JSON.stringify(request))}), stdio);
            console.log('sent');
            process.exit(0);
          });
          socket.on('error', (e) => { console.log(e.code); process.exit(1); });
        `);
      } finally {
        agent.signal('SIGCONT');
      }
      expect(sent.output.trim(), sent.output).toBe('sent');
      await waitFor(
        'the refusal to be counted',
        async () => sample(await agent.metrics(), 'zviz_control_refusals_total{reason="unidentified"}') === 1
      );
      const audit = readFileSync(join(agent.dir, 'audit.json'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('"control"'))
        .map((line) => JSON.parse(line) as { decision: string; args: Record<string, unknown> });
      expect(audit).toEqual([
        expect.objectContaining({
          decision: 'deny',
          args: expect.objectContaining({ reason: 'unidentified', note: expect.stringContaining('it is gone') }),
        }),
      ]);
      // Had it been let through, observe's container would have written this as the node's root by now.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(existsSync(marker)).toBe(false);
      const containers = (await (await fetch(`${agent.url}/api/v1/containers`)).json()) as { containers: unknown[] };
      expect(containers.containers).toEqual([]);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
