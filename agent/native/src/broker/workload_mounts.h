// The mounts of the workload's mount namespace, by id. Every emulated open
// ends with the same invariant (docs/security.md, "Emulated opens"): the
// object the broker installs lives on one of these mounts, unless it is
// exactly an object the workload already holds (a reopen of its own
// descriptor). A descriptor of the agent's namespace (the host's /etc, a
// workspace seen from outside the workload's read-only view) fails it.
//
// Built on the supervisor thread after it joined the workload's namespace
// (or in the agent's namespace, which a workload without a file system
// section shares). Mounts that appear later (propagated from the host, which
// the workload itself cannot add) are picked up by listing again on a miss.
// Linux 6.8 gives ids that are never reused (STATX_MNT_ID_UNIQUE, listmount);
// older kernels fall back to /proc/thread-self/mountinfo and STATX_MNT_ID.
#pragma once

#include <cstdint>
#include <vector>

namespace zviz::broker {

class WorkloadMounts {
 public:
  /**
   * Lists the calling thread's mount namespace. `proc` is a /proc directory
   * descriptor of the agent's (for the fallback). False when the kernel offers
   * neither way: the invariant cannot be checked and the caller fails closed.
   */
  bool Load(int proc);

  /** The statx mask that yields the ids this set holds. */
  unsigned statx_mask() const { return mask_; }

  /** Whether `id` (statx's stx_mnt_id, with statx_mask()) is one of the namespace's mounts; lists again once on a miss. */
  bool Contains(uint64_t id);

  /** Times the set was listed again (misses, legitimate or not). */
  uint64_t reloads() const { return reloads_; }

 private:
  bool List();

  int proc_ = -1;
  unsigned mask_ = 0;
  std::vector<uint64_t> ids_;  // sorted
  uint64_t reloads_ = 0;
};

}  // namespace zviz::broker
