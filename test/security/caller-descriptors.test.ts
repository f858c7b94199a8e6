// Attack class: what the caller of `zviz run` hands the workload, reopened
// or walked from (attacks/reopen-caller.c; docs/security.md, "Emulated
// opens"). The caller appends the workload's stderr to a file of the host
// that already holds a marker (`zviz run ... 2>>FILE`) and gives it a
// directory of the host holding the secret as stdin (`zviz run ... <DIR`).
// Both live outside the allow-list view of strict. The workload reopens its
// stderr for reading through /proc/self/fd/2, /proc/<pid>/fd/2, /dev/stderr
// and a /proc/self/fd directory, and opens the secret relative to its
// stdin. A kernel open follows the magic link to the object itself,
// wherever it lives: these opens must be judged by where the object is,
// not by the path the workload wrote. Judged by content: neither the
// marker nor the secret reaches the workload's output.
//
// Only strict: under the host views (ci-runner, default, observe) these
// files are in the workload's view anyway, and their permissions decide.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, callerStdio, MODES, outcomes, Scratch } from './harness';

const ATTEMPTS = [
  'stderr-proc-self',
  'stderr-dev',
  'stderr-proc-pid',
  'stderr-fd-dir',
  'stdin-dir-reopen',
  'stdin-dir-secret',
  'stdin-dir-parent',
];

attackSuite("the caller's descriptors, reopened or walked from outside the view", (suite) => {
  it.each(MODES)(
    'strict (%s): a reopen of stderr does not read the host file, stdin does not open the secret',
    async (mode) => {
      const marker = `ZVIZ-EARLIER-${randomBytes(12).toString('hex')}`;
      const scratch = Scratch.create({ 'caller.log': `${marker}\n` });
      const log = join(scratch.outside, 'caller.log');
      const run = await suite.run({
        profile: 'strict',
        mode,
        program: 'reopen-caller',
        scratch,
        wrap: callerStdio(log, scratch.outside),
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(run.stdout, detail).not.toContain(Buffer.from(marker).toString('hex'));
      expect(scratch.secretFoundIn(run.stdout), detail).toEqual([]);
      expect(outcomes(run, ATTEMPTS), detail).toEqual({
        'stderr-proc-self': 'errno EACCES',
        'stderr-dev': 'errno EACCES',
        'stderr-proc-pid': 'errno EACCES',
        'stderr-fd-dir': 'errno EACCES',
        // A directory on stdin is /dev/null of the view by the time the workload runs
        // (caller-writes.test.ts): its reopen reads nothing, nothing is relative to it.
        'stdin-dir-reopen': 'ok',
        'stdin-dir-secret': 'errno ENOTDIR',
        'stdin-dir-parent': 'errno ENOTDIR',
      });
      // zviz run saw the run to its end: its summary line is in the caller's file.
      expect(readFileSync(log, 'utf8'), detail).toMatch(/^zviz: \S+ \(strict\) exited with code 0/m);
      expect(await suite.agent().notAlive()).toBeUndefined();
    }
  );
});
