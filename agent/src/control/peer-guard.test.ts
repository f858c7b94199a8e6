import { describe, expect, it } from 'vitest';

import type { PeerIdentity } from '../native/broker-addon';
import { judgePeer, type PeerRules } from './peer-guard';

const HOST_PID_NS = 4026531836;
const HOST_MNT_NS = 4026531841;

function client(over: Partial<PeerIdentity> = {}): PeerIdentity {
  return {
    pid: 4242,
    uid: 0,
    gid: 0,
    alive: true,
    pinned: true,
    pidNs: HOST_PID_NS,
    mntNs: HOST_MNT_NS,
    cgroup: '0::/user.slice/user-0.slice/session-3.scope\n',
    ...over,
  };
}

const rules: PeerRules = {
  ownUid: 0,
  workloads: () => [
    { id: 'c1', namespaces: { pid: 4026532500, mnt: 4026532501 } },
    { id: 'c2', namespaces: { pid: 0, mnt: 4026532600 } },
  ],
  cgroupGroups: ['zviz', 'zviz-run'],
};

describe('judgePeer', () => {
  it('lets a root client of the host through', () => {
    expect(judgePeer(client(), rules)).toBeUndefined();
    expect(
      judgePeer(client({ pidNs: 4026532900, nsInit: { pid: 77, exe: '/usr/lib/systemd/systemd' } }), rules)
    ).toBeUndefined();
  });

  it('refuses other users', () => {
    expect(judgePeer(client({ uid: 1000 }), rules)?.reason).toBe('uid');
    expect(judgePeer(client({ uid: 1000 }), { ...rules, ownUid: 1000 })).toBeUndefined();
  });

  it('refuses a process in a PID or mount namespace the agent made for a container, and names the container', () => {
    expect(judgePeer(client({ pidNs: 4026532500 }), rules)).toMatchObject({ reason: 'workload', containerId: 'c1' });
    expect(judgePeer(client({ mntNs: 4026532600 }), rules)).toMatchObject({ reason: 'workload', containerId: 'c2' });
    // A container sharing the agent's PID namespace (--pid host) records 0: never matches the host's.
    expect(judgePeer(client({ pidNs: HOST_PID_NS }), rules)).toBeUndefined();
  });

  it('refuses a process in a container cgroup (v1 or v2), of the agent or of a standalone run', () => {
    expect(judgePeer(client({ cgroup: '0::/zviz/c9\n' }), rules)?.reason).toBe('workload');
    expect(judgePeer(client({ cgroup: '12:pids:/zviz-run/r77-abc\n0::/\n' }), rules)?.reason).toBe('workload');
    // The group itself (the agent's own processes never live there, but a sibling named alike is no container).
    expect(judgePeer(client({ cgroup: '0::/zviz\n' }), rules)).toBeUndefined();
    expect(judgePeer(client({ cgroup: '0::/system.slice/zviz-agent.service\n' }), rules)).toBeUndefined();
  });

  it('refuses a process whose PID namespace has zviz-init as its init, even after a rebuild replaced the file', () => {
    for (const exe of [
      '/opt/zviz/build/Release/zviz-init',
      '/opt/zviz/build/Release/zviz-init (deleted)',
      // The agent's sealed copy (agent/native/src/broker/sealed_program.h), as the kernel names a memfd.
      '/memfd:zviz-init (deleted)',
    ]) {
      expect(judgePeer(client({ pidNs: 4026533000, nsInit: { pid: 900, exe } }), rules)?.reason).toBe('workload');
    }
  });

  it('takes no other memfd for zviz-init', () => {
    for (const exe of ['/memfd:zviz-initx (deleted)', '/memfd:other (deleted)', '/tmp/memfd:zviz-init']) {
      expect(judgePeer(client({ pidNs: 4026533000, nsInit: { pid: 900, exe } }), rules)).toBeUndefined();
    }
  });

  it('fails closed on a peer it cannot identify', () => {
    expect(judgePeer(client({ pid: 0 }), rules)?.reason).toBe('unidentified');
    expect(judgePeer(client({ alive: false }), rules)?.reason).toBe('unidentified');
    expect(judgePeer(client({ pidNs: undefined }), rules)?.reason).toBe('unidentified');
    expect(judgePeer(client({ cgroup: undefined }), rules)?.reason).toBe('unidentified');
    expect(judgePeer(client({ pidNs: 4026533000, nsInitError: 'gone' }), rules)?.reason).toBe('unidentified');
  });
});
