// Attack class: running a program from outside strict's program directories
// (attacks/exec-paths.c): a copy in /tmp, a memfd, /proc/self/fd of it, a
// descriptor with AT_EMPTY_PATH, a path relative to a descriptor of /tmp and a
// workspace link to /tmp. Strict's rules judge the resolved path of what the
// kernel would run and refuse each (EACCES). Rules on exec are an
// observation, not a boundary (docs/security.md, "Decisions and what they
// are"): the kernel reads the path again after the check, so a racing thread
// could change it. This test shows honest programs refused and, under the
// other profiles, every program run.
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const ATTEMPTS = [
  'exec-tmp',
  'execveat-memfd',
  'exec-proc-fd-memfd',
  'execveat-tmp-fd',
  'execveat-tmpdir-rel',
  'exec-ws-link-to-tmp',
];

function expected(profile: string): Record<string, string> {
  const ran = Object.fromEntries(ATTEMPTS.map((a) => [a, 'ok']));
  return byProfile(profile, {
    strict: Object.fromEntries(ATTEMPTS.map((a) => [a, 'errno EACCES'])),
    'ci-runner': ran, // every exec logged
    default: ran,
    observe: ran,
  });
}

attackSuite('attack: programs run from outside the allowed directories', (suite) => {
  it.each(matrix())('%s (%s): refused where the profile allows no such program', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'exec-paths' });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, [...ATTEMPTS, 'finished']), detail).toEqual({ ...expected(profile), finished: 'ok' });
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
