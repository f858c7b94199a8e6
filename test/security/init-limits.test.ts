// Attack class: the container's init made to fail at its job
// (attacks/init-limits.c). zviz-init runs as uid 0 like the workload, so the
// kernel would let the workload lower the init's resource limits (it did, to
// one second of CPU, three descriptors, one page of address space and no
// processes, and the init kept working); every filter now refuses prlimit64
// with a new limit for another process (EPERM, syscall-families.ts). What
// must hold besides is that the init outlives the workload, reaps every
// orphan, and the container's status is the workload's own (docs/security.md,
// "Who the workload is"): 3,000 orphans reaped, the exit code 7 reported.
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const ATTEMPTS = [
  'init-rlimit-cpu',
  'init-rlimit-nofile',
  'init-rlimit-as',
  'init-rlimit-nproc',
  'init-rlimit-raise',
  'init-nice',
  'init-affinity',
  'init-sigstop',
  'init-sigkill',
];

function expected(profile: string): Record<string, string> {
  const kernel = {
    // The filter: the kernel allowed each (same uid and gid).
    'init-rlimit-cpu': 'errno EPERM',
    'init-rlimit-nofile': 'errno EPERM',
    'init-rlimit-as': 'errno EPERM',
    'init-rlimit-nproc': 'errno EPERM',
    'init-rlimit-raise': 'errno EPERM',
    // The kernel's own-user rules (set_one_prio_perm, check_same_owner) do not pass here.
    'init-nice': 'errno EPERM',
    'init-affinity': 'errno EPERM',
    // The namespace's init: the kernel drops both signals from inside it.
    'init-sigstop': 'ok',
    'init-sigkill': 'ok',
  };
  return byProfile(profile, { strict: kernel, 'ci-runner': kernel, default: kernel, observe: kernel });
}

attackSuite("attack: the container's init with its limits lowered, and an orphan flood", (suite) => {
  it.each(matrix())('%s (%s): the init reaps every orphan and reports the workload’s status', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'init-limits', timeoutMs: 120_000 });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, [...ATTEMPTS, 'orphans', 'zombies', 'finished']), detail).toEqual({
      ...expected(profile),
      orphans: '3000',
      zombies: '0',
      finished: 'ok',
    });
    expect(run.code, detail).toBe(7);
    expect(run.summary, detail).toMatch(/exited with code 7\b/);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
