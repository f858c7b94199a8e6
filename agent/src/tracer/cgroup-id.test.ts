import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { scratchDir } from '@zviz/test-support/scratch';

import { cgroup2Mount, cgroupContainerId, resolveCgroup } from './cgroup-id';

describe('cgroup ids', () => {
  const dir = scratchDir('zviz-cgroup-');

  it('finds the cgroup2 mount of a hybrid host in mountinfo', () => {
    const mountinfo = join(dir, 'mountinfo');
    writeFileSync(
      mountinfo,
      [
        '30 23 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
        '31 30 0:27 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw',
        '32 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      ].join('\n')
    );
    expect(cgroup2Mount(mountinfo)).toBe('/sys/fs/cgroup/unified');
  });

  it('reports no mount when there is no cgroup2 line or no file', () => {
    const mountinfo = join(dir, 'mountinfo-v1');
    writeFileSync(mountinfo, '32 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n');
    expect(cgroup2Mount(mountinfo)).toBeUndefined();
    expect(cgroup2Mount(join(dir, 'absent'))).toBeUndefined();
  });

  it('resolves paths inside the hierarchy and absolute ones to the directory inode', () => {
    mkdirSync(join(dir, 'root', 'system.slice', 'a.service'), { recursive: true });
    const mount = join(dir, 'root');
    const inode = statSync(join(mount, 'system.slice', 'a.service')).ino;
    const inside = resolveCgroup('/system.slice/a.service', mount);
    const absolute = resolveCgroup(join(mount, 'system.slice', 'a.service'), mount);
    expect(inside).toEqual(absolute);
    expect(inside.id).toBe(BigInt(inode));
    expect(inside.relativePath).toBe('/system.slice/a.service');
    expect(cgroupContainerId(inside.relativePath)).toBe('cgroup:/system.slice/a.service');
  });

  it('explains what is wrong with a path it cannot trace', () => {
    const mount = join(dir, 'root');
    expect(() => resolveCgroup('/nope', mount)).toThrow(/cannot trace cgroup \/nope: ENOENT/);
    writeFileSync(join(mount, 'file'), '');
    expect(() => resolveCgroup('/file', mount)).toThrow(/is not a cgroup directory/);
    expect(() => resolveCgroup('/x', undefined)).toThrow(/no cgroup2 hierarchy is mounted/);
  });
});
