// execve and execveat under broker rules (supervisor.h). The broker cannot
// run an exec for the workload, so a decision on the path is an observation
// (docs/security.md): the path is read and resolved as an open would resolve
// it, judged, and the call CONTINUEd for the kernel to read it again. The
// resolution goes through the open emulation's checks, so a path through the
// agent's own /proc entries is refused here too. The kernel then opens more
// than that path by itself: a script's "#!" interpreter and an ELF's program
// interpreter, with no syscall the filter sees. Each is judged as an exec of
// its own path, and the first refused one refuses the exec.
#include <fcntl.h>
#include <sys/stat.h>

#include <unistd.h>

#include <climits>
#include <cstring>
#include <optional>

#include "broker/exec_interpreter.h"
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

/** What judging the programs an exec loads came to. */
struct LoadedPrograms {
  enum class Verdict { kAllowed, kRefused, kAbandon } verdict = Verdict::kAllowed;
  Outcome outcome;  // kRefused: the refusing rule's (or the broker's) outcome
  BrokerRefusal refusal = BrokerRefusal::kNone;
  std::string note;
};

LoadedPrograms Refused(Outcome outcome, std::string note, BrokerRefusal refusal = BrokerRefusal::kNone) {
  LoadedPrograms out;
  out.verdict = LoadedPrograms::Verdict::kRefused;
  out.outcome = outcome;
  out.note = std::move(note);
  out.refusal = refusal;
  return out;
}

// exec_binprm: the kernel follows at most this many formats (scripts) past the program itself.
constexpr int kMaxInterpreters = 5;

/**
 * Judges what the kernel loads for `program` (the judged O_PATH object)
 * beyond itself: its "#!" interpreter, whose own interpreter in turn, and
 * an ELF's PT_INTERP. The kernel opens them as the exec's caller, by path
 * from its working directory (open_exec), so they are resolved as the
 * workload's own execve of that path would be. A program the broker cannot
 * read cannot be judged: the exec is refused rather than let through unseen.
 */
LoadedPrograms JudgeLoadedPrograms(OpenEmulator& emulator, const Policy& policy, const Target& target,
                                   uint16_t syscall, UniqueFd program) {
  for (int depth = 0; depth < kMaxInterpreters; ++depth) {
    struct stat st {};
    if (fstat(program.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return {};  // the kernel runs regular files only (EACCES)
    }
    const int readable = emulator.ReopenForReading(program.get());
    ProgramInterpreter next;
    const int read = readable < 0 ? readable : ReadProgramInterpreter(readable, &next);
    if (readable >= 0) {
      close(readable);
    }
    if (read < 0) {
      Outcome outcome;
      outcome.decision = Decision::kDeny;
      outcome.errno_value = EACCES;
      return Refused(outcome, std::string("cannot read the program to judge what it loads: ") + strerror(-read));
    }
    if (next.kind == ProgramInterpreter::Kind::kNone) {
      return {};
    }
    const char* what = next.kind == ProgramInterpreter::Kind::kScript ? "its \"#!\" interpreter " : "its program interpreter (PT_INTERP) ";
    OpenRequest request;
    request.dirfd = AT_FDCWD;
    request.path = next.path;
    request.flags = O_PATH;
    OpenResult judged;
    {
      // The task's root and cwd, as for the program itself; none for an
      // absolute path from a root that cannot change (PT_INTERP's, most
      // "#!" lines), which then costs no capset pair.
      std::optional<PtraceSpan> span;
      if (emulator.ReachesTask(request.path)) {
        span.emplace();
      }
      judged = emulator.Judge(target, syscall, request);
    }
    if (judged.verdict == OpenVerdict::kAbandon) {
      LoadedPrograms gone;
      gone.verdict = LoadedPrograms::Verdict::kAbandon;
      return gone;
    }
    Outcome outcome = judged.outcome;
    if (judged.refusal == BrokerRefusal::kUnreachable) {
      // A non-dumpable task: its root and cwd are closed to the broker, as for the program (HandleExec).
      outcome = policy.Decide(syscall, Access::kAny, next.path, nullptr, 0);
    } else if (judged.refusal != BrokerRefusal::kNone) {
      return Refused(outcome, what + next.path + ": " + judged.note, judged.refusal);
    }
    if (IsRefusal(outcome.decision)) {
      const std::string& name = judged.resolved.empty() ? next.path : judged.resolved;
      return Refused(outcome, what + name + " is refused");
    }
    if (!judged.held[0] || next.kind == ProgramInterpreter::Kind::kElf) {
      return {};  // not found (the kernel fails the exec), or an ELF's interpreter, which loads nothing more
    }
    program = std::move(judged.held[0]);
  }
  return {};  // a longer chain fails in the kernel (ELOOP)
}

}  // namespace

void Supervisor::HandleExec(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  const ExecArguments args = DecodeExecArguments(req, kind);
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  const Outcome* fixed = options_.policy->Fixed(syscall, Access::kAny);
  PtraceSpan span;  // the path and the task's own root, cwd or descriptor (thread_caps.h)
  const int read = target.ReadString(args.path_address, PATH_MAX - 1, &answer.path);
  // A decision without a path is only answered: it may go out with the
  // capability raised (docs/security.md, "Emulated opens", step 6).
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
  if (!IsRefusal(outcome.decision) && resolved.held[0]) {
    LoadedPrograms loaded =
        JudgeLoadedPrograms(*emulator_, *options_.policy, target, syscall, std::move(resolved.held[0]));
    if (loaded.verdict == LoadedPrograms::Verdict::kAbandon) {
      BrokerMetrics::Get().InflightAdd(-1);
      return;
    }
    if (loaded.verdict == LoadedPrograms::Verdict::kRefused) {
      CountRefusal(loaded.refusal);
      outcome = loaded.outcome;
      answer.note = std::move(loaded.note);
    }
  }
  answer.FromOutcome(outcome);
  Deliver(req, syscall, answer, t0);
}

}  // namespace zviz::broker
