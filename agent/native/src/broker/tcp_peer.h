// Which cgroup the process at the other end of a local TCP connection is in.
// A workload that shares the node's network reaches the agent's HTTP API on
// 127.0.0.1 like any local client; SO_PEERCRED does not exist for TCP, but the
// kernel's socket diagnostics (NETLINK_SOCK_DIAG) look up the peer's socket by
// its four-tuple and report the cgroup v2 id its creator was in. The agent
// refuses connections from container cgroups (docs/security.md, "The agent's
// HTTP API").
#pragma once

#include <napi.h>

namespace zviz::broker {

/**
 * tcpPeerCgroup(peerAddress, peerPort, localAddress, localPort): the cgroup v2
 * id (a decimal string) of the socket at the other end of the connection, or
 * undefined when it is not on this node's network stack (a remote client) or
 * cannot be looked up.
 */
Napi::Value TcpPeerCgroup(const Napi::CallbackInfo& info);

}  // namespace zviz::broker
