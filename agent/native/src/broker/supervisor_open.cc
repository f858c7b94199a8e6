// open, openat, openat2 and creat under broker rules (supervisor.h; the
// emulation itself is open_emulation.h). In order: the arguments are read
// from registers (or, for openat2, from the workload's memory); a decision
// that does not depend on the path is left to the kernel by CONTINUE; flags
// the kernel refuses are answered with its errno before any path is read; the
// rest is emulated: the path is read once, resolved, judged and opened by the
// broker, and the descriptor installed in the workload (or, for a FIFO that
// waits for its other end, handed to a worker: supervisor_fifo.cc).
#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>
#include <climits>
#include <optional>

#include "broker/metrics.h"
#include "broker/notif_answer.h"
#include "broker/open_how.h"
#include "broker/step_times.h"
#include "broker/supervisor.h"
#include "broker/thread_caps.h"

namespace zviz::broker {
namespace {

const char kNoCredentialsNote[] =
    "cannot read or wear the task's credentials (fsuid, fsgid, groups, capabilities): its opens are not emulated";
const char kUnreachableNote[] =
    "the workload made itself non-dumpable (PR_SET_DUMPABLE 0): its memory is closed to the broker";

/** Where one form of open keeps its arguments. */
struct OpenArguments {
  OpenRequest open;
  uint64_t path_address = 0;
  /** openat2: flags, mode and resolve live in a struct open_how in the target's memory. */
  bool how_in_memory = false;
  uint64_t how_address = 0;
  uint64_t how_size = 0;
};

OpenArguments DecodeOpenArguments(const struct seccomp_notif& req, Kind kind) {
  const __u64* a = req.data.args;
  OpenArguments args;
  OpenRequest& open = args.open;
  switch (kind) {
    case Kind::kOpen:
      args.path_address = a[0];
      open.flags = static_cast<uint32_t>(a[1]);
      open.mode = static_cast<uint32_t>(a[2]);
      break;
    case Kind::kCreat:
      args.path_address = a[0];
      open.flags = O_CREAT | O_WRONLY | O_TRUNC;
      open.mode = static_cast<uint32_t>(a[1]);
      break;
    case Kind::kOpenat:
      open.dirfd = ArgInt(a[0]);
      args.path_address = a[1];
      open.flags = static_cast<uint32_t>(a[2]);
      open.mode = static_cast<uint32_t>(a[3]);
      break;
    default:  // openat2
      open.dirfd = ArgInt(a[0]);
      args.path_address = a[1];
      args.how_in_memory = true;
      args.how_address = a[2];
      args.how_size = a[3];
      break;
  }
  return args;
}

/**
 * The workload's memory could not be read: the errno the kernel would
 * give (EFAULT, ENAMETOOLONG, ...), or a refusal when it closed its memory.
 */
void AnswerUnreadable(const Target& target, int read, Answer* answer) {
  answer->how = Answer::How::kErrno;
  answer->error = -read;
  answer->decision = Decision::kEmulate;
  if (read == -EPERM && target.Valid()) {
    // The workload made itself non-dumpable: the broker cannot read its
    // path, so it cannot do the open for it. A refusal, counted as one.
    answer->decision = Decision::kDeny;
    answer->note = kUnreachableNote;
  } else if (read != -EFAULT && read != -ENAMETOOLONG && read != -EINVAL && read != -E2BIG) {
    BrokerMetrics::Get().Error();
    answer->note = "cannot read the path from the workload's memory";
  }
}

/** The rules' decision when it does not depend on the path, or nullptr. */
const Outcome* PathIndependentOutcome(const Policy& policy, uint16_t syscall, Access access, bool how_in_memory) {
  const Outcome* fixed = policy.Fixed(syscall, access);
  if (fixed != nullptr && how_in_memory) {
    // openat2's flags can be rewritten before the kernel reads them again:
    // only an outcome that does not depend on them is safe to leave to CONTINUE.
    const Outcome* other = policy.Fixed(syscall, access == Access::kRead ? Access::kWrite : Access::kRead);
    if (other == nullptr || other->decision != fixed->decision || other->errno_value != fixed->errno_value) {
      return nullptr;
    }
  }
  return fixed;
}

/** The emulation's result as the answer (all verdicts but kAbandon, which answers nothing). */
void AnswerEmulated(OpenResult& result, const OpenRequest& open, Answer* answer) {
  answer->resolved = std::move(result.resolved);
  answer->note = std::move(result.note);
  answer->rule = result.outcome.rule;
  answer->cloexec = (open.flags & O_CLOEXEC) != 0;
  const Decision done = result.outcome.decision == Decision::kLog ? Decision::kLog : Decision::kEmulate;
  switch (result.verdict) {
    case OpenVerdict::kAbandon:
      break;
    case OpenVerdict::kAnswer:
      if (IsRefusal(result.outcome.decision)) {
        answer->FromOutcome(result.outcome);
        if (answer->how == Answer::How::kErrno) {
          answer->error = result.error;
        }
      } else {
        answer->how = Answer::How::kErrno;
        answer->error = result.error;
        answer->decision = done;
      }
      break;
    case OpenVerdict::kInstall:
      answer->how = Answer::How::kInstall;
      answer->fd = std::move(result.fd);
      answer->decision = done;
      break;
    case OpenVerdict::kDeferred:
      answer->how = Answer::How::kInstall;
      answer->fd = std::move(result.fd);
      answer->fifo_flags = open.flags;
      answer->decision = done;
      break;
  }
}

}  // namespace

void Supervisor::HandleOpen(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  StepTimes::Begin(t0);
  StepTimes::Lap(Step::kDispatch);
  OpenArguments args = DecodeOpenArguments(req, kind);
  OpenRequest& open = args.open;
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  struct open_how how = {};
  if (args.how_in_memory) {
    const int read = ReadOpenHow(target, args.how_address, args.how_size, &how);
    if (read != 0) {
      AnswerUnreadable(target, read, &answer);
      Deliver(req, syscall, answer, t0);
      return;
    }
    open.flags = how.flags;
    open.mode = how.mode;
    open.resolve = how.resolve;
  }
  answer.has_flags = true;
  answer.flags = open.flags;

  // 1. A decision that does not depend on the path: the kernel does the open.
  const Outcome* fixed = PathIndependentOutcome(*options_.policy, syscall, ClassifyOpen(open.flags), args.how_in_memory);
  if (fixed != nullptr) {
    answer.FromOutcome(*fixed);
    if (answer.decision != Decision::kAllow || options_.events_all) {
      // For the record only: this decision does not depend on the path.
      if (target.ReadString(args.path_address, PATH_MAX, &answer.path) != 0) {
        answer.path.clear();
        answer.note = kUnreadablePathNote;
      }
    }
    Deliver(req, syscall, answer, t0);
    return;
  }
  // 2. The kernel refuses bad flags before it reads the path (open_how.h).
  const int invalid =
      args.how_in_memory ? KernelRefusesOpenHow(how) : KernelRefusesOpenFlags(open.flags, open.mode);
  if (invalid != 0) {
    answer.how = Answer::How::kErrno;
    answer.error = invalid;
    answer.decision = Decision::kEmulate;
    Deliver(req, syscall, answer, t0);
    return;
  }
  // 3. The path, read once: what the rules judge is what the broker opens.
  //    One raise of CAP_SYS_PTRACE covers the read and the task's own root,
  //    cwd or descriptor; the emulation lowers it before it resolves anything.
  PtraceSpan span;
  const int read = target.ReadString(args.path_address, PATH_MAX - 1, &open.path);
  StepTimes::Lap(Step::kPath);
  if (read != 0) {
    LowerPtrace();
    AnswerUnreadable(target, read, &answer);
    Deliver(req, syscall, answer, t0);
    return;
  }
  answer.path = open.path;
  EmulateOpen(req, syscall, target, open, answer, t0);
}

void Supervisor::EmulateOpen(const struct seccomp_notif& req, uint16_t syscall, const Target& target,
                             const OpenRequest& open, Answer& answer, uint64_t t0) {
  // The kernel judges an open by the opener's credentials as they are now: a
  // task that gave up root (setuid, setgroups, capset) must not get root's
  // opens. Its notification is checked valid after the resolution, so these
  // are that task's (a task blocked in a syscall cannot change its own).
  // Most tasks wear the workload's starting capabilities: served as they are
  // (WearsOwnCredentials says why that is enough); the others by their own.
  // A task in a user namespace other than the workload's (one it made with
  // clone or unshare, or joined) holds capabilities that count only over
  // inodes whose owner is mapped into that namespace; the thread, in the
  // node's namespace, would wear them over every file. It is served with
  // none: by its ids alone, as the node's namespace sees them
  // (docs/security.md, "Emulated opens": stricter than the kernel).
  // Read only when the profile lets a task change its user namespace: it
  // costs about 3 µs per open (docs/benchmarks.md).
  const uint64_t user_ns = user_ns_fixed_ ? options_.user_ns : target.UserNamespace();
  if (user_ns == 0 && !target.Valid()) {
    BrokerMetrics::Get().InflightAdd(-1);  // gone: nobody to answer
    return;
  }
  const bool foreign = user_ns == 0 || user_ns != options_.user_ns;
  TaskStatus status;
  const bool own = !foreign && WearsOwnCredentials(target.tid());
  if (!own && !target.Credentials(&status)) {
    if (!target.Valid()) {
      BrokerMetrics::Get().InflightAdd(-1);  // gone: nobody to answer
      return;
    }
    BrokerMetrics::Get().Error();
    answer.how = Answer::How::kErrno;
    answer.error = EACCES;
    answer.decision = Decision::kDeny;
    answer.note = kNoCredentialsNote;
    Deliver(req, syscall, answer, t0);
    return;
  }
  std::optional<TaskCredentialsWorn> worn;
  if (!own) {
    if (foreign) {
      status.credentials.effective = 0;
    }
    worn.emplace(status.credentials);
    if (!worn->ok()) {
      BrokerMetrics::Get().Error();
      answer.how = Answer::How::kErrno;
      answer.error = EACCES;
      answer.decision = Decision::kDeny;
      answer.note = kNoCredentialsNote;
      worn.reset();
      Deliver(req, syscall, answer, t0);
      return;
    }
  }
  OpenResult result = emulator_->Run(target, syscall, open);
  LowerPtrace();  // lowered by Run already, once the bases were open
  CountRefusal(result.refusal);
  const OpenVerdict verdict = result.verdict;
  AnswerEmulated(result, open, &answer);
  switch (verdict) {
    case OpenVerdict::kAbandon:
      BrokerMetrics::Get().InflightAdd(-1);
      return;
    case OpenVerdict::kDeferred:
      // The worker thread starts with these credentials: its open of the FIFO is the task's too.
      SpawnFifoWorker(req, syscall, std::move(answer), t0);
      return;
    case OpenVerdict::kAnswer:
    case OpenVerdict::kInstall:
      worn.reset();  // a kill answer needs the thread's own capabilities
      Deliver(req, syscall, answer, t0);
      CloseTogether(answer.fd, result.held[0]);  // after the answer: the workload does not wait for it
      return;
  }
}

}  // namespace zviz::broker
