#include "broker/spawn.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <algorithm>
#include <cstring>

#include "broker/kernel.h"

namespace zviz::broker {
namespace {

/** Where the child failed, for the agent's error message. */
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
};

const char* StepName(int32_t step) {
  switch (step) {
    case kStepSignals: return "resetting signals";
    case kStepSetsid: return "setsid";
    case kStepCgroup: return "joining the container cgroup";
    case kStepMounts: return "setting up the mount namespace (read-only and writable paths)";
    case kStepStdio: return "setting up stdin/stdout/stderr";
    case kStepCloseFds: return "closing inherited descriptors";
    case kStepChdir: return "changing to the working directory";
    case kStepCapabilities: return "dropping capabilities";
    case kStepNoNewPrivs: return "PR_SET_NO_NEW_PRIVS";
    case kStepParentDeath: return "PR_SET_PDEATHSIG";
    case kStepSeccomp: return "installing the seccomp filter";
    case kStepExec: return "execve";
    default: return "starting";
  }
}

struct Report {
  int32_t step;
  int32_t error;
};

// Child side. No allocation, no locks, no libc state beyond errno.

[[noreturn]] void ChildFail(int sock, int32_t step) {
  Report report = {step, errno};
  struct iovec iov = {&report, sizeof(report)};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  (void)sendmsg(sock, &msg, MSG_NOSIGNAL);
  _exit(127);
}

struct ChildPlan {
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int stdio[3];
  int sock;
  const int* v1_fds;
  size_t v1_count;
  const char* const* read_only;
  size_t read_only_count;
  const char* const* writable;
  size_t writable_count;
  uint64_t caps;
  unsigned seccomp_flags;
  struct sock_fprog* prog;
  pid_t parent;
};

int SetAttr(const char* path, uint64_t set, uint64_t clear) {
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clear;
  return static_cast<int>(::syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)));
}

/** A private view of the mounts: nothing propagates back to the agent's namespace. */
void SetUpMounts(const ChildPlan& p, int sock) {
  if (sys::ThreadUnshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    ChildFail(sock, kStepMounts);
  }
  for (size_t i = 0; i < p.read_only_count; ++i) {
    const char* path = p.read_only[i];
    const bool root = path[0] == '/' && path[1] == '\0';
    // A path that is not a mount point becomes one, so that only it turns read-only.
    if (!root && mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) {
        continue;  // nothing there to protect
      }
      ChildFail(sock, kStepMounts);
    }
    if (SetAttr(path, MOUNT_ATTR_RDONLY, 0) != 0) {
      ChildFail(sock, kStepMounts);
    }
  }
  for (size_t i = 0; i < p.writable_count; ++i) {
    const char* path = p.writable[i];
    if (mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) {
        continue;
      }
      ChildFail(sock, kStepMounts);
    }
    if (SetAttr(path, 0, MOUNT_ATTR_RDONLY) != 0) {
      ChildFail(sock, kStepMounts);
    }
  }
}

