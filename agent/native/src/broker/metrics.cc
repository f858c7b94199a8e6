#include "broker/metrics.h"

#include "broker/syscall_table.h"

namespace zviz::broker {

BrokerMetrics& BrokerMetrics::Get() {
  static BrokerMetrics metrics;
  return metrics;
}

BrokerMetrics::BrokerMetrics() : syscalls_(SyscallTable::Get().size()) {
  decisions_ = std::make_unique<std::atomic<uint64_t>[]>(syscalls_ * kDecisionCount);
  for (size_t i = 0; i < syscalls_ * kDecisionCount; ++i) {
    decisions_[i].store(0, std::memory_order_relaxed);
  }
}

void BrokerMetrics::Decided(uint16_t syscall, Decision decision, Layer layer, uint64_t latency_ns) {
  if (syscall >= syscalls_) {
    syscall = SyscallTable::kUnknown;
  }
  decisions_[syscall * kDecisionCount + static_cast<size_t>(decision)].fetch_add(1, std::memory_order_relaxed);
  if (IsRefusal(decision)) {
    denials_[static_cast<size_t>(layer)].fetch_add(1, std::memory_order_relaxed);
  }
  if (decision == Decision::kKill || decision == Decision::kTrap) {
    violations_.fetch_add(1, std::memory_order_relaxed);
  }
  size_t slot = 0;
  while (slot < kLatencyBoundsNs.size() && latency_ns > kLatencyBoundsNs[slot]) {
    ++slot;
  }
  buckets_[slot].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(latency_ns, std::memory_order_relaxed);
}

BrokerMetrics::Snapshot BrokerMetrics::Read() const {
  Snapshot s;
  s.requests = requests_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.events_dropped = events_dropped_.load(std::memory_order_relaxed);
  s.violations = violations_.load(std::memory_order_relaxed);
  s.paced_ns = paced_ns_.load(std::memory_order_relaxed);
  s.installs_interrupted = installs_interrupted_.load(std::memory_order_relaxed);
  s.inflight = inflight_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kLayerCount; ++i) {
    s.denials[i] = denials_[i].load(std::memory_order_relaxed);
  }
  for (size_t syscall = 0; syscall < syscalls_; ++syscall) {
    for (size_t d = 0; d < kDecisionCount; ++d) {
      const uint64_t count = decisions_[syscall * kDecisionCount + d].load(std::memory_order_relaxed);
      if (count != 0) {
        s.decisions.push_back({static_cast<uint16_t>(syscall), static_cast<Decision>(d), count});
      }
    }
  }
  // The count is the sum of the buckets, so _count always equals the +Inf
  // bucket; _sum may trail by observations made while this loop runs.
  uint64_t running = 0;
  for (size_t i = 0; i < kLatencyBoundsNs.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.buckets[i] = running;
  }
  running += buckets_[kLatencyBoundsNs.size()].load(std::memory_order_relaxed);
  s.latency_count = running;
  s.latency_sum_ns = latency_sum_ns_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace zviz::broker
