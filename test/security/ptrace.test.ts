// Attack classes: ptrace, process_vm_readv/writev, pidfd_getfd and kcmp
// (attacks/ptrace.c), aimed at the process that supervises the workload (its
// parent: the agent, or `zviz run --standalone`, which holds every
// container's listener), at the host's init, and at the workload of another
// container. The built-in profiles other than `observe` refuse all of these
// syscalls in the seccomp filter; under `observe` the kernel refuses them
// for the supervisor and init (the workload lacks CAP_SYS_PTRACE and has
// fewer capabilities than they do). With its own PID namespace (the default)
// the workload's parent and PID 1 are its container's zviz-init, and the
// other container cannot even be named: its pid does not exist there (ESRCH).
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

/** Against the other container: the filter refuses first; what it lets through finds no such process. */
function expectedOther(profile: string): Record<string, string> {
  const refused = profile === 'observe' ? 'errno ESRCH' : 'errno ENOSYS';
  return {
    ...Object.fromEntries(CALLS.map((c) => [`${c}-other`, refused])),
    // pidfd_open is allowed everywhere; the pid is not in the workload's namespace.
    'pidfd-getfd-other': 'errno ESRCH (pidfd_open)',
  };
}

attackSuite('attack: ptrace, process_vm_*, pidfd_getfd and kcmp', (suite) => {
  it.each(matrix())('%s (%s): the supervisor and the host init are out of reach', async (profile, mode) => {
    const victim = await suite.victim(profile, mode);
    const run = await suite.run({
      profile,
      mode,
      program: 'ptrace',
      args: ['parent', 'init', 'other'],
      env: {
        ZVIZ_ATTACK_OTHER_PID: String(victim.pid),
        ZVIZ_ATTACK_OTHER_ADDR: victim.address,
        ZVIZ_ATTACK_OTHER_WS: victim.scratch.workspace,
      },
    });
    const ended = await victim.stop();
    const want = expected(profile, ['parent', 'init']);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    const other = expectedOther(profile);
    expect(outcomes(run, Object.keys(other))).toEqual(other);
    await suite.expectContained(run, { outsideUnchanged: true });
    await suite.expectContained(ended);
  });
});
