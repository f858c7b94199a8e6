// The capabilities of a supervisor thread (docs/security.md, "Emulated
// opens"). The thread opens files for the workload with exactly the
// workload's effective capabilities. Its permitted set keeps one more,
// CAP_SYS_PTRACE, which no workload may have (profiles/capabilities.ts):
// - a thread whose permitted set is no subset of the workload's is no ptrace
//   peer of the workload, so the workload cannot open /proc/<its tid>/mem or
//   environ (the thread shares the agent's memory);
// - the thread raises it, for one call at a time, only to reach the
//   notifying task's own memory and /proc entries, which are always open to
//   the task itself but to a peer only with CAP_SYS_PTRACE over the task's
//   user namespace: the workload has one of its own (docs/security.md, "Who
//   the workload is"), and a workload that made itself non-dumpable closes
//   them to peers in any namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "broker/proc_status.h"

namespace zviz::broker {

/**
 * Sets the calling thread's effective set to `effective` and its permitted
 * set to `effective` plus CAP_SYS_PTRACE (or, when the thread lacks it, any
 * other capability the workload lacks), irreversibly beyond that. False when
 * capset fails or nothing sets the thread apart from the workload.
 */
bool WearWorkloadCaps(uint64_t effective);

/**
 * Whether this thread has found the workload's own entries closed to it
 * without CAP_SYS_PTRACE: then it raises it first instead of trying, failing
 * and trying again (three syscalls saved per path read and per root or cwd
 * reached). A thread supervises one workload, whose tasks share one user
 * namespace.
 */
bool PeerNeedsPtrace();
void NotePeerNeedsPtrace();

/**
 * Wears one task's file credentials (fsuid, fsgid, supplementary groups,
 * effective capabilities within the thread's permitted set) for its
 * lifetime: the kernel judges an open by the opener's, and a workload task
 * that gave up root (setuid, setgroups, capset) must not get root's opens
 * from the broker. Nothing is changed when the task wears what the thread
 * wears (the workload as it started); otherwise raw per-thread syscalls
 * switch and switch back (glibc's wrappers would change every thread of the
 * agent). ok() is false when they could not be worn: the open is refused.
 * A thread that cannot switch back refuses every later open the same way.
 */
/**
 * Whether task `tid` may be served with the thread's own credentials without
 * reading them all: its effective capabilities (capget, a fraction of a
 * microsecond, where /proc/<tid>/status costs about 10) are exactly those the
 * workload started with, and they hold CAP_DAC_OVERRIDE, so no id or group
 * decides whether an open is allowed. A task that changed its ids loses its
 * file capabilities from the effective set (setuid, setfsuid), so it reads
 * differently and is served by its own credentials (TaskCredentialsWorn).
 * What such a task could still differ in, having raised them again itself
 * (SECBIT_KEEP_CAPS): the owner of the files it creates and the sticky
 * directory protections (fs.protected_*), which it could match anyway with
 * the capabilities it holds.
 */
bool WearsOwnCredentials(pid_t tid);

class TaskCredentialsWorn {
 public:
  explicit TaskCredentialsWorn(const FileCredentials& task);
  ~TaskCredentialsWorn();
  TaskCredentialsWorn(const TaskCredentialsWorn&) = delete;
  TaskCredentialsWorn& operator=(const TaskCredentialsWorn&) = delete;

  bool ok() const { return ok_; }
  /** Back to the thread's own credentials now (also done at destruction). */
  void Restore();

 private:
  bool ok_ = true;
  bool ids_ = false;   // fsuid, fsgid or groups may have been switched
  bool caps_ = false;  // the effective set was switched
  uint64_t saved_effective_ = 0;  // the thread's own effective set, while the task's is worn
};

/**
 * Raises CAP_SYS_PTRACE in the calling thread's effective set for its
 * lifetime, when it was kept. Inside a PtraceSpan, where it is raised
 * already, it does nothing (and is not active: a retry would see the same).
 */
class PtraceOverride {
 public:
  PtraceOverride();
  ~PtraceOverride();
  PtraceOverride(const PtraceOverride&) = delete;
  PtraceOverride& operator=(const PtraceOverride&) = delete;

  bool active() const { return active_; }

 private:
  bool active_ = false;
};

/**
 * One raise of CAP_SYS_PTRACE for the consecutive steps of one notification
 * that reach the notifying task itself: reading its memory (the path, an
 * open_how) and opening its own root, cwd or descriptor. Each capset costs
 * about 0.4 µs of CPU (a new set of credentials committed), so an emulated
 * open of a relative path pays two instead of four. Raised only once this
 * thread has needed it (PeerNeedsPtrace). The span ends at LowerPtrace(),
 * which the open emulation calls as soon as the bases are open and before
 * anything is resolved, opened or answered (docs/security.md, "Emulated
 * opens", step 6), or at the end of its scope, whichever comes first.
 */
class PtraceSpan {
 public:
  PtraceSpan();
  ~PtraceSpan();
  PtraceSpan(const PtraceSpan&) = delete;
  PtraceSpan& operator=(const PtraceSpan&) = delete;
};

/** Ends the calling thread's PtraceSpan, if one is open; a no-op otherwise. */
void LowerPtrace();

/**
 * Opens a PtraceSpan ahead of the next notification, for a supervisor thread
 * about to wait for it (when this thread needs the capability: PeerNeedsPtrace):
 * the raise is made while nothing waits for the thread, and the path read that
 * follows the notification finds it made. Costs no syscall when the span is
 * still open (the last notification only answered). Between the wait and the
 * path read the thread only judges the notification by the profile, and
 * whatever resolves, opens, creates or starts a thread lowers it first, as
 * after any PtraceSpan (docs/security.md, "Emulated opens", step 6).
 */
void RaisePtraceAhead();

}  // namespace zviz::broker
