// Attack class: the other syscall ABIs of an x86_64 kernel (attacks/compat.c):
// i386 through `int $0x80`, where `open` is number 5 (x86_64's `fstat`), and
// x32 (bit 30 set). A profile's filter covers the ABIs of its archMap; any
// other ABI kills the process (the broker answers the filter's KILL with
// SIGKILL). `default` covers i386 as Docker does (and refuses there what it
// refuses on x86_64); x32 is not enabled in this kernel (ENOSYS).
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const I386 = [
  'i386-getpid',
  'i386-open-secret',
  'i386-creat-outside',
  'i386-openat-create-outside',
  'i386-mkdir-outside',
  'i386-symlink-outside',
  'i386-chmod-victim',
  'i386-unlink-victim',
  'i386-mount',
  'i386-ptrace-parent',
  'i386-unshare-user',
  'i386-io-uring-setup',
];
const X32 = ['x32-getpid', 'x32-open-secret', 'x32-create-outside'];

function all(names: string[], outcome: string): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, outcome]));
}

function expected(profile: string, secretRead: string): Record<string, string> {
  const killed = all([...I386, ...X32], 'killed SIGKILL');
  return byProfile(profile, {
    'ci-runner': killed,
    strict: killed,
    observe: killed,
    default: {
      ...all(I386, 'ok'),
      'i386-open-secret': secretRead,
      'i386-mount': 'errno ENOSYS',
      'i386-ptrace-parent': 'errno ENOSYS',
      'i386-unshare-user': 'errno ENOSYS',
      'i386-io-uring-setup': 'errno ENOSYS',
      ...all(X32, 'errno ENOSYS'),
    },
  });
}

attackSuite('attack: 32-bit (i386 int 0x80) and x32 syscalls', (suite) => {
  it.each(matrix())('%s (%s): a foreign ABI gets nothing its profile refuses', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'compat' });
    const want = expected(profile, `read ${run.scratch.secret.toString('hex')}`);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    await suite.expectContained(run, { outsideUnchanged: profile !== 'default', secretKept: profile !== 'default' });
  });
});
