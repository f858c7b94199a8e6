// Attack class: the system calls Linux added from 6.5 to 6.18
// (attacks/newer-syscalls.c), which a profile written before them could let
// through without knowing it: extended and file attributes by path
// (setxattrat, getxattrat, listxattrat, removexattrat, file_getattr,
// file_setattr) on the secret and the victim outside the workspace, a
// detached mount of a path (open_tree_attr), the container's mounts
// (listmount, statmount), the LSM calls, mseal, futex2, map_shadow_stack,
// and calls on the container's init (process_mrelease, process_madvise,
// migrate_pages, move_pages); plus the numbers no filter can name: the uprobe
// trampolines' own calls, which the kernel lets past every seccomp filter,
// and numbers past this kernel's newest, which the broker's syscall table
// does not know (counted as "unknown").
//
// `default`, `ci-runner` and `strict` are allow-lists: every one of these
// that they do not name gets the filter's ENOSYS, counted by the broker by
// name. `observe` allows all that is not named (an observation, not a
// boundary): the kernel answers, and its writes of attributes land on the
// host's victim (stated below).
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, type AttackRun } from './harness';

const CALLS = [
  'listmount',
  'statmount',
  'getxattrat-secret',
  'setxattrat-victim',
  'listxattrat-secret',
  'removexattrat-victim',
  'file_getattr-secret',
  'file_setattr-victim',
  'open_tree_attr-outside',
  'open_tree-outside',
  'lsm_list_modules',
  'lsm_get_self_attr',
  'lsm_set_self_attr',
  'mseal-own-page',
  'futex_wake',
  'futex_wait',
  'futex_requeue',
  'map_shadow_stack',
  'pidfd_open-init',
  'process_mrelease-init',
  'process_madvise-init',
  'migrate_pages-init',
  'move_pages-init',
  'set_mempolicy_home_node',
  'quotactl_fd',
  'uprobe',
  'uretprobe',
  'past-newest',
  'past-newest-high',
];

/** Calls the allow-list profiles do not name: the filter answers, and the broker counts each by name. */
const UNNAMED = [
  'listmount',
  'statmount',
  'getxattrat',
  'setxattrat',
  'listxattrat',
  'removexattrat',
  'file_getattr',
  'file_setattr',
  'open_tree_attr',
  'open_tree',
  'lsm_list_modules',
  'lsm_get_self_attr',
  'lsm_set_self_attr',
  'mseal',
  'futex_wake',
  'futex_wait',
  'futex_requeue',
  'process_madvise',
  'migrate_pages',
  'move_pages',
  'set_mempolicy_home_node',
  'quotactl_fd',
];

/** What every profile shares: calls the allow-lists name, and the numbers no filter sees or knows. */
const SHARED = {
  // Allowed by name in every allow-list (glibc and Go use them): the kernel
  // answers. This machine's CPU has no user shadow stack.
  map_shadow_stack: 'errno ENOSYS',
  'pidfd_open-init': 'ok',
  // The init is not being killed: nothing to release early.
  'process_mrelease-init': 'errno EINVAL',
  // The kernel passes the uprobe trampolines' calls by every seccomp filter
  // (since Linux 6.14) and refuses them from anywhere else: the caller gets
  // ENXIO (uprobe) or SIGILL (uretprobe), and nothing else happens.
  uprobe: 'errno ENXIO',
  uretprobe: 'killed ILL',
  // No such call in this kernel: the allow-lists' ENOSYS and the kernel's are alike.
  'past-newest': 'errno ENOSYS',
  'past-newest-high': 'errno ENOSYS',
};

function expected(profile: string): Record<string, string> {
  const refused: Record<string, string> = {
    ...Object.fromEntries(CALLS.map((c) => [c, 'errno ENOSYS'])),
    ...SHARED,
  };
  return byProfile(profile, {
    default: refused,
    'ci-runner': refused,
    strict: refused,
    observe: {
      // Its own mount namespace's mounts: what /proc/self/mountinfo shows it too.
      listmount: 'ok mounts=N',
      statmount: 'ok read=N',
      'getxattrat-secret': 'errno ENODATA',
      // Not a boundary: the attribute is set on the host's victim and removed again.
      'setxattrat-victim': 'ok',
      'listxattrat-secret': 'ok',
      'removexattrat-victim': 'ok',
      'file_getattr-secret': 'ok',
      'file_setattr-victim': 'ok',
      // A descriptor with O_PATH of the host's directory, as openat(O_PATH) gives; no file is opened.
      'open_tree_attr-outside': 'ok',
      'open_tree-outside': 'ok',
      lsm_list_modules: 'ok',
      lsm_get_self_attr: 'errno EOPNOTSUPP',
      lsm_set_self_attr: 'errno EINVAL',
      'mseal-own-page': 'ok',
      futex_wake: 'ok',
      futex_wait: 'errno EAGAIN',
      futex_requeue: 'errno EINVAL',
      // The init belongs to the node's user namespace: no ptrace access to it.
      'process_madvise-init': 'errno EACCES',
      'migrate_pages-init': 'errno EPERM',
      'move_pages-init': 'errno EPERM',
      set_mempolicy_home_node: 'errno ENOENT',
      quotactl_fd: 'errno EBADF',
      ...SHARED,
    },
  });
}

/** The outcomes, with the counts of mounts (which differ by view and node) written as N. */
function seen(run: AttackRun): Record<string, string> {
  return Object.fromEntries(Object.entries(outcomes(run, CALLS)).map(([k, v]) => [k, v.replace(/=\d+$/, '=N')]));
}

attackSuite('attack: the system calls Linux added since 6.5, and numbers no filter names', (suite) => {
  it.each(matrix())('%s (%s): each call gets the stated answer', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'newer-syscalls' });
    expect(seen(run)).toEqual(expected(profile));
    if (profile === 'observe') {
      // Every change the kernel let through is on the victim (its ctime), nothing else outside.
      expect(run.scratch.changedOutside().map((c) => c.split(':')[0])).toEqual(['~ outside/victim']);
      expect(Number(/mounts=(\d+)/.exec(outcomes(run, ['listmount']).listmount)?.[1])).toBeGreaterThan(0);
      await suite.expectContained(run, { secretKept: true });
    } else {
      // The broker answered each one and counted it by its name; the numbers it has no name for as "unknown".
      for (const name of UNNAMED) {
        expect(run.summary, `${profile}, ${mode}: ${name} counted`).toMatch(new RegExp(`[ ,]${name} \\d+`));
      }
      expect(run.summary).toMatch(/unknown 2[,\s]|unknown 2$/);
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
    }
  });
});
