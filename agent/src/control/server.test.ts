// The control server lets go of everything a refused client sent: its
// connection and the descriptors that came with the request (SCM_RIGHTS). A
// refused connection the agent kept would hold the client's stdout open (its
// `zviz run` never ends) and, repeated, exhaust the agent's descriptors.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';

import { describeWhere, root } from '@zviz/test-support/requirements';
import type { Container, ContainerManager } from '../containers/manager';
import { requireBrokerAddon } from '../native/broker-addon';
import { ControlServer } from './server';
import { socketFd } from './socket-fd';
import type { PeerRefusal } from './peer-guard';

/**
 * A pipe (a FIFO, unlinked once open: Node has no pipe(2)) whose write end
 * goes to the server: its read end sees EOF once every copy of the write end
 * is closed.
 */
function pipe(): { read: number; write: number } {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-control-pipe-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const read = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const write = openSync(fifo, constants.O_WRONLY);
  rmSync(dir, { recursive: true });
  return { read, write };
}

describeWhere([root], 'control server: refused clients', () => {
  let dir: string;
  let server: ControlServer;
  const refused: PeerRefusal[] = [];

  /** `refuseSelf`: this process counts as a workload (its mount namespace as a container's). */
  async function start(refuseSelf: boolean): Promise<void> {
    const self = { id: 'self', namespaces: { pid: 0, mnt: statSync('/proc/self/ns/mnt').ino } };
    server = new ControlServer({
      path: join(dir, 'agent.sock'),
      addon: requireBrokerAddon(),
      manager: {} as ContainerManager,
      log: { info: () => undefined, warn: () => undefined },
      peers: { workloads: () => (refuseSelf ? [self] : []), cgroupGroups: [] },
      onRefused: (refusal) => refused.push(refusal),
    });
    await server.start();
  }

  /** Sends `body` with a pipe's write end as stdin, stdout and stderr; resolves with what the server said and whether the pipe was let go. */
  async function ask(body: string): Promise<{ answer: string; released: boolean }> {
    const { read, write } = pipe();
    const socket = createConnection(join(dir, 'agent.sock'));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    requireBrokerAddon().sendWithFds(socketFd(socket), Buffer.from(body), [write, write, write]);
    closeSync(write);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // The server holds no copy of the write end any more: reading gives EOF (0 bytes), not EAGAIN.
    let released = false;
    for (let i = 0; i < 50 && !released; i++) {
      try {
        released = readSync(read, Buffer.alloc(1)) === 0;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    closeSync(read);
    return { answer, released };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zviz-control-'));
    refused.length = 0;
  });

  afterEach(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a refused peer and the descriptors it sent, and reports the refusal', async () => {
    await start(true);
    const { answer, released } = await ask('{"type":"run"}');
    expect(answer).toMatch(/"type":"error".*may not run workloads through the agent/);
    expect(released).toBe(true);
    expect(refused.map((r) => [r.reason, r.containerId])).toEqual([['workload', 'self']]);
  });

  it('closes a client whose request it refuses, and the descriptors it sent', async () => {
    await start(false);
    const { answer, released } = await ask('not json');
    expect(answer).toMatch(/"type":"error".*not JSON/);
    expect(released).toBe(true);
    expect(refused).toEqual([]);
  });
});

/**
 * A container manager that starts nothing: its one container runs until the
 * test says what it did (events as the real manager emits them).
 */
class StandInManager extends EventEmitter {
  readonly removed: string[] = [];
  readonly container = {
    id: 'c0ffee',
    name: 'restarter',
    profileName: 'strict',
    pid: 4242,
    restarts: 0,
    done: new Promise<never>(() => undefined),
  };
  created = false;
  /** What create() waits for before it returns (a container takes a while to make). */
  ready: Promise<void> = Promise.resolve();

  async create(): Promise<Container> {
    this.created = true;
    await this.ready;
    return this.container as unknown as Container;
  }

  async remove(c: Container): Promise<void> {
    this.removed.push(c.id);
  }
}

