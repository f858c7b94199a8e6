// The node's cgroup hierarchies, for tests that look for what a container left
// in them.
import { detectCgroups } from '../../agent/src/cgroups/detect';

/** Every cgroup mount point of this host: the unified one and each v1 controller's. */
export function cgroupMountPoints(): string[] {
  const layout = detectCgroups();
  switch (layout.kind) {
    case 'none':
      return [];
    case 'v2':
      return [layout.unified];
    case 'hybrid':
      return [layout.unified, ...Object.values(layout.v1)];
    case 'v1':
      return Object.values(layout.v1);
  }
}
