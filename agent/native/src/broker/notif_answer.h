// One notification, one answer: what the supervisor sends back to the
// kernel for a syscall it was asked about (an errno, CONTINUE, a descriptor
// installed as the result, or the end of the process), and the record of why.
// Kept apart from the handlers that decide, so every path through the
// supervisor answers through the same few ioctls and no handler speaks to the
// listener by itself.
#pragma once

#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/policy.h"
#include "broker/target.h"
#include "common/unique_fd.h"

namespace zviz::broker {

/**
 * Why a record names no path or address: the broker could not read it from
 * the workload's memory. Unmapped memory fails the call in the kernel too;
 * memory closed to other processes (memfd_secret's) the kernel reads as any
 * other, so a rule that judges the string refuses the call instead
 * (docs/security.md, "Emulated opens").
 */
inline constexpr char kUnreadablePathNote[] =
    "the broker cannot read the path from the workload's memory (unmapped, or closed to other processes: memfd_secret)";
inline constexpr char kUnreadableAddressNote[] =
    "the broker cannot read the address from the workload's memory (unmapped, or closed to other processes: "
    "memfd_secret)";

/** Room for a response struct larger than ours (SECCOMP_GET_NOTIF_SIZES); a larger one is refused at Start. */
constexpr size_t kMaxResponseSize = 256;

struct Answer {
  enum class How { kErrno, kContinue, kInstall, kKill, kNone } how = How::kNone;
  Decision decision = Decision::kAllow;
  Layer layer = Layer::kBroker;
  int error = 0;
  int rule = -1;
  UniqueFd fd;
  bool cloexec = false;
  uint64_t fifo_flags = 0;  // kInstall of a FIFO: the flags its worker reopens it with
  bool has_flags = false;
  uint64_t flags = 0;
  std::string path, resolved, address, note;

  /** A rule's outcome as the answer: deny answers its errno, kill ends the process, the rest CONTINUE. */
  void FromOutcome(const Outcome& o);
};

/** SECCOMP_IOCTL_NOTIF_SEND; 0 or -errno (-ENOENT: the task is no longer waiting). */
int SendResponse(int listener, uint64_t id, int64_t val, int32_t error, uint32_t flags);

/**
 * Installs `fd` in the target as the syscall's result; the new fd number, or
 * -errno: -ENOENT, the task is no longer waiting and nothing was installed;
 * -EINPROGRESS, a signal (or a stop of the agent) interrupted the install
 * after the kernel had marked the call answered (SECCOMP_ADDFD_FLAG_SEND):
 * the descriptor was withdrawn and the call returns 0 to the task, which no
 * later answer can change (kernel/seccomp.c, seccomp_notify_addfd); -EINTR,
 * without SECCOMP_ADDFD_FLAG_SEND (before Linux 5.14): interrupted, nothing
 * installed, the call still waits for an answer. Never retried in a loop.
 */
int InstallFd(int listener, uint64_t id, int fd, bool cloexec);

/**
 * SIGKILL for the task whose call the kernel answered with 0 after an
 * interrupted install (InstallFd's -EINPROGRESS): its notification is no
 * longer valid, so the thread id is not checked against it; the kernel had
 * the task waiting in this call when the install returned, and the pidfd is
 * taken right after. False if it is already gone.
 */
bool KillAnsweredTask(pid_t tid);

/** SIGKILL for the task behind a notification; false if it is already gone. */
bool KillTarget(const Target& target);

/** CLOCK_MONOTONIC (latencies) or CLOCK_REALTIME (event times) in nanoseconds. */
uint64_t NowNs(clockid_t clock);

}  // namespace zviz::broker
