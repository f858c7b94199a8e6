// Attack class: the memory under the broker's read of a path, changed by the
// workload while it opens (attacks/memory-churn.c): a page of a shared file
// mapping whose file was truncated under it (a read faults with SIGBUS in the
// workload; the broker's process_vm_readv must neither take that signal nor
// hang), a path that runs into such a page, a page switched between
// PROT_NONE and read-write, and a page dropped (MADV_DONTNEED) and written
// again, 20,000 opens each. Every open ends with the target file, the
// kernel's own errno for that memory (EFAULT; ENOENT or a directory for a
// path cut short by the dropped page), and nothing else; the broker, the
// agent and other containers go on. userfaultfd.test.ts has the page that is
// never filled.
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomes } from './harness';

attackSuite('attack: memory changing under the path read', (suite) => {
  it.each(matrix())('%s (%s): every open gets the file or the kernel errno', async (profile, mode) => {
    const run = await suite.run({ profile, mode, program: 'memory-churn', timeoutMs: 120_000 });
    const detail = `${run.stdout}\n${run.stderr}`;
    expect(outcomes(run, ['truncated-page', 'truncated-span', 'finished']), detail).toEqual({
      'truncated-page': 'errno EFAULT',
      'truncated-span': 'errno EFAULT',
      finished: 'ok',
    });
    const [rounds, file, efault, other] = run.results.get('prot-flip')!.split(' ').map(Number);
    expect(file + efault, detail).toBe(rounds);
    expect(other, detail).toBe(0);
    const [total, target, cut, dir, odd] = run.results.get('dontneed')!.split(' ').map(Number);
    expect(target + cut + dir, detail).toBe(total);
    expect(odd, detail).toBe(0);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});