[[noreturn]] void ChildMain(const ChildPlan& p) {
  int sock = p.sock;
  // Handlers of the agent make no sense here (and libuv's would write into
  // the agent's own pipes); ignored signals would stay ignored across exec.
  // All signals stay blocked until just before the filter goes on.
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
  for (size_t i = 0; i < p.v1_count; ++i) {
    // "0" moves the writing process.
    if (write(p.v1_fds[i], "0", 1) != 1) {
      ChildFail(sock, kStepCgroup);
    }
  }
  if (p.read_only_count + p.writable_count > 0) {
    SetUpMounts(p, sock);
  }
  // Lift the descriptors we keep above 2 first, so placing stdio cannot
  // overwrite one of them.
  int moved[3];
  for (int i = 0; i < 3; ++i) {
    moved[i] = fcntl(p.stdio[i], F_DUPFD_CLOEXEC, 10);
    if (moved[i] < 0) {
      ChildFail(sock, kStepStdio);
    }
  }
  int high_sock = fcntl(sock, F_DUPFD_CLOEXEC, 10);
  if (high_sock < 0) {
    ChildFail(sock, kStepStdio);
  }
  sock = high_sock;
  for (int i = 0; i < 3; ++i) {
    if (dup3(moved[i], i, 0) < 0) {  // not close-on-exec: these are the workload's
      ChildFail(sock, kStepStdio);
    }
  }
  // Nothing of the agent's survives but stdio and the bootstrap socket
  // (close-on-exec itself).
  if ((sock > 3 && sys::CloseRange(3, static_cast<unsigned>(sock) - 1, 0) != 0) ||
      sys::CloseRange(static_cast<unsigned>(sock) + 1, ~0U, 0) != 0) {
    ChildFail(sock, kStepCloseFds);
  }
  if (p.cwd[0] != '\0' && chdir(p.cwd) != 0) {
    ChildFail(sock, kStepChdir);
  }
  for (int cap = 0; cap <= 63; ++cap) {
    if ((p.caps & (1ULL << cap)) != 0) {
      continue;
    }
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      ChildFail(sock, kStepCapabilities);
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    ChildFail(sock, kStepCapabilities);
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(p.caps);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(p.caps >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) {
    ChildFail(sock, kStepCapabilities);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    ChildFail(sock, kStepNoNewPrivs);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    ChildFail(sock, kStepParentDeath);
  }
  if (getppid() != p.parent) {
    _exit(127);  // the agent died before PDEATHSIG was armed
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {
    ChildFail(sock, kStepSignals);
  }
  // The mount namespace travels with the listener: once the workload has
  // exited, /proc/<pid>/ns/mnt is gone, but the supervisor still needs it.
  int mount_ns = -1;
  if (p.read_only_count + p.writable_count > 0) {
    mount_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (mount_ns < 0) {
      ChildFail(sock, kStepMounts);
    }
  }
  long listener = sys::Seccomp(SECCOMP_SET_MODE_FILTER, p.seccomp_flags, p.prog);
  if (listener < 0) {
    ChildFail(sock, kStepSeccomp);
  }
  // From here on every syscall passes the filter; profiles must allow
  // sendmsg and exit_group (the profile checker insists).
  alignas(struct cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  char byte = 'L';
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int fds[2] = {static_cast<int>(listener), mount_ns};
  const size_t count = mount_ns >= 0 ? 2 : 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(count * sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), fds, count * sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) {
    _exit(127);
  }
  execve(p.file, p.argv, p.envp);
  ChildFail(sock, kStepExec);
}

/** Receives the listener (and the mount namespace, when the workload has one) or the child's failure report. */
std::string ReceiveListener(int sock, UniqueFd* listener, UniqueFd* mount_ns) {
  struct pollfd pfd = {sock, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, 10'000);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    return ready == 0 ? "the workload did not install its filter within 10 s" : std::string("poll: ") + strerror(errno);
  }
  Report report = {};
  alignas(struct cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  struct iovec iov = {&report, sizeof(report)};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return std::string("recvmsg: ") + strerror(errno);
  }
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int fds[2] = {-1, -1};
      std::memcpy(fds, CMSG_DATA(c), std::min<size_t>(count, 2) * sizeof(int));
      listener->reset(fds[0]);
      if (count > 1) {
        mount_ns->reset(fds[1]);
      }
    }
  }
  if (*listener) {
    return {};
  }
  if (n == sizeof(report)) {
    return std::string(StepName(report.step)) + ": " + strerror(report.error);
  }
  return "the workload exited before installing its filter";
}

}  // namespace

