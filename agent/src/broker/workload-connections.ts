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
import { readdir, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';

import type { BrokerAddon } from '../native/broker-addon';

/** At most this many container cgroup directories are looked at (a workload may make sub-cgroups where cgroupfs is writable). */
const MAX_DIRS = 10_000;
/**
 * How long a listing is used before it is made again. A new container is
 * never missed however old the listing (a miss lists again); this only drops
 * the ids of removed containers, so it is made in the background, on the
 * thread pool: at a thousand containers a listing is a readdir and a stat
 * per container, some 70 ms of the main thread, which fell into whichever
 * request came then (the slowest scrape of bench:containers,
 * docs/benchmarks.md).
 */
const REFRESH_MS = 60_000;
/** Directories the background listing reads at once. */
const REFRESH_CONCURRENCY = 8;
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
  /** The background listing under way, if any. */
  private refreshing?: Promise<void>;

  /**
   * `groups`: cgroup v2 directories whose sub-directories are containers (the
   * agent's group, standalone runs'); `now`: the clock, in milliseconds.
   */
  constructor(
    private readonly groups: readonly string[],
    private readonly now: () => number = Date.now
  ) {}

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
    if (this.listedAt === -Infinity) {
      this.list();
    } else if (this.now() - this.listedAt > REFRESH_MS) {
      void this.refresh();
    }
    if (this.ids.has(id)) {
      return true;
    }
    if (this.cleared.has(id)) {
      return false;
    }
    this.list();
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

  /**
   * Lists again off the main thread and then forgets the ids of removed
   * containers; resolves when done (one at a time). Until then, and should it
   * fail, the listing before stays: a miss still lists at once.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.listInBackground()
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async listInBackground(): Promise<void> {
    const startedAt = this.now();
    const ids = new Set<string>();
    let pending = (await Promise.all(this.groups.map(childrenOf))).flat();
    while (pending.length > 0 && ids.size < MAX_DIRS) {
      const batch = pending.splice(0, REFRESH_CONCURRENCY);
      const found = await Promise.all(
        batch.map(async (dir) => {
          try {
            return { ino: (await stat(dir, { bigint: true })).ino.toString(), below: await childrenOf(dir) };
          } catch {
            return undefined; // removed meanwhile
          }
        })
      );
      for (const entry of found) {
        if (entry) {
          ids.add(entry.ino);
          pending = pending.concat(entry.below);
        }
      }
    }
    // A listing made meanwhile on the main thread (a miss) is as new as this one or newer: keep what it found too.
    if (this.listedAt > startedAt) {
      for (const id of this.ids) {
        ids.add(id);
      }
    }
    this.listed++;
    this.ids = ids;
    this.listedAt = Math.max(this.listedAt, startedAt);
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
    this.listedAt = this.now();
  }
}

async function childrenOf(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
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
