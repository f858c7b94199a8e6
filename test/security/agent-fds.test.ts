// Attack class: the agent's own descriptors through /proc/<agent>/fd/N and
// each agent thread's /proc/<tid>/fd/N (attacks/agent-fds.c;
// docs/security.md, "Emulated opens"). 64 bytes written into libuv's signal
// pipe make Node dereference a pointer the workload chose; reading the
// agent's pipes would steal its wake-ups. Under every profile, standalone
// and through an agent, with the container's own PID namespace and with
// --pid host: the workload opened none of the agent's files, the
// agent (standalone: the zviz process) is alive and saw the run to its end,
// and a container of another run (the victim) ends normally too.
import { expect, it } from 'vitest';

import { handOverThreads, pidArgs, pidMatrix } from './agent-threads';
import { attackSuite, matrix, outcomeOf } from './harness';

attackSuite("attack: the agent's own descriptors", (suite) => {
  it.each(pidMatrix(matrix()))(
    '%s (%s, pid %s): no descriptor of the agent opens, the agent lives',
    async (profile, mode, pid) => {
      const victim = await suite.victim(profile, mode);
      const run = await suite.run({
        profile,
        mode,
        program: 'agent-fds',
        zvizArgs: pidArgs(pid),
        whileRunning: async ({ zviz, scratch }) =>
          handOverThreads(zviz, scratch.workspace, mode === 'agent' ? suite.agent().pid : zviz.pid!),
      });
      const ended = await victim.stop();
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomeOf(run, 'finished'), detail).toBe('ok');
      // It knew the agent's threads (the attack was real) and opened none of their files.
      expect(Number(outcomeOf(run, 'agent-tasks')), detail).toBeGreaterThan(1);
      expect(outcomeOf(run, 'opened-write'), detail).toBe('0');
      expect(outcomeOf(run, 'opened-read'), detail).toBe('0');
      expect(outcomeOf(run, 'pipes-written'), detail).toBe('0');
      expect(run.code, detail).toBe(0);
      await suite.expectContained(run, { outsideUnchanged: true });
      await suite.expectContained(ended);
    }
  );
});
