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
/**
 * How long a listing is used before it is made again. A new container is
 * never missed however old the listing (a miss lists again); this only drops
 * the ids of removed containers.
 */
const REFRESH_MS = 60_000;
/** Most cgroups remembered as not a container's; past it the memory starts again. */
const MAX_CLEARED = 10_000;

/** The cgroup v2 ids (inode numbers, decimal) of every directory below the container groups. */
export class ContainerCgroupIds {
  private ids = new Set<string>();
  private listedAt = -Infinity;
  /**
   * Cgroups a listing made after they existed did not find below the groups:
   * never a container's. A cgroup stays below the parent it was made under
   * (cgroup2 renames only within a parent) and its id is never reused, so
   * the answer holds for good. Ordinary clients (Prometheus, Grafana, a shell
   * on the node) come from a few such cgroups; without this, each of their
   * connections listed every container's directory again (at a thousand
   * containers, tens of milliseconds of the agent's main thread;
   * docs/benchmarks.md).
   */
  private cleared = new Set<string>();
  private listed = 0;

  /** `groups`: cgroup v2 directories whose sub-directories are containers (the agent's group, standalone runs'). */
  constructor(private readonly groups: readonly string[]) {}

  /** How many times the directories were listed (each costs a stat and a readdir per container). */
  get listings(): number {
    return this.listed;
  }

  /**
   * Whether `id` is a container's cgroup (or one below it). The socket whose
   * cgroup `id` is exists already when this is asked, so its cgroup does: a
   * miss lists again, and a new container is never missed.
   */
  has(id: string): boolean {
    const fresh = Date.now() - this.listedAt > REFRESH_MS;
    if (fresh) {
      this.list();
    }
    if (this.ids.has(id)) {
      return true;
    }
    if (this.cleared.has(id)) {
      return false;
    }
    if (!fresh) {
      this.list();
    }
    if (this.ids.has(id)) {
      return true;
    }
    // Only a complete listing clears a cgroup.
    if (this.ids.size < MAX_DIRS) {
      if (this.cleared.size >= MAX_CLEARED) {
        this.cleared = new Set();
      }
      this.cleared.add(id);
    }
    return false;
  }

  private list(): void {
    this.listed++;
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
