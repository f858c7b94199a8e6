// A container start does not copy the agent (docs/security.md, "How a
// container starts"). A start used to make the container's first process
// with a clone3 that copied the agent's whole address space: the kernel
// write-protected every private page of the agent while it held the agent's
// mmap lock, and the agent then took a fault on the first write to each page
// (docs/benchmarks.md, "A thousand containers on one node"). The first
// process now shares the agent's memory only until it executes zviz-spawn,
// and the agent's pages stay writable. What shows it: the main thread's own
// minor faults (its /proc task's minflt) while it rewrites a buffer it had
// already written, before and after a start. After a copying start each of
// the buffer's 4 KiB pages faults again; after a sharing one, none does.
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { builtin, run, sandbox, type Sandbox } from './harness';

const PAGES = 8192; // 32 MiB
const PAGE = 4096;

/** Minor faults of this process's main thread (field 10 of its task's stat). */
function mainThreadFaults(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

/** Writes one byte in every page of `buffer` and returns the faults the main thread took meanwhile. */
function rewrite(buffer: Buffer, value: number): number {
  const before = mainThreadFaults();
  for (let i = 0; i < buffer.length; i += PAGE) {
    buffer[i] = value;
  }
  return mainThreadFaults() - before;
}

describeWhere([root, seccompUserNotif], 'a container start', () => {
  let box: Sandbox;
  afterAll(async () => {
    await box?.close();
  });

  it.each(['private', 'host'] as const)(
    "leaves the agent's pages writable (PID namespace %s): no fault when it writes them again",
    async (pid) => {
      box ??= sandbox('nocopy');
      const buffer = Buffer.allocUnsafeSlow(PAGES * PAGE);
      rewrite(buffer, 1); // faulted in
      const settled = rewrite(buffer, 2);
      const { end } = await run(box, { profile: builtin('default'), pid, command: ['/bin/true'] });
      expect(end.exitCode, JSON.stringify(end)).toBe(0);
      // A copying start would have write-protected all PAGES pages: each would fault now.
      const after = rewrite(buffer, 3);
      expect({ settled: settled < PAGES / 8, after: after < PAGES / 8 }, `faults: ${settled} then ${after}`).toEqual({
        settled: true,
        after: true,
      });
    }
  );
});
