// The workload's last steps before its program (spawn/child.h): it hands the
// agent a pidfd of itself and its mount namespace, installs its seccomp
// filter with a new listener, tells the agent the listener's number, waits
// until the agent has taken it (pidfd_getfd) and executes the program. The
// listener is close-on-exec, so the program never holds it. Runs between
// clone3 and execve: raw calls only.
#include <fcntl.h>

#include "broker/fdpass.h"
#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {

[[noreturn]] void InstallFilterAndExec(const ChildPlan& p, int sock) {
  // The agent takes the listener with pidfd_getfd through a pidfd of this
  // process; the mount namespace travels along, since once the workload has
  // exited /proc/<pid>/ns/mnt is gone and the supervisor still needs it.
  int fds[2] = {sys::PidfdOpen(getpid(), 0), -1};
  if (fds[0] < 0) {
    ChildFail(sock, kStepHandOver);
  }
  fds[1] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (fds[1] < 0) {
    ChildFail(sock, kStepMounts);
  }
  Message hello = {kHello, 0, 0};
  if (SendWithFds(sock, &hello, sizeof(hello), fds, 2) != sizeof(hello)) {
    ChildFail(sock, kStepHandOver);
  }
  close(fds[0]);
  close(fds[1]);
  const long listener = sys::Seccomp(SECCOMP_SET_MODE_FILTER, p.seccomp_flags, p.prog);
  if (listener < 0) {
    ChildFail(sock, kStepSeccomp);
  }
  // From here on every syscall passes the filter; profiles must allow write,
  // read, execve and exit_group without brokering (the profile checker
  // insists). The agent holds its own copy of the listener once it says go.
  AskAgent(sock, Message{kListener, static_cast<int32_t>(listener), 0}, kGo, kStepHandOver);
  execve(p.file, p.argv, p.envp);
  ChildFail(sock, kStepExec);
}

}  // namespace zviz::broker::child
