// What the agent asks of the tracer: families, labels, sizes. Parsed from
// JavaScript in exports.cc; everything here is plain data.
#ifndef ZVIZ_TRACER_OPTIONS_H_
#define ZVIZ_TRACER_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>

namespace zviz::tracer {

struct Options {
  bool syscalls = true;
  bool syscall_latency = true;
  // Time one syscall in 2^shift (0 times all of them).
  uint32_t latency_sample_shift = 0;
  bool fs = true;
  bool dns = true;
  bool tcp_connect = true;
  bool tcp_rtt = true;
  bool network = true;
  bool cpu_block = true;
  bool block_io = true;

  bool process_name = false;
  uint32_t max_cgroups = 256;
  // Entries of the traced-cgroup index used (a power of two up to
  // ZVIZ_INDEX_SIZE); smaller only to make collisions happen in tests.
  uint32_t index_size = 4096;
  uint32_t max_stats_entries = 16384;
  uint32_t max_pending = 8192;
  uint32_t max_blocked_threads = 32768;
  // Seconds a DNS query may wait for its answer before it is swept as lost.
  uint32_t dns_timeout_seconds = 30;
  // Hold kernel.bpf_stats_enabled on while the tracer runs.
  bool program_stats = false;
  // Raw tracepoint name overrides, by default name (tests simulate a kernel
  // that lacks a tracepoint with them).
  std::map<std::string, std::string> tracepoint_overrides;
};

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_OPTIONS_H_
