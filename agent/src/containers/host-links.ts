// A host view's steps by the paths they land on. mount(2) follows symbolic
// links, so a profile's step on a link was always made on the file or
// directory the link names; but the plan orders its steps, and marks what a
// private tmpfs hides, by the path as written. `/etc/resolv.conf` is a link
// into /run on a node with systemd-resolved (resolvconf and NetworkManager
// do the same), and with /run a tmpfs of the job's own (ci-runner) a
// read-only step on the link was made after the tmpfs had hidden its target:
// DNS was gone. `/var/run` is a link to /run on current distributions and a
// directory on old ones. Each such step is taken here as the path the node's
// links lead to at this start, so that the file is held before the tmpfs
// covers it and bound into it, and a second tmpfs on the same directory is
// not made (docs/profiles.md, `filesystem`).
import { lstatSync, realpathSync } from 'node:fs';

import type { FilesystemPlan, MountStep } from '../native/broker-addon';
import { within } from './path-within';

/** Where a step's path leads on the node, or the path itself when it leads nowhere it could be followed to. */
function landing(path: string): string {
  if (within(path, '/proc')) {
    return path; // the container's /proc is its own: /proc/self here would be the agent
  }
  let real: string;
  try {
    real = realpathSync.native(path);
  } catch {
    return path; // missing (or a dangling link): the step is skipped as before
  }
  return within(real, '/proc') ? path : real;
}

/**
 * Whether a step may be bound where a node's link leads when that lies in
 * what the profile hides with a tmpfs (ci-runner's /run). The node's links
 * are anyone's who can write the node's /etc: root, and a `default` or
 * `observe` workload, whose writes land on the node. `/etc/resolv.conf` made
 * a link to `/run/docker.sock` put Docker's socket into every later
 * ci-runner job's own /run, and a link to a directory or to a root-only
 * file would bring the rest of the node's /run (its service sockets, its
 * secrets). Only what every user of the node may read is followed there: a
 * regular file readable by others, as every resolver file is
 * (test/security/resolver-links.test.ts). Otherwise the step stays on the
 * link, which the tmpfs leaves dangling: skipped, as before links were
 * followed.
 */
function mayLandHidden(real: string): boolean {
  try {
    const st = lstatSync(real);
    return st.isFile() && (st.mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

/**
 * `plan` (a host view's, as compiled) with each read-only, writable and tmpfs
 * step that is, or lies under, a symbolic link of the node taken at the path
 * it leads to; parents still before what lies inside them, each path once.
 * The workspace and what lies in it are left as they are: its own check
 * refuses links on its way (workdir-links.ts).
 */
export function withLinksFollowed(plan: FilesystemPlan | undefined, cwd: string): FilesystemPlan | undefined {
  if (!plan || plan.view !== 'host') {
    return plan;
  }
  let changed = false;
  const steps: MountStep[] = [];
  const seen = new Set<string>();
  const hidden = plan.mounts.filter((m) => m.kind === 'tmpfs').map((m) => landing(m.path));
  for (const step of plan.mounts) {
    const own = step.kind === 'readOnly' || step.kind === 'writable' || step.kind === 'tmpfs';
    let path = own && !within(step.path, cwd) ? landing(step.path) : step.path;
    if (
      step.kind !== 'tmpfs' &&
      path !== step.path &&
      hidden.some((dir) => within(path, dir)) &&
      !mayLandHidden(path)
    ) {
      path = step.path;
    }
    changed ||= path !== step.path;
    const key = `${step.kind} ${path}`;
    if (seen.has(key)) {
      changed = true;
      continue; // /var/run and /run: one tmpfs
    }
    seen.add(key);
    steps.push(path === step.path ? step : { ...step, path });
  }
  if (!changed) {
    return plan;
  }
  const depth = (path: string) => (path === '/' ? 0 : path.split('/').length - 1);
  const ordered = steps.map((step, index) => ({ step, index }));
  ordered.sort((a, b) => depth(a.step.path) - depth(b.step.path) || a.index - b.index);
  return { ...plan, mounts: ordered.map((o) => o.step) };
}
