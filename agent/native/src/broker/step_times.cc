#include "broker/step_times.h"

#include <time.h>

#include <cstdio>
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace zviz::broker {
namespace {

constexpr const char* kNames[] = {"dispatch", "path",    "bases",   "valid", "resolve", "name",
                                  "judge",    "reopen",  "truncate", "create.dir", "create.room", "create", "answer", "record", "release",
                                  "total",    "idle",    "latency",  "latency.continue", "latency.refused",
                                  "latency.open", "latency.truncate", "latency.fifo", "latency.other",
                                  "latency.first", "latency.cold", "latency.less_truncate"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Step::kCount));

struct Histogram {
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_ns{0};
  std::atomic<uint64_t> max_ns{0};
  std::atomic<uint64_t> above_100us{0};  // the demo's latency goal (docs/benchmarks.md, "Demo broker latency")
  std::array<std::atomic<uint64_t>, StepTimes::kBuckets> buckets{};
};

std::array<Histogram, static_cast<size_t>(Step::kCount)> histograms;
std::string output;

thread_local uint64_t last_ns = 0;
thread_local uint64_t begun_ns = 0;
thread_local uint64_t ended_ns = 0;
thread_local bool truncated = false;  // a kTruncate lap since the last End()
thread_local uint64_t truncate_ns = 0;  // the kTruncate laps' time since the last End()
// The notification being handled, for the slow record: its laps by step, its
// syscall number, and how long the supervisor had been idle before it.
constexpr size_t kLapped = static_cast<size_t>(Step::kTotal);
thread_local std::array<uint32_t, kLapped> laps{};
thread_local int note_nr = -1;
thread_local uint64_t note_idle_ns = 0;

struct Slow {
  uint64_t ns;
  Step kind;
  bool first;
  bool cold;
  int nr;
  uint64_t idle_ns;
  std::array<uint32_t, kLapped> laps;
};
std::mutex slow_mu;  // taken only for a decision above 100 µs, and only while timing is on
std::vector<Slow> slow;

uint64_t Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// Log-linear buckets: exact below 8 ns, then 8 per power of two.
int Bucket(uint64_t ns) {
  if (ns < StepTimes::kSubBuckets) {
    return static_cast<int>(ns);
  }
  const int exp = 63 - __builtin_clzll(ns);
  const int index = (exp - 2) * StepTimes::kSubBuckets + static_cast<int>((ns >> (exp - 3)) & 7);
  return index < StepTimes::kBuckets ? index : StepTimes::kBuckets - 1;
}

double Midpoint(int index) {
  if (index < StepTimes::kSubBuckets) {
    return index;
  }
  const int exp = index / StepTimes::kSubBuckets + 2;
  const double width = static_cast<double>(1ULL << (exp - 3));
  return (StepTimes::kSubBuckets + index % StepTimes::kSubBuckets) * width + width / 2;
}

void Add(Step step, uint64_t ns) {
  Histogram& h = histograms[static_cast<size_t>(step)];
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(ns, std::memory_order_relaxed);
  h.buckets[static_cast<size_t>(Bucket(ns))].fetch_add(1, std::memory_order_relaxed);
  if (ns > 100'000) {
    h.above_100us.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t seen = h.max_ns.load(std::memory_order_relaxed);
  while (ns > seen && !h.max_ns.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
  }
}

double Quantile(const Histogram& h, uint64_t count, double q) {
  const double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (int i = 0; i < StepTimes::kBuckets; ++i) {
    below += h.buckets[static_cast<size_t>(i)].load(std::memory_order_relaxed);
    if (static_cast<double>(below) >= rank) {
      return Midpoint(i);
    }
  }
  return 0;
}

void Write() {
  FILE* out = fopen(output.c_str(), "w");
  if (out == nullptr) {
    fprintf(stderr, "zviz: ZVIZ_BROKER_STEP_TIMES: cannot write %s\n", output.c_str());
    return;
  }
  fprintf(out, "{\"unit\":\"us\",\"steps\":{");
  for (size_t i = 0; i < histograms.size(); ++i) {
    const Histogram& h = histograms[i];
    const uint64_t count = h.count.load(std::memory_order_relaxed);
    const double mean = count ? static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / count / 1e3 : 0;
    fprintf(out,
            "%s\"%s\":{\"count\":%llu,\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"above100us\":%llu}",
            i ? "," : "", kNames[i], static_cast<unsigned long long>(count), mean, Quantile(h, count, 0.5) / 1e3,
            Quantile(h, count, 0.99) / 1e3, static_cast<double>(h.max_ns.load(std::memory_order_relaxed)) / 1e3,
            static_cast<unsigned long long>(h.above_100us.load(std::memory_order_relaxed)));
  }
  fprintf(out, "},\"slow\":[");
  std::lock_guard<std::mutex> lock(slow_mu);
  for (size_t i = 0; i < slow.size(); ++i) {
    const Slow& d = slow[i];
    fprintf(out, "%s{\"us\":%.3f,\"kind\":\"%s\",\"first\":%s,\"cold\":%s,\"nr\":%d,\"idle_us\":%.1f,\"steps\":{",
            i ? "," : "", static_cast<double>(d.ns) / 1e3, kNames[static_cast<size_t>(d.kind)],
            d.first ? "true" : "false", d.cold ? "true" : "false", d.nr, static_cast<double>(d.idle_ns) / 1e3);
    bool any = false;
    for (size_t k = 0; k < kLapped; ++k) {
      if (d.laps[k] != 0) {
        fprintf(out, "%s\"%s\":%.3f", any ? "," : "", kNames[k], static_cast<double>(d.laps[k]) / 1e3);
        any = true;
      }
    }
    fprintf(out, "}}");
  }
  fprintf(out, "]}\n");
  fclose(out);
}

}  // namespace

struct StepTimesInit {
  StepTimesInit() {
    const char* file = getenv("ZVIZ_BROKER_STEP_TIMES");
    if (file != nullptr && *file != '\0') {
      output = file;
      StepTimes::enabled_ = true;
      atexit(Write);
    }
  }
};

bool StepTimes::enabled_ = false;
static StepTimesInit init;

void StepTimes::Begin(uint64_t now_ns) {
  if (!enabled_) {
    return;
  }
  if (ended_ns != 0 && now_ns > ended_ns) {
    Add(Step::kIdle, now_ns - ended_ns);
  }
  begun_ns = last_ns = now_ns;
  laps.fill(0);
}

void StepTimes::Lap(Step step) {
  if (!enabled_ || begun_ns == 0) {
    return;
  }
  const uint64_t now = Now();
  Add(step, now - last_ns);
  if (static_cast<size_t>(step) < kLapped) {
    laps[static_cast<size_t>(step)] += static_cast<uint32_t>(std::min<uint64_t>(now - last_ns, UINT32_MAX));
  }
  if (step == Step::kTruncate) {
    truncated = true;
    truncate_ns += now - last_ns;
  }
  last_ns = now;
}

void StepTimes::ObserveLatency(uint64_t ns, LatencyKind kind, bool first, bool cold) {
  if (!enabled_) {
    return;
  }
  Add(Step::kLatency, ns);
  Step split = Step::kLatencyOther;
  switch (kind) {
    case LatencyKind::kContinue:
      split = Step::kLatencyContinue;
      break;
    case LatencyKind::kRefused:
      split = Step::kLatencyRefused;
      break;
    case LatencyKind::kOpen:
      split = truncated ? Step::kLatencyTruncate : Step::kLatencyOpen;
      break;
    case LatencyKind::kFifo:
      split = Step::kLatencyFifo;
      break;
    case LatencyKind::kOther:
      break;
  }
  Add(split, ns);
  Add(Step::kLatencyLessTruncate, ns > truncate_ns ? ns - truncate_ns : 0);
  if (first) {
    Add(Step::kLatencyFirst, ns);
  }
  if (cold) {
    Add(Step::kLatencyCold, ns);
  }
  if (ns > 100'000) {
    std::lock_guard<std::mutex> lock(slow_mu);
    if (slow.size() < kSlowKept) {
      // Laps are this thread's since its last Begin: an open's own (a CONTINUE or refusal has none).
      const bool lapped = begun_ns != 0;
      slow.push_back({ns, split, first, cold, note_nr, note_idle_ns, lapped ? laps : std::array<uint32_t, kLapped>{}});
    }
  }
}

void StepTimes::Note(int nr, uint64_t idle_ns) {
  if (!enabled_) {
    return;
  }
  note_nr = nr;
  note_idle_ns = idle_ns;
}

void StepTimes::End() {
  truncated = false;
  truncate_ns = 0;
  if (!enabled_ || begun_ns == 0) {
    return;
  }
  const uint64_t now = Now();
  Add(Step::kTotal, now - begun_ns);
  ended_ns = now;
  begun_ns = 0;
}

}  // namespace zviz::broker
