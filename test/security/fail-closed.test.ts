// Attack class: the supervisor killed while the workload runs brokered
// syscalls in a loop (attacks/loop.c). Killing the agent (or
// `zviz run --standalone`, which is the supervisor there) with SIGKILL must
// fail closed: no brokered call succeeds that the profile refuses, nothing
// is created outside, the secret is never read where the profile refuses
// it, and the workload's first process dies with its supervisor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, matrix, processesOf } from './harness';

/** What each kind of call may answer, before and after the supervisor dies (ENOSYS once the listener is gone). */
function allowed(profile: string): Record<string, string[]> {
  return byProfile(profile, {
    strict: {
      workspace: ['ok', 'ENOSYS'],
      // Its reads are the kernel's: the secret is not in its view, supervisor or none.
      secret: ['ENOENT'],
      outside: ['EACCES', 'ENOSYS'],
      acct: ['ENOSYS'],
    },
    'ci-runner': { workspace: ['ok', 'ENOSYS'], secret: ['read'], outside: ['EACCES', 'ENOSYS'], acct: ['ENOSYS'] },
    default: { workspace: ['ok'], secret: ['read'], outside: ['ok'], acct: ['ENOSYS'] },
    observe: { workspace: ['ok', 'ENOSYS'], secret: ['read', 'ENOSYS'], outside: ['ok', 'ENOSYS'], acct: ['EPERM'] },
  });
}

attackSuite('attack: the supervisor killed during a loop of brokered syscalls', (suite) => {
  it.each(matrix())('%s (%s): fails closed', async (profile, mode) => {
    const killedAt: number[] = [];
    const run = await suite
      .run({
        profile,
        mode,
        program: 'loop',
        timeoutMs: 60_000,
        whileRunning: async ({ zviz, scratch }) => {
          const witness = join(scratch.workspace, 'witness');
          const lines = () => {
            try {
              return readFileSync(witness, 'utf8').split('\n').filter(Boolean);
            } catch {
              return [];
            }
          };
          await waitFor('the loop to run', async () => lines().length >= 50);
          if (mode === 'agent') {
            const agent = suite.agent();
            const exited = new Promise((resolve) => agent.child.once('exit', resolve));
            agent.child.kill('SIGKILL');
            await exited;
          } else {
            zviz.kill('SIGKILL');
          }
          killedAt.push(lines().length);
          // The first process dies with its supervisor (PR_SET_PDEATHSIG).
          await waitFor('the workload to die with its supervisor', async () => processesOf(scratch).length === 0, {
            timeoutMs: 10_000,
          });
        },
      })
      .finally(async () => {
        // A new agent takes over for the next test.
        if (mode === 'agent') {
          await suite.restartAgent();
        }
      });
    expect(killedAt).toHaveLength(1);
    const witness = readFileSync(join(run.scratch.workspace, 'witness'), 'utf8').split('\n').filter(Boolean);
    const want = allowed(profile);
    const seen: Record<string, Set<string>> = {
      workspace: new Set(),
      secret: new Set(),
      outside: new Set(),
      acct: new Set(),
    };
    for (const line of witness) {
      const words = line.split(' ');
      for (let i = 0; i + 1 < words.length; i += 2) {
        seen[words[i]].add(words[i + 1]);
      }
    }
    for (const [call, outcomes] of Object.entries(seen)) {
      expect({ call, outcomes: [...outcomes].filter((o) => !want[call].includes(o)) }, witness.join('\n')).toEqual({
        call,
        outcomes: [],
      });
    }
    const writeBoundary = profile === 'strict' || profile === 'ci-runner';
    if (writeBoundary) {
      expect(run.scratch.changedOutside()).toEqual([]);
    }
    if (profile === 'strict') {
      expect(run.scratch.secretFoundIn(run.stdout + run.stderr)).toEqual([]);
    }
    expect(processesOf(run.scratch)).toEqual([]);
    if (mode === 'agent') {
      // zviz run says that its agent went away.
      expect(run.code).toBe(125);
    }
  });
});
