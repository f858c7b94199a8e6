// A global setup of every vitest runner (vitest-config.ts): the run gets a
// temporary directory of its own (TMPDIR, which os.tmpdir() and the processes
// the tests start read), and when the run ends, whatever a test left in it
// fails the run, named, and is removed. Several runs share the machine, so
// only this directory says for certain which run left a file.
//
// Cgroups, named cgroup hierarchies and /tmp or /var/lib entries named zviz-*
// that appeared during the run and are still there are printed (another run
// may own them), not failed.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { removeDir } from './remove-dir';

const CGROUP_ROOT = '/sys/fs/cgroup';
const SHARED_TEMP_DIRS = ['/tmp', '/var/lib'];

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** zviz* directories at most two levels below the cgroup root (a v1 hierarchy's or the unified one's groups). */
function zvizCgroups(): string[] {
  const top = list(CGROUP_ROOT).map((name) => join(CGROUP_ROOT, name));
  return [...top, ...top.flatMap((dir) => list(dir).map((name) => join(dir, name)))].filter((path) =>
    path.slice(path.lastIndexOf('/') + 1).startsWith('zviz')
  );
}

/**
 * Named cgroup v1 hierarchies (name=zviz*) the kernel still holds: one that a
 * test mounted and that outlived its unmount is in no directory, but every
 * process is in its root, so /proc/self/cgroup lists it.
 */
function zvizHierarchies(): string[] {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return [];
  }
  return lines
    .map((line) => line.split(':')[1] ?? '')
    .filter((controllers) => controllers.startsWith('name=zviz'))
    .map((controllers) => `cgroup hierarchy ${controllers}`);
}

function sharedEntries(): string[] {
  return SHARED_TEMP_DIRS.flatMap((dir) =>
    list(dir)
      .filter((n) => n.startsWith('zviz-'))
      .map((n) => join(dir, n))
  );
}

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'zviz-vitest-'));
  // As /tmp is: tests run workloads as other users, who make files there too.
  chmodSync(root, 0o1777);
  const outer = process.env.TMPDIR;
  process.env.TMPDIR = root;
  const before = new Set([...zvizCgroups(), ...zvizHierarchies(), ...sharedEntries()]);

  return () => {
    if (outer === undefined) {
      delete process.env.TMPDIR;
    } else {
      process.env.TMPDIR = outer;
    }
    const appeared = [
      ...zvizCgroups().filter((path) => !before.has(path) && existsSync(path)),
      ...zvizHierarchies().filter((name) => !before.has(name)),
      ...sharedEntries().filter((path) => !before.has(path) && existsSync(path)),
    ];
    if (appeared.length > 0) {
      const shown = appeared.slice(0, 20).join('\n  ');
      const more = appeared.length > 20 ? `\n  (and ${appeared.length - 20} more)` : '';
      console.warn(
        `[temp-check] appeared during the run and still there (this run's or another's):\n  ${shown}${more}`
      );
    }
    // tsx's compile cache (tsx-<uid>), made by the tsx the tests run (npm start, the benchmarks): a tool's, not a test's.
    const left = list(root).filter((name) => !/^tsx-\d+$/.test(name));
    const refused: string[] = [];
    for (const name of list(root)) {
      try {
        removeDir(join(root, name));
      } catch (error) {
        refused.push((error as Error).message);
      }
    }
    if (refused.length === 0) {
      rmdirSync(root);
    }
    if (left.length > 0 || refused.length > 0) {
      // Failed through the exit code, not thrown: a teardown that throws stops
      // vitest's close before it removes its own directory of transformed
      // modules (/tmp/<random>/ssr), which then stays behind.
      console.error(
        `[temp-check] FAIL: the tests left ${left.length} entries in their temporary directory ${root} ` +
          `(removed now, unless named below); make each test remove what it makes ` +
          `(scratchDir, test/support/scratch.ts):\n  ${left.join('\n  ')}` +
          (refused.length ? `\nnot removed:\n  ${refused.join('\n  ')}` : '')
      );
      process.exitCode = 1;
    }
  };
}
