// Which cgroup hierarchies this host has, from /proc/self/mountinfo:
//   v2      one unified hierarchy with the controllers (most current distributions)
//   hybrid  v1 controllers, plus a v2 hierarchy without controllers (often at
//           /sys/fs/cgroup/unified): limits through v1, identity (the cgroup id
//           BPF programs see, cgroup.kill) through v2
//   v1      v1 controllers only
import { readFileSync } from 'node:fs';

export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupLayout =
  | { kind: 'v2'; unified: string }
  | { kind: 'hybrid'; unified: string; v1: Partial<Record<V1Controller, string>> }
  | { kind: 'v1'; v1: Partial<Record<V1Controller, string>> }
  | { kind: 'none'; reason: string };

/** Mount points by filesystem type and super options, as mountinfo lists them. */
export function parseMountinfo(text: string): Array<{ mountPoint: string; fsType: string; superOptions: string[] }> {
  const out = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) {
      continue;
    }
    const before = line.slice(0, dash).split(' ');
    const after = line.slice(dash + 3).split(' ');
    if (before.length < 5 || after.length < 3) {
      continue;
    }
    // Mount points escape spaces and such as octal (\040).
    const mountPoint = before[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ mountPoint, fsType: after[0], superOptions: after[2].split(',') });
  }
  return out;
}

export function detectCgroups(mountinfo?: string): CgroupLayout {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch (error) {
      return { kind: 'none', reason: `cannot read /proc/self/mountinfo: ${(error as Error).message}` };
    }
  }
  let unified: string | undefined;
  const v1: Partial<Record<V1Controller, string>> = {};
  for (const mount of parseMountinfo(text)) {
    if (mount.fsType === 'cgroup2') {
      // Prefer the conventional location when several are mounted.
      if (
        unified === undefined ||
        mount.mountPoint === '/sys/fs/cgroup' ||
        mount.mountPoint === '/sys/fs/cgroup/unified'
      ) {
        unified = mount.mountPoint;
      }
    } else if (mount.fsType === 'cgroup') {
      for (const controller of V1_CONTROLLERS) {
        if (mount.superOptions.includes(controller) && v1[controller] === undefined) {
          v1[controller] = mount.mountPoint;
        }
      }
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  if (unified && !hasV1) {
    return { kind: 'v2', unified };
  }
  if (unified && hasV1) {
    return { kind: 'hybrid', unified, v1 };
  }
  if (hasV1) {
    return { kind: 'v1', v1 };
  }
  return { kind: 'none', reason: 'no cgroup hierarchy is mounted' };
}
