// Clients that hang up on the agent's control socket (the socket `zviz run`
// hands workloads over): at every step of the exchange, the agent must stay
// up, keep its supervised containers, and still take the next `zviz run`.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, BIN } from '../../agent/test/support/agent-process';
import { requireBrokerAddon } from '../../agent/src/native/broker-addon';

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
    } else {
      socket.once('close', () => resolve());
    }
  });
}

describeWhere([root, seccompUserNotif], 'hang-ups on the control socket', () => {
  let agent: AgentProcess;
  let socketPath: string;

  beforeAll(async () => {
    agent = await AgentProcess.start({
      logging: { format: 'json' },
      // A supervised container that must outlive every hang-up.
      containers: [{ name: 'keeper', command: ['sleep', '600'], restart: 'no' }],
    });
    socketPath = agent.controlSocket;
  });
  afterAll(async () => {
    await agent?.stop();
  });

  async function stillServing(): Promise<void> {
    expect(agent.child.exitCode, `the agent exited; its log:\n${agent.log}`).toBeNull();
    expect(agent.child.signalCode).toBeNull();
    const health = await (await fetch(`${agent.url}/health`)).json();
    expect(health.broker.status).toBe('running');
    const { containers } = await (await fetch(`${agent.url}/api/v1/containers`)).json();
    expect(containers).toContainEqual(expect.objectContaining({ name: 'keeper', state: 'running' }));
    expect(agent.log).not.toContain('uncaught exception');
  }

  it('survives a client that connects and closes at once (write EPIPE)', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = await connect(socketPath);
      socket.destroy();
    }
    // The agent answers each with an error line it can no longer deliver.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stillServing();
  });

  it('survives a client that sends half a request and hangs up', async () => {
    const socket = await connect(socketPath);
    socket.resume(); // read the agent's answer, so its end arrives
    socket.end('{"type":"run","vers');
    await closed(socket);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stillServing();
  });

  it('survives many clients that write and go away at once', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connect(socketPath)));
    for (const socket of sockets) {
      socket.write('not json\n');
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stillServing();
  });

  it('answers every malformed request with an error, keeps none of the descriptors sent with it, and serves on', async () => {
    const addon = requireBrokerAddon();
    // The agent's descriptors of /etc, the directory every request below sends.
    // Counted by what they point at, not by number: the agent opens and
    // closes files of its own meanwhile (a scrape, the cgroup sampler), which
    // once made the count one higher at the end in a clean-clone CI run.
    const descriptorsOfEtc = () =>
      readdirSync(`/proc/${agent.child.pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${agent.child.pid}/fd/${fd}`) === '/etc';
        } catch {
          return false; // closed while listed
        }
      }).length;
    const request = {
      type: 'run',
      version: 1,
      profile: 'default',
      command: ['true'],
      env: {},
      cwd: '/',
      limits: {},
      restart: 'no',
    };
    const dir = openSync('/etc', 'r');
    /** Sends `data` with `fds` (SCM_RIGHTS) and returns the agent's answer. */
    const exchange = async (data: string, fds: number[]): Promise<string> => {
      const socket = await connect(socketPath);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('error', () => undefined);
      addon.sendWithFds((socket as unknown as { _handle: { fd: number } })._handle.fd, Buffer.from(data), fds);
      await closed(socket);
      return answer;
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(descriptorsOfEtc()).toBe(0);
      const cases: Array<[string, number[], string]> = [
        ['not json', [dir, dir, dir], 'the request is not JSON'],
        ['{"type":"run","vers', [dir, dir, dir], 'the request is not JSON'],
        ['[1,2,3]', [dir, dir, dir], 'unknown request type undefined'],
        [JSON.stringify({ ...request, version: 99 }), [dir, dir, dir], 'protocol version 99 is not 1'],
        [JSON.stringify(request), [], 'expected stdin, stdout and stderr with the request, got 0 descriptors'],
        [
          JSON.stringify(request),
          Array(16).fill(dir),
          'expected stdin, stdout and stderr with the request, got 16 descriptors',
        ],
        [JSON.stringify({ ...request, limits: { memory: '-5G' } }), [dir, dir, dir], 'invalid memory limit "-5G"'],
        [JSON.stringify({ ...request, name: '../../etc\n' }), [dir, dir, dir], 'invalid container name'],
        [JSON.stringify({ ...request, cwd: '/nonexistent/x' }), [dir, dir, dir], 'changing to the working directory'],
        // Relative to the agent's working directory, not the client's: `..` read the agent's parent directory.
        [JSON.stringify({ ...request, profile: '..' }), [dir, dir, dir], 'unknown profile ".."'],
        [JSON.stringify({ ...request, profile: 'shadow' }), [dir, dir, dir], 'unknown profile "shadow"'],
      ];
      for (const [data, fds, reason] of cases) {
        for (let i = 0; i < 10; i++) {
          const answer = JSON.parse((await exchange(data, fds)).split('\n')[0]) as { type: string; message: string };
          expect(answer.type, data).toBe('error');
          expect(answer.message, data).toContain(reason);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // 110 requests carried 430 descriptors of /etc: the agent closed every one.
      expect(descriptorsOfEtc()).toBe(0);
      await stillServing();
    } finally {
      closeSync(dir);
    }
  });

  it('still runs the next `zviz run` after all that', async () => {
    const result = spawnSync(process.execPath, [BIN, 'run', '--socket', socketPath, '--', 'sh', '-c', 'exit 3'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(3);
    await stillServing();
  });
});

