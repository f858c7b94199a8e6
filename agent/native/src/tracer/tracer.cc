#include "tracer/tracer.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "tracer/libbpf_log.h"
#include "tracer/map_iter.h"

namespace zviz::tracer {
namespace {

// Maps every object declares and the tracer shares between them.
constexpr const char* kShared[] = {"traced_cgroups", "traced_index", "traced_spills", "stats",
                                   "lost",           "quota_held",   "quota_pool",    "quota_refused"};

// Start-to-end maps: their fill tells how close the tracer is to losing
// events, and untracing a cgroup removes its entries from them.
constexpr const char* kPending[] = {"dns_pending", "blocked", "connecting", "requests"};
constexpr int kPendingQuota[] = {ZVIZ_Q_DNS, ZVIZ_Q_BLOCKED, ZVIZ_Q_CONNECTING, ZVIZ_Q_REQUESTS};
// Names of the quota maps as the metrics and /health give them, by zviz_quota_map.
constexpr const char* kQuotaMaps[] = {"stats", "dns_pending", "connecting", "blocked", "requests"};

bool FamilyOn(const std::string& family, const Options& o) {
  static const std::map<std::string, bool Options::*> fields = {
      {"syscalls", &Options::syscalls}, {"fs", &Options::fs},           {"dns", &Options::dns},
      {"tcp_connect", &Options::tcp_connect}, {"tcp_rtt", &Options::tcp_rtt}, {"network", &Options::network},
      {"cpu_block", &Options::cpu_block}, {"block_io", &Options::block_io},
  };
  auto it = fields.find(family);
  return it != fields.end() && o.*(it->second);
}

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string Errno(int err) { return std::string(strerror(err < 0 ? -err : err)); }

std::string LoadFailure(const LibbpfCapture& capture, int err) {
  std::string line = capture.FirstUsefulLine();
  if (err == -EPERM || err == -EACCES) {
    if (line.empty() || line.find("Operation not permitted") != std::string::npos) {
      return "not permitted to load BPF programs (" + Errno(err) + "): run the agent as root (CAP_BPF, CAP_PERFMON)";
    }
  }
  return "the kernel refused the BPF program: " + (line.empty() ? Errno(err) : line);
}

int CreateMap(bpf_map_type type, const char* name, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
              uint32_t flags) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
  return bpf_map_create(type, name, key_size, value_size, max_entries, &opts);
}

}  // namespace

QuotaSplit SplitQuota(uint32_t map_size, uint32_t max_cgroups) {
  const uint32_t reserved = max_cgroups == 0 ? 0 : map_size / 2 / max_cgroups;
  return {reserved, map_size - reserved * max_cgroups};
}

Tracer::Tracer(Options options) : options_(std::move(options)) {
  if (options_.index_size == 0 || options_.index_size > ZVIZ_INDEX_SIZE ||
      (options_.index_size & (options_.index_size - 1)) != 0) {
    options_.index_size = ZVIZ_INDEX_SIZE;
  }
  for (uint32_t slot = 0; slot < options_.max_cgroups; slot++) free_slots_.push_back(slot);
}

Tracer::~Tracer() { Stop(); }

