// The sandbox harness's cgroup group is made only once a test uses it, and
// close() removes it: a file that calls sandbox() while vitest collects it and
// then skips every test (describe.skip, `-t`, `vitest list`: no afterAll runs)
// left an empty zviz-test-<tag>-<pid> group behind before.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { sandbox, trueSpec } from './harness';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Where a group of this name exists: the unified hierarchy's root and each v1 hierarchy's. */
function groupDirs(name: string): string[] {
  const top = [CGROUP_ROOT, ...readdirSync(CGROUP_ROOT).map((entry) => join(CGROUP_ROOT, entry))];
  return top.filter((dir) => {
    try {
      return readdirSync(dir).includes(name);
    } catch {
      return false;
    }
  });
}

describeWhere([root, seccompUserNotif], 'the sandbox harness', () => {
  it('makes its cgroup group at the first container, not when called, and removes it at close', async () => {
    const group = `zviz-test-lazy-${process.pid}`;
    const unused = sandbox('lazy');
    try {
      expect(groupDirs(group)).toEqual([]);
    } finally {
      await unused.close();
    }

    const box = sandbox('lazy');
    try {
      expect(groupDirs(group)).toEqual([]);
      const container = await box.manager.create(trueSpec('lazy', '/tmp', [0, 1, 2]));
      expect((await container.done).exitCode).toBe(0);
      expect(groupDirs(group).length).toBeGreaterThan(0);
    } finally {
      await box.close();
    }
    expect(groupDirs(group)).toEqual([]);
  });
});
