// Attack classes: ptrace, process_vm_readv/writev, pidfd_getfd and kcmp
// (attacks/ptrace.c), aimed at the process that supervises the workload (its
// parent: the agent, or `zviz run --standalone`, which holds every
// container's listener), at the host's init, and at the workload of another
// container. The built-in profiles other than `observe` refuse all of these
// syscalls in the seccomp filter; under `observe` the kernel refuses them
// for the supervisor and init (the workload lacks CAP_SYS_PTRACE and has
// fewer capabilities than they do).
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const CALLS = ['ptrace-attach', 'ptrace-seize', 'vm-readv', 'vm-writev', 'pidfd-getfd', 'kcmp'];

function expected(profile: string, targets: string[]): Record<string, string> {
  const answer = byProfile(profile, {
    default: 'errno ENOSYS',
    'ci-runner': 'errno ENOSYS',
    strict: 'errno ENOSYS',
    observe: 'errno EPERM',
  });
  return Object.fromEntries(targets.flatMap((t) => CALLS.map((c) => [`${c}-${t}`, answer])));
}

attackSuite('attack: ptrace, process_vm_*, pidfd_getfd and kcmp', (suite) => {
  it.each(matrix())('%s (%s): the supervisor and the host init are out of reach', async (profile, mode) => {
    const victim = await suite.victim(profile, mode);
    const run = await suite.run({
      profile,
      mode,
      program: 'ptrace',
      // Under `observe` the kernel lets one container ptrace another (see docs/security.md): not here.
      args: profile === 'observe' ? ['parent', 'init'] : ['parent', 'init', 'other'],
      env: {
        ZVIZ_ATTACK_OTHER_PID: String(victim.pid),
        ZVIZ_ATTACK_OTHER_ADDR: victim.address,
        ZVIZ_ATTACK_OTHER_WS: victim.scratch.workspace,
      },
    });
    const ended = await victim.stop();
    const want = expected(profile, ['parent', 'init']);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    if (profile !== 'observe') {
      // The syscalls themselves are refused, whoever the target.
      const other = expected(profile, ['other']);
      expect(outcomes(run, Object.keys(other))).toEqual(other);
    }
    await suite.expectContained(run, { outsideUnchanged: true });
    await suite.expectContained(ended);
  });
});