bool Tracer::CreateSharedMaps(std::string* error) {
  traced_fd_ = CreateMap(BPF_MAP_TYPE_HASH, "traced_cgroups", sizeof(uint64_t), sizeof(zviz_traced),
                         options_.max_cgroups, 0);
  if (traced_fd_ >= 0) {
    index_fd_ = CreateMap(BPF_MAP_TYPE_ARRAY, "traced_index", sizeof(uint32_t), sizeof(zviz_index_entry),
                          ZVIZ_INDEX_SIZE, 0);
  }
  if (index_fd_ >= 0) {
    spills_fd_ = CreateMap(BPF_MAP_TYPE_ARRAY, "traced_spills", sizeof(uint32_t), sizeof(uint32_t), 1, 0);
  }
  if (spills_fd_ >= 0) {
    stats_fd_ = CreateMap(BPF_MAP_TYPE_PERCPU_HASH, "stats", sizeof(zviz_stat_key), sizeof(zviz_stat_value),
                          options_.max_stats_entries, BPF_F_NO_PREALLOC);
  }
  if (stats_fd_ >= 0) {
    lost_fd_ = CreateMap(BPF_MAP_TYPE_PERCPU_ARRAY, "lost", sizeof(uint32_t), sizeof(uint64_t),
                         ZVIZ_F_COUNT * ZVIZ_LOST_REASONS, 0);
  }
  if (lost_fd_ >= 0) {
    // Mapped into the agent too: its own deletions (swept DNS queries) give
    // places back with the same atomic operations the programs use, so no
    // count is ever written over one the programs changed meanwhile.
    quota_held_fd_ = CreateMap(BPF_MAP_TYPE_ARRAY, "quota_held", sizeof(uint32_t), sizeof(zviz_quota_held),
                               options_.max_cgroups, BPF_F_MMAPABLE);
    if (quota_held_fd_ >= 0) {
      held_len_ = static_cast<size_t>(options_.max_cgroups) * sizeof(zviz_quota_held);
      void* mem = mmap(nullptr, held_len_, PROT_READ | PROT_WRITE, MAP_SHARED, quota_held_fd_, 0);
      held_ = mem == MAP_FAILED ? nullptr : static_cast<zviz_quota_held*>(mem);
    }
  }
  if (held_ != nullptr) {
    quota_pool_fd_ =
        CreateMap(BPF_MAP_TYPE_ARRAY, "quota_pool", sizeof(uint32_t), sizeof(zviz_quota_pool), 1, BPF_F_MMAPABLE);
    if (quota_pool_fd_ >= 0) {
      void* mem = mmap(nullptr, sizeof(zviz_quota_pool), PROT_READ | PROT_WRITE, MAP_SHARED, quota_pool_fd_, 0);
      pool_ = mem == MAP_FAILED ? nullptr : static_cast<zviz_quota_pool*>(mem);
    }
  }
  if (pool_ != nullptr) {
    quota_refused_fd_ = CreateMap(BPF_MAP_TYPE_PERCPU_ARRAY, "quota_refused", sizeof(uint32_t),
                                  sizeof(zviz_quota_refused), options_.max_cgroups, 0);
  }
  if (quota_refused_fd_ >= 0) return true;
  const int err = errno;
  *error = err == EPERM || err == EACCES
               ? "not permitted to create BPF maps (" + Errno(err) + "): run the agent as root (CAP_BPF, CAP_PERFMON)"
               : "cannot create BPF maps: " + Errno(err);
  return false;
}

std::vector<FamilyStatus> Tracer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return statuses_;
  std::vector<FamilyStatus> statuses;
  InstallLibbpfPrint();

  std::string shared_error;
  const bool shared_ok = CreateSharedMaps(&shared_error);
  for (const ObjectSpec& spec : AllObjects()) {
    std::vector<std::string> notes;
    FamilyStatus object_status;
    const bool wanted = Wanted(spec, options_);
    if (wanted && shared_ok) object_status = LoadObject(spec, &notes);
    for (const std::string& family : spec.families) {
      FamilyStatus status{family, false, ""};
      if (!FamilyOn(family, options_)) {
        status.reason = "disabled in config";
      } else if (!shared_ok) {
        status.reason = shared_error;
      } else {
        status.active = object_status.active;
        status.reason = object_status.active ? "" : object_status.reason;
        for (const std::string& note : notes) status.reason += (status.reason.empty() ? "" : "; ") + note;
      }
      statuses.push_back(status);
    }
  }
  if (options_.program_stats && stats_enable_fd_ < 0) {
    stats_enable_fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
  }
  started_ = shared_ok;
  statuses_ = statuses;
  return statuses;
}

