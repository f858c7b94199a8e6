// A host view's steps on links of the node are taken where the links lead
// (host-links.ts): a tree of the test's own stands for the node, with its
// /etc/resolv.conf a link into its /run, and its /var/run a link to /run on
// one node and a directory on another.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import type { FilesystemPlan } from '../native/broker-addon';
import { withLinksFollowed } from './host-links';

let node = '';

afterEach(() => {
  rmSync(node, { recursive: true, force: true });
});

/** A node's tree under a directory of the test's own: its /run, /etc and /var, /var/run a link or a directory. */
function makeNode(varRun: 'link' | 'directory'): string {
  node = mkdtempSync(join(tmpdir(), 'hl-'));
  mkdirSync(join(node, 'run/systemd/resolve'), { recursive: true });
  writeFileSync(join(node, 'run/systemd/resolve/stub-resolv.conf'), 'nameserver 127.0.0.53\n');
  mkdirSync(join(node, 'etc'));
  symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(node, 'etc/resolv.conf'));
  mkdirSync(join(node, 'var'));
  if (varRun === 'link') {
    symlinkSync(join(node, 'run'), join(node, 'var/run'));
  } else {
    mkdirSync(join(node, 'var/run'));
  }
  mkdirSync(join(node, 'ws'));
  return node;
}

/** ci-runner's steps, in the order compile.ts gives them, for the node under `root`. */
function ciRunnerPlan(root: string): FilesystemPlan {
  return {
    view: 'host',
    mounts: [
      { path: '/', kind: 'readOnly' },
      { path: `${root}/run`, kind: 'tmpfs' },
      { path: `${root}/etc/resolv.conf`, kind: 'readOnly' },
      { path: `${root}/var/run`, kind: 'tmpfs' },
      { path: `${root}/ws`, kind: 'writable' },
    ],
  };
}

describe('withLinksFollowed', () => {
  it("takes a step on a link into a tmpfs at the link's target, after the tmpfs; /var/run a link to /run is one tmpfs", () => {
    const root = makeNode('link');
    expect(withLinksFollowed(ciRunnerPlan(root), `${root}/ws`)?.mounts).toEqual([
      { path: '/', kind: 'readOnly' },
      { path: `${root}/run`, kind: 'tmpfs' },
      { path: `${root}/ws`, kind: 'writable' },
      { path: `${root}/run/systemd/resolve/stub-resolv.conf`, kind: 'readOnly' },
    ]);
  });

  it('keeps a /var/run that is a directory a tmpfs of its own', () => {
    const root = makeNode('directory');
    expect(withLinksFollowed(ciRunnerPlan(root), `${root}/ws`)?.mounts).toEqual([
      { path: '/', kind: 'readOnly' },
      { path: `${root}/run`, kind: 'tmpfs' },
      { path: `${root}/ws`, kind: 'writable' },
      { path: `${root}/var/run`, kind: 'tmpfs' },
      { path: `${root}/run/systemd/resolve/stub-resolv.conf`, kind: 'readOnly' },
    ]);
  });

  it('leaves a dangling link, /proc, the workspace, masks and the allow-list view as they are', () => {
    const root = makeNode('link');
    rmSync(join(root, 'run/systemd/resolve/stub-resolv.conf'));
    symlinkSync(join(root, 'run'), join(root, 'ws/run'));
    const plan: FilesystemPlan = {
      view: 'host',
      mounts: [
        { path: '/proc/self/fd', kind: 'readOnly' },
        { path: `${root}/etc/resolv.conf`, kind: 'readOnly' },
        { path: `${root}/ws/run`, kind: 'writable' },
        { path: `${root}/var/run`, kind: 'mask' },
      ],
    };
    expect(withLinksFollowed(plan, `${root}/ws`)).toBe(plan);
    const allowList: FilesystemPlan = { view: 'allow-list', mounts: [{ path: `${root}/var/run`, kind: 'readOnly' }] };
    expect(withLinksFollowed(allowList, `${root}/ws`)).toBe(allowList);
  });

  // Anyone who writes the node's /etc (root, a default or observe workload) points the link elsewhere.
  it.each([
    ['a socket', (root: string) => net(root, 'run/docker.sock')],
    ['a directory', (root: string) => `${root}/run/systemd`],
    ['a file only root reads', (root: string) => secretFile(root)],
  ])('leaves a step on a link to %s in what a tmpfs hides on the link: never bound into the tmpfs', (_, target) => {
    const root = makeNode('link');
    unlinkSync(join(root, 'etc/resolv.conf'));
    symlinkSync(target(root), join(root, 'etc/resolv.conf'));
    const mounts = withLinksFollowed(ciRunnerPlan(root), `${root}/ws`)?.mounts ?? [];
    expect(mounts.filter((m) => m.kind === 'readOnly').map((m) => m.path)).toEqual(['/', `${root}/etc/resolv.conf`]);
  });

  it('follows a link to a file others may read into a tmpfs (the resolver file, any name)', () => {
    const root = makeNode('link');
    writeFileSync(join(root, 'run/other.conf'), 'nameserver 10.0.0.1\n');
    chmodSync(join(root, 'run/other.conf'), 0o644);
    unlinkSync(join(root, 'etc/resolv.conf'));
    symlinkSync(join(root, 'run/other.conf'), join(root, 'etc/resolv.conf'));
    const mounts = withLinksFollowed(ciRunnerPlan(root), `${root}/ws`)?.mounts ?? [];
    expect(mounts.filter((m) => m.kind === 'readOnly').map((m) => m.path)).toEqual(['/', `${root}/run/other.conf`]);
  });
});

/** A listening unix socket at `rel` of the node's tree (bound, so it exists as a socket), its path. */
function net(root: string, rel: string): string {
  const path = join(root, rel);
  const done = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(process.argv[1], () => process.exit(0))`,
    path,
  ]);
  expect(done.status).toBe(0);
  return path;
}

/** A file of the node's /run that only root may read (a service's secret), its path. */
function secretFile(root: string): string {
  const path = join(root, 'run/secret');
  writeFileSync(path, 'token\n', { mode: 0o600 });
  return path;
}
