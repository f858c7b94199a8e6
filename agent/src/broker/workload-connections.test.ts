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

  it('lists once for a client outside the groups, and still finds a container made after that', () => {
    root = mkdtempSync(join(tmpdir(), 'zviz-cgroup-ids-'));
    const group = join(root, 'zviz');
    const host = join(root, 'system.slice');
    mkdirSync(join(group, 'c1'), { recursive: true });
    mkdirSync(host);
    const ids = new ContainerCgroupIds([group]);
    expect(ids.has(ino(host))).toBe(false);
    const listed = ids.listings;
    // Every further connection from that cgroup is answered without a listing.
    for (let i = 0; i < 5; i++) {
      expect(ids.has(ino(host))).toBe(false);
    }
    expect(ids.listings).toBe(listed);
    // A container made since is unknown to the listing: its first connection lists again.
    mkdirSync(join(group, 'c2'));
    expect(ids.has(ino(join(group, 'c2')))).toBe(true);
    expect(ids.listings).toBe(listed + 1);
    expect(ids.has(ino(host))).toBe(false);
    expect(ids.listings).toBe(listed + 1);
  });
});

describe('ContainerCgroupIds, a minute later', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists again in the background, never in the connection that finds the listing old, and then forgets removed containers', async () => {
    root = mkdtempSync(join(tmpdir(), 'zviz-cgroup-ids-'));
    const group = join(root, 'zviz');
    const host = join(root, 'system.slice');
    mkdirSync(join(group, 'c1'), { recursive: true });
    mkdirSync(join(group, 'c2'));
    mkdirSync(host);
    let now = 1_000_000;
    const ids = new ContainerCgroupIds([group], () => now);
    const c2 = ino(join(group, 'c2'));
    expect(ids.has(ino(host))).toBe(false);
    expect(ids.has(c2)).toBe(true);
    const listed = ids.listings;
    rmSync(join(group, 'c2'), { recursive: true });
    now += 61_000;
    // The old listing answers this connection (no listing made in it); one starts in the background.
    expect(ids.has(ino(host))).toBe(false);
    expect(ids.has(c2)).toBe(true);
    expect(ids.listings).toBe(listed);
    await ids.refresh();
    expect(ids.listings).toBe(listed + 1);
    expect(ids.has(c2)).toBe(false);
    expect(ids.has(ino(join(group, 'c1')))).toBe(true);
    // A container made after the background listing is still found by its first connection.
    mkdirSync(join(group, 'c3', 'nested'), { recursive: true });
    expect(ids.has(ino(join(group, 'c3', 'nested')))).toBe(true);
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
