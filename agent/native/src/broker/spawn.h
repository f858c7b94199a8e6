// Starting a workload under its filter. Everything that can allocate or fail
// in complicated ways happens in the agent before clone3: the BPF program,
// argv/envp, the cgroup descriptors. The child then only makes raw,
// async-signal-safe syscalls:
//   reset signal dispositions; setsid; join the container's cgroups (v2 and
//   v1, by writing "0" to their cgroup.procs); when the profile asks for it, a
//   mount namespace of its own with read-only and writable paths (the
//   kernel-enforced layer under the broker's path rules); put stdio in place and close
//   every other descriptor; chdir; drop capabilities to the container's set;
//   PR_SET_NO_NEW_PRIVS; PR_SET_PDEATHSIG(SIGKILL) (and exit if the agent is
//   already gone); seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER |
//   WAIT_KILLABLE_RECV); send the listener to the agent over a SEQPACKET
//   socket (SCM_RIGHTS); execve.
// The listener is close-on-exec in the child, so the workload never holds it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "broker/cbpf.h"
#include "common/unique_fd.h"

namespace zviz::broker {

struct SpawnRequest {
  std::string file;  // absolute path of the executable
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  int stdio[3] = {-1, -1, -1};
  std::string cgroup_v2;                     // directory of the container's v2 cgroup, or empty
  std::vector<std::string> cgroup_v1_procs;  // cgroup.procs files of its v1 cgroups
  // Mount namespace: recursive read-only paths ("/" for everything), then
  // writable paths bound read-write on top. Both empty: the agent's namespace.
  std::vector<std::string> read_only;
  std::vector<std::string> writable;
  uint64_t capabilities = 0;
  bool wait_killable_recv = true;
  const BpfProgram* program = nullptr;
};

struct Spawned {
  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd listener;
  /** The agent's end of the bootstrap socket: EOF when execve succeeded, a report when it failed. */
  UniqueFd status;
  /** The workload's mount namespace, when it has its own (the supervisor resolves paths in it). */
  UniqueFd mount_ns;
};

/** Empty string on success. On failure nothing is left running. */
std::string SpawnWorkload(const SpawnRequest& request, Spawned* out);

/**
 * Waits (up to `timeout_ms`) for the outcome of the workload's execve on the
 * status socket: 0 when it succeeded, an errno when it failed, -1 on timeout
 * or a broken socket.
 */
int AwaitExec(int status_fd, int timeout_ms);

}  // namespace zviz::broker
