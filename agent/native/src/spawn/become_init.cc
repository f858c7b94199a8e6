// PID 1 of a container's PID namespace (spawn/child.h): the first process
// forks the workload, then executes zviz-init (native/src/init/init.c), which
// reaps, forwards signals and reports the workload's status to the agent. The
// first process holds the start plan and the container's descriptors, so it
// hands zviz-init only its report socket and a pidfd of the agent, at the
// numbers init/protocol.h fixes, and the workload waits until PID 1 is
// zviz-init before it can look at it. Raw calls only.
#include <fcntl.h>
#include <sys/resource.h>

#include <csignal>

#include "broker/kernel.h"
#include "spawn/child.h"
#include "init/protocol.h"

namespace zviz::broker::child {
namespace {

/** A decimal number for zviz-init's argv, without printf's locale and locks. */
void Format(char* out, size_t size, long value) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < sizeof(digits));
  size_t i = 0;
  while (n > 0 && i + 1 < size) {
    out[i++] = digits[--n];
  }
  out[i] = '\0';
}

}  // namespace

[[noreturn]] void BecomeInit(const ChildPlan& p) {
  const int sock = p.sock;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    ChildFail(sock, kStepFork);
  }
  ChildPlan workload_plan = p;
  workload_plan.init_ready[0] = ready[0];
  workload_plan.init_ready[1] = ready[1];
  struct clone_args args = {};
  args.exit_signal = SIGCHLD;
  const long workload = sys::Clone3(&args);
  if (workload == 0) {
    WorkloadMain(workload_plan);
  }
  if (workload < 0) {
    ChildFail(sock, kStepFork);
  }
  // zviz-init gets the report socket, the agent's pidfd and the write end of
  // the pipe the workload waits on as descriptors 3 to 5, and nothing else
  // of ours but close-on-exec descriptors (the bootstrap socket, to report a
  // failed exec, and zviz-init itself). The init closes the pipe once it has
  // set itself up: at its execve it is still named after its file
  // ("memfd:zviz-init", the sealed copy), and a workload let go then saw
  // that name as a process of the node's (pid-namespace.test.ts flaked so).
  close(ready[0]);
  int keep[5] = {Lift(sock, sock), Lift(p.init_fd, sock), Lift(p.report_sock, sock), Lift(p.agent_pidfd, sock),
                 Lift(ready[1], sock)};
  if (dup3(keep[2], ZVIZ_INIT_REPORT_FD, 0) < 0 || dup3(keep[3], ZVIZ_INIT_AGENT_FD, 0) < 0 ||
      dup3(keep[4], ZVIZ_INIT_READY_FD, 0) < 0) {
    kill(static_cast<pid_t>(workload), SIGKILL);
    ChildFail(sock, kStepInit);
  }
  keep[2] = ZVIZ_INIT_REPORT_FD;
  keep[3] = ZVIZ_INIT_AGENT_FD;
  keep[4] = ZVIZ_INIT_READY_FD;
  if (sys::CloseRange(0, ZVIZ_INIT_REPORT_FD - 1, 0) != 0 || CloseAllFrom(ZVIZ_INIT_REPORT_FD, keep, 5) != 0) {
    kill(static_cast<pid_t>(workload), SIGKILL);
    ChildFail(keep[0], kStepCloseFds);
  }
  // The init stays in the node's user namespace as uid 0, and the workload
  // may signal it: a signal it blocks (all of them) would be queued and
  // counted as the node root's. With no pending signals allowed, the kernel
  // still marks each one pending (only its siginfo, which the init never
  // reads, is dropped), and an RT signal queued with sigqueue is refused.
  const struct rlimit no_queue = {0, 0};
  if (setrlimit(RLIMIT_SIGPENDING, &no_queue) != 0) {
    kill(static_cast<pid_t>(workload), SIGKILL);
    ChildFail(keep[0], kStepSignals);
  }
  char pid[16];
  Format(pid, sizeof(pid), workload);
  char name[] = "zviz-init";
  char* const argv[] = {name, pid, nullptr};
  char* const envp[] = {nullptr};
  ::syscall(SYS_execveat, keep[1], "", argv, envp, AT_EMPTY_PATH);
  kill(static_cast<pid_t>(workload), SIGKILL);
  ChildFail(keep[0], kStepInit);
}

}  // namespace zviz::broker::child