/** A run request as `zviz run` sends it. */
const RUN = {
  type: 'run',
  version: 1,
  profile: 'strict',
  command: ['/no/such/program'],
  env: {},
  cwd: '/',
  limits: {},
  restart: 'no',
};

describeWhere([root], 'control server: clients that never read or hang up', () => {
  let dir: string;
  let server: ControlServer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zviz-control-'));
  });
  afterEach(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds no more of a run's progress lines than the response budget, then closes the session and stops its container", async () => {
    const manager = new StandInManager();
    const budget = 1024 * 1024;
    server = new ControlServer({
      path: join(dir, 'agent.sock'),
      addon: requireBrokerAddon(),
      manager: manager as unknown as ContainerManager,
      log: { info: () => undefined, warn: () => undefined },
      responseBudgetBytes: budget,
    });
    await server.start();
    const { read, write } = pipe();
    const socket = createConnection(join(dir, 'agent.sock'));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.pause(); // reads nothing, ever
    const request = { ...RUN, restart: 'always' };
    requireBrokerAddon().sendWithFds(socketFd(socket), Buffer.from(JSON.stringify(request)), [write, write, write]);
    closeSync(write);
    closeSync(read);
    await waitFor('the run to start', async () => manager.created);
    // A container that fails at once and restarts for ever: each exit names
    // the command that failed, here 100 KB of it (a request may be 256 KB).
    const execError = `/no/such/${'x'.repeat(100_000)}: No such file or directory`;
    const id = manager.container.id;
    for (let i = 0; i < 200 && manager.removed.length === 0; i++) {
      manager.emit('exit', { id, exitCode: 127, execError });
      manager.emit('restarting', { id, restarts: i + 1, delayMs: 100 });
      manager.emit('started', { id, name: 'restarter', pid: 5000 + i });
      expect(server.answers.pendingBytes()).toBeLessThanOrEqual(budget);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // 20 MB of lines were sent its way; the agent held at most the budget,
    // then let the session go, and with it the container.
    expect(manager.removed).toEqual([id]);
    const counted = (await server.answers.collect()).get('zviz_control_response_budget_disconnects_total');
    expect(counted).toEqual([{ labels: {}, value: 1 }]);
    socket.destroy();
  });

  it('stops the container of a client that hung up while it was being made', async () => {
    const manager = new StandInManager();
    let made!: () => void;
    manager.ready = new Promise((resolve) => (made = resolve));
    server = new ControlServer({
      path: join(dir, 'agent.sock'),
      addon: requireBrokerAddon(),
      manager: manager as unknown as ContainerManager,
      log: { info: () => undefined, warn: () => undefined },
    });
    await server.start();
    const { read, write } = pipe();
    const socket = createConnection(join(dir, 'agent.sock'));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const request = { ...RUN, restart: 'always' };
    requireBrokerAddon().sendWithFds(socketFd(socket), Buffer.from(JSON.stringify(request)), [write, write, write]);
    closeSync(write);
    closeSync(read);
    await waitFor('the run to start', async () => manager.created);
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    made();
    // A container that restarts for ever, with nobody attached: it was kept, for ever.
    await waitFor('the container to be removed', async () => manager.removed.length > 0, { timeoutMs: 5000 });
    expect(manager.removed).toEqual([manager.container.id]);
  });
});

describe('control server: socket path', () => {
  // Node cuts a socket path longer than sun_path holds short without a word:
  // the agent would listen at a path nobody looks at (and chmod the one given).
  it('refuses a path a Unix socket address cannot hold, and makes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-control-long-'));
    try {
      const path = join(dir, 'é'.repeat(Math.ceil((108 - dir.length) / 2)));
      const server = new ControlServer({
        path,
        addon: {} as never,
        manager: {} as ContainerManager,
        log: { info: () => undefined, warn: () => undefined },
      });
      await expect(server.start()).rejects.toThrow(/^broker\.control_socket: .* bytes long, .* at most 107/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
