// The container's first process once it is zviz-spawn (spawn/child.h): it
// undoes what it inherited from the agent across execve (ignored signals,
// the session, the priorities, the personality and the other per-process
// settings of docs/security.md's "What the workload inherits"), joins the container's cgroups, makes the namespaces the
// profile asks for and the file-system view, and then is the workload itself
// or, with a PID namespace, forks it and becomes the init. Everything the
// container's processes share is set up here, once, before either exists.
// Raw calls only.
#include <poll.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>

#include "broker/kernel.h"
#include "spawn/child.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#define PR_GET_IO_FLUSHER 58
#endif
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif

namespace zviz::broker::child {
namespace {

/** The kernel's struct sigaction for rt_sigaction(2); glibc's sigaction refuses the signals it keeps. */
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

/** ioprio_set(2)'s "who" for one process, and its "none" class: best-effort, at the level the nice value gives. */
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioNone = 0;

/**
 * The timer slack the kernel gives init, and so every process of the node
 * whose ancestors left it alone. PR_SET_TIMERSLACK 0 would not do: it means
 * "the default", which a process takes from its parent's slack at fork.
 */
constexpr unsigned long kNodeTimerSlackNs = 50'000;

/**
 * What a process of the node gets by default and the agent (or the shell
 * that ran `zviz run`) may have changed for itself, each kept across fork
 * and execve, reset for the container; docs/security.md, "What the workload
 * inherits" (test/security/inherited.test.ts). None of these needs a
 * capability to reset, but the I/O flusher flag.
 */
void ResetProcessDefaults(int sock) {
  // Glibc keeps 32 and 33 for its threads, so the loop of FirstMain leaves
  // them; an ignored one would stay ignored in the workload, whose own libc
  // (or none) may use them. zviz-spawn never starts a thread.
  for (int sig = 32; sig < SIGRTMIN; ++sig) {
    const KernelSigaction dfl = {};  // SIG_DFL
    if (::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(unsigned long)) != 0) {
      ChildFail(sock, kStepProcessDefaults);
    }
  }
  // The execution domain stays (`linux32 zviz run` means a 32-bit uname);
  // every flag goes: ADDR_NO_RANDOMIZE (`setarch -R`: no ASLR for the
  // workload, its addresses the same in every run), READ_IMPLIES_EXEC,
  // MMAP_PAGE_ZERO, UNAME26 and the rest.
  const long persona = ::syscall(SYS_personality, 0xffffffffUL);
  if (persona < 0 || ((persona & ~PER_MASK) != 0 && ::syscall(SYS_personality, persona & PER_MASK) < 0)) {
    ChildFail(sock, kStepProcessDefaults);
  }
  // A slack of the agent's (systemd's TimerSlackNSec=) would make every
  // sleep and timeout of the workload that much later.
  if (prctl(PR_SET_TIMERSLACK, kNodeTimerSlackNs, 0, 0, 0) != 0) {
    ChildFail(sock, kStepProcessDefaults);
  }
  if (prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0) != 0) {
    ChildFail(sock, kStepProcessDefaults);
  }
  // KSM for every mapping (systemd's MemoryKSM=yes) would merge the
  // workload's pages with those of every other process that has it, other
  // containers among them: a copy-on-write fault on a merged page takes
  // measurably longer, which tells a workload what another holds. EINVAL: a
  // kernel without KSM (or before 6.4), where nothing can have set it.
  if (prctl(PR_SET_MEMORY_MERGE, 0, 0, 0, 0) != 0 && errno != EINVAL) {
    ChildFail(sock, kStepProcessDefaults);
  }
  // An I/O flusher allocates without starting I/O and is not throttled for
  // the pages it dirties. Reading the flag takes CAP_SYS_RESOURCE as setting
  // it does: an agent without it cannot see it, and is told nothing here
  // (docs/security.md).
  if (prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0) > 0 && prctl(PR_SET_IO_FLUSHER, 0, 0, 0, 0) != 0) {
    ChildFail(sock, kStepProcessDefaults);
  }
  // The caller's supplementary groups (a shell user's adm, shadow, disk, or
  // docker) would grant the workload, and the init, every file those groups
  // may open. Raw: glibc's setgroups signals every thread of the process to
  // do the same (setxid), which is no single system call.
  if (::syscall(SYS_setgroups, 0, nullptr) != 0) {
    ChildFail(sock, kStepGroups);
  }
}

/**
 * Nice 0, as a process of the node starts. A caller's positive nice is
 * undone too where the agent may (CAP_SYS_NICE, or an RLIMIT_NICE that
 * allows 0): a container's share of the CPU is its cgroup's weight, not its
 * caller's. An agent or `zviz run` without that, started under `nice` or
 * systemd's Nice=, is refused (EACCES): a positive nice only takes from the
 * workload, so it is kept rather than fail every start. A negative one is
 * always lowered (that needs no capability); if even that is refused, the
 * start fails, as for any other refusal.
 */
void ResetNice(int sock) {
  if (setpriority(PRIO_PROCESS, 0, 0) == 0) {
    return;
  }
  const int refused = errno;
  // The raw call answers 20 - nice (1 to 40), never negative but on failure;
  // glibc's wrapper answers the nice value, whose -1 only errno tells apart.
  const long kernel = ::syscall(SYS_getpriority, PRIO_PROCESS, 0);
  if ((refused == EACCES || refused == EPERM) && kernel > 0 && kernel < 20) {
    return;
  }
  errno = refused;
  ChildFail(sock, kStepScheduling);
}

}  // namespace

[[noreturn]] void FirstMain(const ChildPlan& p) {
  const int sock = p.sock;
  // execve reset the agent's handlers, but what the agent ignores (Node
  // ignores SIGPIPE) would stay ignored in the workload too.
  // All signals stay blocked: the workload unblocks them just before its
  // filter goes on, the init never does.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig < SIGRTMIN)) {
      continue;  // glibc keeps 32 and 33 for itself: ResetProcessDefaults
    }
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    if (sigaction(sig, &sa, nullptr) != 0 && errno != EINVAL) {
      ChildFail(sock, kStepSignals);
    }
  }
  ResetProcessDefaults(sock);
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
  // test/security/scheduling.test.ts). Lowering needs no capability. The
  // nice value and the I/O priority are inherited too (`nice -n -5`,
  // `ionice -c 1`, systemd's Nice= and IOSchedulingClass=): nice 0 (or a
  // positive nice the agent may not undo: ResetNice), and the I/O class
  // "none", best-effort at the level the nice value gives, as on the node.
  const struct rlimit none = {0, 0};
  const int policy = sched_getscheduler(0);
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    const struct sched_param normal = {};
    if (sched_setscheduler(0, SCHED_OTHER, &normal) != 0) {
      ChildFail(sock, kStepScheduling);
    }
  }
  ResetNice(sock);
  // Never refused for want of a capability: only setting the real-time
  // class takes one, and this is the process's own. A refusal (a security
  // module) fails the start, since the class may be the real-time one.
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kIoprioNone) != 0) {
    ChildFail(sock, kStepScheduling);
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
  if (p.view_reads || p.landlock_scopes != 0) {
    RestrictWithLandlock(p, sock);
  }
  if (!p.pid_ns) {
    WorkloadMain(p);
  }
  BecomeInit(p);
}

}  // namespace zviz::broker::child
