// Directories every host view holds read-only, whatever the profile: the
// agent's own package (its bundle, the broker addon, zviz-spawn, zviz-init).
// A running agent executes code of those files (the addon is mapped from
// its file, and a write in place changes the code it runs), and every later
// zviz process loads them; under a profile whose host view is writable
// (default, observe) a workload would otherwise rewrite them as the node's
// root (docs/security.md, "The programs a start executes").
import { isAbsolute, normalize } from 'node:path';

import type { FilesystemPlan } from '../native/broker-addon';
import { inView } from './agent-files';
import { within } from './path-within';

/**
 * `plan` with a read-only step for each of `dirs` appended (host views only:
 * the allow-list view holds none of them). A directory that holds the
 * workload's working directory is left alone (the workspace must stay as the
 * profile made it), and so is the root.
 */
export function withReadOnlyDirs(
  plan: FilesystemPlan | undefined,
  dirs: readonly string[],
  cwd: string
): FilesystemPlan | undefined {
  if (plan?.view === 'allow-list') {
    return plan;
  }
  const steps = [...new Set(dirs.map((dir) => normalize(dir).replace(/(.)\/+$/, '$1')))].filter(
    // Only where the view shows the directory: a step under a profile's tmpfs would bring back what it hides.
    (dir) => isAbsolute(dir) && dir !== '/' && !within(cwd, dir) && inView(plan, dir)
  );
  if (steps.length === 0) {
    return plan;
  }
  return {
    view: 'host',
    mounts: [...(plan?.mounts ?? []), ...steps.map((path) => ({ path, kind: 'readOnly' as const }))],
  };
}
