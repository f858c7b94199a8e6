#include "broker/thread_caps.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace zviz::broker {
namespace {

// What this thread wears, for PtraceOverride (set once by WearWorkloadCaps).
thread_local uint64_t worn_effective = 0;
thread_local uint64_t worn_permitted = 0;
thread_local bool worn = false;
thread_local bool peer_needs_ptrace = false;
// CAP_SYS_PTRACE raised by a PtraceSpan (not by a PtraceOverride, which lowers its own).
thread_local bool span_raised = false;
// The thread's own ids, as the workload started with them (it inherits the
// agent's groups); read when WearWorkloadCaps runs.
thread_local uid_t own_fsuid = 0;
thread_local gid_t own_fsgid = 0;
thread_local std::vector<gid_t> own_groups;

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

/** CAP_SYS_PTRACE while a PtraceSpan holds it raised: kept through a credential switch. */
uint64_t Raised() { return span_raised ? kPtrace : 0; }

}  // namespace

namespace {

/** This thread's supplementary groups (raw: the kernel's per-thread list). */
bool ThreadGroups(std::vector<gid_t>* out) {
  const long n = ::syscall(SYS_getgroups, 0, nullptr);
  if (n < 0) {
    return false;
  }
  out->resize(static_cast<size_t>(n));
  return ::syscall(SYS_getgroups, n, out->data()) == n;
}

/** setfsuid/setfsgid answer the previous id and never fail: asking again with -1 tells what holds. */
bool SetFsuid(uid_t id) {
  ::syscall(SYS_setfsuid, id);
  return static_cast<uid_t>(::syscall(SYS_setfsuid, static_cast<uid_t>(-1))) == id;
}

bool SetFsgid(gid_t id) {
  ::syscall(SYS_setfsgid, id);
  return static_cast<gid_t>(::syscall(SYS_setfsgid, static_cast<gid_t>(-1))) == id;
}

/** The thread's ids now, as far as they were switched. */
struct Ids {
  uid_t fsuid;
  gid_t fsgid;
  const std::vector<gid_t>* groups;
};

/**
 * Switches each id that differs from `from` to `to`. CAP_SETUID and
 * CAP_SETGID are raised from the permitted set for these calls only; an id
 * is only ever switched to one a workload task holds, which it could only
 * get with that capability (so the thread has it too), or back to the
 * thread's own (the real ids: no capability needed but for the groups).
 */
bool SwitchIds(const Ids& from, const Ids& to) {
  if (Capset((worn_permitted & ~kPtrace) | Raised(), worn_permitted) != 0) {
    return false;
  }
  bool ok = true;
  if (*to.groups != *from.groups) {
    ok = ::syscall(SYS_setgroups, to.groups->size(), to.groups->data()) == 0;
  }
  if (ok && to.fsgid != from.fsgid) {
    ok = SetFsgid(to.fsgid);
  }
  if (ok && to.fsuid != from.fsuid) {
    ok = SetFsuid(to.fsuid);
  }
  return ok;
}

// Set when switching back failed: this thread no longer knows what it wears,
// so it emulates no more opens (each is refused) rather than crash the agent.
thread_local bool stuck = false;

}  // namespace

bool WearsOwnCredentials(pid_t tid) {
  if (!worn || stuck || (worn_effective & (1ULL << CAP_DAC_OVERRIDE)) == 0) {
    return false;
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, tid};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return false;
  }
  const uint64_t effective = static_cast<uint64_t>(data[0].effective) | (static_cast<uint64_t>(data[1].effective) << 32);
  return effective == worn_effective;
}

TaskCredentialsWorn::TaskCredentialsWorn(const FileCredentials& task) {
  if (!worn || stuck) {
    ok_ = false;
    return;
  }
  const Ids own = {own_fsuid, own_fsgid, &own_groups};
  const Ids theirs = {task.fsuid, task.fsgid, &task.groups};
  if (task.fsuid != own_fsuid || task.fsgid != own_fsgid || task.groups != own_groups) {
    ids_ = true;
    caps_ = true;  // SwitchIds changed the effective set
    saved_effective_ = worn_effective;
    if (!SwitchIds(own, theirs)) {
      ok_ = false;
      Restore();
      return;
    }
  }
  // Never more than the thread may wear, and never CAP_SYS_PTRACE (PtraceOverride raises it).
  const uint64_t effective = task.effective & worn_permitted & ~kPtrace;
  if (ids_ || effective != worn_effective) {
    if (!caps_) {
      caps_ = true;
      saved_effective_ = worn_effective;
    }
    if (Capset(effective | Raised(), worn_permitted) != 0) {
      ok_ = false;
      Restore();
      return;
    }
    worn_effective = effective;
  }
}

TaskCredentialsWorn::~TaskCredentialsWorn() { Restore(); }

void TaskCredentialsWorn::Restore() {
  if (ids_) {
    // From whatever may have been switched (SwitchIds compares with what the thread wears now).
    uid_t fsuid = static_cast<uid_t>(::syscall(SYS_setfsuid, static_cast<uid_t>(-1)));
    gid_t fsgid = static_cast<gid_t>(::syscall(SYS_setfsgid, static_cast<gid_t>(-1)));
    std::vector<gid_t> groups;
    if (!ThreadGroups(&groups) ||
        !SwitchIds({fsuid, fsgid, &groups}, {own_fsuid, own_fsgid, &own_groups})) {
      stuck = true;
    }
    ids_ = false;
  }
  if (caps_) {
    worn_effective = saved_effective_;
    if (Capset(worn_effective | Raised(), worn_permitted) != 0) {
      stuck = true;
    }
    caps_ = false;
  }
}

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
  worn = ThreadGroups(&own_groups);
  own_fsuid = static_cast<uid_t>(::syscall(SYS_setfsuid, static_cast<uid_t>(-1)));
  own_fsgid = static_cast<gid_t>(::syscall(SYS_setfsgid, static_cast<gid_t>(-1)));
  return worn && apart != 0;
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

void RaisePtraceAhead() {
  if (!span_raised && peer_needs_ptrace && CanRaise()) {
    span_raised = Capset(worn_effective | kPtrace, worn_permitted) == 0;
  }
}

void LowerPtrace() {
  if (span_raised) {
    Capset(worn_effective, worn_permitted);
    span_raised = false;
  }
}

}  // namespace zviz::broker
