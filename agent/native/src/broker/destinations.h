// Where the syscalls that reach a peer keep the peer's address, for every
// form the kernel takes: connect; sendto, sendmsg and sendmmsg with an
// address (a UDP datagram, a unix datagram, TCP Fast Open with MSG_FASTOPEN);
// and, on the i386 ABI, socketcall(SYS_CONNECT, SYS_SENDTO, SYS_SENDMSG,
// SYS_SENDMMSG), whose arguments live in memory. Broker rules on `connect`
// judge all of them (docs/profiles.md). Addresses are read from the
// workload's memory once: a decision that depends on their content is an
// observation (docs/security.md), the network namespace is the boundary.
// The kernel's own netlink address (nl_pid 0) names no peer and is not
// judged: interface and route queries stay inside the container's network
// namespace.
#pragma once

#include <linux/seccomp.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "broker/policy.h"
#include "broker/target.h"

namespace zviz::broker {

struct Destination {
  struct sockaddr_storage address = {};
  socklen_t length = 0;
  bool readable = false;  // false: the kernel will fail the call (EFAULT), or the memory is closed to the broker
  /**
   * The call names memory the broker could not read. The kernel fails an
   * unmapped address; memory closed to other processes (memfd_secret's) it
   * reads, so rules that judge addresses refuse the call (supervisor_connect.cc).
   */
  bool unread = false;
};

struct Destinations {
  /** The form, for the audit record ("socketcall(SYS_SENDTO)"); empty for the direct syscalls. */
  std::string form;
  /** No address at all: the call goes to the socket's connected peer (judged at its connect). */
  bool none = true;
  std::vector<Destination> items;
};

/** Kind of a syscall that names a peer, or kGeneric. */
Kind DestinationKind(std::string_view name);

/** The addresses of one notification of `kind`, read from the target's memory. */
Destinations ReadDestinations(const struct seccomp_notif& req, Kind kind, const Target& target);

}  // namespace zviz::broker
