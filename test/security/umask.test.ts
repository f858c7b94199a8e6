// The umask of the files a workload creates (attacks/umask.c), where the
// broker makes them (strict, ci-runner: emulated creates) and where the kernel
// does (default, observe). The broker knows the umask from the umask(2)
// calls it sees instead of reading /proc/<tid>/status for every create
// (agent/native/src/broker/umask_tracker.h); every case where tasks' umasks
// come to differ is here: a child that sets its own, the parent after it, a
// child made while its parent had changed it, a thread sharing its process's
// umask and one with an fs_struct of its own, exec, the read-and-restore
// pattern of the BFD linker. Every mode must be the bare kernel's, from the
// same starting umask; the files are judged on the host too.
import { statSync } from 'node:fs';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes, type AttackRun } from './harness';

const CASES = [
  'start',
  'after-read',
  'after-read-again',
  'child-077',
  'parent-after-child',
  'child-after',
  'window-child',
  'window-parent',
  'child-after-window',
  'window-parent-again',
  'thread-077',
  'main-after-thread',
  'main-restored',
  'thread-own-027',
  'main-after-own-thread',
  'after-exec',
  'before-exec-parent',
  'end',
];

/** The modes the workload saw, checked against the files it left in the workspace. */
function modesOf(run: AttackRun, workspace: string): Record<string, string> {
  const got = outcomes(run, CASES);
  for (const name of CASES) {
    const match = /^mode=([0-7]{3})$/.exec(got[name]);
    if (match) {
      // The workload's fstat is a claim; the file on the host is the proof.
      const onHost = (statSync(join(workspace, `umask-${name}`)).mode & 0o777).toString(8).padStart(3, '0');
      expect(onHost, `${name} on the host`).toBe(match[1]);
    }
  }
  return got;
}

/** zviz run started with `mask` as its umask (standalone: the workload starts with zviz run's). */
const withUmask = (mask: string) => (argv: string[]) => ['/bin/sh', '-c', `umask ${mask}; exec "$@"`, 'sh', ...argv];

attackSuite('umask: the modes of created files, emulated or not', (suite) => {
  let bare: Record<string, string> = {};

  it('the bare kernel gives the reference', () => {
    const run = suite.runBare('umask');
    bare = outcomes({ results: run.results } as never, CASES);
    expect(bare['child-077'], run.stdout).toBe('mode=600');
    expect(bare['main-after-thread'], run.stdout).toBe('mode=600');
    expect(bare['window-child'], run.stdout).toBe('mode=666');
    expect(bare['after-exec'], run.stdout).toBe('mode=640');
    expect(bare['thread-own-027'], run.stdout).toBe('mode=640');
  });

  it.each(matrix())('%s (%s): every mode is the kernel’s', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'umask' });
    expect(modesOf(run, run.scratch.workspace), `${run.stdout}\n${run.stderr}`).toEqual(bare);
    await suite.expectContained(run, { outsideUnchanged: true });
  });

  it.each(['strict', 'ci-runner'])('%s: from a starting umask of 077, and with --pid host', async (profile) => {
    const tight = await suite.run({ profile, mode: 'standalone', program: 'umask', wrap: withUmask('077') });
    const got = modesOf(tight, tight.scratch.workspace);
    expect(outcomes(tight, ['start']).start, tight.stdout).toBe('mode=600');
    expect(got['window-child'], tight.stdout).toBe('mode=666');
    expect(got['end'], tight.stdout).toBe('mode=600');
    await suite.expectContained(tight, { outsideUnchanged: true });
    const host = await suite.run({ profile, mode: 'standalone', program: 'umask', zvizArgs: ['--pid', 'host'] });
    expect(modesOf(host, host.scratch.workspace), host.stdout).toEqual(bare);
    await suite.expectContained(host, { outsideUnchanged: true });
  });
});
