// The agent's side of the bootstrap socket (spawn_bootstrap.h): reading the
// children's reports into errors a user can act on, writing the identity maps
// of the workload's user namespace when it asks, taking its seccomp listener,
// and, after the spawn, learning whether its execve succeeded. Runs on the
// spawn thread (spawn_thread.h), never in a child, so it may allocate.
#include "broker/spawn_bootstrap.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "broker/fdpass.h"
#include "broker/kernel.h"

namespace zviz::broker {
namespace {

using child::Message;

}  // namespace

const char* StepName(int32_t step) {
  switch (step) {
    case child::kStepSignals: return "resetting signals";
    case child::kStepSetsid: return "setsid";
    case child::kStepCgroup: return "joining the container cgroup";
    case child::kStepMounts: return "setting up the mount namespace (read-only, writable and tmpfs paths)";
    case child::kStepStdio: return "setting up stdin/stdout/stderr";
    case child::kStepCloseFds: return "closing inherited descriptors";
    case child::kStepChdir: return "changing to the working directory";
    case child::kStepCapabilities: return "dropping capabilities";
    case child::kStepNoNewPrivs: return "PR_SET_NO_NEW_PRIVS";
    case child::kStepParentDeath: return "arming PR_SET_PDEATHSIG (death with its parent)";
    case child::kStepSeccomp: return "installing the seccomp filter";
    case child::kStepExec: return "execve";
    case child::kStepNetwork: return "setting up the network namespace (loopback)";
    case child::kStepProc: return "mounting /proc for the PID namespace";
    case child::kStepView: return "building the allow-list file system view";
    case child::kStepFork: return "starting the workload under the container's init";
    case child::kStepInit: return "executing zviz-init";
    case child::kStepHandOver: return "handing the seccomp listener to the agent";
    case child::kStepKernelFiles: return "making /proc/sys, /sys and the cgroup file systems read-only";
    case child::kStepIpc: return "mounting the IPC namespace's /dev/shm and /dev/mqueue";
    case child::kStepUserNamespace: return "entering the container's user namespace";
    case child::kStepKeyring: return "joining a session keyring of its own";
    case child::kStepSpawner: return "executing zviz-spawn (built with the broker addon: npm run build)";
    case child::kStepPlan: return "reading the start plan from the agent";
    case child::kStepAgentGone: return "waiting for the agent (it ended or hung up while the container was starting)";
    case child::kStepCgroupNamespace: return "making the cgroup namespace and mounting its cgroup file systems";
    case child::kStepOomScore: return "setting the container's OOM score adjustment";
    case child::kStepScheduling:
      return "starting the container at the normal scheduling policy, nice value and I/O priority, with no real-time "
             "or nice limit";
    case child::kStepProcessDefaults:
      return "resetting what the container would inherit from the agent (personality, timer slack, transparent huge "
             "pages, KSM, I/O flusher, signals 32 and 33)";
    case child::kStepGroups: return "dropping the agent's supplementary groups";
    case child::kStepFileLimit: return "setting the soft descriptor limit the container starts with (RLIMIT_NOFILE)";
    case child::kStepViewReads:
      return "restricting reads to the allow-list view with Landlock (the filter lets the kernel make them)";
    case child::kStepLandlockScopes:
      return "scoping the container's abstract unix sockets and signals with Landlock (ABI 6, Linux 6.12)";
    case child::kStepWorkspace:
      return "binding the working directory into the view, reached without following links (a link or a rename "
             "on its path came after the agent checked it: a container writing a directory above it may be "
             "swapping it; give a path no container can write)";
    default: return "starting";
  }
}

namespace {

/** Where a wait on the bootstrap socket ends, and what a timeout or a failure report sets. */
struct Wait {
  const StartDeadline& deadline;
  /** What the children were doing meanwhile, for the message of a timeout. */
  const char* waiting_for;
  Spawned* out;
};

/**
 * Waits for one message on the bootstrap socket; `fds` receives SCM_RIGHTS,
 * `sender` the SCM_CREDENTIALS pid, `closed` whether the other end closed
 * without a word (every process holding it died).
 */
std::string Receive(int sock, const Wait& wait, Message* m, UniqueFd* fds, size_t max_fds, pid_t* sender,
                    bool* closed = nullptr) {
  struct pollfd pfd = {sock, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, wait.deadline.RemainingMs());
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    if (ready == 0) {
      wait.out->timed_out = true;
      return StartTimedOut(wait.deadline, wait.waiting_for);
    }
    return std::string("poll: ") + strerror(errno);
  }
  Received received = ReceiveWithFds(sock, m, sizeof(*m), 0);
  // ECONNRESET: the other end closed with something of ours still unread in
  // it (the start plan, an answer). The kernel reports that error before the
  // messages queued here, and one may be the child's failure report, written
  // just before it exited: a zviz-spawn that cannot be executed releases the
  // vfork'd agent thread before it closes its descriptors, so the plan can
  // land in its socket meanwhile. Reading consumed the error; read once more,
  // without waiting: with the peer gone an empty queue is EOF.
  if (received.bytes < 0 && received.error == ECONNRESET) {
    received = ReceiveWithFds(sock, m, sizeof(*m), MSG_DONTWAIT);
    if (received.bytes < 0 && (received.error == ECONNRESET || received.error == EAGAIN)) {
      received.bytes = 0;
    }
  }
  if (received.bytes < 0) {
    return std::string("recvmsg: ") + strerror(received.error);
  }
  for (size_t i = 0; i < received.fds.size() && i < max_fds; ++i) {
    fds[i] = std::move(received.fds[i]);  // any beyond `max_fds` are closed with `received`
  }
  if (sender != nullptr) {
    *sender = received.sender;  // -1 without SCM_CREDENTIALS
  }
  const ssize_t n = received.bytes;
  if (n == 0) {
    wait.out->children_failed = true;
    if (closed != nullptr) {
      *closed = true;
    }
    return "the workload exited before installing its filter";
  }
  if (n != sizeof(*m)) {
    return "unexpected message from the starting workload";
  }
  if (m->type == child::kFailure) {
    wait.out->children_failed = true;
    errno = m->b;
    return std::string(StepName(m->a)) + ": " + strerror(m->b);
  }
  return {};
}

/**
 * Writes the identity uid and gid maps of the user namespace the starting
 * workload `pid` (as the agent numbers it, from SCM_CREDENTIALS) just made:
 * only a writer with CAP_SETUID and CAP_SETGID over the parent namespace may
 * map more than its own uid. The workload waits for the answer, so the pid
 * cannot be reused meanwhile.
 */
std::string MapUserNamespace(pid_t pid) {
  if (pid <= 0) {
    return "the workload's user namespace request carried no pid";
  }
  static const char kIdentity[] = "0 0 4294967295\n";
  for (const char* file : {"uid_map", "gid_map"}) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || write(fd.get(), kIdentity, sizeof(kIdentity) - 1) != static_cast<ssize_t>(sizeof(kIdentity) - 1)) {
      return "writing " + path + " for the workload's user namespace: " + strerror(errno);
    }
  }
  return {};
}

}  // namespace

