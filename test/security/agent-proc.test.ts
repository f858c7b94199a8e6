// Attack class: the agent's own /proc entries (attacks/agent-proc.c;
// docs/security.md, "Emulated opens"). The broker opens files for the
// workload; if it resolved paths as the agent, /proc/<agent>/root and cwd,
// /proc/self relative to a /proc descriptor, a link to /proc/self, a
// directory among the agent's descriptors and every agent thread's entries
// would be the workload's too: directories of the host's mount namespace
// (then mkdirat outside the workspace and linkat of the secret into it), the
// agent's environment and memory. Under every profile, standalone and through
// an agent: no descriptor outside the workload's mount namespace, nothing
// named by the agent's pid or a thread id opens, the canary in the agent's
// environment and its memory stay unread; where the file system is read-only
// but for the workspace (strict, ci-runner) nothing changes outside it, and
// under strict, which refuses the secret's directory, the secret stays put.
import { expect, it } from 'vitest';

import { handOverThreads, pidArgs, pidMatrix } from './agent-threads';
import { attackSuite, matrix, outcomeOf } from './harness';

const CANARY_NAME = 'ZVIZ_SECURITY_CANARY';
const canary = `canary-${process.pid}-${Date.now()}`;
// In the environment of every zviz process this file starts: the suite's agent and `zviz run --standalone`.
process.env[CANARY_NAME] = canary;

const AGENT_NAMED =
  /^(pid|pid-task|tid\d+)-(environ|mem-ro|mem-rw)$|^(pid-root-creat|pid-root-dir|pid-cwd-dir|pid-fd-dir|tid\d+-root)$/;

attackSuite("attack: the agent's own /proc entries", (suite) => {
  it.each(pidMatrix(matrix()))(
    '%s (%s, pid %s): nothing of the agent opens, nothing leaves the namespace',
    async (profile, mode, pid) => {
      const run = await suite.run({
        profile,
        mode,
        program: 'agent-proc',
        args: [CANARY_NAME],
        zvizArgs: pidArgs(pid),
        whileRunning: async ({ zviz, scratch }) =>
          handOverThreads(zviz, scratch.workspace, mode === 'agent' ? suite.agent().pid : zviz.pid!),
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomeOf(run, 'finished'), detail).toBe('ok');
      // The attack knew the agent's threads, the supervisor thread of its own container among them.
      expect(Number(outcomeOf(run, 'agent-threads')), detail).toBeGreaterThan(0);
      for (const [key, value] of run.results) {
        if (key.endsWith('-foreign-mount')) {
          expect(value, `${key}: a descriptor outside the workload's mount namespace\n${detail}`).toBe('no');
        }
        if (AGENT_NAMED.test(key)) {
          expect(value, `${key}\n${detail}`).toMatch(/^errno /);
        }
        if (/-mem-(ro|rw)-read$/.test(key)) {
          expect(value, `${key}: read the agent's memory\n${detail}`).not.toMatch(/^ok/);
        }
      }
      expect(run.stdout, "the agent's environment").not.toContain(canary);
      const writeBoundary = profile === 'strict' || profile === 'ci-runner';
      await suite.expectContained(run, { outsideUnchanged: writeBoundary, secretKept: profile === 'strict' });
    }
  );
});
