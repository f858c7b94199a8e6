#include "broker/supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "broker/destinations.h"
#include "broker/host_proc.h"
#include "broker/kernel.h"
#include "broker/metrics.h"
#include "broker/open_how.h"
#include "broker/syscall_table.h"
#include "broker/thread_caps.h"

namespace zviz::broker {
namespace {

uint64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void NoopHandler(int) {}

int32_t ArgInt(uint64_t raw) { return static_cast<int32_t>(static_cast<uint32_t>(raw)); }

/** Kinds by syscall index, computed once. */
const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = [] {
    const SyscallTable& table = SyscallTable::Get();
    std::vector<Kind> out(table.size(), Kind::kGeneric);
    for (size_t i = 0; i < table.size(); ++i) {
      out[i] = KindOfName(table.Name(static_cast<uint16_t>(i)));
    }
    return out;
  }();
  return kinds;
}

std::string FormatAddress(const struct sockaddr_storage& ss, socklen_t len) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  if (ss.ss_family == AF_UNIX && len > offsetof(sockaddr_un, sun_path)) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    size_t n = std::min<size_t>(len - offsetof(sockaddr_un, sun_path), sizeof(un->sun_path));
    if (n > 0 && un->sun_path[0] == '\0') {
      return "unix:@" + std::string(un->sun_path + 1, n - 1);
    }
    return "unix:" + std::string(un->sun_path, strnlen(un->sun_path, n));
  }
  return "family " + std::to_string(ss.ss_family);
}

/** SIGKILL for the task behind a notification; false if it is already gone. */
bool KillTarget(const Target& target) {
  UniqueFd pidfd(sys::PidfdOpen(target.tid(), PIDFD_THREAD));
  if (!pidfd && errno == EINVAL) {
    // Before Linux 6.9 a pidfd names a process; SIGKILL ends all its threads anyway.
    pid_t tgid = target.Tgid();
    if (tgid > 0) {
      pidfd.reset(sys::PidfdOpen(tgid, 0));
    }
  }
  if (!pidfd || !target.Valid()) {
    return false;  // the thread id may have been reused: never signal a stranger
  }
  return sys::PidfdSendSignal(pidfd.get(), SIGKILL) == 0;
}

constexpr size_t kMaxResponseSize = 256;

// FIFO opens waiting for their other end, per container, and how often the
// supervisor looks for waits whose opener is gone.
constexpr size_t kMaxFifoWaits = 32;
constexpr int kFifoSweepMs = 100;

const char kUnreachableNote[] =
    "the workload made itself non-dumpable (PR_SET_DUMPABLE 0): its memory is closed to the broker";

bool HungUp(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int Send(int listener, uint64_t id, int64_t val, int32_t error, uint32_t flags) {
  // Room for a response struct larger than ours (SECCOMP_GET_NOTIF_SIZES), zeroed.
  alignas(8) char buf[kMaxResponseSize] = {};
  auto* resp = reinterpret_cast<struct seccomp_notif_resp*>(buf);
  resp->id = id;
  resp->val = val;
  resp->error = error;
  resp->flags = flags;
  for (;;) {
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0) {
      return 0;
    }
    if (errno != EINTR) {
      return -errno;
    }
  }
}

/** Installs `fd` in the target as the syscall's result; the new fd number, or -errno. */
int InstallFd(int listener, uint64_t id, int fd, bool cloexec) {
  struct seccomp_notif_addfd add = {};
  add.id = id;
  add.flags = ProbeKernel().addfd_send ? SECCOMP_ADDFD_FLAG_SEND : 0;
  add.srcfd = static_cast<uint32_t>(fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  int rc;
  do {
    rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    return -errno;
  }
  if (!ProbeKernel().addfd_send) {
    // Before Linux 5.14: not atomic; a signal between the two steps leaks the fd in the target.
    int sent = Send(listener, id, rc, 0, 0);
    if (sent < 0) {
      return sent;
    }
  }
  return rc;
}

}  // namespace

struct Supervisor::Answer {
  enum class How { kErrno, kContinue, kInstall, kKill, kNone } how = How::kNone;
  Decision decision = Decision::kAllow;
  Layer layer = Layer::kBroker;
  int error = 0;
  int rule = -1;
  UniqueFd fd;
  bool cloexec = false;
  uint64_t fifo_flags = 0;
  bool has_flags = false;
  uint64_t flags = 0;
  std::string path, resolved, address, note;

  void FromOutcome(const Outcome& o) {
    rule = o.rule;
    decision = o.decision;
    layer = Layer::kBroker;
    switch (o.decision) {
      case Decision::kDeny:
        how = How::kErrno;
        error = o.errno_value;
        break;
      case Decision::kKill:
        how = How::kKill;
        break;
      default:
        how = How::kContinue;
        break;
    }
  }
};

