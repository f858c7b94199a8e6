// Attack class: openat2's RESOLVE_* flags and malformed open_how structures
// (attacks/openat2.c). Where the broker emulates openat2 it must keep every
// restriction the workload asked for: RESOLVE_BENEATH, RESOLVE_IN_ROOT,
// RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS and RESOLVE_NO_XDEV never reach
// the secret or create anything outside, and an open_how the kernel refuses
// (unknown bits, too small, too large, unreadable) is refused with the
// errno the kernel gives. The bare kernel's answers are the reference: the
// first test runs the same program outside any sandbox.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const DECOY = `read ${Buffer.from('decoy\n').toString('hex')}`;

/** What the bare kernel answers, run as root outside any sandbox (the first test checks it). */
function kernel(secretRead: string): Record<string, string> {
  return {
    'plain-read-secret': secretRead,
    'beneath-dotdot': 'errno EXDEV',
    'beneath-absolute': 'errno EXDEV',
    'beneath-symlink-out': 'errno EXDEV',
    'beneath-create-out': 'errno EXDEV',
    // RESOLVE_IN_ROOT: "/" and ".." stop at the directory, an absolute path starts there.
    'in-root-absolute': DECOY,
    'in-root-dotdot': DECOY,
    'in-root-symlink': DECOY,
    'in-root-symlink-out': 'errno ENOENT',
    'in-root-create-out': 'errno ENOENT',
    'in-root-absolute-missing': 'errno ENOENT',
    'in-root-absolute-create': 'ok',
    'no-symlinks': 'errno ELOOP',
    'no-magiclinks-self-root': 'errno ELOOP',
    'no-magiclinks-self-fd': 'errno ELOOP',
    // The scratch tree is one mount: ".." out of the workspace crosses none.
    'no-xdev-dotdot': secretRead,
    'no-xdev-create-out': 'ok',
    // open_how: smaller than version 0, larger than a page, non-zero beyond what the kernel knows.
    'size-zero': 'errno EINVAL',
    'size-too-small': 'errno EINVAL',
    'size-larger-zeros': DECOY,
    'size-larger-nonzero': 'errno E2BIG',
    'size-huge': 'errno E2BIG',
    'size-page': DECOY,
    'how-null': 'errno EFAULT',
    'how-at-page-end': DECOY,
    'how-past-page-end': 'errno EFAULT',
    'tail-nonzero-then-unmapped': 'errno E2BIG',
    // Flags refused before the path is read.
    'resolve-unknown-bit': 'errno EINVAL',
    'flags-unknown-bit': 'errno EINVAL',
    'mode-without-create': 'errno EINVAL',
    'mode-file-type': 'errno EINVAL',
    'beneath-and-in-root': 'errno EINVAL',
    'cached-create': 'errno EAGAIN',
    'path-with-create': 'errno EINVAL',
    'create-directory': 'errno EINVAL',
    'openat-create-directory': 'errno EINVAL',
    'openat-tmpfile-read-only': 'errno EINVAL',
    'path-without-nul': 'errno EFAULT',
  };
}

/** Under each profile: the kernel's answers, but for the boundaries the profile's rules draw. */
function expected(profile: string, secretRead: string): Record<string, string> {
  const bare = kernel(secretRead);
  return byProfile(profile, {
    strict: {
      ...bare,
      'plain-read-secret': 'errno EACCES',
      // The broker judges the path first: refused before the kernel would say EXDEV.
      'beneath-dotdot': 'errno EACCES',
      'beneath-absolute': 'errno EACCES',
      'beneath-create-out': 'errno EACCES',
      'no-xdev-dotdot': 'errno EACCES',
      'no-xdev-create-out': 'errno EACCES',
    },
    'ci-runner': {
      ...bare,
      'beneath-create-out': 'errno EACCES',
      // The workspace is a mount of its own: ".." out of it crosses a mount.
      'no-xdev-dotdot': 'errno EXDEV',
      'no-xdev-create-out': 'errno EACCES',
    },
    default: bare,
    observe: bare,
  });
}

attackSuite('attack: openat2 RESOLVE flags and malformed open_how', (suite) => {
  it('the bare kernel answers as the table says (the reference every profile is held to)', () => {
    const bare = suite.runBare('openat2');
    const want = kernel(`read ${bare.scratch.secret.toString('hex')}`);
    const got = Object.fromEntries(Object.keys(want).map((name) => [name, bare.results.get(name)]));
    expect(got, bare.stdout).toEqual(want);
  });

  it.each(matrix())(
    '%s (%s): every RESOLVE_* restriction holds and a bad open_how is refused',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'openat2' });
      const want = expected(profile, `read ${run.scratch.secret.toString('hex')}`);
      expect(outcomes(run, Object.keys(want))).toEqual(want);
      // Created where the kernel creates it: in the directory RESOLVE_IN_ROOT names.
      expect(existsSync(join(run.scratch.workspace, 'created-in-root'))).toBe(true);
      const writeBoundary = profile === 'strict' || profile === 'ci-runner';
      await suite.expectContained(run, { outsideUnchanged: writeBoundary, secretKept: profile === 'strict' });
      if (!writeBoundary) {
        expect(run.scratch.changedOutside().filter((c) => c.startsWith('+'))).toEqual(['+ outside/new-no-xdev']);
      }
    }
  );
});