FamilyStatus Tracer::LoadObject(const ObjectSpec& spec, std::vector<std::string>* notes) {
  FamilyStatus status{spec.name, false, ""};
  LibbpfCapture capture;
  std::unique_ptr<OpenedObject> object = OpenObject(spec, options_);
  if (!object) {
    status.reason = "cannot open the BPF object " + std::string(spec.name) + ": " + Errno(errno);
    return status;
  }
  const int shared_fds[] = {traced_fd_, index_fd_,  spills_fd_,     stats_fd_,
                            lost_fd_,   quota_held_fd_, quota_pool_fd_, quota_refused_fd_};
  for (size_t i = 0; i < std::size(kShared); i++) {
    bpf_map* map = bpf_object__find_map_by_name(object->obj(), kShared[i]);
    if (map != nullptr) bpf_map__reuse_fd(map, shared_fds[i]);
  }
  int err = bpf_object__load(object->obj());
  if (err != 0) {
    status.reason = LoadFailure(capture, err);
    return status;
  }

  Loaded loaded{&spec, std::move(object), {}, {}};
  for (const ProgramSpec& program : spec.programs) {
    bpf_program* prog = bpf_object__find_program_by_name(loaded.object->obj(), program.program);
    auto override = options_.tracepoint_overrides.find(program.tracepoint);
    const std::string tracepoint =
        override != options_.tracepoint_overrides.end() ? override->second : program.tracepoint;
    bpf_link* link = prog != nullptr ? bpf_program__attach_raw_tracepoint(prog, tracepoint.c_str()) : nullptr;
    if (link == nullptr) {
      const int attach_err = errno;
      const std::string why = attach_err == ENOENT ? "this kernel has no raw tracepoint " + tracepoint
                                                   : "cannot attach to raw tracepoint " + tracepoint + ": " +
                                                         Errno(attach_err);
      if (program.optional) {
        notes->push_back(why + " (using a fallback)");
        continue;
      }
      for (bpf_link* l : loaded.links) bpf_link__destroy(l);
      status.reason = why;
      return status;
    }
    loaded.links.push_back(link);
    loaded.attached.push_back({prog, tracepoint});
  }

  for (size_t i = 0; i < std::size(kPending); i++) {
    const char* name = kPending[i];
    bpf_map* map = bpf_object__find_map_by_name(loaded.object->obj(), name);
    if (map == nullptr) continue;
    pending_.push_back({name, bpf_map__fd(map), bpf_map__key_size(map), bpf_map__max_entries(map), kPendingQuota[i]});
    if (std::strcmp(name, "dns_pending") == 0) dns_fd_ = bpf_map__fd(map);
  }
  if (bpf_map* counts = bpf_object__find_map_by_name(loaded.object->obj(), "syscall_counts")) {
    counts_fd_ = bpf_map__fd(counts);
  }
  loaded_.push_back(std::move(loaded));
  status.active = true;
  return status;
}

bool Tracer::Trace(uint64_t cgroup_id, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_) {
    *error = "the tracer is not running";
    return false;
  }
  if (slots_.count(cgroup_id) != 0) return true;
  if (free_slots_.empty()) {
    *error = "already tracing max_cgroups (" + std::to_string(options_.max_cgroups) + ") cgroups";
    return false;
  }
  const uint32_t slot = free_slots_.front();
  // A slot freed earlier may have taken a last count from an event in
  // flight when its cgroup was untraced.
  ZeroCounts(slot);
  ZeroQuota(slot);
  zviz_traced value{slot, 0};
  if (bpf_map_update_elem(traced_fd_, &cgroup_id, &value, BPF_NOEXIST) != 0) {
    *error = "cannot add the cgroup to the traced set: " + Errno(errno);
    return false;
  }
  // The index entry makes the programs see it; a taken entry means the
  // programs must also look in the hash, which the spill count tells them.
  uint32_t key = static_cast<uint32_t>(cgroup_id & (options_.index_size - 1));
  zviz_index_entry entry{};
  bpf_map_lookup_elem(index_fd_, &key, &entry);
  if (entry.cgroup_id == 0) {
    entry = {cgroup_id, slot, 0};
    bpf_map_update_elem(index_fd_, &key, &entry, BPF_ANY);
  } else {
    spilled_.insert(cgroup_id);
    WriteSpills();
  }
  free_slots_.pop_front();
  slots_[cgroup_id] = slot;
  return true;
}

