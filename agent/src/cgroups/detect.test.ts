import { describe, expect, it } from 'vitest';

import { detectCgroups } from './detect';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

const V2 = `25 23 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;

describe('cgroup layout', () => {
  it('finds v1 controllers (co-mounted ones too) and the unified hierarchy of a hybrid host', () => {
    expect(detectCgroups(HYBRID)).toEqual({
      kind: 'hybrid',
      unified: '/sys/fs/cgroup/unified',
      v1: {
        cpu: '/sys/fs/cgroup/cpu,cpuacct',
        cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
        memory: '/sys/fs/cgroup/memory',
        pids: '/sys/fs/cgroup/pids',
      },
    });
  });

  it('recognises a pure v2 host', () => {
    expect(detectCgroups(V2)).toEqual({ kind: 'v2', unified: '/sys/fs/cgroup' });
  });

  it('says why when there is no cgroup hierarchy', () => {
    expect(detectCgroups('22 1 0:21 / /proc rw - proc proc rw')).toEqual({
      kind: 'none',
      reason: 'no cgroup hierarchy is mounted',
    });
  });
});
