// The tracer: loads the BPF objects, attaches each family's programs, keeps
// the set of traced cgroups in the kernel, and reads the kernel's counters
// and histograms back as plain numbers. Every method is thread safe; Start
// and Read can take milliseconds and run off the JavaScript thread.
#ifndef ZVIZ_TRACER_TRACER_H_
#define ZVIZ_TRACER_TRACER_H_

#include <bpf/libbpf.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tracer/objects.h"
#include "tracer/options.h"
#include "tracer_abi.h"

namespace zviz::tracer {

struct FamilyStatus {
  std::string family;
  bool active = false;
  std::string reason;  // why not active, or a note about a fallback in use
};

// Per-CPU values summed; the latest value is the one with the newest time.
struct StatsEntry {
  uint64_t cgroup_id;
  uint16_t metric;
  uint16_t sub;
  std::string comm;
  double count, sum_ns, bytes, last_ns, last_at;
  std::array<double, ZVIZ_HIST_BUCKETS> buckets;
};

struct SyscallCounts {
  uint64_t cgroup_id;
  std::array<double, ZVIZ_SYSCALL_SLOTS> calls;
};

struct MapFill {
  std::string name;
  double entries;
  double capacity;
};

// A shared map's quota: what each traced cgroup may always hold of it, the
// pool beyond those shares, and how much of the pool is in use.
struct QuotaState {
  std::string map;
  double reserved;
  double pool;
  double pooled;
};

// Inserts refused to a traced cgroup over its share, per shared map.
struct QuotaRefusals {
  uint64_t cgroup_id;
  std::array<double, ZVIZ_QUOTA_MAPS> refused;
};

// A map size split into equal reserved shares for max_cgroups cgroups (half
// the map) and a pool of the rest, first come.
struct QuotaSplit {
  uint32_t reserved;
  uint32_t pool;
};
QuotaSplit SplitQuota(uint32_t map_size, uint32_t max_cgroups);

struct ProgramStats {
  std::string program;
  double run_count;
  double run_time_ns;
};

struct Snapshot {
  double taken_at_ns;  // CLOCK_MONOTONIC, the clock of the kernel's timestamps
  // Whether syscall_counts and stats hold only what changed since the
  // previous read (with absolute values), rather than everything.
  bool changes_only = false;
  std::vector<SyscallCounts> syscall_counts;
  std::vector<StatsEntry> stats;
  std::array<double, ZVIZ_F_COUNT * ZVIZ_LOST_REASONS> lost;
  std::vector<MapFill> maps;
  std::vector<ProgramStats> programs;
  std::vector<QuotaState> quotas;          // by zviz_quota_map
  std::vector<QuotaRefusals> refusals;     // traced cgroups refused anything so far
  std::string error;  // a read that failed part way says why here
};

class Tracer {
 public:
  explicit Tracer(Options options);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Loads and attaches every enabled family; one status per family.
  std::vector<FamilyStatus> Start();
  // Starts tracing a cgroup v2 id. Returns false with a reason when the
  // tracer is full or not started.
  bool Trace(uint64_t cgroup_id, std::string* error);
  // Stops tracing it and deletes everything the kernel kept for it.
  bool Untrace(uint64_t cgroup_id, std::string* error);
  // Reads every counter and histogram. With changes_only, a cgroup's
  // syscall counts and each stats entry are handed over only when they
  // differ from what the previous read saw: at a thousand containers most
  // of some 40,000 rows stay the same between scrapes, and turning them into
  // JavaScript objects again was most of a scrape's cost.
  Snapshot Read(bool changes_only = false);
  // Detaches every program, keeping programs and maps, or attaches them
  // again: to pause tracing, and to let a benchmark switch quickly.
  bool SetAttached(bool attached, std::string* error);
  void Stop();

 private:
  struct Loaded {
    const ObjectSpec* spec;
    std::unique_ptr<OpenedObject> object;
    std::vector<bpf_link*> links;
    std::vector<std::pair<bpf_program*, std::string>> attached;  // what links were made from
  };
  struct PendingMap {
    std::string name;
    int fd;
    size_t key_size;
    uint32_t capacity;
    int quota;  // its zviz_quota_map
  };

  bool CreateSharedMaps(std::string* error);
  FamilyStatus LoadObject(const ObjectSpec& spec, std::vector<std::string>* notes);
  void ZeroCounts(uint32_t slot);
  void WriteSpills();
  void DeleteCgroupEntries(uint64_t cgroup_id);
  // A slot's quota counts back to zero (its entries deleted), its pool use returned.
  void ZeroQuota(uint32_t slot);
  // Gives back the place of an entry the agent deleted itself, as the programs do.
  void GiveQuota(uint32_t slot, int quota_map);
  void ReportQuotas(std::vector<QuotaState>* quotas);
  void ReadRefusals(Snapshot* snapshot);
  uint32_t MapSize(int quota_map) const;
  int32_t Reserved(int quota_map) const;
  uint64_t SweepDns(uint64_t now_ns, uint32_t* entries);

  // What the previous read saw of a traced cgroup, to tell what changed.
  struct StatKey {
    uint16_t metric;
    uint16_t sub;
    std::string comm;
    bool operator<(const StatKey& o) const {
      if (metric != o.metric) return metric < o.metric;
      if (sub != o.sub) return sub < o.sub;
      return comm < o.comm;
    }
  };
  struct Seen {
    std::array<double, ZVIZ_SYSCALL_SLOTS> calls{};
    std::map<StatKey, std::array<double, 5 + ZVIZ_HIST_BUCKETS>> stats;
  };

  std::mutex mu_;
  Options options_;
  bool started_ = false;
  int traced_fd_ = -1;
  int index_fd_ = -1;
  int spills_fd_ = -1;
  int stats_fd_ = -1;
  int lost_fd_ = -1;
  int quota_held_fd_ = -1;
  int quota_pool_fd_ = -1;
  int quota_refused_fd_ = -1;
  // quota_held and quota_pool, mapped: counts the programs and the agent both change atomically.
  zviz_quota_held* held_ = nullptr;
  size_t held_len_ = 0;
  zviz_quota_pool* pool_ = nullptr;
  int counts_fd_ = -1;
  int dns_fd_ = -1;
  int stats_enable_fd_ = -1;
  std::vector<FamilyStatus> statuses_;
  std::vector<Loaded> loaded_;
  std::vector<PendingMap> pending_;
  std::map<uint64_t, uint32_t> slots_;
  std::set<uint64_t> spilled_;  // traced cgroups whose index entry another one holds
  std::deque<uint32_t> free_slots_;
  std::map<uint64_t, Seen> seen_;  // by cgroup id; forgotten at Untrace
  uint64_t dns_expired_ = 0;
};

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_TRACER_H_