describeWhere([root, seccompUserNotif], 'a foreign file at broker.control_socket', () => {
  // Each kind of thing a typo in broker.control_socket may name. The device
  // is a private copy of /dev/null's node (char 1:3), made in the test's own
  // directory: deleting it would be the defect, and it must never hit the real one.
  const kinds: Array<[string, (path: string) => void, RegExp]> = [
    ['a character device', (p) => execFileSync('mknod', [p, 'c', '1', '3']), /is a character device, not a socket/],
    ['a regular file', (p) => writeFileSync(p, 'precious\n'), /is a regular file, not a socket/],
    ['a FIFO', (p) => execFileSync('mkfifo', [p]), /is a FIFO, not a socket/],
    ['a directory', (p) => mkdirSync(p), /is a directory, not a socket/],
    ['a symbolic link', (p) => symlinkSync('/dev/null', p), /is a symbolic link, not a socket/],
  ];

  it.each(kinds)('leaves %s in place, and the broker refuses to start naming the path', async (_kind, make, reason) => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-foreign-'));
    const path = join(dir, 'agent.sock');
    make(path);
    const before = lstatSync(path);
    const agent = await AgentProcess.start({ broker: { control_socket: path } }, { waitForHealth: false });
    try {
      const health = await waitFor('the broker to fail', async () => {
        const response = await fetch(`${agent.url}/health`);
        const body = await response.json();
        return body.components?.broker?.status === 'failed' ? { status: response.status, body } : undefined;
      });
      expect(health.status).toBe(503);
      expect(health.body.status).toBe('unhealthy');
      expect(health.body.components.broker.reason).toContain(`broker.control_socket: ${path}`);
      expect(health.body.components.broker.reason).toMatch(reason);
      expect((await fetch(`${agent.url}/ready`)).status).toBe(503);
      const after = lstatSync(path);
      expect({ ino: after.ino, mode: after.mode, rdev: after.rdev }).toEqual({
        ino: before.ino,
        mode: before.mode,
        rdev: before.rdev,
      });
      if (before.isFile()) {
        expect(readFileSync(path, 'utf8')).toBe('precious\n');
      }
    } finally {
      await agent.stop();
      // The agent stopping must not take it either.
      expect(lstatSync(path, { throwIfNoEntry: false })).toBeDefined();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still replaces a stale socket an agent that died left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-stale-'));
    const path = join(dir, 'agent.sock');
    // A process that listens and dies without closing leaves the file, as a killed agent would.
    const died = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`,
    ]);
    expect(died.status).toBe(0);
    expect(lstatSync(path).isSocket()).toBe(true);
    const agent = await AgentProcess.start({ broker: { control_socket: path } });
    try {
      const health = await (await fetch(`${agent.url}/health`)).json();
      expect(health.components.broker.status).toBe('ok');
    } finally {
      await agent.stop();
      expect(existsSync(path)).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