int Supervisor::WakeSignal() { return SIGRTMIN + 6; }

Supervisor::Supervisor(UniqueFd listener, SupervisorOptions options)
    : listener_(std::move(listener)), options_(std::move(options)) {
  struct seccomp_notif_sizes sizes = {};
  if (sys::Seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0) {
    notif_size_ = std::max<size_t>(sizes.seccomp_notif, sizeof(struct seccomp_notif));
    resp_size_ = std::max<size_t>(sizes.seccomp_notif_resp, sizeof(struct seccomp_notif_resp));
  } else {
    notif_size_ = sizeof(struct seccomp_notif);
    resp_size_ = sizeof(struct seccomp_notif_resp);
  }
}

Supervisor::~Supervisor() { Stop(); }

bool Supervisor::Start(std::string* error) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction sa = {};
    sa.sa_handler = NoopHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking RECV must return EINTR
    sigaction(WakeSignal(), &sa, nullptr);
  });
  if (resp_size_ > kMaxResponseSize) {
    *error = "kernel notification response is larger than the broker supports";
    return false;
  }
  int rc = pthread_create(
      &thread_, nullptr,
      [](void* self) -> void* {
        static_cast<Supervisor*>(self)->Run();
        return nullptr;
      },
      this);
  if (rc != 0) {
    *error = std::string("cannot start the supervisor thread: ") + std::strerror(rc);
    return false;
  }
  thread_started_ = true;
  return true;
}

