// The bootstrap socket between a starting container's processes and the agent
// (SOCK_SEQPACKET, one message per read): the children report the step that
// failed or hand over what the agent needs (the workload's pidfd, mount
// namespace and seccomp listener), and the agent answers when it has written
// the user namespace's maps and when it holds the listener. Both sides speak
// it, so it is defined once here; the children's side of it must stay
// async-signal-safe (spawn_child.h), which is why ChildFail only writes.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "broker/spawn.h"
#include "broker/spawn_deadline.h"
#include "common/unique_fd.h"

namespace zviz::broker::child {

/** Where a child failed, for the agent's error message. */
enum Step : int32_t {
  kStepSignals = 1,
  kStepSetsid,
  kStepCgroup,
  kStepMounts,
  kStepStdio,
  kStepCloseFds,
  kStepChdir,
  kStepCapabilities,
  kStepNoNewPrivs,
  kStepParentDeath,
  kStepSeccomp,
  kStepExec,
  kStepNetwork,
  kStepProc,
  kStepView,
  kStepFork,
  kStepInit,
  kStepHandOver,
  kStepKernelFiles,
  kStepIpc,
  kStepUserNamespace,
  kStepKeyring,
  kStepSpawner,
  kStepPlan,
  kStepAgentGone,
  kStepCgroupNamespace,
  kStepOomScore,
  kStepWorkspace,
  kStepScheduling,
  kStepProcessDefaults,
  kStepGroups,
  kStepFileLimit,
  kStepViewReads,
  kStepLandlockScopes,
};

/** Child-to-agent messages on the bootstrap socket (SOCK_SEQPACKET: one per read). */
enum MessageType : int32_t { kHello = 1, kListener, kFailure, kUserNamespace };
struct Message {
  int32_t type;
  int32_t a;  // kListener: the listener's descriptor; kFailure: the step
  int32_t b;  // kFailure: errno
};
constexpr char kGo = 'G';  // agent to workload: the listener is taken, go on
constexpr char kMapped = 'M';  // agent to workload: its user namespace's uid and gid maps are written

/** Reports a failure with write(2): the one call every profile allows after the filter too. */
[[noreturn]] inline void ChildFail(int sock, int32_t step) {
  Message m = {kFailure, step, errno};
  (void)write(sock, &m, sizeof(m));
  _exit(127);
}

/**
 * One message to the agent and its one-byte answer, `expected`; a failure is
 * reported as `step`. An answer that never comes (EOF: the agent hung up,
 * having given up on the start for a reason it reports itself) reads as
 * ECONNRESET, a wrong one as EPROTO.
 */
inline void AskAgent(int sock, const Message& ask, char expected, int32_t step) {
  if (write(sock, &ask, sizeof(ask)) != static_cast<ssize_t>(sizeof(ask))) {
    ChildFail(sock, step);
  }
  char answer = 0;
  ssize_t n;
  while ((n = read(sock, &answer, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || answer != expected) {
    if (n >= 0) {
      errno = n == 0 ? ECONNRESET : EPROTO;
    }
    ChildFail(sock, step);
  }
}

}  // namespace zviz::broker::child

namespace zviz::broker {

/**
 * The agent's side of the bootstrap (spawn_bootstrap.cc): the workload's
 * user namespace mapped, its pidfd and mount namespace, then the listener's
 * number; the listener taken with pidfd_getfd; then "go". Each wait ends at
 * `deadline` (then out->timed_out is set); a child's report of a failed
 * step, or the children's end without one, sets out->children_failed.
 */
std::string TakeListener(int sock, const StartDeadline& deadline, Spawned* out, bool* closed_before_hello);

/** What a child was doing at `step`, for messages ("executing zviz-init"). */
const char* StepName(int32_t step);

}  // namespace zviz::broker
