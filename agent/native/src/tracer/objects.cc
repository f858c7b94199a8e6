#include "tracer/objects.h"

#include <algorithm>
#include <cerrno>

#include "tracer/syscall_table.h"
#include "tracer/tracer.h"

// Each skeleton header defines functions, so it is included here only.
#include "block_io.skel.h"
#include "cpu_block.skel.h"
#include "network.skel.h"
#include "syscalls.skel.h"
#include "tcp_connect.skel.h"
#include "tcp_rtt.skel.h"

namespace zviz::tracer {
namespace {

bool FamilyOn(const std::string& family, const Options& o) {
  if (family == "syscalls") return o.syscalls;
  if (family == "fs") return o.fs;
  if (family == "dns") return o.dns;
  if (family == "tcp_connect") return o.tcp_connect;
  if (family == "tcp_rtt") return o.tcp_rtt;
  if (family == "network") return o.network;
  if (family == "cpu_block") return o.cpu_block;
  if (family == "block_io") return o.block_io;
  return false;
}

template <typename Skel>
std::unique_ptr<OpenedObject> Wrap(Skel* skel, void (*destroy)(Skel*)) {
  if (skel == nullptr) return nullptr;
  return std::make_unique<OpenedObject>(skel->obj, [skel, destroy] { destroy(skel); });
}

// Every object sees the same shares of the maps all of them share.
template <typename Rodata>
void SetQuotas(Rodata* rodata, const Options& o) {
  const uint32_t sizes[ZVIZ_QUOTA_MAPS] = {o.max_stats_entries, o.max_pending, o.max_pending, o.max_blocked_threads,
                                           o.max_pending};
  for (int q = 0; q < ZVIZ_QUOTA_MAPS; q++) {
    const QuotaSplit split = SplitQuota(sizes[q], o.max_cgroups);
    rodata->quota_reserved[q] = static_cast<int32_t>(split.reserved);
    rodata->quota_pool_size[q] = static_cast<int32_t>(split.pool);
  }
}

}  // namespace

const std::vector<ObjectSpec>& AllObjects() {
  static const std::vector<ObjectSpec> objects = {
      {"syscalls",
       {"syscalls", "fs", "dns"},
       {{"zviz_sys_enter", "sys_enter", false}, {"zviz_sys_exit", "sys_exit", false}}},
      {"cpu_block",
       {"cpu_block"},
       {{"zviz_sched_switch", "sched_switch", false},
        {"zviz_sched_wakeup", "sched_wakeup", false},
        {"zviz_sched_wakeup_new", "sched_wakeup_new", false}}},
      {"tcp_connect", {"tcp_connect"}, {{"zviz_inet_sock_set_state", "inet_sock_set_state", false}}},
      {"tcp_rtt", {"tcp_rtt"}, {{"zviz_tcp_probe", "tcp_probe", false}}},
      {"network",
       {"network"},
       {{"zviz_sock_send_length", "sock_send_length", false}, {"zviz_sock_recv_length", "sock_recv_length", false}}},
      {"block_io",
       {"block_io"},
       {{"zviz_block_io_start", "block_io_start", true},
        {"zviz_block_rq_issue", "block_rq_issue", false},
        {"zviz_block_rq_complete", "block_rq_complete", false}}},
  };
  return objects;
}

bool Wanted(const ObjectSpec& spec, const Options& options) {
  return std::any_of(spec.families.begin(), spec.families.end(),
                     [&](const std::string& f) { return FamilyOn(f, options); });
}

std::unique_ptr<OpenedObject> OpenObject(const ObjectSpec& spec, const Options& o) {
  const std::string name = spec.name;
  if (name == "syscalls") {
    syscalls* skel = syscalls__open();
    if (skel == nullptr) return nullptr;
    skel->rodata->with_comm = o.process_name;
    skel->rodata->index_mask = o.index_size - 1;
    SetQuotas(skel->rodata, o);
    skel->rodata->count_syscalls = o.syscalls;
    skel->rodata->syscall_latency = o.syscalls && o.syscall_latency;
    skel->rodata->latency_sample_mask = o.latency_sample_shift >= 31 ? 0x7fffffffu : (1u << o.latency_sample_shift) - 1;
    skel->rodata->trace_fs = o.fs;
    skel->rodata->trace_dns = o.dns;
    const auto classes = SyscallClasses();
    std::copy(classes.begin(), classes.end(), skel->rodata->syscall_class);
    bpf_map__set_max_entries(skel->maps.syscall_counts, o.max_cgroups);
    bpf_map__set_max_entries(skel->maps.dns_pending, o.max_pending);
    return Wrap(skel, syscalls__destroy);
  }
  if (name == "cpu_block") {
    cpu_block* skel = cpu_block__open();
    if (skel == nullptr) return nullptr;
    skel->rodata->with_comm = o.process_name;
    skel->rodata->index_mask = o.index_size - 1;
    SetQuotas(skel->rodata, o);
    bpf_map__set_max_entries(skel->maps.blocked, o.max_blocked_threads);
    return Wrap(skel, cpu_block__destroy);
  }
  if (name == "tcp_connect") {
    tcp_connect* skel = tcp_connect__open();
    if (skel == nullptr) return nullptr;
    skel->rodata->with_comm = o.process_name;
    skel->rodata->index_mask = o.index_size - 1;
    SetQuotas(skel->rodata, o);
    bpf_map__set_max_entries(skel->maps.connecting, o.max_pending);
    return Wrap(skel, tcp_connect__destroy);
  }
  if (name == "tcp_rtt") {
    tcp_rtt* skel = tcp_rtt__open();
    if (skel == nullptr) return nullptr;
    skel->rodata->with_comm = o.process_name;
    skel->rodata->index_mask = o.index_size - 1;
    SetQuotas(skel->rodata, o);
    return Wrap(skel, tcp_rtt__destroy);
  }
  if (name == "network") {
    network* skel = network__open();
    if (skel == nullptr) return nullptr;
    skel->rodata->with_comm = o.process_name;
    skel->rodata->index_mask = o.index_size - 1;
    SetQuotas(skel->rodata, o);
    return Wrap(skel, network__destroy);
  }
  if (name == "block_io") {
    block_io* skel = block_io__open();
    if (skel == nullptr) return nullptr;
    skel->rodata->with_comm = o.process_name;
    skel->rodata->index_mask = o.index_size - 1;
    SetQuotas(skel->rodata, o);
    bpf_map__set_max_entries(skel->maps.requests, o.max_pending);
    return Wrap(skel, block_io__destroy);
  }
  errno = ENOENT;
  return nullptr;
}

}  // namespace zviz::tracer
