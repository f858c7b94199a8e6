// The edges of emulated opens (attacks/open-edges.c; docs/security.md,
// "Emulated opens"):
// - O_PATH opens decided by path answer EOPNOTSUPP (SECCOMP_IOCTL_NOTIF_ADDFD
//   cannot install an O_PATH file), or the rule's refusal; never a descriptor;
// - a workload that made itself non-dumpable (PR_SET_DUMPABLE 0 closes its
//   memory and /proc links to every other process) is served like any other:
//   its reads, creates, /dev/fd/N and /proc/self/mem work, counted as
//   emulations, not refusals.
// Checked by content: the host's file the workload read, the file it wrote,
// its own memory read back through /proc/self/mem, the decision counts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomeOf } from './harness';

attackSuite('emulated opens: O_PATH and non-dumpable workloads', (suite) => {
  it.each(matrix())(
    '%s (%s): O_PATH has a documented answer, a non-dumpable workload is served',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'open-edges' });
      const detail = `${run.stdout}\n${run.stderr}`;
      const get = (key: string) => outcomeOf(run, key);
      expect(get('finished'), detail).toBe('ok');
      expect(get('dumpable-now'), detail).toBe('0');
      const hostname = readFileSync('/etc/hostname', 'utf8').split('\n')[0];
      // strict decides opens by path (emulated); the others by flags, in the kernel.
      const emulated = byProfile(profile, { strict: true, 'ci-runner': false, default: false, observe: false });
      for (const round of ['dumpable', 'undumpable']) {
        expect(get(`${round}-opath-allowed`), detail).toBe(emulated ? 'errno EOPNOTSUPP' : 'ok');
        if (emulated) {
          expect(get(`${round}-opath-secret`), detail).toBe('errno EACCES');
        }
        expect(get(`${round}-hostname`), detail).toBe(`line ${hostname}`);
        expect(get(`${round}-self-status`), detail).toBe('line Name:\topen-edges');
        expect(get(`${round}-create`), detail).toBe('ok');
        expect(readFileSync(join(run.scratch.workspace, `written-${round}`), 'utf8')).toBe(round);
        expect(get(`${round}-dev-fd`), detail).toBe('ok');
        expect(get(`${round}-through-dev-fd`), detail).toBe('same');
        expect(get(`${round}-self-mem`), detail).toBe('ok');
        expect(get(`${round}-self-mem-read`), detail).toBe('same');
      }
      // Counted truthfully: the only refusals are strict's four O_PATH opens.
      expect(/refused: (.*)$/m.exec(run.stderr)?.[1], detail).toBe(emulated ? 'openat 4' : undefined);
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: profile === 'strict' });
    }
  );
});
