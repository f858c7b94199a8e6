// Passing descriptors over unix sockets (SCM_RIGHTS), in one place: on the
// agent's control socket `zviz run` hands the terminal's stdin, stdout and
// stderr to the agent (which Node's net module cannot do), and on the
// bootstrap socket a starting workload hands the agent its pidfd and mount
// namespace (spawn/seccomp.cc). Who is asking is peer.h's concern. Node's
// headers stay out (fdpass_js.h has the JavaScript face): the spawn's
// children, which may call nothing that allocates, include this file.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "common/unique_fd.h"

namespace zviz::broker {

/** At most this many descriptors travel in one message on the control and bootstrap sockets. */
constexpr size_t kMaxPassedFds = 16;

/**
 * The most any message of the agent's carries: the start plan's (spawn_plan.h).
 * A receiver names its own limit below this; the kernel closes what a peer
 * sent beyond it, so an untrusted peer cannot make it hold more.
 */
constexpr size_t kMaxFdsPerMessage = 64;

struct Received {
  /** recvmsg's result: the bytes received (0: the peer closed), or -1 with `error`. */
  ssize_t bytes = -1;
  int error = 0;
  /** The descriptors that came with the message, close-on-exec. */
  std::vector<UniqueFd> fds;
  /** MSG_CTRUNC: more descriptors were sent than fit; the kernel closed the rest. */
  bool truncated = false;
  /** The sender's pid from SCM_CREDENTIALS (the socket has SO_PASSCRED), or -1. */
  pid_t sender = -1;
};

/**
 * One recvmsg of at most `size` bytes into `data`, with at most `max_fds`
 * descriptors (up to kMaxFdsPerMessage) and the credentials that came along.
 * `flags` are recvmsg's (MSG_DONTWAIT, ...); MSG_CMSG_CLOEXEC is always
 * added. EINTR is retried.
 */
Received ReceiveWithFds(int sock, void* data, size_t size, int flags, size_t max_fds = kMaxPassedFds);

/** ReceiveWithFdsInto's outcome; its descriptors are in the caller's array. */
struct ReceivedInto {
  ssize_t bytes = -1;
  int error = 0;
  size_t fd_count = 0;
  bool truncated = false;
  pid_t sender = -1;
};

/**
 * ReceiveWithFds into the caller's room for `max_fds` descriptors: it
 * allocates nothing, so zviz-spawn's children may use it (they may call
 * nothing that allocates: test/architecture/native-children.test.ts).
 */
ReceivedInto ReceiveWithFdsInto(int sock, void* data, size_t size, int flags, int* fds, size_t max_fds);

/**
 * One sendmsg (MSG_NOSIGNAL) of `data` with `count` descriptors, at most
 * kMaxFdsPerMessage: the bytes sent, or -1 with errno. It allocates nothing and
 * makes no other call, so a child between clone and execve may use it.
 */
ssize_t SendWithFds(int sock, const void* data, size_t size, const int* fds, size_t count);

}  // namespace zviz::broker
