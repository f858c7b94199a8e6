// Attack class: stacked seccomp filters (attacks/seccomp.c). A workload may
// add filters of its own; the kernel takes the strictest answer of all, so
// an allow-everything filter, TSYNC, RET_TRACE or RET_LOG filters change
// nothing, a second listener is refused (EBUSY), strict mode cannot be
// entered from filter mode and no_new_privs cannot be cleared. The one thing
// a filter of its own can do is answer its own syscalls with an errno
// before the broker sees them (ERRNO beats USER_NOTIF): it gets a fake
// result and nothing else.
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

function expected(profile: string): Record<string, string> {
  const common = {
    'own-listener': 'errno EBUSY',
    'strict-mode': 'errno EINVAL',
    'tsync-allow': 'ok',
    'trace-filter': 'ok',
    'log-filter': 'ok',
    'spec-allow': 'ok',
    'errno-zero-openat': 'ok',
    // openat "returns" 0 without running: nothing is created (checked on the host).
    'errno-zero-openat-then-write': 'ok',
    'allow-filter': 'ok',
    'get-action-avail-user-notif': 'ok',
    'get-notif-sizes': 'ok',
    'no-new-privs-cleared': 'errno EINVAL',
    'no-new-privs-now': '1',
    'seccomp-mode-now': '2',
  };
  const refused = {
    ...common,
    'write-before': 'errno EACCES',
    'tsync-allow-then-write': 'errno EACCES',
    'trace-filter-then-write': 'errno EACCES',
    'log-filter-then-write': 'errno EACCES',
    'allow-filter-then-write': 'errno EACCES',
    'write-at-end': 'errno EACCES',
  };
  const allowed = {
    ...common,
    'write-before': 'ok',
    'tsync-allow-then-write': 'ok',
    'trace-filter-then-write': 'errno ENOSYS', // RET_TRACE with no tracer
    'log-filter-then-write': 'ok',
    'allow-filter-then-write': 'ok',
    'write-at-end': 'ok',
  };
  return byProfile(profile, {
    'ci-runner': refused,
    strict: refused,
    default: allowed,
    // observe brokers opens (to log them): USER_NOTIF beats RET_TRACE, and the broker lets it run.
    observe: { ...allowed, 'trace-filter-then-write': 'ok' },
  });
}

attackSuite('attack: stacked seccomp filters', (suite) => {
  it.each(matrix())('%s (%s): no filter of the workload loosens the sandbox', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'seccomp' });
    const want = expected(profile);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    const writeBoundary = profile === 'ci-runner' || profile === 'strict';
    await suite.expectContained(run, { outsideUnchanged: writeBoundary });
  });
});
