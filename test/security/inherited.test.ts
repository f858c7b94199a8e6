// Attack class: what a workload inherits from whoever started it. Linux
// hands a child its parent's nice value, I/O priority, personality, timer
// slack, THP and KSM settings, supplementary groups, ignored signals,
// blocked mask and more across fork and execve, so an agent run by a unit
// with Nice=-5 or IOSchedulingClass=realtime, or a `zviz run` typed under
// `nice`, `ionice -c 1` or `setarch -R`, gave its workload more of the node
// than its profile says (a negative nice, the real-time I/O class), or less
// than a container should have (no ASLR, a 10 ms timer slack, its pages
// merged with other containers' by KSM). attacks/hostile-parent.c sets every
// one of them on itself and executes the agent or `zviz run`; attacks/
// inherited.c, the workload, says what it holds. The container's first
// process now resets each (agent/native/src/spawn/first_process.cc); the CPU
// affinity stays the caller's, by decision (docs/security.md, "What the
// workload inherits").
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { ATTACK_BIN, AttackAgent, attackSuite, matrix, outcomes, PROFILES } from './harness';

const ATTRIBUTES = [
  'nice',
  'ioprio',
  'personality',
  'timer-slack',
  'thp-disable',
  'memory-merge',
  'oom-score-adj',
  'groups',
  'ignored',
  'blocked',
  'securebits',
  'ambient',
  'session-leader',
  'cpus',
  'nofile',
];

/** The soft descriptor limit a process of the node starts with: 1024, or the hard limit where that is lower. */
function startingFiles(): string {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return hard === undefined || hard === 'unlimited' ? '1024' : String(Math.min(1024, Number(hard)));
}

/** What hostile-parent gives a child of its own, outside any sandbox: the reference that it is hostile. */
const HOSTILE = {
  nice: '-5',
  ioprio: '1/0', // the real-time class
  personality: '0x40000', // ADDR_NO_RANDOMIZE (READ_IMPLIES_EXEC is dropped by the kernel at exec of a non-exec-stack ELF)
  'timer-slack': '10000000',
  'thp-disable': '1',
  'memory-merge': '1',
  groups: '4,42',
  ignored: '1,2,15,32,33',
  blocked: '0000000000000800', // SIGUSR2
  securebits: '0x40', // SECBIT_NO_CAP_AMBIENT_RAISE
  cpus: '1',
  nofile: startingFiles(),
};

/** What the workload holds under every profile, whoever started it: what a process of the node starts with. */
const HELD = {
  nice: '0',
  ioprio: '0/0', // "none": best-effort at the level nice 0 gives
  personality: '0x0',
  'timer-slack': '50000',
  'thp-disable': '0',
  'memory-merge': '0',
  'oom-score-adj': '1000', // set by the first process (shmem.test.ts), whatever the caller's
  groups: 'none',
  ignored: 'none',
  blocked: '0000000000000000',
  securebits: '0x0',
  ambient: '0000000000000000',
  'session-leader': '1',
  // The caller's, by decision: the workload may widen it to its cgroup's cpuset itself, so it is a
  // starting placement (an operator's `taskset`, systemd's CPUAffinity=), not a boundary.
  cpus: '1',
  // The caller's soft limit (Node, the agent and zviz run, raises its own to the hard one).
  nofile: startingFiles(),
};

const HOSTILE_PARENT = join(ATTACK_BIN, 'hostile-parent');
const hostile = (argv: string[]) => [HOSTILE_PARENT, ...argv];

/**
 * `argv` at nice `nice` (set by root first), then without CAP_SYS_NICE: dropped from the bounding set, so
 * neither the agent (or zviz run) nor the zviz-spawn it executes holds it, as under a unit with Nice= and a
 * CapabilityBoundingSet= that leaves it out. `ionice -c 1` first puts it in the real-time I/O class.
 */
const withoutSysNice = (nice: number, argv: string[], realTimeIo = false) => [
  ...(realTimeIo ? ['ionice', '-c', '1'] : []),
  'nice',
  '-n',
  String(nice),
  'setpriv',
  '--bounding-set',
  '-sys_nice',
  '--',
  ...argv,
];

attackSuite('attack: what the workload inherits from whoever started it', (suite) => {
  let hostileAgent: AttackAgent | undefined;
  let niceAgent: AttackAgent | undefined;
  beforeAll(async () => {
    hostileAgent = await AttackAgent.start({ wrap: hostile });
    niceAgent = await AttackAgent.start({ wrap: (argv) => withoutSysNice(10, argv) });
  }, 120_000);
  afterAll(async () => {
    await hostileAgent?.stop();
    await niceAgent?.stop();
  });

  it('the hostile caller passes every attribute on to a child of its own', () => {
    const child = spawnSync(HOSTILE_PARENT, [join(ATTACK_BIN, 'inherited')], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const results = new Map(
      child.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)])
    );
    expect(Object.fromEntries(Object.keys(HOSTILE).map((name) => [name, results.get(name)]))).toEqual(HOSTILE);
  });

  it.each(matrix())(
    '%s (%s), under an agent and a zviz run started by that caller: the workload starts as a process of the node',
    async (profile, mode) => {
      const run = await suite.run({
        profile,
        mode,
        program: 'inherited',
        ...(mode === 'agent' ? { agent: hostileAgent } : { wrap: hostile }),
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ATTRIBUTES), detail).toEqual(HELD);
      expect(run.summary, detail).toBeDefined();
      expect(await hostileAgent!.notAlive()).toBeUndefined();
      await suite.expectContained(run, { outsideUnchanged: true });
    }
  );

  it.each(matrix())(
    '%s (%s), under a caller at nice 10 without CAP_SYS_NICE: the workload starts, at nice 10 (only it loses by that)',
    async (profile, mode) => {
      const run = await suite.run({
        profile,
        mode,
        program: 'inherited',
        ...(mode === 'agent' ? { agent: niceAgent } : { wrap: (argv: string[]) => withoutSysNice(10, argv) }),
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      // Undoing a positive nice takes CAP_SYS_NICE: the first process keeps it rather than fail the start.
      expect(outcomes(run, ['nice', 'ioprio']), detail).toEqual({ nice: '10', ioprio: '0/0' });
      expect(run.summary, detail).toBeDefined();
    }
  );

  it.each(PROFILES)(
    '%s (standalone), under a caller at nice -5 in the real-time I/O class without CAP_SYS_NICE: nice 0, class none',
    async (profile) => {
      // Lowering either needs no capability: a caller that cannot raise them back still starts the
      // workload at the node's priorities.
      const run = await suite.run({
        profile,
        mode: 'standalone',
        program: 'inherited',
        wrap: (argv: string[]) => withoutSysNice(-5, argv, true),
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ['nice', 'ioprio']), detail).toEqual({ nice: '0', ioprio: '0/0' });
      expect(run.summary, detail).toBeDefined();
    }
  );
});
