// Holds a supervisor thread to its container's CPU limit. The broker does
// a container's brokered work (resolving and opening paths, judging, answering)
// on a thread of the agent, so that work is charged to the agent's cgroup, not
// the container's: a workload limited to a tenth of a CPU kept its supervisor
// thread busy three times as long, on the CPU every other container's
// supervisor shares (test/security/broker-cpu.test.ts). A thread cannot join
// the container's cgroup (on v2 a domain cgroup takes whole processes, and on
// v1 the agent would then be listed, and killed, as one of the container's
// processes), so the thread paces itself: a token bucket of CPU time refilled
// at the container's limit, holding at most one scheduler period of it, as
// the kernel's CFS quota does. Over it, the thread sleeps before it takes the
// next notification; the workload, waiting for its answers, waits with it.
// The container's own CPU and the broker's for it are each held to the limit.
#pragma once

#include <atomic>
#include <cstdint>

namespace zviz::broker {

class CpuPacer {
 public:
  /** `cores`: the container's CPU limit; 0: none, and Pace does nothing. */
  explicit CpuPacer(double cores);

  /**
   * After each answer: every few calls, refills the bucket by the wall time
   * that passed and takes the thread's CPU time spent meanwhile; while it is
   * in debt, sleeps (in steps, returning as soon as `stop` is set).
   */
  void Pace(const std::atomic<bool>& stop);

 private:
  void Refill();

  const double cores_;
  const double capacity_ns_;
  double tokens_ns_;
  uint64_t last_wall_ns_ = 0;
  uint64_t last_cpu_ns_ = 0;
  uint32_t calls_ = 0;
};

}  // namespace zviz::broker
