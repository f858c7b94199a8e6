// Who may start workloads through the control socket. A root client on the
// node may; a workload may not, even as root: through the socket it could
// ask for a container under a looser profile than its own and so undo its
// sandbox (docs/security.md, "The control socket"). A workload is
// recognised by what it cannot shed: the PID or mount namespace the agent
// made for it, a container cgroup, or a PID namespace whose init is
// zviz-init (a container of `zviz run --standalone` or of another agent).
// A peer that cannot be identified is refused: the socket fails closed.
import { basename } from 'node:path';

import type { PeerIdentity } from '../native/broker-addon';

export const REFUSAL_REASONS = ['uid', 'workload', 'unidentified'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface PeerRefusal {
  reason: RefusalReason;
  /** What the client and the audit log are told. */
  message: string;
  /** The agent's container the peer belongs to, when it is one of them. */
  containerId?: string;
}

export interface KnownWorkload {
  id: string;
  /** Inode numbers of the namespaces the agent made for it (0: none of its own). */
  namespaces: { pid: number; mnt: number };
}

export interface PeerRules {
  /** The uid of the agent (root, or the agent's own user, may connect). */
  ownUid: number;
  /** The agent's running containers. */
  workloads: () => Iterable<KnownWorkload>;
  /** Cgroup groups whose children are containers (the agent's broker.cgroup_group, standalone runs' group). */
  cgroupGroups: readonly string[];
}

/** Cgroup paths of a /proc/PID/cgroup text ("ID:CONTROLLERS:PATH" a line). */
function cgroupPaths(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.split(':').slice(2).join(':'))
    .filter((path) => path !== '');
}

/**
 * The executable's name, without the " (deleted)" the kernel adds once the
 * file was replaced, and without the "/memfd:" of a memfd: the agent runs
 * zviz-init from a sealed memfd of that name (agent/native/src/broker/sealed_program.h).
 */
function exeName(exe: string): string {
  const path = exe.replace(/ \(deleted\)$/, '');
  return path.startsWith('/memfd:') ? path.slice('/memfd:'.length) : basename(path);
}

/** Why `peer` may not use the control socket, or undefined when it may. */
export function judgePeer(peer: PeerIdentity, rules: PeerRules): PeerRefusal | undefined {
  if (peer.uid !== 0 && peer.uid !== rules.ownUid) {
    return { reason: 'uid', message: `uid ${peer.uid} may not run workloads through the agent` };
  }
  const unidentified = (why: string): PeerRefusal => ({
    reason: 'unidentified',
    message: `the connecting process cannot be identified (${why}); only processes the agent can see may run workloads`,
  });
  if (peer.pid <= 0) {
    return unidentified('it is in a PID namespace the agent cannot see');
  }
  if (!peer.alive) {
    return unidentified('it is gone');
  }
  if (!peer.pidNs || !peer.mntNs || peer.cgroup === undefined) {
    return unidentified('its namespaces and cgroup cannot be read');
  }
  for (const w of rules.workloads()) {
    if (
      (w.namespaces.pid !== 0 && w.namespaces.pid === peer.pidNs) ||
      (w.namespaces.mnt !== 0 && w.namespaces.mnt === peer.mntNs)
    ) {
      return {
        reason: 'workload',
        containerId: w.id,
        message: `a workload of container ${w.id} may not run workloads through the agent`,
      };
    }
  }
  for (const path of cgroupPaths(peer.cgroup)) {
    const parts = path.split('/');
    const at = parts.findIndex((part, i) => i < parts.length - 1 && rules.cgroupGroups.includes(part));
    if (at >= 0) {
      return {
        reason: 'workload',
        message: `a workload (cgroup ${path}) may not run workloads through the agent`,
      };
    }
  }
  if (peer.nsInitError !== undefined) {
    return unidentified(peer.nsInitError);
  }
  if (peer.nsInit && exeName(peer.nsInit.exe) === 'zviz-init') {
    return {
      reason: 'workload',
      message: `a workload of a ZViz container (its PID namespace's init is zviz-init, pid ${peer.nsInit.pid}) may not run workloads through the agent`,
    };
  }
  return undefined;
}
