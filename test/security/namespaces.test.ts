// Attack class: mount, umount, the new mount API, unshare/clone/clone3 with
// namespace flags, setns, pivot_root, chroot (and the chroot escape). The
// built-in profiles other than `observe` refuse all of them in the seccomp
// filter (answered and audited by the broker); `observe` refuses nothing, and
// what holds there is the kernel's answer to a root without CAP_SYS_ADMIN.
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, matrix, outcomes } from './harness';

const MOUNTS = [
  'mount-tmpfs',
  'mount-bind-outside',
  'mount-remount-root-rw',
  'mount-proc',
  'umount-root',
  'umount-workspace',
  'mount-setattr-root-rw',
  'open-tree-clone-outside',
  'fsopen-tmpfs',
  'fspick-root',
];
const NAMESPACES = ['user', 'mnt', 'pid', 'net', 'uts', 'ipc', 'cgroup', 'time'];
const CREATIONS = NAMESPACES.flatMap((ns) => [
  `unshare-${ns}`,
  ...(ns === 'time' ? [] : [`clone-new${ns}`]),
  `clone3-new${ns}`,
]);

/** What each attempt gets under a profile. */
function expected(profile: string): Record<string, string> {
  const all = (names: string[], outcome: string) => Object.fromEntries(names.map((n) => [n, outcome]));
  // The profiles' seccomp part refuses with their defaultErrnoRet (ENOSYS), answered by the broker.
  const refused = {
    ...all(MOUNTS, 'errno ENOSYS'),
    ...all(CREATIONS, 'errno ENOSYS'),
    // The namespace files of pid 1 are not even opened: no ptrace access to init.
    'setns-init-mnt': 'errno EACCES (open)',
    'setns-init-user': 'errno EACCES (open)',
    'setns-init-pidfd': 'errno ENOSYS',
    'pivot-root': 'errno ENOSYS',
  };
  return byProfile(profile, {
    default: {
      ...refused,
      // Docker's default allows chroot (CAP_SYS_CHROOT), and so the classic escape;
      // `default` keeps no file out of reach, so nothing is gained (see the table in docs/security.md).
      chroot: 'ok',
    },
    'ci-runner': { ...refused, chroot: 'errno ENOSYS' },
    strict: { ...refused, chroot: 'errno ENOSYS' },
    observe: {
      // No CAP_SYS_ADMIN: the kernel refuses every mount and every namespace but a user namespace.
      // clone3 is refused by every filter (ENOSYS: CLONE_INTO_CGROUP, docs/security.md).
      ...all(MOUNTS, 'errno EPERM'),
      ...all(CREATIONS, 'errno EPERM'),
      ...all(
        CREATIONS.filter((name) => name.startsWith('clone3-')),
        'errno ENOSYS'
      ),
      'unshare-user': 'ok',
      'clone-newuser': 'ok',
      'setns-init-mnt': 'errno EACCES (open)',
      'setns-init-user': 'errno EACCES (open)',
      'setns-init-pidfd': 'errno EPERM',
      'pivot-root': 'errno EPERM',
      chroot: 'ok',
    },
  });
}

attackSuite('attack: mount, unshare, setns, pivot_root, chroot', (suite) => {
  it.each(matrix())('%s (%s): every mount and namespace change is refused', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'namespaces' });
    const want = expected(profile);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    await suite.expectContained(run, {
      outsideUnchanged: true,
      secretKept: profile !== 'default' && profile !== 'observe',
    });
    if (want.chroot === 'ok') {
      // Where chroot works, the escape works too: no file-system boundary to cross.
      expect(run.results.get('chroot-then-read-secret')).toBe(`read ${run.scratch.secret.toString('hex')}`);
    }
    if (mode === 'agent' && profile !== 'observe') {
      // Each refusal is an audit record of the agent, layer seccomp.
      const agent = suite.agent();
      await waitFor('the refusals in the audit log', async () =>
        agent.audit().some((r) => r.container_id === run.containerId && r.syscall === 'pivot_root')
      );
      const refusals = agent
        .audit()
        .filter((r) => r.container_id === run.containerId && r.decision === 'deny')
        .map((r) => `${String(r.syscall)} ${String(r.layer)}`);
      expect(refusals).toEqual(expect.arrayContaining(['mount seccomp', 'unshare seccomp', 'mount_setattr seccomp']));
    }
  });
});
