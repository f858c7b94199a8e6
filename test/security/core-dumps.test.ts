// Attack class: core dumps (attacks/core.c). A workload that moves to a
// directory outside its workspace (chdir is not brokered) and crashes with
// RLIMIT_CORE unlimited makes the kernel write a core file there (this
// host's core_pattern is "core"). The kernel writes it with the process's
// own mounts (on a host whose core_pattern pipes cores to a helper or names
// an absolute path, only "nothing lands outside the workspace" is checked): under `ci-runner` and `strict` it is refused (no file, and the
// exit status says no core was dumped); `default` and `observe` make no
// file-system promise and the core lands.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomeOf, outcomes } from './harness';

attackSuite('attack: core dumps outside the workspace', (suite) => {
  it.each(matrix())('%s (%s): a crash writes nothing outside the workspace', async (profile, mode) => {
    const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
    const inWorkingDirectory = !pattern.startsWith('|') && !pattern.includes('/');
    const run = await suite.run({ profile, mode, program: 'core' });
    const base = { 'rlimit-core': 'ok', dumpable: 'ok', 'chdir-outside': 'ok' };
    const want = byProfile(profile, {
      'ci-runner': { ...base, crash: 'ABRT' },
      // The outside directory is not in strict's allow-list view: the
      // workload stays in its workspace, where the core may land.
      strict: { ...base, 'chdir-outside': 'errno ENOENT', crash: 'ABRT core-dumped' },
      default: { ...base, crash: 'ABRT core-dumped' },
      observe: { ...base, crash: 'ABRT core-dumped' },
    });
    const writeBoundary = profile === 'ci-runner' || profile === 'strict';
    if (!inWorkingDirectory) {
      expect(outcomeOf(run, 'crash')).toMatch(/^ABRT/);
      await suite.expectContained(run, { outsideUnchanged: writeBoundary });
      return;
    }
    expect(outcomes(run, Object.keys(want))).toEqual(want);
    await suite.expectContained(run, { outsideUnchanged: writeBoundary });
    if (!writeBoundary) {
      expect(run.scratch.changedOutside().filter((c) => c.startsWith('+'))).toEqual(['+ outside/core']);
    }
  });
});
