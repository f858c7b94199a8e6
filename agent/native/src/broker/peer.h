// Who is at the other end of the agent's control socket. SO_PEERCRED names a
// process by the pid it had when it connected; by the time the agent looks,
// that process may be gone and its pid reused. So the peer is pinned with a
// pidfd taken from the socket itself (SO_PEERPIDFD, Linux 6.5; pidfd_open of
// the pid before that), its /proc directory is opened, and only a peer still
// alive after that counts: then the directory is that process's. The control
// server (broker/control-server.ts) decides from what this returns whether
// the peer may start workloads (docs/security.md, "The control socket").
#pragma once

#include <napi.h>

namespace zviz::broker {

/**
 * peerIdentity(fd): { pid, uid, gid, alive, pinned, pidNs?, mntNs?, cgroup?,
 * nsInit?: { pid, exe } }. `pidNs`/`mntNs`: inode numbers of the peer's
 * namespaces; `cgroup`: its /proc/PID/cgroup; `nsInit`: when the peer is in a
 * PID namespace other than the agent's, the init of that namespace (host pid
 * and executable), or `nsInitError` when it could not be found.
 */
Napi::Value PeerIdentity(const Napi::CallbackInfo& info);

}  // namespace zviz::broker