std::string SpawnWorkload(const SpawnRequest& request, Spawned* out) {
  if (request.program == nullptr || request.argv.empty()) {
    return "nothing to run";
  }
  for (int fd : request.stdio) {
    if (fd < 0) {
      return "stdin, stdout and stderr must be open descriptors";
    }
  }
  // Everything the child needs, prepared here: it must not allocate.
  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<const char*> read_only;
  for (const std::string& path : request.read_only) read_only.push_back(path.c_str());
  std::vector<const char*> writable;
  for (const std::string& path : request.writable) writable.push_back(path.c_str());
  struct sock_fprog prog = {static_cast<unsigned short>(request.program->size()),
                            const_cast<struct sock_filter*>(request.program->data())};

  std::vector<UniqueFd> v1;
  std::vector<int> v1_raw;
  for (const std::string& procs : request.cgroup_v1_procs) {
    UniqueFd fd(open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
      return "cannot open " + procs + ": " + strerror(errno);
    }
    v1_raw.push_back(fd.get());
    v1.push_back(std::move(fd));
  }
  // The child joins the v2 cgroup by writing cgroup.procs too, not with
  // CLONE_INTO_CGROUP: on Linux 6.18 a child cloned into a cgroup that once
  // had cgroup.kill written is killed at birth (the kill sequence number is
  // compared with the parent's cgroup), and a container's cgroup is killed
  // at the end of every run before a restart.
  if (!request.cgroup_v2.empty()) {
    const std::string procs = request.cgroup_v2 + "/cgroup.procs";
    UniqueFd fd(open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
      return "cannot open " + procs + ": " + strerror(errno);
    }
    v1_raw.insert(v1_raw.begin(), fd.get());
    v1.insert(v1.begin(), std::move(fd));
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("socketpair: ") + strerror(errno);
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);

  ChildPlan plan = {};
  plan.file = request.file.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.cwd = request.cwd.c_str();
  for (int i = 0; i < 3; ++i) plan.stdio[i] = request.stdio[i];
  plan.sock = theirs.get();
  plan.v1_fds = v1_raw.data();
  plan.v1_count = v1_raw.size();
  plan.read_only = read_only.data();
  plan.read_only_count = read_only.size();
  plan.writable = writable.data();
  plan.writable_count = writable.size();
  plan.caps = request.capabilities;
  plan.seccomp_flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
                       (request.wait_killable_recv ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
  plan.prog = &prog;
  plan.parent = getpid();

  // No signal may run an agent handler in the child before it resets them.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = sys::Clone3(&args);
  if (pid == 0) {
    ChildMain(plan);
  }
  const int clone_error = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    return std::string("clone3: ") + strerror(clone_error);
  }
  out->pid = static_cast<pid_t>(pid);
  out->pidfd.reset(pidfd);
  theirs.reset();
  v1.clear();

  std::string error = ReceiveListener(ours.get(), &out->listener, &out->mount_ns);
  if (!error.empty()) {
    sys::PidfdSendSignal(out->pidfd.get(), SIGKILL);
    siginfo_t info;
    while (waitid(P_PIDFD, static_cast<id_t>(out->pidfd.get()), &info, WEXITED) < 0 && errno == EINTR) {
    }
    out->pidfd.reset();
    out->pid = -1;
    return error;
  }
  if ((!read_only.empty() || !writable.empty()) && !out->mount_ns) {
    sys::PidfdSendSignal(out->pidfd.get(), SIGKILL);
    siginfo_t info;
    while (waitid(P_PIDFD, static_cast<id_t>(out->pidfd.get()), &info, WEXITED) < 0 && errno == EINTR) {
    }
    out->pidfd.reset();
    out->listener.reset();
    return "the workload did not send its mount namespace";
  }
  out->status = std::move(ours);
  return {};
}

int AwaitExec(int status_fd, int timeout_ms) {
  struct pollfd pfd = {status_fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    return -1;
  }
  Report report = {};
  ssize_t n;
  do {
    n = recv(status_fd, &report, sizeof(report), 0);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    return 0;  // the child's end closed on exec
  }
  if (n == sizeof(report) && report.step == kStepExec) {
    return report.error;
  }
  return -1;
}

}  // namespace zviz::broker
