// Connections to the agent's HTTP API from sandboxed workloads. Under a
// profile without a network namespace of its own (`network: host`) a
// workload shares the node's loopback, where the API serves every tenant's
// containers and decisions (by default without authentication). The kernel
// knows which cgroup created the socket at the other end of a local TCP
// connection (tcp_peer.h); a connection whose peer socket was made in a
// container cgroup is refused before a byte is read (docs/security.md, "The
// agent's HTTP API"). Only hosts with a cgroup v2 hierarchy (v2 or hybrid)
// tell: on v1-only hosts the peer's cgroup is not known.
import { readdirSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';

import type { BrokerAddon } from '../native/broker-addon';

/** At most this many container cgroup directories are looked at (a workload may make sub-cgroups where cgroupfs is writable). */
const MAX_DIRS = 10_000;
/** How long a listing of the container cgroups is used before it is made again. */
const REFRESH_MS = 1_000;

/** The cgroup v2 ids (inode numbers, decimal) of every directory below the container groups. */
export class ContainerCgroupIds {
  private ids = new Set<string>();
  private listedAt = -Infinity;

  /** `groups`: cgroup v2 directories whose sub-directories are containers (the agent's group, standalone runs'). */
  constructor(private readonly groups: readonly string[]) {}

  /** Whether `id` is a container's cgroup (or one below it); a miss lists them again, so a new container is never missed. */
  has(id: string): boolean {
    if (Date.now() - this.listedAt > REFRESH_MS) {
      this.list();
    }
    if (this.ids.has(id)) {
      return true;
    }
    this.list();
    return this.ids.has(id);
  }

  private list(): void {
    const ids = new Set<string>();
    const pending: string[] = [];
    for (const group of this.groups) {
      pending.push(...children(group));
    }
    while (pending.length > 0 && ids.size < MAX_DIRS) {
      const dir = pending.pop() as string;
      try {
        ids.add(statSync(dir, { bigint: true }).ino.toString());
      } catch {
        continue; // removed meanwhile
      }
      pending.push(...children(dir));
    }
    this.ids = ids;
    this.listedAt = Date.now();
  }
}

function children(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

/** The HTTP server's guard: why a new connection's peer may not be served (it is a workload), or nothing. */
export function workloadConnectionGuard(
  addon: Pick<BrokerAddon, 'tcpPeerCgroup'>,
  containers: Pick<ContainerCgroupIds, 'has'>
): (socket: Socket) => string | undefined {
  return (socket) => {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    if (!remoteAddress || !remotePort || !localAddress || !localPort) {
      return undefined;
    }
    const id = addon.tcpPeerCgroup(remoteAddress, remotePort, localAddress, localPort);
    return id !== undefined && containers.has(id)
      ? `the client is a sandboxed workload (its socket belongs to container cgroup id ${id})`
      : undefined;
  };
}
