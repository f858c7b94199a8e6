// Attack class: stalling the broker on the workload's own memory
// (attacks/uffd.c). A path in a page registered with userfaultfd and never
// filled would hold a reader from outside, the broker's process_vm_readv,
// until the workload's fault handler answers, which it never does. Every
// built-in profile but observe refuses userfaultfd in its filter; under
// observe the kernel refuses a kernel-mode one (no CAP_SYS_PTRACE,
// vm.unprivileged_userfaultfd 0) and a user-mode-only one does not see the
// faults of kernel code, so the broker's read fails at once, the record says
// it could not read the path, and the kernel fails the open (EFAULT). The
// open is answered within 5 s, and the agent answers /health meanwhile.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix } from './harness';

attackSuite('attack: userfaultfd on the path buffer', (suite) => {
  it.each(matrix())('%s (%s): refused, or the broker never waits for the workload', async (profile, mode) => {
    let healthy: string | undefined = 'not asked';
    const run = await suite.run({
      profile,
      mode,
      program: 'uffd',
      whileRunning: async () => {
        if (mode === 'agent') {
          await new Promise((r) => setTimeout(r, 500));
          healthy = await suite.agent().notAlive();
        }
      },
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    const keys = ['finished', 'uffd', 'uffd-user', 'register', 'open-on-missing-page', 'answered-within-5s'];
    const got = Object.fromEntries(keys.map((k) => [k, run.results.get(k)]));
    const unprivileged = readFileSync('/proc/sys/vm/unprivileged_userfaultfd', 'utf8').trim();
    const refusedByFilter = byProfile(profile, { strict: true, 'ci-runner': true, default: true, observe: false });
    expect(got.finished, detail).toBe('ok');
    if (refusedByFilter) {
      expect(got.uffd, detail).toMatch(/^errno /);
      expect(got['uffd-user'], detail).toMatch(/^errno /);
      expect(got['open-on-missing-page'], detail).toBeUndefined();
    } else if (unprivileged === '0') {
      expect(got.uffd, detail).toBe('errno EPERM');
      expect(got['uffd-user'], detail).toBe('ok');
      expect(got.register, detail).toBe('ok');
      expect(got['answered-within-5s'], detail).toBe('yes');
      expect(got['open-on-missing-page'], detail).toBe('errno EFAULT');
    }
    if (mode === 'agent') {
      expect(healthy, 'the agent while the attack ran').toBeUndefined();
    }
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
