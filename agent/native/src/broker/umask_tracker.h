// What the broker knows of the workload's umask without asking /proc. An
// emulated create must make the file with the creating task's umask, which
// the kernel shows only in /proc/<tid>/status: reading it was about 27 µs of
// each create, the broker's largest own cost (docs/benchmarks.md, "Demo
// broker latency"). Where the profile's filter notifies every umask(2) call
// the workload could make (Policy::umask_notified), the supervisor notes each
// one before letting it through, and knows the umask of every task in the
// common cases; in any other it says "unknown" and the create reads /proc as
// before (fail closed).
//
// A umask lives in a task's fs_struct: threads share it (CLONE_FS), fork and
// clone without CLONE_FS copy it, exec keeps it, and only umask(2) of a task
// sharing it changes it. The tracker is in one of three states:
//   uniform(u)  every task of the workload has u: the workload's first
//               process had u when its filter was in place, and every umask
//               call since set u;
//   one(u, x)   every task has u but those that share task x's fs_struct,
//               which has the value x last set, and those made since x first
//               set another value (they may have copied it): while no task
//               has been made on the node since then (the node's last pid is
//               unchanged), x's umask is known, and once x has set u again
//               every task has u again;
//   unknown     anything else (another task set one meanwhile, a task was
//               made in the window): every create reads /proc.
// The common pattern is a program that reads its umask by setting one and
// restoring it (umask(0); umask(old): the BFD linker, Python's packaging);
// a shell's `umask 022` that changes nothing keeps the state uniform.
//
// The last pid is the agent's PID namespace's (/proc/sys/kernel/ns_last_pid),
// which every task of the node advances, the workload's too (its own PID
// namespace is a child of the agent's): unchanged means no task was made
// anywhere, so no thread id was reused. A task that shares its fs_struct with
// another process (clone with CLONE_FS and without CLONE_THREAD, which no libc
// call makes) is not seen: x's process having one thread when it first set a
// value is taken as "no other task shares x's umask" for the restore
// (docs/security.md: the umask only sets the mode bits of the workload's own
// new files, which it may change anyway).
//
// Supervisor thread only.
#pragma once

#include <sys/types.h>

#include "common/unique_fd.h"

namespace zviz::broker {

class UmaskTracker {
 public:
  /**
   * `proc`: the agent's /proc (its sys/kernel/ns_last_pid). `initial`: the
   * umask of the workload's first process, read while no umask call of the
   * workload had been answered; -1 when it is not known or the filter does
   * not notify every umask call (then every create reads /proc).
   */
  void Start(int proc, long initial);

  /** What a umask(2) call changes, decided before it is let through and kept once the kernel took the answer. */
  struct Change {
    enum class To : unsigned char { kSame, kUniform, kOne, kUnknown } to = To::kSame;
    pid_t tid = 0;
    unsigned mask = 0;
    long since = -1;
    bool alone = false;
  };
  /** Task `tid` (blocked in the call) sets `mask`: the change, not made yet. */
  Change Prepare(pid_t tid, unsigned long long mask);
  void Commit(const Change& change);

  /** The umask of task `tid` (blocked in a notification), or -1: read it from /proc. */
  int Known(pid_t tid);

 private:
  enum class State : unsigned char { kUnknown, kUniform, kOne };
  /** The agent's PID namespace's last pid; -1 when it cannot be read. */
  long LastPid() const;
  /** Whether `tid`'s process has one thread (read from /proc); false when it cannot be told. */
  bool SingleThreaded(pid_t tid) const;

  int proc_ = -1;
  UniqueFd last_pid_;
  State state_ = State::kUnknown;
  unsigned uniform_ = 0;  // kUniform, kOne: every task's umask (in kOne, but x's and those made since)
  pid_t one_ = 0;         // kOne: x
  unsigned one_mask_ = 0; // kOne: the umask x last set
  long since_ = -1;       // kOne: the last pid when x first set another value
  bool alone_ = false;    // kOne: x's process had one thread then
};

}  // namespace zviz::broker
