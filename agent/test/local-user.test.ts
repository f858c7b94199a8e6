// What an unprivileged local user can do to the agent through the files it
// writes as root and its control socket (docs/security.md, The agent against
// local users). The user is a real process of a uid no account has; what
// counts is what happened to the files and what the user's programs received.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { describeWhere, root } from '@zviz/test-support/requirements';
import { AgentProcess, zvizAsync } from './support/agent-process';

/** A uid (and gid) no account of the test machine uses. */
const STRANGER = 54_321;

/** Runs node code as STRANGER; its stdout lines are what it saw. */
function asStranger(code: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['-e', code], {
    uid: STRANGER,
    gid: STRANGER,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

describeWhere([root], 'the agent against a local user', () => {
  let base: string;
  /** A directory the local user made (or was given) and owns. */
  let theirs: string;
  /** A file of root's the user would like the agent to write into. */
  let victim: string;
  const victimText = 'root:x:0:0:root:/root:/bin/bash\n';

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'zviz-local-user-'));
    chmodSync(base, 0o755);
    theirs = join(base, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, STRANGER, STRANGER);
    victim = join(base, 'victim');
    writeFileSync(victim, victimText, { mode: 0o644 });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  function plantLink(name: string): string {
    const link = join(theirs, name);
    rmSync(link, { force: true });
    symlinkSync(victim, link);
    lchownSync(link, STRANGER, STRANGER);
    return link;
  }

  it.each(['logging.output', 'logging.audit.path'])(
    '%s in a directory the user owns, holding their link to a root file: refused at start, the file untouched',
    async (key) => {
      const link = plantLink(key === 'logging.output' ? 'zviz.log' : 'audit.json');
      const dir = mkdtempSync(join(base, 'config-'));
      const config = join(dir, 'config.yaml');
      const logging = key === 'logging.output' ? `output: ${link}` : `audit: { path: ${link} }`;
      writeFileSync(
        config,
        `metrics: { address: "127.0.0.1:${await freePort()}" }\nlogging: { ${logging} }\nbroker: { control_socket: ${join(dir, 'agent.sock')}, cgroup_group: zviz-local-user-${process.pid} }\n`
      );
      const run = await zvizAsync(['agent', '--config', config]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(
        `${key}: ${link} is in a directory another user can change (${theirs} belongs to uid ${STRANGER}`
      );
      expect(readFileSync(victim, 'utf8')).toBe(victimText);
    },
    30_000
  );

  it('the control socket in a directory the user owns: the broker refuses it and says why; no socket is made', async () => {
    const socket = join(theirs, 'agent.sock');
    const agent = await AgentProcess.start({ broker: { control_socket: socket } }, { waitForHealth: false });
    try {
      let health: { status?: string; components?: { broker?: { status: string; reason?: string } } } = {};
      await waitFor('the broker to give up', async () => {
        const response = await fetch(`${agent.url}/health`).catch(() => undefined);
        health = response ? ((await response.json()) as typeof health) : {};
        return health.components?.broker?.status === 'failed';
      });
      expect(health.status).toBe('unhealthy');
      expect(health.components?.broker?.reason).toContain(
        `${socket} is in a directory another user can change (${theirs} belongs to uid ${STRANGER}`
      );
      expect(existsSync(socket)).toBe(false);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it("the user's own program listening at the socket path: zviz run hands it neither the request nor the terminal", async () => {
    const socket = join(theirs, 'impostor.sock');
    const impostor = asStranger(`
      const net = require('node:net');
      net.createServer((c) => {
        let bytes = 0;
        c.on('data', (d) => { bytes += d.length; });
        c.on('close', () => console.log('received ' + bytes));
        c.on('error', () => {});
      }).listen(${JSON.stringify(socket)}, () => console.log('listening'));
    `);
    try {
      await waitFor('the impostor', async () => impostor.output().includes('listening'));
      const run = await zvizAsync(['run', '--socket', socket, '--profile', 'default', '--', 'true']);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(`the control socket is served by a process of uid ${STRANGER}`);
      await waitFor('the impostor to see the connection end', async () => impostor.output().includes('received'));
      expect(impostor.output()).toContain('received 0');
    } finally {
      impostor.child.kill('SIGKILL');
    }
  }, 60_000);

  it("cannot connect to the agent's control socket", async () => {
    const agent = await AgentProcess.start();
    try {
      const socket = agent.controlSocket;
      await waitFor('the control socket', async () => existsSync(socket));
      // The user may reach the directory, as they could /run/zviz.
      chmodSync(agent.dir, 0o755);
      const client = asStranger(`
        require('node:net').connect(${JSON.stringify(socket)})
          .on('connect', () => { console.log('connected'); process.exit(0); })
          .on('error', (e) => { console.log(e.code); process.exit(0); });
      `);
      await new Promise((resolve) => client.child.once('exit', resolve));
      expect(client.output().trim()).toBe('EACCES');
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
