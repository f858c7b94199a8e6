// The host's cgroup file systems a container's host view mounts again from
// its cgroup namespace, or masks (native/src/broker/host_cgroup_mounts.h), are
// read from the agent's mountinfo once and again only when the kernel says
// its mount table changed. A hierarchy mounted between two starts must be in
// the second start's plan: a stale list would leave it in the view as the
// node's, where the workload lists every group in it (a neighbour's).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif, type Requirement } from '@zviz/test-support/requirements';
import { builtin, run, sandbox, type Sandbox } from './harness';

const NAME = `zviz-mounts-cache-${process.pid}`;
const POINT = `/sys/fs/cgroup/${NAME}`;

/** A named cgroup v1 hierarchy can be mounted where the hybrid layout's tmpfs holds the hierarchies. */
const namedV1: Requirement = () => {
  const tmpfs = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === '/sys/fs/cgroup' && line.split(' - ')[1]?.startsWith('tmpfs '));
  if (!tmpfs) {
    return '/sys/fs/cgroup is not a tmpfs (a pure v2 node has no room for another hierarchy)';
  }
  return readFileSync('/proc/filesystems', 'utf8').includes('\tcgroup\n') ? undefined : 'no cgroup v1 in this kernel';
};

const mounted = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${POINT} `);

/** Every process sits in each hierarchy's root, so /proc/self/cgroup lists a hierarchy as long as the kernel keeps it. */
const hierarchyExists = (): boolean =>
  readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .some((line) => line.split(':')[1] === `name=${NAME}`);

async function hierarchyGone(): Promise<boolean> {
  for (let waited = 0; waited < 3000; waited += 100) {
    if (!hierarchyExists()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Unmounting a v1 hierarchy destroys it only if its root has no child group
 * at that moment, and a group removed just before is released later: the
 * hierarchy then stays in the kernel, unmounted and unreachable, one per run.
 * So after unmounting, wait for it to go, and if it stays, mount it again (by
 * name, which finds the same one) and unmount it once more.
 */
async function removeHierarchy(): Promise<void> {
  const attempts = 3;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) {
      mkdirSync(POINT, { recursive: true });
      execFileSync('mount', ['-t', 'cgroup', '-o', `none,name=${NAME}`, 'cgroup', POINT]);
    }
    if (existsSync(`${POINT}/neighbour`)) {
      rmdirSync(`${POINT}/neighbour`);
    }
    if (mounted()) {
      execFileSync('umount', [POINT]);
    }
    if (existsSync(POINT)) {
      rmdirSync(POINT);
    }
    if (await hierarchyGone()) {
      return;
    }
  }
  throw new Error(
    `the cgroup hierarchy name=${NAME} is still in the kernel (/proc/self/cgroup) after ${attempts} unmounts`
  );
}

describeWhere([root, seccompUserNotif, namedV1], 'the cgroup mounts a start plans', () => {
  let box: Sandbox;
  afterAll(async () => {
    await box?.close();
    await removeHierarchy();
  });

  it('include a hierarchy mounted after the previous start: the view masks it', async () => {
    box = sandbox('mountscache');
    const list = ['/bin/sh', '-c', `ls ${POINT} 2>&1; echo end`];
    const before = await run(box, { profile: builtin('default'), command: list });
    expect(before.stdout, before.stderr).toContain('No such file or directory');

    mkdirSync(POINT);
    execFileSync('mount', ['-t', 'cgroup', '-o', `none,name=${NAME}`, 'cgroup', POINT]);
    mkdirSync(`${POINT}/neighbour`); // another container's group, as the node sees it
    const after = await run(box, { profile: builtin('default'), command: list });
    expect(after.end.exitCode, after.stderr).toBe(0);
    // The container has no group in this hierarchy: masked (an empty directory), never the node's.
    expect(after.stdout).not.toContain('neighbour');
    expect(after.stdout.trim()).toBe('end');
  });
});
