// The control server lets go of everything a refused client sent: its
// connection and the descriptors that came with the request (SCM_RIGHTS). A
// refused connection the agent kept would hold the client's stdout open (its
// `zviz run` never ends) and, repeated, exhaust the agent's descriptors.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';

import { describeWhere, root } from '@zviz/test-support/requirements';
import type { ContainerManager } from '../containers/manager';
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
