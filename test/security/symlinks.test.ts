// Attack class: symlinks and directory symlinks (attacks/symlinks.c), planted
// and swapped. The broker judges the path it resolved itself and opens
// exactly the inode it judged; a link from the workspace to a forbidden file
// is judged as that file. The swaps exchange a name between a harmless target
// and a forbidden one while the main thread opens it (10,000 opens a race):
// under `strict` no open ever returns the secret, and under `strict` and
// `ci-runner` nothing outside the workspace is created or changed.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes, raceCounts, readHash } from './harness';

const STATIC = [
  'link-to-secret',
  'link-to-secret-nofollow',
  'dirlink-to-outside',
  'link-to-etc-shadow',
  'link-chain-to-secret',
  'link-to-victim-write',
  'dangling-link-create',
  'dangling-chain-create',
];
const READ_RACES = ['swap-file-read', 'swap-dir-read'];
const WRITE_RACES = ['swap-file-write-victim', 'swap-file-create', 'swap-dir-create'];

function expected(profile: string, secretRead: string): Record<string, string> {
  const shadow = readHash(readFileSync('/etc/shadow'));
  const readable = {
    'link-to-secret': secretRead,
    'link-to-secret-nofollow': 'errno ELOOP',
    'dirlink-to-outside': secretRead,
    'link-to-etc-shadow': shadow,
    'link-chain-to-secret': secretRead,
  };
  return byProfile(profile, {
    // The links lead out of strict's allow-list view: their targets do not exist there.
    strict: {
      'link-to-secret': 'errno ENOENT',
      'link-to-secret-nofollow': 'errno ELOOP',
      'dirlink-to-outside': 'errno ENOENT',
      'link-to-etc-shadow': 'errno ENOENT',
      'link-chain-to-secret': 'errno ENOENT',
      'link-to-victim-write': 'errno ENOENT',
      'dangling-link-create': 'errno EACCES',
      'dangling-chain-create': 'errno EACCES',
    },
    // ci-runner keeps writes in; reads go anywhere (it is not a read boundary).
    'ci-runner': {
      ...readable,
      'link-to-victim-write': 'errno EACCES',
      'dangling-link-create': 'errno EACCES',
      'dangling-chain-create': 'errno EACCES',
    },
    default: { ...readable, 'link-to-victim-write': 'ok', 'dangling-link-create': 'ok', 'dangling-chain-create': 'ok' },
    observe: { ...readable, 'link-to-victim-write': 'ok', 'dangling-link-create': 'ok', 'dangling-chain-create': 'ok' },
  });
}

attackSuite('attack: symlink and directory-symlink swaps', (suite) => {
  it.each(matrix())(
    '%s (%s): planted and swapped links reach nothing the profile forbids',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'symlinks', args: ['10000'], timeoutMs: 90_000 });
      const want = expected(profile, `read ${run.scratch.secret.toString('hex')}`);
      expect(outcomes(run, STATIC)).toEqual(want);

      const readBoundary = profile === 'strict';
      const writeBoundary = profile === 'strict' || profile === 'ci-runner';
      for (const name of READ_RACES) {
        const counts = raceCounts(run, name);
        if (readBoundary) {
          // Both targets were seen (the race ran): the harmless one opened, the secret refused, never read.
          expect({ name, ...counts }).toMatchObject({ name, leaked: 0 });
          expect(counts.opened, name).toBeGreaterThan(0);
          expect(counts.refused, name).toBeGreaterThan(0);
          expect(run.results.has(`${name}-leak`), name).toBe(false);
        } else {
          expect({ name, refused: counts.refused }).toEqual({ name, refused: 0 });
        }
      }
      for (const name of WRITE_RACES) {
        const counts = raceCounts(run, name);
        if (writeBoundary) {
          expect(counts.opened, name).toBeGreaterThan(0);
          expect(counts.refused, name).toBeGreaterThan(0);
        } else {
          expect({ name, refused: counts.refused }).toEqual({ name, refused: 0 });
        }
      }
      await suite.expectContained(run, { outsideUnchanged: writeBoundary, secretKept: readBoundary });
    },
    120_000
  );
});