void Tracer::WriteSpills() {
  uint32_t zero = 0, count = static_cast<uint32_t>(spilled_.size());
  bpf_map_update_elem(spills_fd_, &zero, &count, BPF_ANY);
}

bool Tracer::Untrace(uint64_t cgroup_id, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = slots_.find(cgroup_id);
  if (it == slots_.end()) return true;
  if (spilled_.erase(cgroup_id) != 0) {
    WriteSpills();
  } else {
    uint32_t key = static_cast<uint32_t>(cgroup_id & (options_.index_size - 1));
    zviz_index_entry empty{};
    bpf_map_update_elem(index_fd_, &key, &empty, BPF_ANY);
  }
  if (bpf_map_delete_elem(traced_fd_, &cgroup_id) != 0 && errno != ENOENT) {
    *error = "cannot remove the cgroup from the traced set: " + Errno(errno);
    return false;
  }
  const uint32_t slot = it->second;
  slots_.erase(it);
  seen_.erase(cgroup_id);
  ZeroCounts(slot);
  DeleteCgroupEntries(cgroup_id);
  ZeroQuota(slot);
  // Reused last, so events still in flight for the old cgroup have long
  // finished when the slot is handed out again (and zeroed once more).
  free_slots_.push_back(slot);
  return true;
}

void Tracer::ZeroCounts(uint32_t slot) {
  if (counts_fd_ < 0) return;
  std::vector<uint8_t> zeros(PerCpuValueSize(sizeof(zviz_syscall_counts)));
  bpf_map_update_elem(counts_fd_, &slot, zeros.data(), BPF_ANY);
}

int32_t Tracer::Reserved(int quota_map) const {
  return static_cast<int32_t>(SplitQuota(MapSize(quota_map), options_.max_cgroups).reserved);
}

void Tracer::ZeroQuota(uint32_t slot) {
  if (held_ == nullptr || slot >= options_.max_cgroups) return;
  for (int q = 0; q < ZVIZ_QUOTA_MAPS; q++) {
    const int32_t held = __atomic_exchange_n(&held_[slot].held[q], 0, __ATOMIC_SEQ_CST);
    if (held > Reserved(q)) __atomic_fetch_sub(&pool_->pooled[q], held - Reserved(q), __ATOMIC_SEQ_CST);
  }
  std::vector<uint8_t> zeros(PerCpuValueSize(sizeof(zviz_quota_refused)));
  bpf_map_update_elem(quota_refused_fd_, &slot, zeros.data(), BPF_ANY);
}

void Tracer::GiveQuota(uint32_t slot, int quota_map) {
  if (held_ == nullptr || slot >= options_.max_cgroups) return;
  // As quota_give in tracer_common.bpf.h.
  if (__atomic_load_n(&held_[slot].held[quota_map], __ATOMIC_SEQ_CST) > Reserved(quota_map)) {
    __atomic_fetch_sub(&pool_->pooled[quota_map], 1, __ATOMIC_SEQ_CST);
  }
  __atomic_fetch_sub(&held_[slot].held[quota_map], 1, __ATOMIC_SEQ_CST);
}

uint32_t Tracer::MapSize(int quota_map) const {
  switch (quota_map) {
    case ZVIZ_Q_STATS:
      return options_.max_stats_entries;
    case ZVIZ_Q_BLOCKED:
      return options_.max_blocked_threads;
    default:
      return options_.max_pending;
  }
}