std::string TakeListener(int sock, const StartDeadline& deadline, Spawned* out, bool* closed_before_hello) {
  Message hello = {};
  UniqueFd fds[2];
  pid_t sender = -1;
  // What comes first: the workload's request for its user namespace's maps,
  // once zviz-spawn has read the plan, joined the cgroups, made the
  // namespaces and the view and (with a PID namespace) forked it.
  const Wait setting_up = {deadline,
                           "setting the container up (zviz-spawn reading its plan, joining the cgroups, making the "
                           "namespaces and the file-system view; the workload entering its user namespace)",
                           out};
  if (auto e = Receive(sock, setting_up, &hello, fds, 2, &sender, closed_before_hello); !e.empty()) {
    return e;
  }
  if (hello.type == child::kUserNamespace) {
    if (auto e = MapUserNamespace(sender); !e.empty()) {
      return e;
    }
    const char mapped = child::kMapped;
    if (send(sock, &mapped, 1, MSG_NOSIGNAL) != 1) {
      return std::string("telling the workload its user namespace is ready: ") + strerror(errno);
    }
    sender = -1;
    const Wait handing_over = {
        deadline,
        "waiting for the workload to drop its capabilities and send its pidfd and mount namespace", out};
    if (auto e = Receive(sock, handing_over, &hello, fds, 2, &sender); !e.empty()) {
      return e;
    }
  }
  if (hello.type != child::kHello || !fds[0]) {
    return "unexpected message from the starting workload";
  }
  out->workload_pid = sender;
  out->mount_ns = std::move(fds[1]);
  Message number = {};
  const Wait filtering = {deadline, "waiting for the workload to install its seccomp filter and send the listener",
                          out};
  if (auto e = Receive(sock, filtering, &number, nullptr, 0, nullptr); !e.empty()) {
    return e;
  }
  if (number.type != child::kListener) {
    return "unexpected message from the starting workload";
  }
  out->listener.reset(static_cast<int>(::syscall(SYS_pidfd_getfd, fds[0].get(), number.a, 0)));
  if (!out->listener) {
    return std::string("taking the seccomp listener from the workload (pidfd_getfd): ") + strerror(errno) +
           (errno == EPERM ? " (a Yama ptrace_scope of 3 forbids it)" : "");
  }
  // Read while the workload waits for the word to start: past it, a profile
  // that allows it could let the workload move to a namespace of its own
  // before anyone looked, and have that taken for the container's.
  char user_ns[48];
  snprintf(user_ns, sizeof(user_ns), "/proc/%d/ns/user", out->workload_pid);
  struct stat st;
  if (stat(user_ns, &st) != 0) {
    out->listener.reset();
    return std::string("reading the workload's user namespace (") + user_ns + "): " + strerror(errno);
  }
  out->user_ns = static_cast<uint64_t>(st.st_ino);
  const char go = child::kGo;
  if (send(sock, &go, 1, MSG_NOSIGNAL) != 1) {
    out->listener.reset();
    return std::string("telling the workload to start: ") + strerror(errno);
  }
  return {};
}

int AwaitExec(int status_fd, int timeout_ms, int32_t* step) {
  struct pollfd pfd = {status_fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    return -1;
  }
  Message m = {};
  ssize_t n;
  do {
    n = recv(status_fd, &m, sizeof(m), 0);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    return 0;  // every end in the children closed on exec
  }
  // execve's own failure, or any step after the listener was taken (the
  // wait for the agent's word, the init's execve): each says which.
  if (n == sizeof(m) && m.type == child::kFailure && m.b > 0) {
    *step = m.a;
    return m.b;
  }
  return -1;
}

}  // namespace zviz::broker
