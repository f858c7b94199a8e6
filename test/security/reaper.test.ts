// Attack class: processes that try to outlive the container's end
// (attacks/reaper.c): a child subreaper, a grandchild in a session of its own
// with no death signal that ignores SIGHUP and SIGTERM, an orphaned process
// group; the workload's first process exits at once. Under every profile,
// through the agent and standalone, with and without `--pid host`: the run
// ends with its first process and no process of it is left on the host
// (harness: expectContained looks for the run's tag in every process's
// environment). With a PID namespace the init's end ends them all; with
// `--pid host` the container's cgroup is killed. PR_SET_MM is refused by the
// kernel (no CAP_SYS_RESOURCE).
import { expect, it } from 'vitest';

import { pidArgs, pidMatrix } from './agent-threads';
import { attackSuite, matrix, outcomes } from './harness';

const ATTEMPTS = ['subreaper', 'pr-set-mm-arg-start', 'daemon-started'];

attackSuite('attack: processes that try to outlive the container', (suite) => {
  it.each(pidMatrix(matrix()))('%s (%s, PID namespace: %s): nothing of the run is left', async (profile, mode, pid) => {
    const run = await suite.run({
      profile,
      mode,
      program: 'reaper',
      zvizArgs: pidArgs(pid),
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ATTEMPTS), detail).toEqual({
      subreaper: 'ok',
      'pr-set-mm-arg-start': 'errno EPERM',
      'daemon-started': 'ok',
    });
    expect(run.code, detail).toBe(0);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
