// The container's first process once it is zviz-spawn (spawn/child.h): it
// undoes what it inherited from the agent across execve (ignored signals,
// the session), joins the container's cgroups, makes the namespaces the
// profile asks for and the file-system view, and then is the workload itself
// or, with a PID namespace, forks it and becomes the init. Everything the
// container's processes share is set up here, once, before either exists.
// Raw calls only.
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {

[[noreturn]] void FirstMain(const ChildPlan& p) {
  const int sock = p.sock;
  // execve reset the agent's handlers, but what the agent ignores (Node
  // ignores SIGPIPE) would stay ignored in the workload too.
  // All signals stay blocked: the workload unblocks them just before its
  // filter goes on, the init never does.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig < SIGRTMIN)) {
      continue;  // glibc keeps 32 and 33 for itself
    }
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    if (sigaction(sig, &sa, nullptr) != 0 && errno != EINVAL) {
      ChildFail(sock, kStepSignals);
    }
  }
  if (setsid() < 0) {
    ChildFail(sock, kStepSetsid);
  }
  for (size_t i = 0; i < p.cgroup_count; ++i) {
    // "0" moves the writing thread (v1 tasks: this process, single-threaded;
    // v2 cgroup.procs: the process).
    if (write(p.cgroup_fds[i], "0", 1) != 1) {
      ChildFail(sock, kStepCgroup);
    }
  }
  // The node's OOM killer takes a container's processes before any of the
  // node's (the agent's, its services'), as Kubernetes does for pods without
  // limits: it scores a process by its resident set, and shared memory a
  // workload writes into a memfd or a tmpfs is in none, so without this a
  // container with no memory limit could fill the node while the OOM killer
  // picked the agent. Set here with the agent's CAP_SYS_RESOURCE, the value
  // is also the floor: the init and the workload inherit it and cannot lower
  // it (docs/security.md, Known limits; test/security/shmem.test.ts).
  const int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom < 0 || write(oom, "1000", 4) != 4) {
    ChildFail(sock, kStepOomScore);
  }
  close(oom);
  // The container starts at the node's normal priority, not at the agent's:
  // a policy and the limits that allow one are inherited across fork and
  // exec, so an agent run real-time (systemd's CPUSchedulingPolicy=fifo,
  // chrt) handed SCHED_FIFO to every workload, whose loops then ran before
  // every normal thread of the node, the agent's supervisors among them; and
  // a raised hard RLIMIT_RTPRIO or RLIMIT_NICE would let a workload without
  // CAP_SYS_NICE take one itself (docs/security.md's attack table;
  // test/security/scheduling.test.ts). Lowering needs no capability.
  const struct rlimit none = {0, 0};
  const int policy = sched_getscheduler(0);
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    const struct sched_param normal = {};
    if (sched_setscheduler(0, SCHED_OTHER, &normal) != 0) {
      ChildFail(sock, kStepScheduling);
    }
  }
  if (setrlimit(RLIMIT_RTPRIO, &none) != 0 || setrlimit(RLIMIT_NICE, &none) != 0) {
    ChildFail(sock, kStepScheduling);
  }
  // A cgroup namespace rooted at the cgroups just joined, for the init and
  // the workload: /proc/self/cgroup names them "/", and the cgroup file
  // systems the host view mounts from it show them as their root, with no
  // other container's beside them (host_view.cc).
  if (unshare(CLONE_NEWCGROUP) != 0) {
    ChildFail(sock, kStepCgroupNamespace);
  }
  if (p.pid_ns) {
    // The init dies with the agent, and the kernel then kills every process
    // of the namespace. Its parent is outside the namespace (getppid() is 0),
    // so a pidfd of the agent tells whether it is already gone.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
      ChildFail(sock, kStepParentDeath);
    }
    struct pollfd agent = {p.agent_pidfd, POLLIN, 0};
    const int ended = poll(&agent, 1, 0);
    if (ended != 0) {
      if (ended > 0) {
        errno = ESRCH;
      }
      ChildFail(sock, kStepAgentGone);
    }
  }
  if (p.net_none) {
    SetUpNetwork(sock);
  }
  SetUpMounts(p, sock);
  if (!p.pid_ns) {
    WorkloadMain(p);
  }
  BecomeInit(p);
}

}  // namespace zviz::broker::child
