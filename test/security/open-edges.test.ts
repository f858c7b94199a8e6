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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { attackSuite, MODES, matrix, outcomeOf, REPO } from './harness';

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
      // Every built-in profile leaves reads (O_PATH among them) to the kernel: ci-runner's rules allow
      // every read, strict's view decides them as its rules would (docs/security.md, "Emulated opens").
      // O_PATH opens decided by path (EOPNOTSUPP) are tried below, under strict with brokered reads.
      for (const round of ['dumpable', 'undumpable']) {
        expect(get(`${round}-opath-allowed`), detail).toBe('ok');
        if (profile === 'strict') {
          expect(get(`${round}-opath-secret`), detail).toBe('errno ENOENT'); // not in its view
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
      // Counted truthfully: nothing is refused.
      expect(/refused: (.*)$/m.exec(run.stderr)?.[1], detail).toBeUndefined();
      await suite.expectContained(run, { outsideUnchanged: true, secretKept: profile === 'strict' });
    }
  );

  // strict with its read rule narrowed to the /etc files the program reads: its view then shows
  // reads its rules refuse, so its filter notifies every read and the broker emulates them.
  const dir = mkdtempSync(join(tmpdir(), 'zviz-oe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const brokeredReads = join(dir, 'strict-brokered-reads.json');
  const strict = JSON.parse(readFileSync(join(REPO, 'agent', 'profiles', 'strict.json'), 'utf8')) as {
    zviz: { broker: Array<{ access?: string; paths?: string[] }> };
  };
  const reads = strict.zviz.broker.find((rule) => rule.access === 'read')!;
  reads.paths = reads.paths!.flatMap((path) => (path === '/etc' ? ['/etc/hostname', '/etc/ld.so.cache'] : [path]));
  writeFileSync(brokeredReads, JSON.stringify(strict));

  it.each(MODES)('strict with brokered reads (%s): O_PATH opens decided by path answer EOPNOTSUPP', async (mode) => {
    const run = await suite.run({ profile: brokeredReads, mode, program: 'open-edges' });
    const detail = `${run.stdout}\n${run.stderr}`;
    const get = (key: string) => outcomeOf(run, key);
    expect(get('finished'), detail).toBe('ok');
    for (const round of ['dumpable', 'undumpable']) {
      expect(get(`${round}-opath-allowed`), detail).toBe('errno EOPNOTSUPP');
      expect(get(`${round}-opath-secret`), detail).toBe('errno EACCES');
      expect(get(`${round}-hostname`), detail).toBe(`line ${readFileSync('/etc/hostname', 'utf8').split('\n')[0]}`);
      expect(get(`${round}-self-status`), detail).toBe('line Name:\topen-edges');
      expect(get(`${round}-dev-fd`), detail).toBe('ok');
      expect(get(`${round}-through-dev-fd`), detail).toBe('same');
      expect(get(`${round}-self-mem`), detail).toBe('ok');
      expect(get(`${round}-self-mem-read`), detail).toBe('same');
    }
    // Counted truthfully: the only refusals are the four O_PATH opens.
    expect(/refused: (.*)$/m.exec(run.stderr)?.[1], detail).toBe('openat 4');
    await suite.expectContained(run, { outsideUnchanged: true, secretKept: true });
  });
});
