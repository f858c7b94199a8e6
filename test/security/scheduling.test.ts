// Attack class: a workload root asking for more of the node's CPU and disk
// than any other process gets (attacks/sched.c): SCHED_FIFO, SCHED_RR,
// SCHED_DEADLINE, nice -20, the real-time I/O class. The workload has no
// CAP_SYS_NICE, so the kernel grants a real-time policy or a negative nice
// only up to its RLIMIT_RTPRIO and RLIMIT_NICE; but a process inherits its
// parent's policy and limits across fork and exec. An agent (or `zviz run`)
// the operator runs real-time, as one may for prompt answers
// (`CPUSchedulingPolicy=fifo`, `chrt`), handed SCHED_FIFO to every workload:
// a loop in it then runs before every normal thread of the node, the agent's
// other supervisors among them, for 95 % of each second. The container's
// first process now starts it at SCHED_OTHER, with both limits 0.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { AttackAgent, attackSuite, matrix, outcomes } from './harness';

const ATTEMPTS = [
  'start-policy',
  'rtprio-limit',
  'nice-limit',
  'raise-rtprio',
  'raise-nice',
  'sched-fifo',
  'sched-rr',
  'sched-deadline',
  'nice-minus-20',
  'ioprio-rt',
  'policy',
  'nice',
];

/** The same for every profile: the kernel refuses each (no CAP_SYS_NICE, both limits 0). */
const HELD = {
  'start-policy': '0',
  'rtprio-limit': '0/0',
  'nice-limit': '0/0',
  'raise-rtprio': 'ok',
  'raise-nice': 'ok',
  'sched-fifo': 'errno EPERM',
  'sched-rr': 'errno EPERM',
  'sched-deadline': 'errno EPERM',
  'nice-minus-20': 'errno EACCES',
  'ioprio-rt': 'errno EPERM',
  policy: '0',
  nice: '0',
};

/** `argv` run at SCHED_FIFO priority 1. */
const realTime = (argv: string[]) => ['chrt', '-f', '1', ...argv];

attackSuite('attack: real-time scheduling and priority for the workload', (suite) => {
  let fifoAgent: AttackAgent | undefined;
  beforeAll(async () => {
    fifoAgent = await AttackAgent.start({ wrap: realTime });
  }, 120_000);
  afterAll(async () => {
    await fifoAgent?.stop();
  });

  it('the bare kernel grants all of it to root, and a real-time parent passes its policy on', () => {
    const plain = suite.runBare('sched');
    expect(plain.results.get('sched-fifo')).toBe('ok');
    expect(plain.results.get('nice-minus-20')).toBe('ok');
    expect(plain.results.get('ioprio-rt')).toBe('ok');
    const child = spawnSync('chrt', ['-f', '1', 'sh', '-c', 'chrt -p $$'], { encoding: 'utf8' });
    expect(child.stdout).toMatch(/SCHED_FIFO/);
  });

  it.each(matrix())('%s (%s): the workload gets none of it', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'sched' });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ATTEMPTS), detail).toEqual(HELD);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(matrix())(
    '%s (%s), under an agent and a zviz run that run at SCHED_FIFO: the workload starts at SCHED_OTHER',
    async (profile, mode) => {
      const run = await suite.run({
        profile,
        mode,
        program: 'sched',
        ...(mode === 'agent' ? { agent: fifoAgent } : { wrap: realTime }),
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ATTEMPTS), detail).toEqual(HELD);
      expect(run.summary, detail).toBeDefined();
      const health = (await (await fetch(`${fifoAgent!.url}/health`)).json()) as { broker: { status: string } };
      expect(health.broker.status).toBe('running');
    }
  );
});
