// Attack class: io_uring (attacks/iouring.c), which opens, reads and writes
// files in the kernel's own workers, where no seccomp filter sees a syscall.
// Every built-in profile that judges opens refuses io_uring_setup (and
// `zviz profile check` refuses a profile that judges opens and allows it).
// `observe` allows it: there a ring reads the secret and creates files
// outside, and those opens are not in the audit log. `observe` is an
// observation, and this one it cannot make (docs/security.md).
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, matrix, outcomes } from './harness';

attackSuite('attack: io_uring', (suite) => {
  it.each(matrix())('%s (%s): io_uring is refused wherever opens are judged', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'iouring' });
    const refused = { 'io-uring-setup': 'errno ENOSYS' };
    const want = byProfile(profile, {
      default: refused,
      'ci-runner': refused,
      strict: refused,
      observe: {
        'io-uring-setup': 'ok',
        'uring-open-secret': `read ${run.scratch.secret.toString('hex')}`,
        'uring-create-outside': 'ok',
      },
    });
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    expect(run.results.size).toBe(Object.keys(want).length);
    if (profile !== 'observe') {
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
      return;
    }
    await suite.expectContained(run);
    expect(run.scratch.changedOutside().filter((c) => c.startsWith('+'))).toEqual(['+ outside/new-io-uring']);
    if (mode === 'agent') {
      // The program start is logged; the ring's opens are not.
      const agent = suite.agent();
      await waitFor('the execve record', async () =>
        agent.audit().some((r) => r.container_id === run.containerId && r.syscall === 'execve')
      );
      const paths = agent
        .audit()
        .filter((r) => r.container_id === run.containerId)
        .map((r) => JSON.stringify(r.args));
      expect(paths.filter((p) => p.includes(run.scratch.outside))).toEqual([]);
    }
  });
});
