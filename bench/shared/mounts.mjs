// What the benchmarks need to know of the machine's mounts, shared by
// bench/broker (plain Node) and bench/demo (tsx): one copy.
import { readFileSync } from 'node:fs';

/**
 * The type of the file system holding `dir` (ext4, tmpfs, ...), from the longest mount point above it.
 * @param {string} dir an absolute path
 * @returns {string}
 */
export function fileSystemOf(dir) {
  let best = { at: '', type: 'unknown' };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!after) {
      continue;
    }
    const at = before.split(' ')[4];
    if ((dir === at || dir.startsWith(at.endsWith('/') ? at : `${at}/`)) && at.length >= best.at.length) {
      best = { at, type: after.split(' ')[0] };
    }
  }
  return best.type;
}
