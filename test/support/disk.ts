// Small file systems made by a test and removed after it: a tmpfs of a
// given size in a temporary directory (root), and a way to fill it up.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export const MiB = 1024 * 1024;

/**
 * Mounts a tmpfs of `sizeBytes` in a new directory of `parent`; `cleanups`
 * gets its unmount and removal. Its root is 0755, as a disk's is (tmpfs' own
 * default, 1777, is a directory every user can write, where the agent writes
 * nothing: files/trusted-dir.ts).
 */
export function tmpfs(sizeBytes: number, cleanups: Array<() => unknown>, options = '', parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'zviz-disk-'));
  const all = [
    `size=${sizeBytes}`,
    ...(/(^|,)mode=/.test(options) ? [] : ['mode=0755']),
    ...(options ? [options] : []),
  ];
  execFileSync('mount', ['-t', 'tmpfs', '-o', all.join(','), 'zviz-test', dir]);
  cleanups.push(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * A tmpfs for a test file's trees, in a new directory of `parent`, mounted
 * before its tests and unmounted after them; call it at the file's top level
 * or in a describe block, and read `dir` in the tests. For a test whose
 * assertions hold on any host: some answers are the file system's, and on a
 * fresh container (scripts/fresh-machine/) /var/lib is overlayfs, which
 * refuses renameat2(RENAME_WHITEOUT) (EINVAL) and name_to_handle_at
 * (EOPNOTSUPP) where ext4 and tmpfs allow both.
 */
export function fileTmpfs(parent: string, sizeBytes = 256 * MiB): { readonly dir: string } {
  const cleanups: Array<() => unknown> = [];
  const fs = { dir: '' };
  beforeAll(() => {
    fs.dir = tmpfs(sizeBytes, cleanups, '', parent);
  });
  afterAll(() => {
    for (const cleanup of cleanups.reverse()) {
      cleanup();
    }
  });
  return fs;
}

/** Fills the file system of `dir` up to `leave` bytes free with one file; returns its path. */
export function fill(dir: string, leave: number): string {
  const path = join(dir, 'filler');
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir], { encoding: 'utf8' }).split('\n')[1]);
  execFileSync('fallocate', ['-l', String(Math.max(0, free - leave)), path]);
  return path;
}
