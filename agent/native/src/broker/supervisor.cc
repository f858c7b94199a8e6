// The supervisor thread (supervisor.h): starting and stopping it, preparing
// it to act for the workload (its mount namespace, its capabilities), the
// RECV loop, and the first judgement of every notification by the reference
// program. What the broker rules decide goes to the handler of its kind
// (supervisor_open.cc, supervisor_exec.cc, supervisor_connect.cc).
#include "broker/supervisor.h"

#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "broker/decimal_name.h"
#include "broker/host_proc.h"
#include "broker/kernel.h"
#include "broker/kernel_probe.h"
#include "broker/metrics.h"
#include "broker/step_times.h"
#include "broker/notif_answer.h"
#include "broker/proc_status.h"
#include "broker/supervisor_fifo.h"
#include "broker/syscall_table.h"
#include "broker/thread_caps.h"

namespace zviz::broker {
namespace {

void NoopHandler(int) {}

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

bool HungUp(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/** After a RECV failed with `e`: true when the listener is done for (the loop ends), false to RECV again. */
bool RecvFailureEndsLoop(int listener, int e) {
  if (e == EINTR) {
    return false;
  }
  if (e == ENOENT) {
    // The notifying task was interrupted, or (Linux 6.x) no task uses the filter any more.
    return HungUp(listener);
  }
  BrokerMetrics::Get().Error();
  return HungUp(listener) || e == EBADF || e == EINVAL || e == ENOTTY || e == EFAULT;
}

/** The ABIs a filter must refuse a syscall on: every one the machine runs. */
struct Abi {
  uint32_t token;
  uint32_t audit_arch;
};
#if defined(__x86_64__)
const Abi kAbis[] = {{SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64}, {SCMP_ARCH_X86, AUDIT_ARCH_I386},
                     {SCMP_ARCH_X32, AUDIT_ARCH_X86_64}};
#elif defined(__aarch64__)
const Abi kAbis[] = {{SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64}, {SCMP_ARCH_ARM, AUDIT_ARCH_ARM}};
#else
const Abi kAbis[] = {{SCMP_ARCH_NATIVE, 0}};  // unknown: nothing is taken as refused
#endif

/** Whether the filter refuses `name` with first argument `arg0` on every ABI (false where it cannot tell). */
bool RefusedEverywhere(const BpfProgram& reference, const char* name, uint64_t arg0) {
  if (kAbis[0].audit_arch == 0) {
    return false;
  }
  for (const Abi& abi : kAbis) {
    const int nr = seccomp_syscall_resolve_name_arch(abi.token, name);
    if (nr < 0) {
      continue;
    }
    struct seccomp_data data = {};
    data.nr = nr;
    data.arch = abi.audit_arch;
    data.args[0] = arg0;
    const uint32_t action = RunSeccompProgram(reference, data) & SECCOMP_RET_ACTION_FULL;
    if (action != SECCOMP_RET_ERRNO && action != SECCOMP_RET_KILL_PROCESS && action != SECCOMP_RET_KILL_THREAD &&
        action != SECCOMP_RET_TRAP) {
      return false;
    }
  }
  return true;
}

/**
 * Whether the workload can never change its root, so the open emulation may
 * open it once: chroot needs CAP_SYS_CHROOT, pivot_root and setns CAP_SYS_ADMIN.
 */
bool RootIsFixed(const BpfProgram& reference, uint64_t caps) {
  if (caps & (1ULL << CAP_SYS_ADMIN)) {
    return false;
  }
  if (!(caps & (1ULL << CAP_SYS_CHROOT))) {
    return true;
  }
  // The filter may refuse chroot on every ABI the machine runs.
  return RefusedEverywhere(reference, "chroot", 0);
}

/**
 * Whether no task of the workload can be in a user namespace other than the
 * one it started in: the filter refuses making one (clone and unshare with
 * CLONE_NEWUSER; clone3, whose flags it cannot see) and joining one (setns,
 * which needs no capability over a namespace the task's own user made). Then
 * the open emulation need not look at each task's (supervisor_open.cc).
 */
bool UserNamespaceIsFixed(const BpfProgram& reference) {
  return RefusedEverywhere(reference, "clone", CLONE_NEWUSER | SIGCHLD) &&
         RefusedEverywhere(reference, "unshare", CLONE_NEWUSER) && RefusedEverywhere(reference, "clone3", 0) &&
         RefusedEverywhere(reference, "setns", 0);
}

}  // namespace

// A standard signal, not a real-time one: the kernel marks a standard
// signal pending even when it cannot queue its siginfo, while a real-time
// one sent with pthread_kill then fails (EAGAIN). Pending real-time signals
// are counted per user, and uid 0's count is shared by every root process of
// the node (docs/security.md, "Who the workload is"): the wake-up must not
// depend on what they leave queued. SIGURG is ignored by default, Node and
// libuv leave it alone, and only a socket owner (F_SETOWN, which the agent
// never sets) would get it from the kernel.
int Supervisor::WakeSignal() { return SIGURG; }

Supervisor::Supervisor(UniqueFd listener, SupervisorOptions options)
    : listener_(std::move(listener)), options_(std::move(options)), pacer_(options_.cpu_limit) {
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
  stop_.store(true);  // sequentially consistent: against BeginInstall (supervisor_deliver.cc)
  // A RECV blocked on a listener whose tasks are all gone may never return
  // on older kernels; the wake signal interrupts it (EINTR), and the loop
  // sees stop_. Repeat until the thread confirms it has left the loop. Never
  // into an ADDFD: it ends once its task takes the descriptor.
  for (int i = 0; i < 5000 && !finished_.load(std::memory_order_acquire); ++i) {
    if (!installing_.load()) {
      pthread_kill(thread_, WakeSignal());
    }
    struct timespec ts = {0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  pthread_join(thread_, nullptr);
  thread_started_ = false;
  StopFifoWorkers();
  listener_.reset();
}

void Supervisor::PrepareThread() {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, WakeSignal());
  pthread_sigmask(SIG_SETMASK, &set, nullptr);
  thread_tid_.store(sys::Gettid(), std::memory_order_relaxed);
  // Named, so top, perf and the scheduler's tracepoints tell it from Node's own threads.
  pthread_setname_np(pthread_self(), "zviz-broker");

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
  emulator_ = std::make_unique<OpenEmulator>(*options_.policy, HostProc(), own_fs,
                                             RootIsFixed(*options_.reference, options_.capabilities));
  emulator_->set_devices(options_.devices.get());
  // Read before the first RECV: no umask call of the workload has been let
  // through, so its first process's umask is every task's.
  long initial = -1;
  if (options_.policy->umask_notified() && options_.workload_pid > 0) {
    TaskStatus status;
    const DecimalName name(options_.workload_pid, "/status");
    if (ReadTaskStatus(HostProc(), name.c_str(), &status)) {
      initial = status.umask;
    }
  }
  umask_.Start(HostProc(), initial);
  umask_syscall_ = SyscallTable::Get().IndexOf("umask");
  emulator_->set_umask_tracker(&umask_);
  user_ns_fixed_ = UserNamespaceIsFixed(*options_.reference);
  emulator_->set_stopping(&stop_);
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
  if (options_.user_ns != 0) {
    // The workload has a user namespace of its own, which this thread (in the
    // node's) is a peer of only with CAP_SYS_PTRACE: raise it from the first
    // notification on, rather than learn it there from a refused read (a
    // failed process_vm_readv and two more capset calls in that open).
    NotePeerNeedsPtrace();
  }

  if (!stop_.load(std::memory_order_relaxed)) {
    WarmThread();
  }

  if (options_.sync_wake_up && ProbeKernel().sync_wake_up) {
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0) {
      sync_active_.store(true, std::memory_order_relaxed);
    }
  }
}

namespace {

/**
 * Touches the stack a notification's handling uses (the path and name
 * buffers are a page or more each): a new thread's stack pages are faulted in
 * on first use, which its first notifications would otherwise pay.
 */
__attribute__((noinline)) void PrefaultStack() {
  constexpr size_t kBytes = 64 * 1024;
  char pages[kBytes];
  for (size_t i = 0; i < kBytes; i += 4096) {
    pages[i] = 0;
  }
  asm volatile("" : : "r"(pages) : "memory");  // the stores are kept: they are the point
}

}  // namespace

void Supervisor::WarmThread() {
  PrefaultStack();
  emulator_->Warm();
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
    // The path read's raise of CAP_SYS_PTRACE is made now, while no task
    // waits for this thread, not in the next open's latency (after an idle
    // millisecond a capset is several µs: docs/benchmarks.md, "Demo broker
    // latency"). Only judging by the profile and answering come before the
    // path read; every step that resolves, opens or starts a thread lowers it.
    RaisePtraceAhead();
    std::memset(req, 0, notif_size_);  // the kernel refuses a non-zeroed struct (EINVAL)
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
      if (RecvFailureEndsLoop(listener_.get(), errno)) {
        break;
      }
      continue;
    }
    const uint64_t t0 = NowNs(CLOCK_MONOTONIC);
    metrics.Received();
    metrics.InflightAdd(1);
    if (StepTimes::enabled()) {
      first_ = received_++ < StepTimes::kFirstDecisions;
      cold_ = handled_ns_ == 0 || t0 - handled_ns_ >= StepTimes::kColdAfterNs;
      StepTimes::Note(req->data.nr, handled_ns_ == 0 ? 0 : t0 - handled_ns_);
    }
    Handle(*req, t0);
    StepTimes::Lap(Step::kRelease);  // an emulated open's descriptors close with its handler
    StepTimes::End();
    if (StepTimes::enabled()) {
      handled_ns_ = NowNs(CLOCK_MONOTONIC);
    }
    pacer_.Pace(stop_);  // before the next RECV: over the container's CPU limit, the workload waits
  }
  finished_.store(true, std::memory_order_release);
}

void Supervisor::Handle(const struct seccomp_notif& req, uint64_t t0) {
  const uint16_t syscall = SyscallTable::Get().Index(req.data.arch, req.data.nr);
  const uint32_t ret = reference_.Run(req.data);
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
      SendResponse(listener_.get(), req.id, 0, -ENOSYS, 0);
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

}  // namespace zviz::broker
