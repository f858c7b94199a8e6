// Attack class: io_uring (attacks/iouring.c), which opens, reads and writes
// files in the kernel's own workers, where no seccomp filter sees a syscall.
// Every built-in profile brokers opens (to refuse them or, under `observe`,
// to record them), so every one refuses io_uring_setup with ENOSYS, as
// Docker's default profile does: a ring's opens could be neither refused nor
// recorded (and `zviz profile check` refuses a profile that brokers opens and
// allows io_uring_setup). The refusal is answered by the broker, so it is
// counted and, through an agent, audited.
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, matrix, outcomes } from './harness';

attackSuite('attack: io_uring', (suite) => {
  it.each(matrix())('%s (%s): io_uring is refused wherever opens are brokered, and counted', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'iouring' });
    const want = { 'io-uring-setup': 'errno ENOSYS' };
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    expect(run.results.size).toBe(Object.keys(want).length);
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
    if (mode === 'agent') {
      // Refused by the profile's seccomp rules and answered by the broker: in the audit log.
      const agent = suite.agent();
      await waitFor('the io_uring_setup refusal in the audit log', async () =>
        agent
          .audit()
          .some(
            (r) =>
              r.container_id === run.containerId &&
              r.syscall === 'io_uring_setup' &&
              r.decision === 'deny' &&
              r.layer === 'seccomp'
          )
      );
    }
  });
});
