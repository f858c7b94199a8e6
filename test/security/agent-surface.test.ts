// Attack class: the supervisor itself (attacks/agent.c). No workload may
// signal the agent (or `zviz run`), open Node's inspector in it with
// SIGUSR1 and run JavaScript there, change its OOM score, scheduling or file
// limit, or leave zombie children in it (clone(CLONE_PARENT)). The PID
// namespace of each container (its init as PID 1) keeps the supervisor's
// process out of reach; with --pid host, the container's Landlock domain
// refuses the signal (scoped for signals), and SIGUSR1 would open no
// inspector anyway. Its
// control socket refuses a workload as its peer, and is masked in its view.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { AttackAgent, AttackRun, attackSuite, matrix, outcomeOf, outcomes, PROFILES, Scratch } from './harness';

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

  // The control socket: a workload is root, and the agent's socket would start a container under
  // any profile for it. Through an agent its directory is masked in the workload's view; either
  // way the agent recognises a workload as its peer (its container's namespaces, a container
  // cgroup, or zviz-init as the init of its PID namespace) and refuses it, audited and counted.
  /** The agent refused the workload as its peer: its answer (or none, if it closed first) and the audit record. */
  async function expectRefusedAsWorkload(run: AttackRun, agent: AttackAgent, detail?: string) {
    expect(run.results.get('control-run') ?? 'not reached', detail).toMatch(
      /^(not reached|errno EPERM \(.*may not run workloads through the agent.*)$/
    );
    await waitFor('the refusal in the audit log', async () =>
      agent
        .audit()
        .some(
          (r) =>
            r.event_type === 'control' &&
            r.decision === 'deny' &&
            (r.args as Record<string, unknown>).reason === 'workload'
        )
    );
  }

  async function controlSocketAttack(profile: string, mode: 'standalone' | 'agent', zvizArgs: string[] = []) {
    const agent = suite.agent();
    const refusedBefore = await refusals(agent.url);
    const run = await suite.run({
      profile,
      mode,
      program: 'agent',
      args: ['control'],
      zvizArgs,
      env: { ZVIZ_ATTACK_AGENT_PID: String(agent.pid), ZVIZ_ATTACK_AGENT_SOCKET: agent.socket },
    });
    const connect = outcomeOf(run, 'control-connect');
    if (mode === 'agent' && profile !== 'strict') {
      // The socket's directory is an empty mount in the workload's view.
      expect(connect).toBe('errno ENOENT');
    }
    if (connect === 'ok') {
      // Refused on connection: the workload reads the refusal, or (if the agent closed first)
      // its send fails (SIGPIPE ends it).
      await expectRefusedAsWorkload(run, agent);
      expect(await refusals(agent.url)).toBeGreaterThan(refusedBefore);
    } else {
      expect(run.results.get('control-run')).toBeUndefined();
    }
    // Nothing was started for it.
    expect(agent.fullLog()).not.toMatch(/"name":"escaped"/);
    await suite.expectContained(run, { outsideUnchanged: true });
  }

  it.each(matrix())('%s (%s): the control socket starts nothing for a sandboxed workload', async (profile, mode) => {
    await controlSocketAttack(profile, mode);
  });

  it.each(matrix())('%s (%s): nor with --pid host', async (profile, mode) => {
    await controlSocketAttack(profile, mode, ['--pid', 'host']);
  });

  // "Two defences, each enough on its own" (docs/security.md, The control socket). Above, through
  // an agent, the mask hides the socket, so the peer check meets only standalone workloads (by their
  // cgroup or zviz-init). Here the agent's socket lies in the workload's own workspace, which no view
  // masks (the workspace must stay): the workload reaches it, and the peer check alone must refuse the
  // agent's own container, by its namespaces (with --pid host: its mount namespace) or its cgroup.
  async function visibleSocketAttack(profile: string, zvizArgs: string[]) {
    const scratch = Scratch.create();
    const agent = await AttackAgent.start({ socket: join(scratch.workspace, 'agent.sock') });
    try {
      const run = await suite.run({
        profile,
        mode: 'agent',
        agent,
        scratch,
        program: 'agent',
        args: ['control'],
        zvizArgs,
        env: { ZVIZ_ATTACK_AGENT_PID: String(agent.pid), ZVIZ_ATTACK_AGENT_SOCKET: agent.socket },
      });
      const detail = `${run.stdout}\n${run.stderr}\n${agent.fullLog()}`;
      // strict refuses every connect in the broker; under the others the socket is reached.
      expect(outcomeOf(run, 'control-connect'), detail).toBe(profile === 'strict' ? 'errno EACCES' : 'ok');
      if (profile !== 'strict') {
        await expectRefusedAsWorkload(run, agent, detail);
        expect(await refusals(agent.url)).toBe(1);
      }
      expect(agent.fullLog()).not.toMatch(/"name":"escaped"/);
      expect(await agent.notAlive()).toBeUndefined();
      expect(run.summary, detail).toBeDefined();
      expect(run.scratch.changedOutside(), 'changed outside the workspace').toEqual([]);
      await suite.expectContained(run, { outsideUnchanged: true });
    } finally {
      await agent.stop();
    }
  }

  it.each(PROFILES)(
    '%s (agent): with the socket in its own workspace, the peer check alone starts nothing',
    async (profile) => {
      await visibleSocketAttack(profile, []);
    }
  );

  it.each(PROFILES)('%s (agent): with the socket in its own workspace and --pid host, nor then', async (profile) => {
    await visibleSocketAttack(profile, ['--pid', 'host']);
  });

  // With --pid host the workload can name its supervisor (it is root with CAP_KILL): SIGUSR1,
  // unhandled, would open Node's inspector there. The Landlock scope refuses the signal, and zviz
  // handles SIGUSR1 from its first line.
  it.each(matrix())('%s (%s): with --pid host, SIGUSR1 opens no inspector in the supervisor', async (profile, mode) => {
    const agent = suite.agent();
    const run = await suite.run({
      profile,
      mode,
      program: 'agent',
      args: ['inspector'],
      zvizArgs: ['--pid', 'host'],
      env: {
        ZVIZ_ATTACK_AGENT_PID: mode === 'agent' ? String(agent.pid) : 'parent',
        ZVIZ_ATTACK_AGENT_SOCKET: agent.socket,
      },
    });
    // The container's Landlock domain is scoped for signals: the supervisor is outside it (EPERM;
    // docs/security.md, "Landlock scopes"). Unscoped, the signal got there (standalone, zviz run
    // forwarded it to the workload, which it could end before it said so: exit code 128 + SIGUSR1),
    // and zviz's own SIGUSR1 handler kept the inspector closed.
    expect(run.results.get('inspector-sigusr1') ?? `exit ${run.code}`).toBe('errno EPERM');
    expect(run.results.get('inspector-connect') ?? 'not reached').not.toBe('ok');
    expect(run.results.get('inspector-eval') ?? 'not reached').not.toBe('ok');
    expect(inspectorOpen(agent.pid)).toBe(false);
    expect(inspectorOpen(run.zvizPid)).toBe(false);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  // With --pid host nothing but the uid and the capabilities stand between the workload and its
  // supervisor. Nice values, affinity and I/O priority are the kernel's to refuse: it asks that
  // the caller hold every capability of the target. Limits it lets any process of the same uid
  // and gid set, so every filter refuses prlimit64 with a new limit for another process (the
  // workload lowered the agent's descriptor limit). Through an agent the nice value is read on the
  // node too.
  it.each(matrix())(
    "%s (%s): with --pid host, its supervisor's priority, affinity and limits stay as they are",
    async (profile, mode) => {
      const agent = suite.agent();
      const niceBefore = getPriority(agent.pid);
      let niceAfter = niceBefore;
      try {
        const run = await suite.run({
          profile,
          mode,
          program: 'agent',
          args: ['scheduling', ...(mode === 'agent' ? ['renice'] : [])],
          zvizArgs: ['--pid', 'host'],
          env: { ZVIZ_ATTACK_AGENT_PID: mode === 'agent' ? String(agent.pid) : 'parent' },
        });
        niceAfter = getPriority(agent.pid);
        const detail = `${run.stdout}\n${run.stderr}`;
        expect(outcomes(run, ['setpriority', 'sched-setaffinity', 'ioprio-set', 'prlimit-nofile']), detail).toEqual({
          // The kernel: the supervisor holds capabilities the workload lacks (cap_safe_nice).
          setpriority: 'errno EPERM',
          'sched-setaffinity': 'errno EPERM',
          'ioprio-set': 'errno EPERM',
          // The filter (the kernel asks only for the same uid and gid: it was 'ok').
          'prlimit-nofile': 'errno EPERM',
        });
        if (mode === 'agent') {
          expect(outcomeOf(run, 'renice'), detail).toBe('errno EPERM');
          expect(niceAfter, "the agent's nice value, read on the node").toBe(niceBefore);
        }
        await suite.expectContained(run, { outsideUnchanged: true });
      } finally {
        if (niceAfter !== niceBefore) {
          setPriority(agent.pid, niceBefore);
        }
      }
    }
  );
});

/** zviz_control_refusals_total{reason="workload"} of the agent at `url`. */
async function refusals(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('zviz_control_refusals_total{reason="workload"} '));
  return line ? Number(line.split(' ')[1]) : 0;
}