void Tracer::ReportQuotas(std::vector<QuotaState>* quotas) {
  for (int q = 0; q < ZVIZ_QUOTA_MAPS; q++) {
    const QuotaSplit split = SplitQuota(MapSize(q), options_.max_cgroups);
    const int32_t pooled = pool_ != nullptr ? __atomic_load_n(&pool_->pooled[q], __ATOMIC_SEQ_CST) : 0;
    quotas->push_back({kQuotaMaps[q], static_cast<double>(split.reserved), static_cast<double>(split.pool),
                       static_cast<double>(pooled)});
  }
}

void Tracer::ReadRefusals(Snapshot* snapshot) {
  const int cpus = PossibleCpus();
  const size_t stride = ((sizeof(zviz_quota_refused) + 7) / 8) * 8;
  std::vector<uint8_t> buffer(PerCpuValueSize(sizeof(zviz_quota_refused)));
  for (const auto& [cgroup_id, slot] : slots_) {
    uint32_t key = slot;
    if (bpf_map_lookup_elem(quota_refused_fd_, &key, buffer.data()) != 0) continue;
    QuotaRefusals refusals{cgroup_id, {}};
    refusals.refused.fill(0);
    bool any = false;
    for (int cpu = 0; cpu < cpus; cpu++) {
      const auto* per_cpu = reinterpret_cast<const zviz_quota_refused*>(&buffer[cpu * stride]);
      for (int q = 0; q < ZVIZ_QUOTA_MAPS; q++) {
        refusals.refused[q] += static_cast<double>(per_cpu->refused[q]);
        any = any || per_cpu->refused[q] != 0;
      }
    }
    if (any) snapshot->refusals.push_back(refusals);
  }
}

void Tracer::DeleteCgroupEntries(uint64_t cgroup_id) {
  std::vector<zviz_stat_key> stale;
  ForEachEntry(stats_fd_, sizeof(zviz_stat_key), PerCpuValueSize(sizeof(zviz_stat_value)),
               [&](const void* key, const void*) {
                 const auto* k = static_cast<const zviz_stat_key*>(key);
                 if (k->cgroup_id == cgroup_id) stale.push_back(*k);
               });
  for (const zviz_stat_key& key : stale) bpf_map_delete_elem(stats_fd_, &key);

  for (const PendingMap& map : pending_) {
    std::vector<std::vector<uint8_t>> keys;
    ForEachEntry(map.fd, map.key_size, sizeof(zviz_pending), [&](const void* key, const void* value) {
      if (static_cast<const zviz_pending*>(value)->cgroup_id == cgroup_id) {
        const auto* bytes = static_cast<const uint8_t*>(key);
        keys.emplace_back(bytes, bytes + map.key_size);
      }
    });
    for (const auto& key : keys) bpf_map_delete_elem(map.fd, key.data());
  }
}

uint64_t Tracer::SweepDns(uint64_t now_ns, uint32_t* entries) {
  *entries = 0;
  if (dns_fd_ < 0) return 0;
  const uint64_t timeout = static_cast<uint64_t>(options_.dns_timeout_seconds) * 1000000000ull;
  std::vector<std::pair<std::vector<uint8_t>, uint64_t>> expired;  // key, owner cgroup
  const size_t key_size = 16;
  ForEachEntry(dns_fd_, key_size, sizeof(zviz_pending), [&](const void* key, const void* value) {
    (*entries)++;
    const auto* start = static_cast<const zviz_pending*>(value);
    if (now_ns > start->start_ns && now_ns - start->start_ns > timeout) {
      const auto* bytes = static_cast<const uint8_t*>(key);
      expired.push_back({std::vector<uint8_t>(bytes, bytes + key_size), start->cgroup_id});
    }
  });
  uint64_t removed = 0;
  for (const auto& [key, owner] : expired) {
    if (bpf_map_delete_elem(dns_fd_, key.data()) != 0) continue;  // answered meanwhile: the program gave it back
    removed++;
    auto slot = slots_.find(owner);
    if (slot != slots_.end()) GiveQuota(slot->second, ZVIZ_Q_DNS);
  }
  *entries -= static_cast<uint32_t>(removed);
  return removed;
}

