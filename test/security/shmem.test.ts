// Attack class: memory the node's OOM killer does not see (attacks/shmem.c).
// Pages a workload writes into a memfd or a tmpfs file (/dev/shm, a private
// /tmp) are in no process's resident set until mapped, and the kernel scores
// a process for the node's OOM killer by that set: 128 MiB so written leave
// the workload's oom_score where it was. They are charged to the container's
// memory cgroup, so a memory limit holds them (the container is OOM-killed
// at its limit, counted); without one, a workload can fill the node's memory
// while the node's OOM killer picks other processes (docs/security.md, Known
// limits). This states both.
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomeOf } from './harness';

attackSuite('attack: shared memory the OOM killer does not see', (suite) => {
  it.each(matrix())(
    '%s (%s): without a memory limit, 128 MiB of shmem leave its OOM score as it was',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'shmem' });
      const detail = `${run.stdout}\n${run.stderr}`;
      const start = /^score=(\d+)$/.exec(outcomeOf(run, 'start'))?.[1];
      expect(start, detail).toBeDefined();
      expect(outcomeOf(run, 'memfd'), detail).toBe(`ok written=128 score=${start}`);
      // strict's rules allow no write in /dev/shm (the broker: EACCES).
      expect(outcomeOf(run, 'devshm'), detail).toBe(
        byProfile(profile, {
          strict: 'errno EACCES',
          'ci-runner': `ok written=128 score=${start}`,
          default: `ok written=128 score=${start}`,
          observe: `ok written=128 score=${start}`,
        })
      );
      expect(outcomeOf(run, 'finished'), detail).toBe('ok');
      await suite.expectContained(run, { outsideUnchanged: true });
    }
  );

  it.each(matrix())('%s (%s): a memory limit holds it', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'shmem', memory: '64M' });
    const detail = `${run.stdout}\n${run.stderr}`;
    // Killed by the container's OOM killer before the memfd held 128 MiB, and said so.
    expect(run.results.has('memfd'), detail).toBe(false);
    expect(run.code, detail).toBe(137);
    expect(run.summary, detail).toMatch(/the OOM killer, at its 64 MiB memory limit/);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
