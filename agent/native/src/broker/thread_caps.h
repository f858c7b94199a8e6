// The capabilities of a supervisor thread (docs/security.md, "Emulated
// opens"). The thread opens files for the workload with exactly the
// workload's effective capabilities. Its permitted set keeps one more,
// CAP_SYS_PTRACE, which no workload may have (profiles/capabilities.ts):
// - a thread whose permitted set is no subset of the workload's is no ptrace
//   peer of the workload, so the workload cannot open /proc/<its tid>/mem or
//   environ (the thread shares the agent's memory);
// - the thread raises it, for one call at a time, only to reach the
//   notifying task's own memory and /proc entries when the workload made
//   itself non-dumpable (which closes them to peers, never to the task itself).
#pragma once

#include <cstdint>

namespace zviz::broker {

/**
 * Sets the calling thread's effective set to `effective` and its permitted
 * set to `effective` plus CAP_SYS_PTRACE (or, when the thread lacks it, any
 * other capability the workload lacks), irreversibly beyond that. False when
 * capset fails or nothing sets the thread apart from the workload.
 */
bool WearWorkloadCaps(uint64_t effective);

/** Raises CAP_SYS_PTRACE in the calling thread's effective set for its lifetime, when it was kept. */
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

}  // namespace zviz::broker