Snapshot Tracer::Read(bool changes_only) {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot snapshot;
  snapshot.changes_only = changes_only;
  snapshot.lost.fill(0);
  const uint64_t now = MonotonicNs();
  snapshot.taken_at_ns = static_cast<double>(now);
  if (!started_) {
    snapshot.error = "the tracer is not running";
    return snapshot;
  }
  const int cpus = PossibleCpus();

  // Syscall counts, one array per traced cgroup.
  if (counts_fd_ >= 0) {
    const size_t stride = sizeof(zviz_syscall_counts);
    std::vector<uint8_t> buffer(PerCpuValueSize(stride));
    for (const auto& [cgroup_id, slot] : slots_) {
      uint32_t key = slot;
      if (bpf_map_lookup_elem(counts_fd_, &key, buffer.data()) != 0) continue;
      SyscallCounts counts{cgroup_id, {}};
      counts.calls.fill(0);
      for (int cpu = 0; cpu < cpus; cpu++) {
        const auto* per_cpu = reinterpret_cast<const zviz_syscall_counts*>(&buffer[cpu * stride]);
        for (int i = 0; i < ZVIZ_SYSCALL_SLOTS; i++) counts.calls[i] += static_cast<double>(per_cpu->calls[i]);
      }
      // Never seen counts as all zero: a cgroup that made no call yet has nothing to hand over.
      Seen& seen = seen_[cgroup_id];
      if (changes_only && counts.calls == seen.calls) continue;
      seen.calls = counts.calls;
      snapshot.syscall_counts.push_back(counts);
    }
  }

  // Histograms and counters. Entries of cgroups no longer traced (an event
  // that raced an untrace) are dropped here for good.
  std::vector<zviz_stat_key> strays;
  uint32_t stats_entries = 0;
  const size_t value_stride = ((sizeof(zviz_stat_value) + 7) / 8) * 8;
  int err = ForEachEntry(stats_fd_, sizeof(zviz_stat_key), PerCpuValueSize(sizeof(zviz_stat_value)),
                         [&](const void* key_bytes, const void* value_bytes) {
                           stats_entries++;
                           const auto* key = static_cast<const zviz_stat_key*>(key_bytes);
                           if (slots_.count(key->cgroup_id) == 0) {
                             strays.push_back(*key);
                             return;
                           }
                           StatsEntry entry{};
                           entry.cgroup_id = key->cgroup_id;
                           entry.metric = key->metric;
                           entry.sub = key->sub;
                           entry.comm.assign(key->comm, strnlen(key->comm, ZVIZ_COMM_LEN));
                           entry.buckets.fill(0);
                           const auto* base = static_cast<const uint8_t*>(value_bytes);
                           for (int cpu = 0; cpu < cpus; cpu++) {
                             const auto* v = reinterpret_cast<const zviz_stat_value*>(base + cpu * value_stride);
                             entry.count += static_cast<double>(v->count);
                             entry.sum_ns += static_cast<double>(v->sum_ns);
                             entry.bytes += static_cast<double>(v->bytes);
                             if (static_cast<double>(v->last_at) > entry.last_at) {
                               entry.last_at = static_cast<double>(v->last_at);
                               entry.last_ns = static_cast<double>(v->last_ns);
                             }
                             for (int b = 0; b < ZVIZ_HIST_BUCKETS; b++) {
                               entry.buckets[b] += static_cast<double>(v->buckets[b]);
                             }
                           }
                           std::array<double, 5 + ZVIZ_HIST_BUCKETS> values;
                           values[0] = entry.count;
                           values[1] = entry.sum_ns;
                           values[2] = entry.bytes;
                           values[3] = entry.last_ns;
                           values[4] = entry.last_at;
                           std::copy(entry.buckets.begin(), entry.buckets.end(), values.begin() + 5);
                           auto& seen = seen_[entry.cgroup_id].stats[StatKey{entry.metric, entry.sub, entry.comm}];
                           if (changes_only && seen == values) return;
                           seen = values;
                           snapshot.stats.push_back(std::move(entry));
                         });
  if (err != 0) snapshot.error = "reading the stats map failed: " + Errno(err);
  for (const zviz_stat_key& key : strays) bpf_map_delete_elem(stats_fd_, &key);

  // Losses: the kernel's, plus DNS queries swept here for never getting an answer.
  {
    std::vector<uint8_t> buffer(PerCpuValueSize(sizeof(uint64_t)));
    for (uint32_t i = 0; i < ZVIZ_F_COUNT * ZVIZ_LOST_REASONS; i++) {
      if (bpf_map_lookup_elem(lost_fd_, &i, buffer.data()) != 0) continue;
      for (int cpu = 0; cpu < cpus; cpu++) {
        snapshot.lost[i] += static_cast<double>(*reinterpret_cast<const uint64_t*>(&buffer[cpu * 8]));
      }
    }
  }
  uint32_t dns_entries = 0;
  dns_expired_ += SweepDns(now, &dns_entries);
  ReadRefusals(&snapshot);
  snapshot.lost[ZVIZ_F_DNS * ZVIZ_LOST_REASONS + ZVIZ_LOST_EXPIRED] += static_cast<double>(dns_expired_);

  snapshot.maps.push_back({"traced_cgroups", static_cast<double>(slots_.size()),
                           static_cast<double>(options_.max_cgroups)});
  snapshot.maps.push_back({"stats", static_cast<double>(stats_entries - strays.size()),
                           static_cast<double>(options_.max_stats_entries)});
  for (const PendingMap& map : pending_) {
    uint32_t entries = 0;
    if (map.fd == dns_fd_) {
      entries = dns_entries;
    } else {
      ForEachEntry(map.fd, map.key_size, sizeof(zviz_pending), [&](const void*, const void*) { entries++; });
    }
    snapshot.maps.push_back({map.name, static_cast<double>(entries), static_cast<double>(map.capacity)});
  }
  ReportQuotas(&snapshot.quotas);

  for (const Loaded& loaded : loaded_) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, loaded.object->obj()) {
      bpf_prog_info info{};
      uint32_t len = sizeof(info);
      if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) continue;
      snapshot.programs.push_back({bpf_program__name(prog), static_cast<double>(info.run_cnt),
                                   static_cast<double>(info.run_time_ns)});
    }
  }
  return snapshot;
}

