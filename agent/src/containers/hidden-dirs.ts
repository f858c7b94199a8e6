// Directories a workload must not see into, whatever its profile: the
// directory of the agent's control socket, through which a root client can
// start a container under any profile (docs/security.md, "The control
// socket"). Each is masked by an empty read-only tmpfs, the last step of the
// container's mount view, so no profile path re-exposes it. The agent also
// checks every peer of the socket; the mask means a workload cannot even
// name it.
import { isAbsolute, normalize } from 'node:path';

import type { FilesystemPlan } from '../native/broker-addon';
import { within } from './path-within';

/**
 * Directories a workload needs whole (/run holds the resolver's
 * resolv.conf on many hosts): a socket placed directly in one of them is not
 * masked (its peer check still holds); give the socket a directory of its own.
 */
const SHARED_DIRS = new Set(['/var/run', '/var/tmp', '/var/lib', '/usr/local']);

/**
 * `plan` with a mask step for each of `dirs` appended. A directory that
 * holds the workload's working directory is left alone (masking it would
 * hide the workspace; the control server's peer check still refuses the
 * workload), and so are top-level and shared system directories.
 */
export function withHiddenDirs(
  plan: FilesystemPlan | undefined,
  dirs: readonly string[],
  cwd: string
): FilesystemPlan | undefined {
  const masks = [...new Set(dirs.map((dir) => normalize(dir).replace(/(.)\/+$/, '$1')))].filter(
    (dir) => isAbsolute(dir) && dir.split('/').length > 2 && !SHARED_DIRS.has(dir) && !within(cwd, dir)
  );
  if (masks.length === 0) {
    return plan;
  }
  return {
    view: plan?.view ?? 'host',
    mounts: [...(plan?.mounts ?? []), ...masks.map((path) => ({ path, kind: 'mask' as const }))],
  };
}
