// Attack class: the node's processes, and outliving the agent (issue 14,
// findings 1's naming half and 5). Every container has a PID namespace of its
// own whose PID 1 is zviz-init (docs/security.md, "Who the workload is"):
// nothing outside it can be named, and when the agent dies the init dies and
// the kernel kills the whole namespace, whatever the workload did to its own
// death signal. `--pid host` opts out; its rows show what that gives up.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import {
  AttackAgent,
  attackSuite,
  byProfile,
  matrix,
  MODES,
  outcomeOf,
  outcomes,
  PROFILES,
  processesOf,
  Scratch,
  type AttackSuite,
  type Mode,
} from './harness';

const hex = (text: string) => Buffer.from(text).toString('hex');

/** What `pidns look` gets under a profile, with the container's own PID namespace. */
function expectedLook(profile: string): Record<string, string> {
  // ptrace, process_vm_readv and pidfd_getfd: refused by the filter, or by the kernel.
  const filtered = byProfile(profile, {
    default: 'errno ENOSYS',
    'ci-runner': 'errno ENOSYS',
    strict: 'errno ENOSYS',
    observe: 'errno EPERM',
  });
  return {
    'self-pid': 'ok 2',
    // Only zviz-init and the program itself exist.
    'foreign-processes': 'ok 0',
    'agent-cmdline': 'errno ENOENT',
    'agent-root': 'errno ENOENT',
    'agent-kill0': 'errno ESRCH',
    'agent-pidfd': 'errno ESRCH',
    // PID 1 is zviz-init, started for workload pid 2...
    'init-cmdline': `read ${hex('zviz-init\u00002\u0000')}`,
    // ...and out of reach: it keeps capabilities the workload never has.
    'init-mem': 'errno EACCES',
    'init-environ': 'errno EACCES',
    'init-root': 'errno EACCES',
    'init-fd': 'errno EACCES',
    // Relative to the init's /proc directory (a descriptor, the cwd): the
    // broker's CAP_SYS_PTRACE for the workload's own entries is down again.
    'init-chdir': 'ok',
    'init-mem-dirfd': 'errno EACCES',
    'init-environ-dirfd': 'errno EACCES',
    'init-mem-cwd': 'errno EACCES',
    'init-environ-cwd': 'errno EACCES',
    'init-vm-read': filtered,
    'init-ptrace': filtered,
    'init-pidfd-getfd': filtered,
    // The kernel drops signals from inside the namespace to its init: it goes on sleeping.
    'init-sigkill': 'ok',
    'init-sigstop': 'ok',
    'init-state': 'ok S',
  };
}

/** The pid the workload must not be able to name: the agent, or (standalone) a node process outside the run. */
function outsidePid(suite: AttackSuite, mode: Mode): string {
  return String(mode === 'agent' ? suite.agent().pid : process.pid);
}