void Supervisor::Stop() {
  if (!thread_started_) {
    listener_.reset();
    return;
  }
  stop_.store(true, std::memory_order_release);
  // A RECV blocked on a listener whose tasks are all gone may never return
  // on older kernels; the wake signal interrupts it (EINTR), and the loop
  // sees stop_. Repeat until the thread confirms it has left the loop.
  for (int i = 0; i < 5000 && !finished_.load(std::memory_order_acquire); ++i) {
    pthread_kill(thread_, WakeSignal());
    struct timespec ts = {0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  pthread_join(thread_, nullptr);
  thread_started_ = false;
  StopFifoWorkers();
  listener_.reset();
}

std::array<uint64_t, kDecisionCount> Supervisor::Counts() const {
  std::array<uint64_t, kDecisionCount> out{};
  for (size_t i = 0; i < kDecisionCount; ++i) {
    out[i] = counts_[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::map<std::string, uint64_t> Supervisor::Refusals() const {
  std::lock_guard<std::mutex> lock(refusals_mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [syscall, count] : refusals_) {
    out[SyscallTable::Get().Name(syscall)] = count;
  }
  return out;
}

std::map<std::string, uint64_t> Supervisor::ExpectedRefusals() const {
  std::lock_guard<std::mutex> lock(refusals_mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [syscall, count] : expected_) {
    out[SyscallTable::Get().Name(syscall)] = count;
  }
  return out;
}

bool Supervisor::RootIsFixed() const {
  // chroot needs CAP_SYS_CHROOT, pivot_root and setns CAP_SYS_ADMIN.
  const uint64_t caps = options_.capabilities;
  if (caps & (1ULL << CAP_SYS_ADMIN)) {
    return false;
  }
  if (!(caps & (1ULL << CAP_SYS_CHROOT))) {
    return true;
  }
  // The filter may refuse chroot on every ABI the machine runs.
  struct Abi {
    uint32_t token;
    uint32_t audit_arch;
  };
#if defined(__x86_64__)
  const Abi abis[] = {{SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64}, {SCMP_ARCH_X86, AUDIT_ARCH_I386},
                      {SCMP_ARCH_X32, AUDIT_ARCH_X86_64}};
#elif defined(__aarch64__)
  const Abi abis[] = {{SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64}, {SCMP_ARCH_ARM, AUDIT_ARCH_ARM}};
#else
  const Abi abis[] = {{SCMP_ARCH_NATIVE, 0}};
  return false;
#endif
  for (const Abi& abi : abis) {
    const int nr = seccomp_syscall_resolve_name_arch(abi.token, "chroot");
    if (nr < 0) {
      continue;
    }
    struct seccomp_data data = {};
    data.nr = nr;
    data.arch = abi.audit_arch;
    const uint32_t action = RunSeccompProgram(*options_.reference, data) & SECCOMP_RET_ACTION_FULL;
    if (action != SECCOMP_RET_ERRNO && action != SECCOMP_RET_KILL_PROCESS && action != SECCOMP_RET_KILL_THREAD &&
        action != SECCOMP_RET_TRAP) {
      return false;
    }
  }
  return true;
}

void Supervisor::PrepareThread() {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, WakeSignal());
  pthread_sigmask(SIG_SETMASK, &set, nullptr);
  thread_tid_.store(sys::Gettid(), std::memory_order_relaxed);

  // Own cwd/root/umask for this thread, so creating files can use the
  // workload's umask without touching the agent's.
  bool own_fs = sys::ThreadUnshare(CLONE_FS) == 0;
  if (!own_fs) {
    BrokerMetrics::Get().Error();
  }
  if (options_.mount_ns && options_.mount_ns->valid()) {
    // Read-only mounts then bind the broker's emulated opens as they bind the
    // workload. Without its own fs_struct the thread cannot switch; it must
    // not emulate in the agent's namespace, so it stops (fail closed).
    if (!own_fs || setns(options_.mount_ns->get(), CLONE_NEWNS) != 0) {
      BrokerMetrics::Get().Error();
      stop_.store(true, std::memory_order_release);
    }
    options_.mount_ns.reset();
  }
  // After setns: the emulator lists the workload's mounts and notes its root.
  emulator_ = std::make_unique<OpenEmulator>(*options_.policy, HostProc(), own_fs, RootIsFixed());
  emulator_->set_devices(options_.devices.get());
  std::string why;
  if (HostProc() < 0 || !emulator_->Ready(&why)) {
    // Without the invariant check the broker must not open files for the workload.
    BrokerMetrics::Get().Error();
    stop_.store(true, std::memory_order_release);
  }
  // Wear the workload's capabilities, irreversibly for this thread: files the
  // broker opens on the workload's behalf are opened with no more privilege
  // than the workload has (thread_caps.h: and the thread is no ptrace peer of it).
  if (!WearWorkloadCaps(options_.capabilities)) {
    BrokerMetrics::Get().Error();
    stop_.store(true, std::memory_order_release);
  }

  if (options_.sync_wake_up && ProbeKernel().sync_wake_up) {
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0) {
      sync_active_.store(true, std::memory_order_relaxed);
    }
  }
}

void Supervisor::Run() {
  PrepareThread();
  std::unique_ptr<uint64_t[]> buffer(new uint64_t[(notif_size_ + 7) / 8]);
  auto* req = reinterpret_cast<struct seccomp_notif*>(buffer.get());
  BrokerMetrics& metrics = BrokerMetrics::Get();
  while (!stop_.load(std::memory_order_acquire)) {
    if (!WaitWithFifoWorkers()) {
      continue;
    }
    std::memset(req, 0, notif_size_);  // the kernel refuses a non-zeroed struct (EINVAL)
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
      const int e = errno;
      if (e == EINTR) {
        continue;
      }
      if (e == ENOENT) {
        // The notifying task was interrupted, or (Linux 6.x) no task uses the filter any more.
        if (HungUp(listener_.get())) {
          break;
        }
        continue;
      }
      metrics.Error();
      if (HungUp(listener_.get()) || e == EBADF || e == EINVAL || e == ENOTTY || e == EFAULT) {
        break;
      }
      continue;
    }
    const uint64_t t0 = NowNs(CLOCK_MONOTONIC);
    metrics.Received();
    metrics.InflightAdd(1);
    Handle(*req, t0);
  }
  finished_.store(true, std::memory_order_release);
}

void Supervisor::Handle(const struct seccomp_notif& req, uint64_t t0) {
  const uint16_t syscall = SyscallTable::Get().Index(req.data.arch, req.data.nr);
  const uint32_t ret = RunSeccompProgram(*options_.reference, req.data);
  Answer answer;
  answer.layer = Layer::kSeccomp;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ERRNO:
      answer.how = Answer::How::kErrno;
      answer.decision = Decision::kDeny;
      answer.error = static_cast<int>(ret & SECCOMP_RET_DATA);
      break;
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
      // A thread cannot be killed alone from outside; the process goes.
      answer.how = Answer::How::kKill;
      answer.decision = Decision::kKill;
      break;
    case SECCOMP_RET_LOG:
      answer.how = Answer::How::kContinue;
      answer.decision = Decision::kLog;
      break;
    case SECCOMP_RET_USER_NOTIF:
      HandleBrokered(req, syscall, t0);
      return;
    default:
      // The enforcement program only notifies what the reference program
      // refuses, logs or brokers; anything else is a broker bug. Fail closed.
      BrokerMetrics::Get().Error();
      Send(listener_.get(), req.id, 0, -ENOSYS, 0);
      BrokerMetrics::Get().InflightAdd(-1);
      return;
  }
  Deliver(req, syscall, answer, t0);
}

void Supervisor::HandleBrokered(const struct seccomp_notif& req, uint16_t syscall, uint64_t t0) {
  const Kind kind = syscall < Kinds().size() ? Kinds()[syscall] : Kind::kGeneric;
  if (options_.policy->Brokers(syscall)) {
    if (IsOpenKind(kind)) {
      HandleOpen(req, syscall, kind, t0);
      return;
    }
    if (kind == Kind::kExecve || kind == Kind::kExecveat) {
      HandleExec(req, syscall, kind, t0);
      return;
    }
  }
  // Rules on connect judge every call that names a peer (the filter notifies
  // sendto only with an address, sendmsg, sendmmsg and the i386 socketcall
  // forms only when the profile has such rules).
  if (IsDestinationKind(kind) && options_.policy->Brokers(options_.policy->connect())) {
    HandleConnect(req, syscall, kind, t0);
    return;
  }
  // SCMP_ACT_NOTIFY without rules, or rules on scalar arguments only.
  Answer answer;
  answer.FromOutcome(*options_.policy->Fixed(syscall, Access::kAny));
  Deliver(req, syscall, answer, t0);
}

void Supervisor::HandleOpen(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  const __u64* a = req.data.args;
  OpenRequest open;
  uint64_t path_address = 0;
  bool flags_in_memory = false;
  switch (kind) {
    case Kind::kOpen:
      path_address = a[0];
      open.flags = static_cast<uint32_t>(a[1]);
      open.mode = static_cast<uint32_t>(a[2]);
      break;
    case Kind::kCreat:
      path_address = a[0];
      open.flags = O_CREAT | O_WRONLY | O_TRUNC;
      open.mode = static_cast<uint32_t>(a[1]);
      break;
    case Kind::kOpenat:
      open.dirfd = ArgInt(a[0]);
      path_address = a[1];
      open.flags = static_cast<uint32_t>(a[2]);
      open.mode = static_cast<uint32_t>(a[3]);
      break;
    default:  // openat2: flags, mode and resolve live in the target's memory
      open.dirfd = ArgInt(a[0]);
      path_address = a[1];
      flags_in_memory = true;
      break;
  }
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  // The workload's memory could not be read: the errno the kernel would
  // give (EFAULT, ENAMETOOLONG, ...), or a refusal when it closed its memory.
  auto unreadable = [&](int read) {
    answer.how = Answer::How::kErrno;
    answer.error = -read;
    answer.decision = Decision::kEmulate;
    if (read == -EPERM && target.Valid()) {
      // The workload made itself non-dumpable: the broker cannot read its
      // path, so it cannot do the open for it. A refusal, counted as one.
      answer.decision = Decision::kDeny;
      answer.note = kUnreachableNote;
    } else if (read != -EFAULT && read != -ENAMETOOLONG && read != -EINVAL && read != -E2BIG) {
      BrokerMetrics::Get().Error();
      answer.note = "cannot read the path from the workload's memory";
    }
    Deliver(req, syscall, answer, t0);
  };
  struct open_how how = {};
  if (flags_in_memory) {
    const int read = ReadOpenHow(target, a[2], a[3], &how);
    if (read != 0) {
      unreadable(read);
      return;
    }
    open.flags = how.flags;
    open.mode = how.mode;
    open.resolve = how.resolve;
  }
  answer.has_flags = true;
  answer.flags = open.flags;
  const Access access = ClassifyOpen(open.flags);
  const Outcome* fixed = options_.policy->Fixed(syscall, access);
  if (fixed != nullptr && flags_in_memory) {
    // openat2's flags can be rewritten before the kernel reads them again:
    // only an outcome that does not depend on them is safe to leave to CONTINUE.
    const Outcome* other = options_.policy->Fixed(syscall, access == Access::kRead ? Access::kWrite : Access::kRead);
    if (other == nullptr || other->decision != fixed->decision || other->errno_value != fixed->errno_value) {
      fixed = nullptr;
    }
  }
  if (fixed != nullptr) {
    answer.FromOutcome(*fixed);
    if (answer.decision != Decision::kAllow || options_.events_all) {
      // For the record only: this decision does not depend on the path.
      if (target.ReadString(path_address, PATH_MAX, &answer.path) != 0) {
        answer.path.clear();
      }
    }
    Deliver(req, syscall, answer, t0);
    return;
  }
  // The kernel refuses bad flags before it reads the path (open_how.h).
  const int invalid = flags_in_memory ? KernelRefusesOpenHow(how) : KernelRefusesOpenFlags(open.flags, open.mode);
  if (invalid != 0) {
    answer.how = Answer::How::kErrno;
    answer.error = invalid;
    answer.decision = Decision::kEmulate;
    Deliver(req, syscall, answer, t0);
    return;
  }
  const int read = target.ReadString(path_address, PATH_MAX - 1, &open.path);
  if (read != 0) {
    unreadable(read);
    return;
  }
  answer.path = open.path;
  OpenResult result = emulator_->Run(target, syscall, open);
  answer.resolved = std::move(result.resolved);
  answer.note = std::move(result.note);
  answer.rule = result.outcome.rule;
  answer.cloexec = (open.flags & O_CLOEXEC) != 0;
  CountRefusal(result.refusal);
  switch (result.verdict) {
    case OpenVerdict::kAbandon:
      BrokerMetrics::Get().InflightAdd(-1);
      return;
    case OpenVerdict::kAnswer:
      if (IsRefusal(result.outcome.decision)) {
        answer.FromOutcome(result.outcome);
        if (answer.how == Answer::How::kErrno) {
          answer.error = result.error;
        }
      } else {
        answer.how = Answer::How::kErrno;
        answer.error = result.error;
        answer.decision = result.outcome.decision == Decision::kLog ? Decision::kLog : Decision::kEmulate;
      }
      Deliver(req, syscall, answer, t0);
      return;
    case OpenVerdict::kInstall:
      answer.how = Answer::How::kInstall;
      answer.fd = std::move(result.fd);
      answer.decision = result.outcome.decision == Decision::kLog ? Decision::kLog : Decision::kEmulate;
      Deliver(req, syscall, answer, t0);
      return;
    case OpenVerdict::kDeferred:
      answer.how = Answer::How::kInstall;
      answer.fd = std::move(result.fd);
      answer.fifo_flags = open.flags;
      answer.decision = result.outcome.decision == Decision::kLog ? Decision::kLog : Decision::kEmulate;
      SpawnFifoWorker(req, syscall, std::move(answer), t0);
      return;
  }
}

void Supervisor::CountRefusal(BrokerRefusal refusal) {
  // A path that leaves the workload's mount namespace or names the agent's
  // own /proc entries is an attack or a broker gap: a broker error, besides
  // the refusal. A non-dumpable workload and O_PATH are documented limits.
  if (refusal == BrokerRefusal::kInvariant || refusal == BrokerRefusal::kAgentEntry) {
    BrokerMetrics::Get().Error();
  }
}

void Supervisor::HandleExec(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  const __u64* a = req.data.args;
  const bool at = kind == Kind::kExecveat;
  const int dirfd = at ? ArgInt(a[0]) : AT_FDCWD;
  const uint64_t path_address = at ? a[1] : a[0];
  const uint64_t at_flags = at ? a[4] : 0;
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  const Outcome* fixed = options_.policy->Fixed(syscall, Access::kAny);
  const int read = target.ReadString(path_address, PATH_MAX - 1, &answer.path);
  if (fixed != nullptr) {
    answer.FromOutcome(*fixed);
    Deliver(req, syscall, answer, t0);
    return;
  }
  Outcome outcome;
  if (read != 0) {
    // Unreadable path: the kernel will fail the call too; judge the empty path.
    outcome = options_.policy->Decide(syscall, Access::kAny, "", nullptr, 0);
  } else {
    // An observation: CONTINUE lets the kernel read the path again. The
    // resolution that names it goes through the same checks as an open, so
    // a path through the agent's /proc entries is refused here too.
    OpenRequest name;
    name.dirfd = dirfd;
    name.path = answer.path;
    name.flags = O_PATH | ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
    if (name.path.empty() && (at_flags & AT_EMPTY_PATH)) {
      name.path = ".";
    }
    OpenResult resolved = emulator_->Judge(target, syscall, name);
    if (resolved.verdict == OpenVerdict::kAbandon) {
      BrokerMetrics::Get().InflightAdd(-1);
      return;
    }
    answer.resolved = resolved.resolved;
    outcome = resolved.outcome;
    CountRefusal(resolved.refusal);
    if (resolved.refusal != BrokerRefusal::kNone) {
      answer.note = std::move(resolved.note);
      if (resolved.refusal == BrokerRefusal::kUnreachable) {
        // The kernel will resolve the path itself, as the workload: only an observation was lost.
        outcome = options_.policy->Decide(syscall, Access::kAny, answer.path, nullptr, 0);
      }
    }
  }
  answer.FromOutcome(outcome);
  Deliver(req, syscall, answer, t0);
}

void Supervisor::HandleConnect(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  const Destinations destinations = ReadDestinations(req, kind, target);
  answer.note = destinations.form;
  if (destinations.none) {
    // No address: the call goes to the socket's peer, judged when it connected.
    answer.how = Answer::How::kContinue;
    answer.decision = Decision::kAllow;
    Deliver(req, syscall, answer, t0);
    return;
  }
  const uint16_t connect = options_.policy->connect();
  const Outcome* fixed = options_.policy->Fixed(connect, Access::kAny);
  Outcome outcome = fixed != nullptr ? *fixed : Outcome{};
  bool first = true;
  for (const Destination& d : destinations.items) {
    const auto* address = reinterpret_cast<const struct sockaddr*>(&d.address);
    // The kernel fails an unreadable address (EFAULT/EINVAL) when CONTINUEd;
    // refusals still apply first.
    const Outcome here = fixed != nullptr ? *fixed
                         : d.readable      ? options_.policy->Decide(connect, Access::kAny, "", address, d.length)
                                           : options_.policy->Decide(connect, Access::kAny, "", nullptr, 0);
    if (first || (IsRefusal(here.decision) && !IsRefusal(outcome.decision)) ||
        (here.decision == Decision::kLog && outcome.decision == Decision::kAllow)) {
      // The record names the address that decided: the first, or the first refused.
      outcome = here;
      answer.address = d.readable ? FormatAddress(d.address, d.length) : std::string();
    }
    first = false;
    if (IsRefusal(outcome.decision)) {
      break;
    }
  }
  answer.FromOutcome(outcome);
  Deliver(req, syscall, answer, t0);
}

void Supervisor::Deliver(const struct seccomp_notif& req, uint16_t syscall, Answer& answer, uint64_t t0) {
  const int listener = listener_.get();
  int rc = 0;
  switch (answer.how) {
    case Answer::How::kErrno:
      rc = Send(listener, req.id, 0, -answer.error, 0);
      break;
    case Answer::How::kContinue:
      rc = Send(listener, req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
      break;
    case Answer::How::kInstall: {
      int installed = InstallFd(listener, req.id, answer.fd.get(), answer.cloexec);
      answer.fd.reset();
      if (installed == -ENOENT) {
        rc = -ENOENT;
      } else if (installed < 0) {
        // The target's fd table refused it (EMFILE, ...): that is the open's result.
        answer.error = -installed;
        rc = Send(listener, req.id, 0, installed, 0);
      }
      break;
    }
    case Answer::How::kKill: {
      Target target(listener, req.id, static_cast<pid_t>(req.pid));
      rc = KillTarget(target) ? 0 : -ENOENT;
      if (rc == 0) {
        // Dying anyway; answer so the task leaves the wait at once.
        Send(listener, req.id, 0, -EPERM, 0);
      }
      break;
    }
    case Answer::How::kNone:
      rc = -EINVAL;
      break;
  }
  const uint64_t t1 = NowNs(CLOCK_MONOTONIC);
  BrokerMetrics& metrics = BrokerMetrics::Get();
  metrics.InflightAdd(-1);
  if (rc == 0) {
    Record(req, syscall, answer, t1 - t0);
  } else if (rc != -ENOENT) {
    // ENOENT: the task was interrupted (it restarts the call, and its next
    // notification is counted) or died; nothing was decided for it.
    metrics.Error();
  }
}

void Supervisor::Record(const struct seccomp_notif& req, uint16_t syscall, const Answer& answer,
                        uint64_t latency_ns) {
  BrokerMetrics::Get().Decided(syscall, answer.decision, answer.layer, latency_ns);
  counts_[static_cast<size_t>(answer.decision)].fetch_add(1, std::memory_order_relaxed);
  if (IsRefusal(answer.decision)) {
    bool expected = false;
    for (const ExpectedRefusal& e : options_.expected_refusals) {
      if (e.syscall == syscall && (e.errno_value == 0 || e.errno_value == answer.error) &&
          (e.address.empty() || e.address == answer.address)) {
        expected = true;
        break;
      }
    }
    std::lock_guard<std::mutex> lock(refusals_mu_);
    ++(expected ? expected_ : refusals_)[syscall];
  }
  const bool notable = answer.decision != Decision::kAllow && answer.decision != Decision::kEmulate;
  if (!notable && !options_.events_all) {
    return;
  }
  DecisionEvent event;
  event.time_ns = static_cast<int64_t>(NowNs(CLOCK_REALTIME));
  event.container = options_.label;
  event.syscall = syscall;
  event.decision = answer.decision;
  event.layer = answer.layer;
  event.errno_value = answer.error;
  event.latency_ns = latency_ns;
  event.pid = static_cast<int32_t>(req.pid);
  event.rule = answer.rule;
  event.has_flags = answer.has_flags;
  event.flags = static_cast<int64_t>(answer.flags);
  event.path = answer.path;
  event.resolved = answer.resolved;
  event.address = answer.address;
  event.note = answer.note;
  EventQueue::Get().Push(std::move(event));
}

// Opens of a FIFO that wait for the other end (docs/security.md, "Emulated
// opens"). Each waits in a worker thread of its own, so the supervisor keeps
// answering; there are at most kMaxFifoWaits per container (beyond, the open
// is refused with EAGAIN and counted as a deny), and a wait whose opener is
// gone (killed: its notification is no longer valid) is cancelled within
// kFifoSweepMs by a signal that interrupts the worker's open. The supervisor
// joins every worker: none outlives its wait, none outlives the container.
struct Supervisor::FifoWorker {
  Supervisor* self = nullptr;
  struct seccomp_notif req = {};
  uint16_t syscall = 0;
  uint64_t t0 = 0;
  UniqueFd listener;  // a duplicate, for answering from this thread
  Answer answer;
  pthread_t thread{};
  std::atomic<bool> cancel{false};
  std::atomic<bool> done{false};
};

void Supervisor::SpawnFifoWorker(const struct seccomp_notif& req, uint16_t syscall, Answer answer, uint64_t t0) {
  size_t waiting = 0;
  {
    std::lock_guard<std::mutex> lock(workers_mu_);
    for (const auto& [id, worker] : workers_) {
      waiting += worker->done.load(std::memory_order_acquire) ? 0 : 1;
    }
  }
  if (waiting >= kMaxFifoWaits) {
    answer.fd.reset();
    answer.how = Answer::How::kErrno;
    answer.error = EAGAIN;
    answer.decision = Decision::kDeny;
    answer.note = "too many FIFO opens of this container wait for their other end (" +
                  std::to_string(kMaxFifoWaits) + ")";
    Deliver(req, syscall, answer, t0);
    return;
  }
  auto worker = std::make_unique<FifoWorker>();
  worker->self = this;
  worker->req = req;
  worker->syscall = syscall;
  worker->t0 = t0;
  worker->listener.reset(fcntl(listener_.get(), F_DUPFD_CLOEXEC, 3));
  worker->answer = std::move(answer);
  if (!worker->listener || !workers_done_) {
    BrokerMetrics::Get().Error();
    Send(listener_.get(), req.id, 0, -ENOMEM, 0);
    BrokerMetrics::Get().InflightAdd(-1);
    return;
  }
  FifoWorker* raw = worker.get();
  std::lock_guard<std::mutex> lock(workers_mu_);
  // This thread's signal mask (only the wake signal open) is the worker's too.
  const int rc = pthread_create(
      &raw->thread, nullptr,
      [](void* arg) -> void* {
        auto* w = static_cast<FifoWorker*>(arg);
        w->self->RunFifoWork(*w);
        return nullptr;
      },
      raw);
  if (rc != 0) {
    BrokerMetrics::Get().Error();
    Send(listener_.get(), req.id, 0, -EAGAIN, 0);
    BrokerMetrics::Get().InflightAdd(-1);
    return;
  }
  workers_[req.id] = std::move(worker);
}

void Supervisor::RunFifoWork(FifoWorker& w) {
  // Blocks until the FIFO's other end opens, or the wake signal interrupts
  // it (EINTR: no SA_RESTART) because the wait was cancelled.
  int fd = -1;
  int err = 0;
  while (!w.cancel.load(std::memory_order_acquire)) {
    fd = OpenEmulator::ReopenFifo(HostProc(), w.answer.fd.get(), w.answer.fifo_flags);
    if (fd >= 0 || (err = -fd) != EINTR) {
      break;
    }
  }
  w.answer.fd.reset();
  UniqueFd opened(fd >= 0 ? fd : -1);
  int rc = -ENOENT;
  if (w.cancel.load(std::memory_order_acquire)) {
    // The opener is gone (or the container stops): nobody to answer.
  } else if (!opened) {
    w.answer.error = err;
    rc = Send(w.listener.get(), w.req.id, 0, -err, 0);
  } else {
    const int installed = InstallFd(w.listener.get(), w.req.id, opened.get(), w.answer.cloexec);
    rc = installed >= 0 ? 0 : installed;
  }
  const uint64_t t1 = NowNs(CLOCK_MONOTONIC);
  BrokerMetrics::Get().InflightAdd(-1);
  if (rc == 0) {
    Record(w.req, w.syscall, w.answer, t1 - w.t0);
  } else if (rc != -ENOENT) {
    BrokerMetrics::Get().Error();
  }
  w.listener.reset();
  w.done.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!write(workers_done_.get(), &one, sizeof(one));
}

bool Supervisor::TendFifoWorkers() {
  std::lock_guard<std::mutex> lock(workers_mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    FifoWorker& w = *it->second;
    if (w.done.load(std::memory_order_acquire)) {
      pthread_join(w.thread, nullptr);
      it = workers_.erase(it);
      continue;
    }
    if (!w.cancel.load(std::memory_order_relaxed)) {
      Target target(listener_.get(), w.req.id, static_cast<pid_t>(w.req.pid));
      if (!target.Valid()) {
        w.cancel.store(true, std::memory_order_release);
      }
    }
    if (w.cancel.load(std::memory_order_relaxed)) {
      // Again at every sweep: a signal that came just before the worker entered open() was lost.
      pthread_kill(w.thread, WakeSignal());
    }
    ++it;
  }
  return !workers_.empty();
}

bool Supervisor::WaitWithFifoWorkers() {
  {
    std::lock_guard<std::mutex> lock(workers_mu_);
    if (workers_.empty()) {
      return true;  // block in RECV, as always
    }
  }
  struct pollfd p[2] = {{listener_.get(), POLLIN, 0}, {workers_done_.get(), POLLIN, 0}};
  const int ready = poll(p, 2, kFifoSweepMs);
  if (ready < 0) {
    return false;  // EINTR: the wake signal (Stop)
  }
  if (p[1].revents & POLLIN) {
    uint64_t count;
    (void)!read(workers_done_.get(), &count, sizeof(count));
  }
  TendFifoWorkers();
  // A notification waits, or the listener hung up (RECV then says so).
  return (p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void Supervisor::StopFifoWorkers() {
  std::lock_guard<std::mutex> lock(workers_mu_);
  for (auto& [id, worker] : workers_) {
    worker->cancel.store(true, std::memory_order_release);
  }
  for (auto& [id, worker] : workers_) {
    while (!worker->done.load(std::memory_order_acquire)) {
      pthread_kill(worker->thread, WakeSignal());
      struct timespec ts = {0, 1'000'000};
      nanosleep(&ts, nullptr);
    }
    pthread_join(worker->thread, nullptr);
  }
  workers_.clear();
}

const KernelSupport& ProbeKernel() {
  static const KernelSupport support = [] {
    KernelSupport s;
    std::ifstream actions("/proc/sys/kernel/seccomp/actions_avail");
    std::string line;
    std::getline(actions, line);
    s.user_notif = line.find("user_notif") != std::string::npos;
    if (!s.user_notif) {
      s.detail = "kernel lacks seccomp user notification";
      return s;
    }
    // Valid flags with a NULL program give EFAULT; unknown flags give EINVAL.
    s.wait_killable_recv =
        sys::Seccomp(SECCOMP_SET_MODE_FILTER,
                     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, nullptr) < 0 &&
        errno == EFAULT;
    // SYNC_WAKE_UP and ADDFD_FLAG_SEND need a real listener: a child that
    // installs a trivial filter and waits to be killed.
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
      s.detail = "probe: pipe failed";
      return s;
    }
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {1, allow};
    pid_t child = fork();
    if (child == 0) {
      // Only async-signal-safe calls in the child of a threaded process.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      int listener = static_cast<int>(sys::Seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
      if (write(pipefd[1], &listener, sizeof(listener)) != sizeof(listener)) {
        _exit(1);
      }
      for (;;) {
        pause();
      }
    }
    close(pipefd[1]);
    int remote = -1;
    ssize_t n = child > 0 ? read(pipefd[0], &remote, sizeof(remote)) : -1;
    close(pipefd[0]);
    if (child > 0 && n == sizeof(remote) && remote >= 0) {
      UniqueFd pidfd(sys::PidfdOpen(child, 0));
      UniqueFd listener(pidfd ? static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), remote, 0)) : -1);
      if (listener) {
        // Set and probe on a throwaway listener.
        s.sync_wake_up =
            ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
        struct seccomp_notif_addfd add = {};
        add.id = 0;
        add.flags = SECCOMP_ADDFD_FLAG_SEND;
        add.srcfd = 0;
        s.addfd_send = ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno == ENOENT;
      } else {
        s.detail = std::string("probe: cannot take the test listener: ") + std::strerror(errno);
      }
    } else {
      s.detail = "probe: the test child did not install its filter";
    }
    if (child > 0) {
      kill(child, SIGKILL);
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    return s;
  }();
  return support;
}

}  // namespace zviz::broker
