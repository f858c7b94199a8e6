// Attack class: a writable cgroup hierarchy of the workload's own
// (attacks/cgroup-nest.c). Under a profile that allows user namespaces
// (observe), the workload made one mapping the node's uid 0, then a cgroup
// namespace, mounted the hierarchies again there, writable and rooted at its
// container's cgroup, and then: raised its own pids limit (v1 pids.max to
// "max": 200 forks under --pids 64), and moved itself into a cgroup it made
// below its container's, where the tracer, which matches cgroups exactly,
// did not see it, and which made the container's cgroup impossible to remove
// (EBUSY): after it, every `zviz run --standalone` on the node failed with
// exit 125 on that leftover, and an agent's start would have. Every filter
// now refuses unshare and clone with CLONE_NEWCGROUP (EPERM,
// syscall-families.ts), and the agent removes cgroups below a container's
// before it (driver.ts; agent/src/cgroups/driver.test.ts). What is asserted
// here is what happened: how many processes the workload got under its pids
// limit, which cgroup it ended in, and that nothing is left in the node's
// cgroup hierarchies afterwards.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { cgroupMountPoints } from '@zviz/test-support/cgroups';
import { attackSuite, byProfile, matrix, outcomeOf, outcomes, type AttackRun, type AttackSuite } from './harness';

const PIDS = 64;
/** Standalone runs' cgroup group (agent/src/broker/standalone.ts). */
const STANDALONE_GROUP = 'zviz-run';

const REFUSED_BY_FILTER = { userns: 'errno ENOSYS' };
const OBSERVE = {
  userns: 'ok',
  setgroups: 'ok',
  'uid-map': 'ok',
  'gid-map': 'ok',
  // The filter (it was ok, and the rest below followed).
  'clone-cgroupns': 'errno EPERM',
  cgroupns: 'errno EPERM',
  // Without a cgroup namespace of its own, its capabilities do not reach the container's (the
  // node's): no new cgroup mount, and the view's mount stays read-only.
  mountns: 'ok',
  'mount-cgroup2': 'errno EPERM',
  'mount-v1-pids': 'errno EPERM',
  'mount-v1-cpu': 'errno EPERM',
  'remount-rw': 'errno EPERM',
  'view-mkdir-child': 'errno EROFS',
  'view-move-out': 'errno ENOENT',
};

/** Every directory of the node's cgroup hierarchies under `group` named `name`. */
function cgroupDirsNamed(group: string, name: string): string[] {
  const mounts = cgroupMountPoints();
  const found: string[] = [];
  const stack = mounts.map((mount) => join(mount, group)).filter((dir) => existsSync(dir));
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        const path = join(dir, entry.name);
        if (entry.name === name) {
          found.push(path);
        }
        stack.push(path);
      }
    }
  }
  return found;
}

function groupOf(suite: AttackSuite, run: AttackRun): string {
  return run.mode === 'agent' ? suite.agent().group : STANDALONE_GROUP;
}

attackSuite('attack: a writable cgroup hierarchy of the workload', (suite) => {
  it.each(matrix())(
    '%s (%s): no cgroup namespace of its own, its pids limit holds and nothing is left behind',
    async (profile, mode) => {
      const run = await suite.run({ profile, mode, program: 'cgroup-nest', pids: PIDS });
      const table = byProfile<Record<string, string>>(profile, {
        strict: REFUSED_BY_FILTER,
        'ci-runner': REFUSED_BY_FILTER,
        default: REFUSED_BY_FILTER,
        observe: OBSERVE,
      });
      expect(outcomes(run, Object.keys(table)), run.stdout).toEqual(table);
      for (const step of ['mkdir-child', 'move-out', 'raise-v1-pids', 'raise-v1-cpu', 'raise-v2-pids']) {
        expect(run.results.has(step), `${step} was reached:\n${run.stdout}`).toBe(false);
      }
      // The container's init and the first process count too: at most PIDS - 2 more.
      const forks = /^forked=(\d+) errno (\w+)$/.exec(outcomeOf(run, 'forks'));
      expect(forks, run.stdout).not.toBeNull();
      expect(forks![2]).toBe('EAGAIN');
      expect(Number(forks![1])).toBeLessThanOrEqual(PIDS - 2);
      // Still in its container's cgroup, the root of its cgroup namespace.
      expect(outcomeOf(run, 'cgroup')).toBe('/');
      expect(run.code).toBe(0);
      await suite.expectContained(run, { outsideUnchanged: true });
      // The container's cgroup is gone, with nothing below it.
      const group = groupOf(suite, run);
      await waitFor(
        `the container's cgroup ${run.containerId} removed`,
        async () => cgroupDirsNamed(group, run.containerId!).length === 0,
        { timeoutMs: 10_000 }
      );
      expect(cgroupDirsNamed(group, 'zr-hide')).toEqual([]);
    }
  );
});