bool Tracer::SetAttached(bool attached, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Loaded& loaded : loaded_) {
    if (!attached) {
      for (bpf_link* link : loaded.links) bpf_link__destroy(link);
      loaded.links.clear();
      continue;
    }
    if (!loaded.links.empty()) continue;
    for (const auto& [prog, tracepoint] : loaded.attached) {
      bpf_link* link = bpf_program__attach_raw_tracepoint(prog, tracepoint.c_str());
      if (link == nullptr) {
        *error = "cannot attach again to raw tracepoint " + tracepoint + ": " + Errno(errno);
        return false;
      }
      loaded.links.push_back(link);
    }
  }
  return true;
}

void Tracer::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Loaded& loaded : loaded_) {
    for (bpf_link* link : loaded.links) bpf_link__destroy(link);
    loaded.links.clear();
  }
  loaded_.clear();
  pending_.clear();
  if (held_ != nullptr) munmap(held_, held_len_);
  if (pool_ != nullptr) munmap(pool_, sizeof(zviz_quota_pool));
  held_ = nullptr;
  pool_ = nullptr;
  for (int* fd : {&traced_fd_, &index_fd_, &spills_fd_, &stats_fd_, &lost_fd_, &quota_held_fd_, &quota_pool_fd_,
                  &quota_refused_fd_, &stats_enable_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  counts_fd_ = -1;
  dns_fd_ = -1;
  slots_.clear();
  seen_.clear();
  spilled_.clear();
  free_slots_.clear();
  for (uint32_t slot = 0; slot < options_.max_cgroups; slot++) free_slots_.push_back(slot);
  started_ = false;
}

}  // namespace zviz::tracer
