// Attack classes: writes to /proc/sys, /proc/sysrq-trigger and sysfs
// (attacks/kernelfs.c), and cgroup escapes (attacks/cgroup.c): the sysctls a
// container escape rewrites (core_pattern makes the host kernel run a
// program as root), moving a process out of the container's cgroup (out of
// its limits and of the cleanup at its end) and raising the limits from
// inside. Values are written back unchanged, and moves are tried by a child
// that exits at once.
//
// `default` makes /sys and /proc/sys read-only; `ci-runner` and `strict`
// make everything read-only and refuse these opens in the broker.
// `observe` is not run here: it changes no mount, and there these writes
// succeed (reported; see docs/security.md).
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

function all(names: string[], outcome: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, outcome]));
}

const PROFILES = ['default', 'ci-runner', 'strict'];

attackSuite('attack: /proc/sys, sysfs and cgroup writes', (suite) => {
  it.each(matrix(PROFILES))('%s (%s): no kernel setting changes', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'kernelfs' });
    const want = byProfile(profile, {
      default: { ...all(SYSCTLS, 'errno EROFS'), 'sysrq-trigger': 'errno ENOENT', 'proc-self-oom-score-adj': 'ok' },
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
      default: { ...all(MOVES, 'errno EROFS'), ...all(RAISES, 'errno EROFS'), 'mkdir-unified-child': 'errno EROFS' },
      'ci-runner': {
        ...all(MOVES, 'errno EACCES'),
        ...all(RAISES, 'errno EACCES'),
        'mkdir-unified-child': 'errno EROFS',
      },
      // No /sys in strict's allow-list view.
      strict: { ...all(MOVES, 'errno EACCES'), ...all(RAISES, 'errno EACCES'), 'mkdir-unified-child': 'errno ENOENT' },
    });
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
