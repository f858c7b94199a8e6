// Attack class: openat2's RESOLVE_* flags and malformed open_how structures
// (attacks/openat2.c). Where the broker emulates openat2 it must keep every
// restriction the workload asked for: RESOLVE_BENEATH, RESOLVE_IN_ROOT,
// RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS and RESOLVE_NO_XDEV never reach
// the secret or create anything outside, and an open_how the kernel refuses
// (unknown bits, too small, unreadable) is refused.
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const DECOY = `read ${Buffer.from('decoy\n').toString('hex')}`;

function expected(profile: string, secretRead: string): Record<string, string> {
  const kernel = {
    'beneath-dotdot': 'errno EXDEV',
    'beneath-symlink-out': 'errno EXDEV',
    'in-root-dotdot': DECOY,
    'in-root-symlink': DECOY,
    'in-root-symlink-out': 'errno ENOENT',
    'no-symlinks': 'errno ELOOP',
    'no-magiclinks-self-root': 'errno ELOOP',
    'no-magiclinks-self-fd': 'errno ELOOP',
    'size-zero': 'errno EINVAL',
    'size-too-small': 'errno EINVAL',
    'size-larger-zeros': DECOY,
    'how-null': 'errno EFAULT',
    'resolve-unknown-bit': 'errno EINVAL',
    'flags-unknown-bit': 'errno EINVAL',
    'how-at-page-end': DECOY,
    'path-without-nul': 'errno EFAULT',
  };
  return byProfile(profile, {
    strict: {
      ...kernel,
      'plain-read-secret': 'errno EACCES',
      // The broker judges the path first: refused before the kernel would say EXDEV.
      'beneath-dotdot': 'errno EACCES',
      'beneath-absolute': 'errno EACCES',
      'beneath-create-out': 'errno EACCES',
      'in-root-create-out': 'errno EACCES',
      'no-xdev-dotdot': 'errno EACCES',
      'no-xdev-create-out': 'errno EACCES',
    },
    'ci-runner': {
      ...kernel,
      'plain-read-secret': secretRead,
      'beneath-absolute': 'errno EXDEV',
      'beneath-create-out': 'errno EACCES',
      'in-root-create-out': 'errno EACCES',
      // The workspace is a mount of its own: ".." out of it crosses a mount.
      'no-xdev-dotdot': 'errno EXDEV',
      'no-xdev-create-out': 'errno EACCES',
    },
    default: {
      ...kernel,
      'plain-read-secret': secretRead,
      'beneath-absolute': 'errno EXDEV',
      'beneath-create-out': 'errno EXDEV',
      'in-root-create-out': 'errno ENOENT',
      'no-xdev-dotdot': secretRead,
      'no-xdev-create-out': 'ok',
    },
    observe: {
      ...kernel,
      'plain-read-secret': secretRead,
      'beneath-absolute': 'errno EXDEV',
      'beneath-create-out': 'errno EXDEV',
      'in-root-create-out': 'errno ENOENT',
      'no-xdev-dotdot': secretRead,
      'no-xdev-create-out': 'ok',
    },
  });
}

attackSuite('attack: openat2 RESOLVE flags and malformed open_how', (suite) => {
  it.each(matrix())(
    '%s (%s): every RESOLVE_* restriction holds and a bad open_how is refused',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'openat2' });
      const want = expected(profile, `read ${run.scratch.secret.toString('hex')}`);
      expect(outcomes(run, Object.keys(want))).toEqual(want);
      const writeBoundary = profile === 'strict' || profile === 'ci-runner';
      await suite.expectContained(run, { outsideUnchanged: writeBoundary, secretKept: profile === 'strict' });
      if (!writeBoundary) {
        expect(run.scratch.changedOutside().filter((c) => c.startsWith('+'))).toEqual(['+ outside/new-no-xdev']);
      }
    }
  );
});
