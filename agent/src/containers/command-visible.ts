// The program a container starts must be there to start. A profile's tmpfs
// (ci-runner's private /tmp) hides what the host has at that path, so
// `zviz run -- /tmp/build/tool` from another working directory found nothing
// to execute (exit 127). The directory of the command is added to the view
// read-only, above the tmpfs; the working directory is already kept visible
// by the profile, and the allow-list view shows only what the profile names.
import { dirname, isAbsolute } from 'node:path';

import type { FilesystemPlan } from '../native/broker-addon';
import { within } from './path-within';

/** `plan` with the command's directory read-only when a tmpfs of a host view would hide it. */
export function withCommandVisible(
  plan: FilesystemPlan | undefined,
  file: string,
  cwd: string
): FilesystemPlan | undefined {
  if (!plan || plan.view !== 'host' || !isAbsolute(file) || within(file, cwd)) {
    return plan;
  }
  const dir = dirname(file);
  const tmpfs = plan.mounts.filter((m) => m.kind === 'tmpfs' && within(dir, m.path));
  if (tmpfs.length === 0) {
    return plan;
  }
  // Already shown by a step inside the tmpfs (the workspace, a profile path).
  const shown = plan.mounts.some(
    (m) =>
      m.kind !== 'tmpfs' &&
      m.kind !== 'mask' &&
      within(dir, m.path) &&
      tmpfs.some((t) => m.path !== t.path && within(m.path, t.path))
  );
  if (shown) {
    return plan;
  }
  // Parents first, as the profile's steps are: a deeper step (the workspace) is mounted after it.
  const depth = (path: string) => path.split('/').length;
  const at = plan.mounts.findIndex((m) => m.kind === 'mask' || depth(m.path) > depth(dir));
  const mounts = [...plan.mounts];
  mounts.splice(at < 0 ? mounts.length : at, 0, { path: dir, kind: 'readOnly' });
  return { ...plan, mounts };
}
