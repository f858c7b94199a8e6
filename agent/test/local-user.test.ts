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
import { AgentProcess, BIN, sample, zvizAsync } from './support/agent-process';

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

  // The socket's mode is the first defence; the peer check holds "whatever the permissions"
  // (docs/security.md, The agent against local users). With both opened to every user, the
  // user's own zviz run asks for an observe container that writes, as root, into a directory
  // only root may write: the agent must refuse it by uid, start nothing, and count and audit it.
  it('with the socket opened to every user, the peer check still refuses the user: nothing runs, counted and audited', async () => {
    // Under /run (root's, 0755), not the runner's TMPDIR, so the user can reach it at all.
    const open = mkdtempSync('/run/zviz-lu-');
    chmodSync(open, 0o755);
    const socket = join(open, 'agent.sock');
    // Beside it, not in it: every container's view masks the socket's directory.
    const rootOnly = mkdtempSync('/run/zviz-lr-');
    chmodSync(rootOnly, 0o755);
    const marker = join(rootOnly, 'written-as-root');
    const agent = await AgentProcess.start({ broker: { control_socket: socket } });
    try {
      await waitFor('the control socket', async () => existsSync(socket));
      chmodSync(socket, 0o666);
      const client = spawn(
        process.execPath,
        [BIN, 'run', '--socket', socket, '--profile', 'observe', '--', '/bin/sh', '-c', `echo escaped > ${marker}`],
        { uid: STRANGER, gid: STRANGER, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } }
      );
      let output = '';
      client.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      client.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
      expect(code, output).not.toBe(0);
      expect(output).toContain(`uid ${STRANGER} may not run workloads through the agent`);
      expect(existsSync(marker)).toBe(false);
      expect(sample(await agent.metrics(), 'zviz_control_refusals_total{reason="uid"}')).toBe(1);
      const audit = join(agent.dir, 'audit.json');
      await waitFor(
        'the refusal in the audit log',
        async () => existsSync(audit) && readFileSync(audit, 'utf8').includes('"control"')
      );
      const records = readFileSync(audit, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"control"'))
        .map((line) => JSON.parse(line) as { decision: string; args: Record<string, unknown> });
      expect(records).toEqual([
        expect.objectContaining({
          decision: 'deny',
          args: expect.objectContaining({ reason: 'uid', peer_uid: STRANGER }),
        }),
      ]);
      expect(agent.log).not.toMatch(/container started|"name":"/);
    } finally {
      await agent.stop();
      rmSync(open, { recursive: true, force: true });
      rmSync(rootOnly, { recursive: true, force: true });
    }
  }, 60_000);
});
