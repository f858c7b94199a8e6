// Attack class: a workload's own Landlock sandbox (attacks/landlock.c;
// docs/security.md, "Emulated opens"). The kernel checks Landlock in the task
// that opens; an open the broker emulates is made by the broker, outside the
// workload's domain. A workload that sandboxes itself (or a plugin it runs)
// must find that sandbox holding, or be told Landlock is not there: where
// the broker emulates opens (strict: reads and writes; ci-runner: writes),
// every filter answers Landlock's calls EOPNOTSUPP, as a kernel booted
// without Landlock does, and elsewhere the kernel's Landlock holds.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const ATTEMPTS = ['read-hostname', 'create-ws', 'write-ws', 'child-create-ws'];

attackSuite("attack: the workload's own Landlock sandbox", (suite) => {
  it('the bare kernel refuses every attempt once the program restricted itself', () => {
    const bare = suite.runBare('landlock');
    expect(bare.results.get('landlock'), bare.stdout).toBe('ok');
    for (const attempt of ATTEMPTS) {
      expect(bare.results.get(attempt), attempt).toBe('errno EACCES');
    }
  });

  it.each(matrix())('%s (%s): Landlock holds, or says it is not there', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'landlock' });
    const detail = `${run.stdout}\n${run.stderr}`;
    const got = outcomes(run, ['landlock', 'finished', ...ATTEMPTS]);
    expect(got.finished, detail).toBe('ok');
    const emulated = byProfile(profile, { strict: true, 'ci-runner': true, default: false, observe: false });
    expect(got.landlock, detail).toBe(emulated ? 'errno EOPNOTSUPP' : 'ok');
    if (emulated) {
      // No sandbox, and the program knows it: the profile's own answers.
      const hostname = `read ${readFileSync('/etc/hostname').subarray(0, 256).toString('hex')}`;
      expect(got['read-hostname'], detail).toBe(hostname);
      expect(got['create-ws'], detail).toBe('ok');
      expect(got['write-ws'], detail).toBe('ok');
      expect(readFileSync(join(run.scratch.workspace, 'existing'), 'utf8'), detail).toBe('written\n');
    } else {
      for (const attempt of ATTEMPTS) {
        expect(got[attempt], `${attempt}\n${detail}`).toBe('errno EACCES');
      }
      expect(existsSync(join(run.scratch.workspace, 'landlocked-new')), detail).toBe(false);
      expect(existsSync(join(run.scratch.workspace, 'landlocked-child')), detail).toBe(false);
      expect(readFileSync(join(run.scratch.workspace, 'existing'), 'utf8'), detail).toBe('');
    }
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
