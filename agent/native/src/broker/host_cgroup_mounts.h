// The host's cgroup file systems as the agent's mount namespace shows them,
// which every container start needs (spawn.cc plans them for the host view to
// mount again from the container's cgroup namespace). Reading and parsing
// /proc/self/mountinfo at every start cost time in proportion to the node's
// mounts (docs/benchmarks.md, "zviz run start-up": 1,000 mounts are common on
// a Kubernetes node); the list changes only when something is mounted or
// unmounted, and the kernel says when: a mountinfo descriptor polls with
// POLLPRI once the namespace's mount table has changed since the descriptor
// last polled. So the list is read once and again only after such a change;
// a failed poll reads it again too (a stale list would leave a new hierarchy
// unmasked in the view).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace zviz::broker {

/** A cgroup or cgroup2 mount that shows a whole hierarchy (its root is "/"). */
struct HostCgroupMount {
  std::string path;     // mount point
  std::string fstype;   // "cgroup" or "cgroup2"
  std::string options;  // a v1 hierarchy's super options less rw/ro (its controllers, name=, xattr); "" for cgroup2
};

/**
 * The cgroup mounts of a mountinfo text ("ID PARENT MAJ:MIN ROOT MOUNT-POINT
 * OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS" per line). Binds of part
 * of a hierarchy and mount points with escaped characters are left out.
 */
std::vector<HostCgroupMount> ParseHostCgroupMounts(const std::string& mountinfo);

class HostCgroupMounts {
 public:
  /** The process-wide list (its descriptor is the agent's mount namespace's). */
  static HostCgroupMounts& Get();

  /** The current list into `out`; empty string on success, else why the mountinfo could not be read. */
  std::string Current(std::vector<HostCgroupMount>* out);

  /** Times the list was read (the first time and after each change): for tests and benchmarks. */
  uint64_t reads() const;

  /** `path` instead of /proc/self/mountinfo, and forget the list (tests, benchmarks). */
  void ResetForTesting(const std::string& path);

 private:
  std::string Read();

  mutable std::mutex mu_;
  std::string path_ = "/proc/self/mountinfo";
  UniqueFd fd_;
  bool valid_ = false;
  std::vector<HostCgroupMount> mounts_;
  uint64_t reads_ = 0;
};

}  // namespace zviz::broker
