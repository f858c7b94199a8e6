// Attack class: the kernel's larger attack surfaces (attacks/kernel.c): bpf,
// perf_event_open, userfaultfd, keyrings, kexec and modules, port I/O,
// reboot, the kernel log, accounting, swap, the clock, the host name,
// personality flags, fanotify. `default`, `ci-runner` and `strict` refuse
// every one in the seccomp filter (answered by the broker, ENOSYS). `observe`
// refuses none of them but the keyrings (ENOSYS): there the kernel answers, by
// the workload's capabilities and the host's sysctls; what it lets through
// (perf on itself, user-mode userfaultfd, personality) is what any root
// process without those capabilities may do.
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const CALLS = [
  'bpf-map-create',
  'perf-event-open-self',
  'perf-event-open-cpu',
  'userfaultfd',
  'userfaultfd-user-mode',
  'keyctl-get-user-keyring',
  'add-key-thread',
  'request-key',
  'kexec-load',
  'init-module',
  'finit-module',
  'delete-module',
  'iopl',
  'ioperm',
  'reboot-bad-magic',
  'syslog-read-all',
  'acct',
  'swapon',
  'clock-settime',
  'sethostname',
  'personality-read-implies-exec',
  'fanotify-init',
  'lookup-dcookie',
  'vhangup',
];

function expected(profile: string): Record<string, string> {
  const refused = Object.fromEntries(CALLS.map((c) => [c, 'errno ENOSYS']));
  return byProfile(profile, {
    default: refused,
    'ci-runner': refused,
    strict: refused,
    observe: {
      'bpf-map-create': 'errno EPERM', // kernel.unprivileged_bpf_disabled
      'perf-event-open-self': 'ok', // perf_event_paranoid 2: its own user-space counters
      'perf-event-open-cpu': 'errno EACCES',
      userfaultfd: 'errno EPERM',
      'userfaultfd-user-mode': 'ok',
      // Refused by observe's filter too: keys are not namespaced (keyrings.test.ts).
      'keyctl-get-user-keyring': 'errno ENOSYS',
      'add-key-thread': 'errno ENOSYS',
      'request-key': 'errno ENOSYS',
      // Not built into this kernel (ENOSYS from the kernel itself).
      'kexec-load': 'errno ENOSYS',
      'init-module': 'errno ENOSYS',
      'finit-module': 'errno ENOSYS',
      'delete-module': 'errno ENOSYS',
      iopl: 'errno ENOSYS',
      ioperm: 'errno ENOSYS',
      'lookup-dcookie': 'errno ENOSYS',
      'reboot-bad-magic': 'errno EPERM',
      'syslog-read-all': 'errno EPERM',
      acct: 'errno EPERM',
      swapon: 'errno EPERM',
      'clock-settime': 'errno EPERM',
      sethostname: 'errno EPERM',
      'personality-read-implies-exec': 'ok',
      'fanotify-init': 'errno EPERM',
      vhangup: 'errno EPERM',
    },
  });
}

attackSuite('attack: bpf, perf, userfaultfd, keyrings, modules and other kernel surfaces', (suite) => {
  it.each(matrix())('%s (%s): each call gets the stated answer', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'kernel' });
    const want = expected(profile);
    expect(outcomes(run, CALLS)).toEqual(want);
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
  });
});
