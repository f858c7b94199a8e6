// Attack class: writes outside the workspace by every syscall that writes to
// the file system (attacks/writes.c). `ci-runner` and `strict` promise that
// nothing outside the workspace and temporary directories changes, whatever
// the syscall: the broker refuses opens (EACCES, counted and audited) and the
// read-only mounts refuse everything else (EROFS; EXDEV for renames and links
// across the workspace's mount). `default` and `observe` make no such
// promise: there every write lands, and this test says so exactly.
import { expect, it } from 'vitest';

import { fileTmpfs } from '@zviz/test-support/disk';

import { attackSuite, byProfile, matrix, outcomes, Scratch } from './harness';

/** The targets writes.c moves or removes, one each (content, or null for a directory). */
const TARGETS = {
  'rename-me': 'rename-me\n',
  'move-me': 'move-me\n',
  'exchange-me': 'exchange-me\n',
  'link-me': 'link-me\n',
  'unlink-me': 'unlink-me\n',
  'unlinkat-me': 'unlinkat-me\n',
  'rmdir-me': null,
  'unlinkat-dir-me': null,
};

const CREATE_BY_OPEN = [
  'open-creat',
  'creat',
  'openat-creat',
  'open-creat-dotdot',
  'open-creat-scratch-root',
  'openat2-creat',
  'open-tmpfile',
];
const CHANGE_BY_OPEN = ['open-trunc', 'open-append', 'open-rdwr', 'openat2-append'];
const CREATE = [
  'mkdir',
  'mkdirat',
  'mknod-fifo',
  'mknod-regular',
  'mknodat',
  'symlink',
  'symlinkat',
  'link-into-outside',
  'linkat-into-outside',
  'bind-unix',
];
const CHANGE = [
  'truncate',
  'chmod',
  'fchmodat',
  'fchmodat2',
  'chown',
  'lchown',
  'fchownat',
  'utime',
  'utimes',
  'futimesat',
  'utimensat',
  'setxattr',
  'lsetxattr',
  'removexattr',
];
const THROUGH_DIR_FD = ['openat-dirfd-creat', 'mkdirat-dirfd', 'symlinkat-dirfd', 'mknodat-dirfd'];
const THROUGH_READ_FD = [
  'fchmod-read-fd',
  'fchown-read-fd',
  'futimens-read-fd',
  'fsetxattr-read-fd',
  'ftruncate-read-fd',
  'reopen-read-fd-for-write',
];
const ACROSS_MOUNTS = [
  'rename-into-outside',
  'rename-out-of-outside',
  'renameat-into-outside',
  'renameat2-exchange',
  'renameat2-whiteout',
  'link-out-of-outside',
];
const REMOVE = ['rename-within-outside', 'unlink', 'unlinkat', 'rmdir', 'unlinkat-removedir'];

function all(names: string[], outcome: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, outcome]));
}

function expected(profile: string): Record<string, string> {
  const readOnly = {
    ...all(CREATE_BY_OPEN, 'errno EACCES'),
    ...all(CHANGE_BY_OPEN, 'errno EACCES'),
    'open-tmpfile-linkat': 'errno EACCES (open)',
    ...all(CREATE, 'errno EROFS'),
    ...all(CHANGE, 'errno EROFS'),
    ...all(REMOVE, 'errno EROFS'),
    ...all(ACROSS_MOUNTS, 'errno EXDEV'),
  };
  const landed = {
    ...all([...CREATE_BY_OPEN, ...CHANGE_BY_OPEN, 'open-tmpfile-linkat'], 'ok'),
    ...all([...CREATE, ...CHANGE, ...REMOVE, ...ACROSS_MOUNTS, ...THROUGH_DIR_FD, ...THROUGH_READ_FD], 'ok'),
    removexattr: 'errno ENODATA', // reached the file: it has no such attribute
    'ftruncate-read-fd': 'errno EINVAL', // the descriptor is not open for writing
  };
  return byProfile(profile, {
    'ci-runner': {
      ...readOnly,
      // Reading the outside directory is allowed; what is done through it is not.
      'openat-dirfd-creat': 'errno EACCES',
      ...all(['mkdirat-dirfd', 'symlinkat-dirfd', 'mknodat-dirfd'], 'errno EROFS'),
      ...all(['fchmod-read-fd', 'fchown-read-fd', 'futimens-read-fd', 'fsetxattr-read-fd'], 'errno EROFS'),
      'ftruncate-read-fd': 'errno EINVAL',
      'reopen-read-fd-for-write': 'errno EACCES',
    },
    strict: {
      ...readOnly,
      // The outside directory is not in strict's allow-list view: the calls
      // that name it find nothing (the broker's EACCES still answers opens).
      ...all([...CREATE, ...CHANGE, ...REMOVE, ...ACROSS_MOUNTS], 'errno ENOENT'),
      // Nor can the workload open the outside directory, or a file in it, to
      // write through the descriptor (its reads are the kernel's).
      ...all([...THROUGH_DIR_FD, ...THROUGH_READ_FD], 'errno ENOENT (open)'),
    },
    default: landed,
    observe: landed,
  });
}

/** What a run under a profile that lets writes land leaves outside: every target made, moved or removed. */
const LANDED_CHANGES = [
  '+ new-in-root',
  ...[
    'new-creat',
    'new-dotdot',
    'new-fifo',
    'new-link',
    'new-linkat',
    'new-mkdir',
    'new-mkdirat',
    'new-mkdirat-dirfd',
    'new-mknod',
    'new-mknodat',
    'new-mknodat-dirfd',
    'new-moved',
    'new-open',
    'new-openat',
    'new-openat-dirfd',
    'new-openat2',
    'new-rename',
    'new-renameat',
    'new-socket',
    'new-symlink',
    'new-symlinkat',
    'new-symlinkat-dirfd',
    'new-tmpfile',
    'new-whiteout',
  ].map((name) => `+ outside/${name}`),
  ...['move-me', 'rename-me', 'rmdir-me', 'unlink-me', 'unlinkat-dir-me', 'unlinkat-me'].map(
    (name) => `- outside/${name}`
  ),
].sort();

attackSuite('attack: writes outside the workspace by every syscall that writes', (suite) => {
  // The same answers on any host: renameat2(RENAME_WHITEOUT) is the file
  // system's to allow, and /var/lib may be overlayfs, which refuses it (fileTmpfs).
  const fs = fileTmpfs('/var/lib');
  it.each(matrix())('%s (%s): every write outside the workspace has the stated outcome', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'writes', scratch: Scratch.create(TARGETS, fs.dir) });
    const want = expected(profile);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    const writesLand = profile === 'default' || profile === 'observe';
    await suite.expectContained(run, { outsideUnchanged: !writesLand });
    if (writesLand) {
      const changes = run.scratch.changedOutside();
      expect(changes.filter((c) => !c.startsWith('~')).sort()).toEqual(LANDED_CHANGES);
      expect(changes.some((c) => c.startsWith('~ outside/victim:'))).toBe(true);
    }
  });
});
