// The disks an I/O limit applies to. Both io.max (v2) and the blkio throttle
// files (v1) take one line per device, and only whole disks: a partition's
// I/O is throttled at its disk. `zviz run --io-read-bps` names no device, so
// the limit goes on every disk that has a medium (size > 0); unattached loop
// and zram devices are left out. A disk attached after the container started
// is not limited (docs/agent.md says so).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { readText } from './files';

export interface BlockDevice {
  name: string;
  /** "major:minor", as the cgroup files write it. */
  device: string;
}

export const SYS_BLOCK = '/sys/block';

export function listDisks(sysBlock = SYS_BLOCK): BlockDevice[] {
  let names: string[];
  try {
    names = readdirSync(sysBlock);
  } catch {
    return [];
  }
  const disks: BlockDevice[] = [];
  for (const name of names.sort()) {
    const device = readText(join(sysBlock, name, 'dev'))?.trim();
    const sectors = Number(readText(join(sysBlock, name, 'size'))?.trim());
    if (device && /^\d+:\d+$/.test(device) && sectors > 0) {
      disks.push({ name, device });
    }
  }
  return disks;
}
