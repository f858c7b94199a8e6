// The broker's counters, in native memory, for all containers of this
// process. Supervisor threads update them with relaxed atomic operations
// (each counter is independent; nothing orders one counter against another);
// the JavaScript side copies them at scrape time. No lock on the hot path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "broker/policy.h"

namespace zviz::broker {

/** Upper bounds in nanoseconds; the same as BROKER_LATENCY_BUCKETS in metrics/catalog.ts. */
constexpr std::array<uint64_t, 19> kLatencyBoundsNs = {
    1'000,      2'500,      5'000,       10'000,      25'000,      50'000,      100'000,
    250'000,    500'000,    1'000'000,   2'500'000,   5'000'000,   10'000'000,  25'000'000,
    50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000,
};

class BrokerMetrics {
 public:
  static BrokerMetrics& Get();

  void Received() { requests_.fetch_add(1, std::memory_order_relaxed); }
  void InflightAdd(int64_t delta) { inflight_.fetch_add(delta, std::memory_order_relaxed); }
  void Error() { errors_.fetch_add(1, std::memory_order_relaxed); }
  void EventDropped() { events_dropped_.fetch_add(1, std::memory_order_relaxed); }
  /** A supervisor thread slept this long to keep its work within its container's CPU limit (cpu_pacer.h). */
  void Paced(uint64_t ns) { paced_ns_.fetch_add(ns, std::memory_order_relaxed); }
  /** An installed descriptor was withdrawn by an interrupted ADDFD (notif_answer.h, InstallFd). */
  void InstallInterrupted() { installs_interrupted_.fetch_add(1, std::memory_order_relaxed); }

  /** One answered notification: its decision, and for refusals the layer that refused. */
  void Decided(uint16_t syscall, Decision decision, Layer layer, uint64_t latency_ns);

  struct Snapshot {
    uint64_t requests = 0, errors = 0, events_dropped = 0, violations = 0, paced_ns = 0;
    uint64_t installs_interrupted = 0;
    int64_t inflight = 0;
    std::array<uint64_t, kLayerCount> denials{};
    // (syscall index, decision, count) for every non-zero counter.
    struct Cell {
      uint16_t syscall;
      Decision decision;
      uint64_t count;
    };
    std::vector<Cell> decisions;
    std::array<uint64_t, kLatencyBoundsNs.size()> buckets{};  // cumulative
    uint64_t latency_count = 0;
    uint64_t latency_sum_ns = 0;
  };
  Snapshot Read() const;

 private:
  BrokerMetrics();

  std::atomic<uint64_t> requests_{0}, errors_{0}, events_dropped_{0}, violations_{0}, paced_ns_{0};
  std::atomic<uint64_t> installs_interrupted_{0};
  std::atomic<int64_t> inflight_{0};
  std::array<std::atomic<uint64_t>, kLayerCount> denials_{};
  std::unique_ptr<std::atomic<uint64_t>[]> decisions_;  // table size * kDecisionCount
  size_t syscalls_;
  // One slot per bound plus +Inf; non-cumulative here, summed in Read().
  std::array<std::atomic<uint64_t>, kLatencyBoundsNs.size() + 1> buckets_{};
  std::atomic<uint64_t> latency_sum_ns_{0};
};


}  // namespace zviz::broker
