// Where the time of an emulated open goes, step by step: a diagnostic for
// the broker benchmark (docs/benchmarks.md, "Emulated opens"), off unless
// ZVIZ_BROKER_STEP_TIMES names a file when the addon loads.
//
// A supervisor thread marks the end of each step (StepTimes::Lap); the time
// since the previous mark goes to that step's histogram. The histograms are
// process-wide relaxed atomics (as BrokerMetrics), so an agent with many
// containers adds them up; at process exit the totals are written to the
// file as JSON, one object per step (count, mean, p50, p99, max). Off, a mark
// costs one predictable branch and no clock read; on, one vDSO clock read and
// three relaxed additions, about 0.05 µs, which is why the benchmark measures
// latency in runs without it and the breakdown in a run of its own.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace zviz::broker {

enum class Step : uint8_t {
  kDispatch,  // RECV returned -> the open handler: the reference program, the rules' fixed outcomes
  kPath,      // the path read from the workload's memory
  kBases,     // the directories resolution starts from (the workload's cwd or dirfd, root when it can change)
  kValid,     // SECCOMP_IOCTL_NOTIF_ID_VALID
  kResolve,   // openat2 (O_PATH) and statx of the object, the procfs check; the slow walk when taken
  kName,      // the object's path (d_path), what the rules judge
  kJudge,     // the mount-namespace invariant and the rules
  kReopen,    // the judged inode reopened with the workload's flags (or a create)
  kTruncate,  // the same for a regular file opened with O_TRUNC: the file system's truncation is in it
  // O_CREAT of a missing file, in three steps:
  kCreateDir,   // its directory resolved (openat2 O_PATH + statx), named and judged with the name
  kCreateRoom,  // a free descriptor number in the task's table (prlimit, /proc/<tid>/fd) and its umask
  kCreate,      // the file created (openat O_CREAT in the judged directory)
  kAnswer,    // ADDFD (+SEND) or SEND: returns once the workload has taken the answer
  kRecord,    // counters, histogram, decision event
  kRelease,   // descriptors closed after the answer
  kTotal,     // RECV returned -> all of the above done (the broker's latency, plus the release)
  kIdle,      // the answer -> the next RECV returning: the workload's own time and both wake-ups
  kLatency,   // every answered notification, of any syscall: what zviz_broker_latency_seconds observes
  // kLatency again, split by what the answer was (each observation in exactly one of these):
  kLatencyContinue,  // CONTINUE: the kernel makes the call
  kLatencyRefused,   // a refusal (errno or kill) decided by the rules or the broker
  kLatencyOpen,      // an emulated open answered (installed or its errno), not truncating
  kLatencyTruncate,  // an emulated open that truncated a regular file (kTruncate)
  kLatencyFifo,      // a FIFO open answered by its worker: the wait for the other end is in it
  kLatencyOther,     // any other emulated answer (exec, connect)
  // kLatency again, for two kinds of notifications that caches do not favour (overlapping the above):
  kLatencyFirst,  // the first kFirstDecisions notifications of a container's supervisor (a new thread, new tasks)
  kLatencyCold,   // a notification that found the supervisor idle for kColdAfterNs or more
  // kLatency again, every notification, less the time of its truncating reopen
  // (kTruncate): the file system's truncation, which the workload's own open
  // would wait for as long, taken out; what is left is the broker's part.
  kLatencyLessTruncate,
  kCount,
};

/** What an answered notification was, for the split of kLatency. */
enum class LatencyKind : uint8_t { kContinue, kRefused, kOpen, kFifo, kOther };

class StepTimes {
 public:
  /** Whether timing is on (decided once, from the environment, when the addon loads). */
  static bool enabled() { return enabled_; }

  /** Starts timing an emulated open received at `now_ns` (the RECV return). */
  static void Begin(uint64_t now_ns);
  /** The step that ended now. */
  static void Lap(Step step);
  /** Ends the notification (kTotal); the next Begin adds kIdle. Nothing when no Begin came first. */
  static void End();
  /**
   * One answered notification's latency: kLatency and its split. `first`
   * and `cold` as kLatencyFirst and kLatencyCold say. An open that
   * truncated on this thread since the last End() counts as kLatencyTruncate.
   */
  static void ObserveLatency(uint64_t ns, LatencyKind kind, bool first, bool cold);
  /**
   * The same notification's syscall number and the supervisor's idle time
   * before it, for the record of slow decisions: every observation above
   * 100 µs (up to kSlowKept of them) is written with the laps of its steps,
   * so the benchmark can say which decisions make the tail and where each
   * spent its time (docs/benchmarks.md, "Demo broker latency").
   */
  static void Note(int nr, uint64_t idle_ns);

  static constexpr size_t kSlowKept = 1000;

  static constexpr uint64_t kFirstDecisions = 16;
  static constexpr uint64_t kColdAfterNs = 1'000'000;

  static constexpr int kSubBuckets = 8;  // per power of two: a bucket is at most 12.5 % wide
  static constexpr int kBuckets = 40 * kSubBuckets;

 private:
  friend struct StepTimesInit;
  static bool enabled_;
};

}  // namespace zviz::broker
