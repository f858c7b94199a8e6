// Cgroup v2 ids as the kernel's bpf_get_current_cgroup_id() returns them: the
// inode number of the cgroup's directory in the cgroup2 hierarchy. On hybrid
// hosts that hierarchy is mounted at /sys/fs/cgroup/unified.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

/** Where cgroup2 is mounted, from /proc/self/mountinfo; undefined when it is not. */
export function cgroup2Mount(mountinfo = '/proc/self/mountinfo'): string | undefined {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    // "id parent major:minor root mountpoint options [optional...] - fstype source super"
    const [left, right] = line.split(' - ');
    if (!right || right.split(' ')[0] !== 'cgroup2') {
      continue;
    }
    const mountPoint = left.split(' ')[4];
    if (mountPoint) {
      return mountPoint.replace(/\\040/g, ' ');
    }
  }
  return undefined;
}

export interface ResolvedCgroup {
  /** Absolute path of the cgroup directory. */
  path: string;
  /** Path inside the cgroup2 hierarchy, "/" for its root. */
  relativePath: string;
  id: bigint;
}

/**
 * Resolves a cgroup given as an absolute path under the cgroup2 mount or as a
 * path inside the hierarchy ("/system.slice/foo.service"), given where
 * cgroup2 is mounted (cgroup2Mount()). Throws a message
 * an operator can act on.
 */
export function resolveCgroup(path: string, mount: string | undefined): ResolvedCgroup {
  if (!mount) {
    throw new Error(`cannot trace cgroup ${path}: no cgroup2 hierarchy is mounted (see /proc/self/mountinfo)`);
  }
  const absolute = isAbsolute(path) && (path === mount || path.startsWith(mount + '/')) ? path : join(mount, path);
  let stat;
  try {
    stat = statSync(absolute, { bigint: true });
  } catch (error) {
    throw new Error(`cannot trace cgroup ${path}: ${(error as Error).message}`);
  }
  if (!stat.isDirectory()) {
    throw new Error(`cannot trace cgroup ${path}: ${absolute} is not a cgroup directory`);
  }
  return { path: absolute, relativePath: '/' + relative(mount, absolute), id: stat.ino };
}

/** The container_id label of a cgroup watched by path: stable across agent restarts and readable. */
export function cgroupContainerId(relativePath: string): string {
  return `cgroup:${relativePath}`;
}