attackSuite('attack: the node processes and outliving the agent (PID namespace)', (suite) => {
  it.each(matrix())('%s (%s): sees only its own processes and cannot reach the init', async (profile, mode) => {
    const run = await suite.run({
      profile,
      mode,
      program: 'pidns',
      args: ['look'],
      env: { ZVIZ_ATTACK_AGENT_PID: outsidePid(suite, mode) },
    });
    const want = expectedLook(profile);
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    expect(run.code).toBe(0);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(MODES)('--pid host (%s) gives that up: the node and the agent can be named (not signalled)', async (mode) => {
    const run = await suite.run({
      profile: 'default',
      mode,
      program: 'pidns',
      args: ['look'],
      env: { ZVIZ_ATTACK_AGENT_PID: outsidePid(suite, mode) },
      zvizArgs: ['--pid', 'host'],
    });
    expect(outcomeOf(run, 'foreign-processes')).toMatch(/^ok [1-9]\d* /);
    // Named, but not signalled, not even with signal 0: the container's Landlock domain is scoped for
    // signals (EPERM, docs/security.md, "Landlock scopes"); before, the existence check answered 'ok'.
    expect(outcomeOf(run, 'agent-kill0')).toBe('errno EPERM');
    expect(outcomeOf(run, 'init-cmdline')).not.toContain(hex('zviz-init'));
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(MODES)('(%s) the init reaps orphans: no zombie piles up', async (mode) => {
    const run = await suite.run({ profile: 'default', mode, program: 'pidns', args: ['orphans'] });
    expect(outcomeOf(run, 'zombies')).toBe('ok 0');
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(MODES)("(%s) reports the workload's exit code and signal, not the init's", async (mode) => {
    const exited = await suite.run({ profile: 'default', mode, program: 'pidns', args: ['exit', '7'] });
    expect(exited.code).toBe(7);
    expect(exited.summary).toMatch(/exited with code 7 /);
    const killed = await suite.run({ profile: 'default', mode, program: 'pidns', args: ['signal', '10'] });
    expect(killed.code).toBe(128 + 10);
    expect(killed.summary).toMatch(/exited with code 138 /);
    await suite.expectContained(killed);
  });

  it.each(MODES)('(%s) forwards a signal through the init to the workload', async (mode) => {
    const run = await suite.run({
      profile: 'default',
      mode,
      program: 'pidns',
      args: ['wait'],
      whileRunning: async ({ zviz, scratch }) => {
        // The workload is up once it runs in the scratch tree.
        await waitFor('the workload to wait', async () => processesOf(scratch).length >= 2);
        await new Promise((r) => setTimeout(r, 200));
        zviz.kill('SIGTERM');
      },
    });
    expect(run.stdout).toContain('got SIGTERM');
    expect(run.code).toBe(0);
    await suite.expectContained(run);
  });

  /**
   * `pidns survive` resets its death signal, starts a heartbeat in a session
   * of its own, and the agent (standalone: `zviz run` itself) is killed with
   * SIGKILL. Resolves with how many beats came after the kill settled.
   */
  async function outliveTheAgent(profile: string, mode: Mode, zvizArgs: string[] = []) {
    const scratch = Scratch.create();
    const beat = join(scratch.workspace, 'beat');
    const beats = () => (existsSync(beat) ? readFileSync(beat, 'utf8').split('\n').length - 1 : 0);
    const agent = mode === 'agent' ? await AttackAgent.start() : undefined;
    try {
      const run = await suite.run({
        profile,
        mode,
        agent,
        scratch,
        program: 'pidns',
        args: ['survive'],
        env: { ZVIZ_BEAT: beat },
        zvizArgs,
        whileRunning: async ({ zviz }) => {
          await waitFor('the heartbeat', async () => beats() >= 3);
          if (agent) {
            agent.child.kill('SIGKILL');
          } else {
            zviz.kill('SIGKILL');
          }
        },
      });
      expect(run.timedOut).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      const settled = beats();
      await new Promise((r) => setTimeout(r, 600));
      const survivors = processesOf(scratch);
      survivors.forEach((pid) => {
        try {
          process.kill(pid, 'SIGKILL'); // this test's own workload, left behind
        } catch {
          // gone meanwhile
        }
      });
      return { run, scratch, after: beats() - settled, survivors };
    } finally {
      await agent?.stop();
    }
  }

  it.each(matrix())(
    '%s (%s): nothing outlives the agent, even with no death signal, setsid and a background process',
    async (profile, mode) => {
      const { after, survivors } = await outliveTheAgent(profile, mode);
      expect(survivors).toEqual([]);
      expect(after).toBe(0);
    }
  );

  // Through an agent of its own only: a standalone run's leftovers are killed
  // by the next `zviz run --standalone` on the node, which other test files
  // start at any moment.
  it('--pid host (agent) gives that up: the heartbeat outlives the agent', async () => {
    const { after, survivors } = await outliveTheAgent('default', 'agent', ['--pid', 'host']);
    expect(survivors.length).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
  });

  it('covers every built-in profile', () => {
    expect(PROFILES).toEqual(['ci-runner', 'default', 'observe', 'strict']);
  });
});
