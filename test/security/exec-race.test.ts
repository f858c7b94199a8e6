// Attack class: the exec rule raced (attacks/exec-race.c). strict refuses
// programs from /tmp by the path the broker reads; the call it lets through
// is CONTINUEd, and the kernel reads the path from the workload's memory
// again. A thread rewrites that memory while a vfork child, which shares it,
// calls execve: the broker judges the workspace's program and the kernel runs
// the one in /tmp. docs/security.md states rules on exec as an observation
// (it cannot be otherwise: seccomp has no way to run a program the supervisor
// opened); this keeps the statement honest: should exec ever become a
// boundary, this test fails and the page must say so.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomeOf, outcomes } from './harness';

attackSuite('attack: the exec rule raced (an observation)', (suite) => {
  it.each(matrix())('%s (%s): the kernel runs what the broker did not judge', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'exec-race', timeoutMs: 60_000 });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ['honest-tmp', 'honest-ws', 'finished']), detail).toEqual({
      'honest-tmp': byProfile(profile, { strict: 'errno EACCES', 'ci-runner': 'ok', default: 'ok', observe: 'ok' }),
      'honest-ws': 'ok',
      finished: 'ok',
    });
    const race = /^tries=(\d+) tmp=(\d+) ws=(\d+) refused=(\d+) other=(\d+)$/.exec(outcomeOf(run, 'race'));
    expect(race, detail).not.toBeNull();
    const [tries, tmp, , refused] = race!.slice(1).map(Number);
    // The program in /tmp ran: the file it writes is on the host, one line a run.
    const ranFile = join(run.scratch.workspace, 'ran-from-tmp');
    expect(existsSync(ranFile), detail).toBe(true);
    // The honest run is the first line.
    expect(readFileSync(ranFile, 'utf8').split('\n').filter(Boolean).length, detail).toBe(
      tmp + (profile === 'strict' ? 0 : 1)
    );
    expect(tmp, `no exec from /tmp ran in ${tries} tries\n${detail}`).toBeGreaterThan(0);
    if (profile === 'strict') {
      // The rule saw the path in /tmp in some tries and refused them: the same program, the same rule.
      expect(refused, detail).toBeGreaterThan(0);
    } else {
      expect(refused, detail).toBe(0);
    }
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
