#include "broker/thread_caps.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace zviz::broker {
namespace {

// What this thread wears, for PtraceOverride (set once by WearWorkloadCaps).
thread_local uint64_t worn_effective = 0;
thread_local uint64_t worn_permitted = 0;
thread_local bool worn = false;
thread_local bool peer_needs_ptrace = false;
// CAP_SYS_PTRACE raised by a PtraceSpan (not by a PtraceOverride, which lowers its own).
thread_local bool span_raised = false;

constexpr uint64_t kPtrace = 1ULL << CAP_SYS_PTRACE;

int Capset(uint64_t effective, uint64_t permitted) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};  // pid 0: this thread
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  return static_cast<int>(::syscall(SYS_capset, &header, data));
}

bool CanRaise() { return worn && (worn_permitted & kPtrace) && !(worn_effective & kPtrace); }

}  // namespace

bool WearWorkloadCaps(uint64_t effective) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return false;
  }
  const uint64_t had = static_cast<uint64_t>(data[0].permitted) | (static_cast<uint64_t>(data[1].permitted) << 32);
  const uint64_t keep = had & effective;
  uint64_t apart = had & ~keep & kPtrace;
  if (apart == 0 && (had & ~keep) != 0) {
    apart = (had & ~keep) & -(had & ~keep);  // the lowest capability the workload lacks
  }
  if (Capset(keep, keep | apart) != 0) {
    return false;
  }
  worn_effective = keep;
  worn_permitted = keep | apart;
  worn = true;
  return apart != 0;
}

bool PeerNeedsPtrace() { return peer_needs_ptrace; }

void NotePeerNeedsPtrace() { peer_needs_ptrace = true; }

PtraceOverride::PtraceOverride() {
  if (!span_raised && CanRaise()) {
    active_ = Capset(worn_effective | kPtrace, worn_permitted) == 0;
  }
}

PtraceOverride::~PtraceOverride() {
  if (active_) {
    Capset(worn_effective, worn_permitted);
  }
}

PtraceSpan::PtraceSpan() {
  if (!span_raised && peer_needs_ptrace && CanRaise()) {
    span_raised = Capset(worn_effective | kPtrace, worn_permitted) == 0;
  }
}

PtraceSpan::~PtraceSpan() { LowerPtrace(); }

void LowerPtrace() {
  if (span_raised) {
    Capset(worn_effective, worn_permitted);
    span_raised = false;
  }
}

}  // namespace zviz::broker
