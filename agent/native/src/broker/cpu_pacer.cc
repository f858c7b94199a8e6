// The supervisor thread's CPU pacing (cpu_pacer.h says why).
#include "broker/cpu_pacer.h"

#include "broker/metrics.h"

#include <time.h>

#include <algorithm>

namespace zviz::broker {

namespace {

/** The kernel's scheduler period for CFS quotas (cpu.cfs_period_us, cpu.max): the burst the bucket holds. */
constexpr double kPeriodNs = 100'000'000;
/** The longest single sleep, so that a stop is seen soon. */
constexpr uint64_t kMaxSleepNs = 20'000'000;
/** Clock reads every this many answers: an answer costs microseconds, a thread CPU clock read about 0.2. */
constexpr uint32_t kEvery = 8;

uint64_t Clock(clockid_t id) {
  struct timespec ts = {};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

CpuPacer::CpuPacer(double cores)
    : cores_(cores > 0 ? cores : 0), capacity_ns_(cores_ * kPeriodNs), tokens_ns_(capacity_ns_) {}

void CpuPacer::Refill() {
  const uint64_t wall = Clock(CLOCK_MONOTONIC);
  const uint64_t cpu = Clock(CLOCK_THREAD_CPUTIME_ID);
  if (last_wall_ns_ != 0) {
    tokens_ns_ += cores_ * static_cast<double>(wall - last_wall_ns_) - static_cast<double>(cpu - last_cpu_ns_);
    tokens_ns_ = std::min(tokens_ns_, capacity_ns_);
  }
  last_wall_ns_ = wall;
  last_cpu_ns_ = cpu;
}

void CpuPacer::Pace(const std::atomic<bool>& stop) {
  if (cores_ == 0) {
    return;
  }
  if (last_wall_ns_ != 0 && ++calls_ % kEvery != 0) {
    return;
  }
  Refill();
  while (tokens_ns_ < 0 && !stop.load(std::memory_order_acquire)) {
    const uint64_t wait = std::min<uint64_t>(static_cast<uint64_t>(-tokens_ns_ / cores_) + 1, kMaxSleepNs);
    struct timespec ts = {static_cast<time_t>(wait / 1'000'000'000ull), static_cast<long>(wait % 1'000'000'000ull)};
    const uint64_t before = Clock(CLOCK_MONOTONIC);
    nanosleep(&ts, nullptr);  // the supervisor's wake signal ends it early (EINTR): the loop looks at stop
    const uint64_t slept = Clock(CLOCK_MONOTONIC) - before;
    BrokerMetrics::Get().Paced(slept);
    Refill();
  }
}

}  // namespace zviz::broker
