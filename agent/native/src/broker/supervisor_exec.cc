// execve and execveat under broker rules (supervisor.h). The broker cannot
// run an exec for the workload, so a decision on the path is an observation
// (docs/security.md): the path is read and resolved as an open would resolve
// it, judged, and the call CONTINUEd for the kernel to read it again. The
// resolution goes through the open emulation's checks, so a path through the
// agent's own /proc entries is refused here too.
#include <fcntl.h>

#include <climits>

#include "broker/metrics.h"
#include "broker/notif_answer.h"
#include "broker/supervisor.h"
#include "broker/thread_caps.h"

namespace zviz::broker {
namespace {

/** Where execve and execveat keep the path and how to resolve it. */
struct ExecArguments {
  int dirfd = AT_FDCWD;
  uint64_t path_address = 0;
  uint64_t at_flags = 0;  // execveat only
};

ExecArguments DecodeExecArguments(const struct seccomp_notif& req, Kind kind) {
  const __u64* a = req.data.args;
  if (kind != Kind::kExecveat) {
    return {AT_FDCWD, a[0], 0};
  }
  return {ArgInt(a[0]), a[1], a[4]};
}

/** The file the kernel will execute, named as an O_PATH open names it. */
OpenRequest ExecutableAsOpen(const ExecArguments& args, const std::string& path) {
  OpenRequest name;
  name.dirfd = args.dirfd;
  const bool empty_path = path.empty() && (args.at_flags & AT_EMPTY_PATH);
  name.path = empty_path ? std::string(".") : path;
  name.flags = O_PATH | ((args.at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
  return name;
}

}  // namespace

void Supervisor::HandleExec(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  const ExecArguments args = DecodeExecArguments(req, kind);
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  const Outcome* fixed = options_.policy->Fixed(syscall, Access::kAny);
  PtraceSpan span;  // the path and the task's own root, cwd or descriptor (thread_caps.h)
  const int read = target.ReadString(args.path_address, PATH_MAX - 1, &answer.path);
  if (fixed != nullptr || read != 0) {
    LowerPtrace();
  }
  if (read != 0) {
    answer.path.clear();
    answer.note = kUnreadablePathNote;
  }
  if (fixed != nullptr) {
    answer.FromOutcome(*fixed);
    Deliver(req, syscall, answer, t0);
    return;
  }
  if (read != 0) {
    // The kernel fails an unmapped or overlong path too, but reads memory
    // closed to the broker (memfd_secret's): a path the rules cannot judge
    // is refused with the kernel's own errno for it, never judged as "".
    answer.how = Answer::How::kErrno;
    answer.error = -read;
    answer.decision = Decision::kDeny;
    Deliver(req, syscall, answer, t0);
    return;
  }
  OpenResult resolved = emulator_->Judge(target, syscall, ExecutableAsOpen(args, answer.path));
  LowerPtrace();  // lowered by Judge already, once the bases were open
  if (resolved.verdict == OpenVerdict::kAbandon) {
    BrokerMetrics::Get().InflightAdd(-1);
    return;
  }
  answer.resolved = resolved.resolved;
  Outcome outcome = resolved.outcome;
  CountRefusal(resolved.refusal);
  if (resolved.refusal != BrokerRefusal::kNone) {
    answer.note = std::move(resolved.note);
    if (resolved.refusal == BrokerRefusal::kUnreachable) {
      // The kernel will resolve the path itself, as the workload: only an observation was lost.
      outcome = options_.policy->Decide(syscall, Access::kAny, answer.path, nullptr, 0);
    }
  }
  answer.FromOutcome(outcome);
  Deliver(req, syscall, answer, t0);
}

}  // namespace zviz::broker
