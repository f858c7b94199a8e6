// Attack class: memory the node's OOM killer does not see (attacks/shmem.c).
// Pages a workload writes into a memfd or a tmpfs file (/dev/shm, a private
// /tmp) are in no process's resident set until mapped, and the kernel scores
// a process for the node's OOM killer by that set: 128 MiB so written leave
// the workload's oom_score where it was. They are charged to the container's
// memory cgroup, so a memory limit holds them (the container is OOM-killed
// at its limit, counted). Without one, the node's OOM killer would pick other
// processes, the agent among them: so every container process has an OOM
// score adjustment of 1000 and is taken before any of the node's; where the
// agent has CAP_SYS_RESOURCE that is also a floor the workload cannot lower
// (docs/security.md, Known limits).
import { readFileSync } from 'node:fs';

import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomeOf } from './harness';

/** Whether this process (and so the agent and zviz run it starts) has CAP_SYS_RESOURCE, which sets the floor. */
const FLOOR =
  (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;

attackSuite('attack: shared memory the OOM killer does not see', (suite) => {
  if (!FLOOR) {
    console.log(
      'shmem.test.ts: no CAP_SYS_RESOURCE here: the OOM score floor is not set, and lowering is shown to work'
    );
  }

  it.each(matrix())(
    '%s (%s): without a memory limit, 128 MiB of shmem leave its OOM score as it was',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'shmem' });
      const detail = `${run.stdout}\n${run.stderr}`;
      const start = /^score=(\d+)$/.exec(outcomeOf(run, 'start'))?.[1];
      expect(start, detail).toBeDefined();
      // The node's OOM killer takes it before the node's processes: the agent, this test.
      const adj = /^1000 score=(\d+)$/.exec(outcomeOf(run, 'adj'));
      expect(adj, detail).not.toBeNull();
      // strict's and ci-runner's rules refuse the open for writing (the broker); elsewhere the kernel
      // holds the floor the agent set, if it could: setting it needs CAP_SYS_RESOURCE, which the
      // agent inherits from this process (a node's root has it; some machines' root does not).
      expect(outcomeOf(run, 'adj-lower'), detail).toBe(
        byProfile(profile, {
          strict: 'errno EACCES',
          'ci-runner': 'errno EACCES',
          default: FLOOR ? 'errno EACCES' : 'ok',
          observe: FLOOR ? 'errno EACCES' : 'ok',
        })
      );
      for (const pid of [suite.agent().pid, process.pid]) {
        const node = Number(readFileSync(`/proc/${pid}/oom_score`, 'utf8'));
        expect(Number(adj![1]), `${detail}\nthe oom_score of ${pid}, a process of the node: ${node}`).toBeGreaterThan(
          node
        );
      }
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
