// Attack classes: writes to /proc/sys, /proc/sysrq-trigger and sysfs
// (attacks/kernelfs.c), and cgroup escapes (attacks/cgroup.c): the sysctls a
// container escape rewrites (core_pattern makes the host kernel run a
// program as root), moving a process out of the container's cgroup (out of
// its limits and of the cleanup at its end) and raising the limits from
// inside. Values are written back unchanged, and moves are tried by a child
// that exits at once.
//
// Every container, whatever its profile, has /proc/sys, /proc/sysrq-trigger,
// /sys and the cgroup file systems read-only (as runc and crun make them;
// the kernel answers EROFS); `ci-runner` and `strict` also refuse these
// opens in the broker (EACCES). The last test writes new values, as an
// escape would (core_pattern: the host kernel runs a program as root on the
// next crash), and compares the host's files afterwards.
//
// A read-only mount does not stop clone3's CLONE_INTO_CGROUP (the kernel
// checks the cgroup.procs file's permissions, not the mount): every filter
// refuses clone3 (ENOSYS), `observe`'s too.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const SYSCTLS = [
  'sysctl-core-pattern',
  'sysctl-hostname',
  'sysctl-pid-max',
  'sysctl-ip-forward',
  'sysfs-thp-enabled',
  'sysfs-cgroup-release-agent',
  'sysfs-cgroup-notify-on-release',
];
const MOVES = ['move-to-unified-root', 'move-to-memory-root', 'move-to-pids-root'];
const RAISES = ['raise-memory-limit', 'raise-pids-max', 'devices-allow-all'];

/** What `kernelfs mark` writes, and the host's files it would change. */
const MARKS = ['mark-core-pattern', 'mark-hostname', 'mark-release-agent', 'mark-thp-defrag'];
const HOST_FILES = [
  '/proc/sys/kernel/core_pattern',
  '/proc/sys/kernel/hostname',
  '/sys/fs/cgroup/memory/release_agent',
  '/sys/kernel/mm/transparent_hugepage/khugepaged/defrag',
];

function all(names: string[], outcome: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, outcome]));
}

const PROFILES = ['default', 'ci-runner', 'strict', 'observe'];

attackSuite('attack: /proc/sys, sysfs and cgroup writes', (suite) => {
  it.each(matrix(PROFILES))('%s (%s): no kernel setting changes', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'kernelfs' });
    const want = byProfile(profile, {
      // release_agent lives at a v1 hierarchy's root: the container's cgroup namespace mounts start at its own cgroup.
      default: {
        ...all(SYSCTLS, 'errno EROFS'),
        'sysfs-cgroup-release-agent': 'errno ENOENT',
        'sysrq-trigger': 'errno ENOENT',
        'proc-self-oom-score-adj': 'ok',
      },
      observe: {
        ...all(SYSCTLS, 'errno EROFS'),
        'sysfs-cgroup-release-agent': 'errno ENOENT',
        'sysrq-trigger': 'errno ENOENT',
        'proc-self-oom-score-adj': 'ok',
      },
      'ci-runner': {
        ...all(SYSCTLS, 'errno EACCES'),
        'sysrq-trigger': 'errno EACCES',
        'proc-self-oom-score-adj': 'errno EACCES',
      },
      strict: {
        ...all(SYSCTLS, 'errno EACCES'),
        'sysrq-trigger': 'errno EACCES',
        'proc-self-oom-score-adj': 'errno EACCES',
      },
    });
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(matrix(PROFILES))('%s (%s): the workload stays in its cgroup, under its limits', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'cgroup' });
    const want = byProfile(profile, {
      // /sys is read-only; the unified hierarchy is mounted at /sys/fs/cgroup/unified on this hybrid host.
      // clone3 (CLONE_INTO_CGROUP ignores read-only mounts) is refused by every filter: seccomp (ENOSYS).
      default: {
        ...all(MOVES, 'errno EROFS'),
        ...all(RAISES, 'errno EROFS'),
        'mkdir-unified-child': 'errno EROFS',
        'clone-into-unified-root': 'errno ENOSYS',
      },
      observe: {
        ...all(MOVES, 'errno EROFS'),
        ...all(RAISES, 'errno EROFS'),
        'mkdir-unified-child': 'errno EROFS',
        'clone-into-unified-root': 'errno ENOSYS',
      },
      'ci-runner': {
        ...all(MOVES, 'errno EACCES'),
        ...all(RAISES, 'errno EACCES'),
        'mkdir-unified-child': 'errno EROFS',
        'clone-into-unified-root': 'errno ENOSYS',
      },
      // No /sys in strict's allow-list view: its reads are the kernel's (ENOENT), its writes the broker's rules (EACCES).
      strict: {
        ...all(MOVES, 'errno EACCES'),
        ...all(RAISES, 'errno EACCES'),
        'mkdir-unified-child': 'errno ENOENT',
        'clone-into-unified-root': 'errno ENOENT',
      },
    });
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    // Judged on the host too: no process of the run landed anywhere to say so.
    expect(existsSync(join(run.scratch.workspace, 'escaped-cgroup'))).toBe(false);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(matrix(PROFILES))("%s (%s): the host's kernel files keep their values", async (profile, mode) => {
    const before = new Map(HOST_FILES.map((path) => [path, readFileSync(path, 'utf8')]));
    const marker = `zviz-attack-${randomBytes(6).toString('hex')}`;
    try {
      const run = await suite.run({ profile, mode, program: 'kernelfs', args: ['mark', marker] });
      const got = outcomes(run, MARKS);
      expect(Object.entries(got).filter(([, outcome]) => !outcome.startsWith('errno '))).toEqual([]);
      for (const [path, value] of before) {
        expect(readFileSync(path, 'utf8'), path).toBe(value);
      }
      await suite.expectContained(run, { outsideUnchanged: true });
    } finally {
      // Only if the attack got through: put the host back as it was.
      for (const [path, value] of before) {
        if (readFileSync(path, 'utf8') !== value) {
          writeFileSync(path, value.trim() === '' ? '\n' : value);
        }
      }
    }
  });
});
