// Attack class: /proc/self/root and the workload's other magic links (root,
// cwd, fd/N of its own process, threads and tasks, /dev/fd/N) and
// /proc/1/root (attacks/procroot.c). The broker rewrites the names that mean
// "the opener" to the workload's own /proc entries and judges the path they
// resolve to, so under `strict` none of them reads the secret or
// /etc/shadow, and under `strict` and `ci-runner` none creates anything
// outside the workspace. /proc/1 is refused by the kernel under every
// profile: the workload has no ptrace access to the host's init.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, readHash } from './harness';

const READS = [
  'self-root-read',
  'thread-self-root-read',
  'pid-root-read',
  'task-root-read',
  'tid-root-read',
  'self-cwd-read',
  'self-fd-dir-read',
  'dev-fd-dir-read',
  'openat-ws-dotdot-read',
];
const CREATES = ['self-root-create', 'thread-self-root-create', 'self-cwd-create', 'self-fd-dir-create'];
const INIT = [
  'init-root-read',
  'init-root-etc-shadow',
  'init-root-create',
  'init-root-mkdir',
  'init-root-symlink',
  'init-cwd-chdir',
];

function all(names: string[], outcome: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, outcome]));
}

function expected(profile: string, secretRead: string): Record<string, string> {
  const shadow = readHash(readFileSync('/etc/shadow'));
  const init = all(INIT, 'errno EACCES');
  const open = { ...all(READS, secretRead), 'self-root-etc-shadow': shadow };
  return byProfile(profile, {
    // Its own root is strict's allow-list view, where the secret, the
    // outside directory and /etc/shadow do not exist; its reads are the
    // kernel's, `..` out of the workspace too.
    strict: {
      ...all(READS, 'errno ENOENT'),
      'openat-ws-dotdot-read': 'errno ENOENT',
      'self-root-etc-shadow': 'errno ENOENT',
      ...all(CREATES, 'errno EACCES'),
      'self-root-mkdir': 'errno ENOENT',
      ...init,
    },
    'ci-runner': { ...open, ...all(CREATES, 'errno EACCES'), 'self-root-mkdir': 'errno EROFS', ...init },
    default: { ...open, ...all(CREATES, 'ok'), 'self-root-mkdir': 'ok', ...init },
    observe: { ...open, ...all(CREATES, 'ok'), 'self-root-mkdir': 'ok', ...init },
  });
}

attackSuite("attack: /proc/self/root and the workload's own magic links", (suite) => {
  it.each(matrix())('%s (%s): magic links lead nowhere the profile forbids', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'procroot' });
    const want = expected(profile, `read ${run.scratch.secret.toString('hex')}`);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    const writeBoundary = profile === 'strict' || profile === 'ci-runner';
    await suite.expectContained(run, { outsideUnchanged: writeBoundary, secretKept: profile === 'strict' });
  });
});
