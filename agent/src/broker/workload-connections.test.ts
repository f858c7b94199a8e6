import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { ContainerCgroupIds, workloadConnectionGuard } from './workload-connections';

const ino = (path: string) => statSync(path, { bigint: true }).ino.toString();

describe('ContainerCgroupIds', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('knows every directory below the groups, not the groups themselves, and one made after the last listing', () => {
    root = mkdtempSync(join(tmpdir(), 'zviz-cgroup-ids-'));
    const agentGroup = join(root, 'zviz');
    const standalone = join(root, 'zviz-run');
    mkdirSync(join(agentGroup, 'c1', 'nested'), { recursive: true });
    mkdirSync(standalone);
    const ids = new ContainerCgroupIds([agentGroup, standalone, join(root, 'missing')]);
    expect(ids.has(ino(join(agentGroup, 'c1')))).toBe(true);
    expect(ids.has(ino(join(agentGroup, 'c1', 'nested')))).toBe(true);
    expect(ids.has(ino(agentGroup))).toBe(false);
    expect(ids.has(ino(root))).toBe(false);
    mkdirSync(join(standalone, 'r1-new'));
    expect(ids.has(ino(join(standalone, 'r1-new')))).toBe(true);
  });
});

describe('workloadConnectionGuard', () => {
  const socket = (over: Partial<Socket> = {}) =>
    ({ remoteAddress: '127.0.0.1', remotePort: 40000, localAddress: '127.0.0.1', localPort: 9090, ...over }) as Socket;

  it('names a peer whose socket belongs to a container cgroup, and asks with the four-tuple the kernel needs', () => {
    const asked: unknown[] = [];
    const guard = workloadConnectionGuard(
      {
        tcpPeerCgroup: (...args) => {
          asked.push(args);
          return '77';
        },
      },
      { has: (id) => id === '77' }
    );
    expect(guard(socket())).toMatch(/sandboxed workload.*77/);
    expect(asked).toEqual([['127.0.0.1', 40000, '127.0.0.1', 9090]]);
  });

  it('serves other local clients, remote ones (no local socket) and sockets already gone', () => {
    const containers = { has: (id: string) => id === '77' };
    expect(workloadConnectionGuard({ tcpPeerCgroup: () => '12' }, containers)(socket())).toBeUndefined();
    expect(workloadConnectionGuard({ tcpPeerCgroup: () => undefined }, containers)(socket())).toBeUndefined();
    expect(
      workloadConnectionGuard({ tcpPeerCgroup: () => '77' }, containers)(socket({ remoteAddress: undefined }))
    ).toBeUndefined();
  });
});
