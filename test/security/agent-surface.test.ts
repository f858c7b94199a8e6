// Attack class: the supervisor itself (attacks/agent.c). No workload may
// signal the agent (or `zviz run`), open Node's inspector in it with
// SIGUSR1 and run JavaScript there, change its OOM score, scheduling or file
// limit, or leave zombie children in it (clone(CLONE_PARENT)). The PID
// namespace of each container (its init as PID 1) keeps the supervisor's
// process out of reach. (Its control socket: docs/security.md, open findings.)
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomeOf } from './harness';

function zombiesOf(pid: number): number {
  let count = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && Number(ppid) === pid) count++;
    } catch {
      // gone
    }
  }
  return count;
}

/** Whether `pid` holds a listening TCP socket on port 9229 (Node's inspector). */
function inspectorOpen(pid: number): boolean {
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1].endsWith(':2405') && f[3] === '0A') inodes.add(f[9]);
  }
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

attackSuite('attack: the supervisor (signals, inspector, /proc knobs, zombies)', (suite) => {
  it.each(matrix())('%s (%s): the workload can do nothing to its supervisor process', async (profile, mode) => {
    const agent = suite.agent();
    const zombiesBefore = zombiesOf(agent.pid);
    const attacks = ['signal', 'oom', 'scheduling', 'clone-parent', ...(mode === 'agent' ? ['inspector'] : [])];
    const run = await suite.run({
      profile,
      mode,
      program: 'agent',
      args: attacks,
      // Through an agent, its pid as the host numbers it (a workload can find it there when it
      // shares the host's PID namespace); standalone, the workload's parent.
      env: {
        ZVIZ_ATTACK_AGENT_PID: mode === 'agent' ? String(agent.pid) : 'parent',
        ZVIZ_ATTACK_AGENT_SOCKET: agent.socket,
      },
    });
    const setup = run.results.get('setup');
    if (setup !== undefined) {
      // Its parent is the container's init: the supervisor cannot even be named.
      expect(setup).toBe('errno ESRCH (no supervisor to aim at: 1)');
    } else {
      expect(outcomeOf(run, 'signal')).toMatch(/^errno (EPERM|ESRCH)$/);
      expect(outcomeOf(run, 'oom-open')).toMatch(/^errno /);
      expect(outcomeOf(run, 'prlimit-nofile')).toMatch(/^errno /);
      expect(outcomeOf(run, 'setpriority')).toMatch(/^errno /);
      expect(outcomeOf(run, 'sched-setaffinity')).toMatch(/^errno /);
      expect(outcomeOf(run, 'clone-parent')).toMatch(/^ok \d+$/);
    }
    if (mode === 'agent') {
      expect(run.results.get('inspector-eval') ?? 'not reached').not.toBe('ok');
      expect(inspectorOpen(agent.pid)).toBe(false);
      // Children made with CLONE_PARENT belong to the container's init, which reaps them.
      expect(zombiesOf(agent.pid)).toBe(zombiesBefore);
    }
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
