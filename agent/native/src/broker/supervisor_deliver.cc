// Where every decision of the supervisor ends (supervisor.h): the answer
// sent to the kernel, and, once the kernel took it, the decision counted in
// the broker's metrics and the run's summary and published as an event.
// A decision is recorded only when its answer reached a task that still
// waited: an interrupted or dead task was decided nothing.
#include "broker/supervisor.h"

#include <cerrno>

#include "broker/kernel.h"
#include "broker/metrics.h"
#include "broker/notif_answer.h"
#include "broker/step_times.h"
#include "broker/syscall_table.h"

namespace zviz::broker {
namespace {

const char kInterruptedInstallNote[] =
    "a signal or a stop of the agent interrupted the descriptor's install: the kernel withdrew it but answered the "
    "call (0, a descriptor the task did not open), so the task was killed (zviz_broker_installs_interrupted_total)";
const char kInterruptedInstallErrnoNote[] =
    "a signal or a stop of the agent interrupted the descriptor's install: nothing was installed, the call answered "
    "EINTR (zviz_broker_installs_interrupted_total)";

}  // namespace

int Supervisor::AnswerInterruptedInstall(int listener, const struct seccomp_notif& req, int installed, int pidfd,
                                         Answer& answer) {
  BrokerMetrics::Get().InstallInterrupted();
  if (installed == -EINTR) {
    // Before SECCOMP_ADDFD_FLAG_SEND: nothing installed, the call still waits.
    answer.how = Answer::How::kErrno;
    answer.error = EINTR;
    answer.note = kInterruptedInstallErrnoNote;
    return SendResponse(listener, req.id, 0, -EINTR, 0);
  }
  // The call returns 0 to the task, a descriptor it did not open (its
  // standard input, or the next file it opens): it must not go on believing
  // that is its file. Audited as a kill, and a broker error.
  BrokerMetrics::Get().Error();
  answer.how = Answer::How::kKill;
  answer.decision = Decision::kKill;
  answer.note = kInterruptedInstallNote;
  const bool killed = pidfd >= 0 ? sys::PidfdSendSignal(pidfd, SIGKILL) == 0
                                 : KillAnsweredTask(static_cast<pid_t>(req.pid));
  return killed ? 0 : -ENOENT;
}

// SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND marks the call
// answered when it queues the descriptor, then waits for the task to run and
// take it. A signal that interrupts that wait withdraws the descriptor but
// not the mark (kernel/seccomp.c, seccomp_notify_addfd), and the task's call
// returns 0, its standard input, as if it were the file it opened. The only
// signal the supervisor thread takes is Stop's; Stop and this thread agree,
// each storing its own flag before reading the other's (sequentially
// consistent), that either Stop sends no signal while an ADDFD is under way
// or the ADDFD is not made.
bool Supervisor::BeginInstall() {
  installing_.store(true);
  if (stop_.load()) {
    installing_.store(false);
    return false;
  }
  return true;
}

void Supervisor::Deliver(const struct seccomp_notif& req, uint16_t syscall, Answer& answer, uint64_t t0) {
  const int listener = listener_.get();
  int rc = 0;
  // The latency ends when the answer is handed to the kernel. SEND returns
  // at once; ADDFD returns only once the workload has been scheduled and has
  // taken its descriptor, which on a busy machine is the scheduler's wait,
  // not the broker's (docs/benchmarks.md, "Demo broker latency").
  const uint64_t sent = NowNs(CLOCK_MONOTONIC);
  switch (answer.how) {
    case Answer::How::kErrno:
      rc = SendResponse(listener, req.id, 0, -answer.error, 0);
      break;
    case Answer::How::kContinue:
      if (syscall == umask_syscall_) {
        // Decided before the kernel sets it (a task made meanwhile copies the
        // old value), kept only once the call goes through (umask_tracker.h).
        const UmaskTracker::Change change = umask_.Prepare(static_cast<pid_t>(req.pid), req.data.args[0]);
        rc = SendResponse(listener, req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
        if (rc == 0) {
          umask_.Commit(change);
        }
        break;
      }
      rc = SendResponse(listener, req.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
      break;
    case Answer::How::kInstall: {
      if (!BeginInstall()) {
        rc = -ENOENT;  // Stop has begun: nothing given, and nothing decided
        break;
      }
      // The descriptor stays open until its owner lets go of the answer (an
      // emulated open closes it with the object it was reopened from).
      int installed = InstallFd(listener, req.id, answer.fd.get(), answer.cloexec);
      EndInstall();
      if (installed == -ENOENT) {
        rc = -ENOENT;
      } else if (installed == -EINPROGRESS || installed == -EINTR) {
        rc = AnswerInterruptedInstall(listener, req, installed, -1, answer);
      } else if (installed < 0) {
        // The target's fd table refused it (EMFILE, ...): that is the open's result.
        answer.error = -installed;
        rc = SendResponse(listener, req.id, 0, installed, 0);
      }
      break;
    }
    case Answer::How::kKill: {
      Target target(listener, req.id, static_cast<pid_t>(req.pid));
      rc = KillTarget(target) ? 0 : -ENOENT;
      if (rc == 0) {
        // Dying anyway; answer so the task leaves the wait at once.
        SendResponse(listener, req.id, 0, -EPERM, 0);
      }
      break;
    }
    case Answer::How::kNone:
      rc = -EINVAL;
      break;
  }
  StepTimes::Lap(Step::kAnswer);
  BrokerMetrics& metrics = BrokerMetrics::Get();
  metrics.InflightAdd(-1);
  if (rc == 0) {
    Record(req, syscall, answer, sent - t0);
    StepTimes::Lap(Step::kRecord);
  } else if (rc != -ENOENT) {
    // ENOENT: the task was interrupted (it restarts the call, and its next
    // notification is counted) or died; nothing was decided for it.
    metrics.Error();
  }
}

void Supervisor::Record(const struct seccomp_notif& req, uint16_t syscall, const Answer& answer,
                        uint64_t latency_ns) {
  BrokerMetrics::Get().Decided(syscall, answer.decision, answer.layer, latency_ns);
  if (StepTimes::enabled()) {
    ObserveLatency(answer, latency_ns);
  }
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

void Supervisor::ObserveLatency(const Answer& answer, uint64_t latency_ns) const {
  if (answer.fifo_flags != 0) {
    // A FIFO worker's answer (on the worker's thread: first_ and cold_ are the supervisor thread's).
    StepTimes::ObserveLatency(latency_ns, LatencyKind::kFifo, false, false);
    return;
  }
  LatencyKind kind = LatencyKind::kOther;
  if (IsRefusal(answer.decision)) {
    kind = LatencyKind::kRefused;
  } else if (answer.how == Answer::How::kContinue) {
    kind = LatencyKind::kContinue;
  } else if (answer.has_flags) {  // set by the open handler once it knows the flags
    kind = LatencyKind::kOpen;
  }
  StepTimes::ObserveLatency(latency_ns, kind, first_, cold_);
}

void Supervisor::CountRefusal(BrokerRefusal refusal) {
  // A path that leaves the workload's mount namespace or names the agent's
  // own /proc entries is an attack or a broker gap: a broker error, besides
  // the refusal. A non-dumpable workload and O_PATH are documented limits.
  if (refusal == BrokerRefusal::kInvariant || refusal == BrokerRefusal::kAgentEntry) {
    BrokerMetrics::Get().Error();
  }
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

}  // namespace zviz::broker
