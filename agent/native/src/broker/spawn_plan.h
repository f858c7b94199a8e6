// The start plan: everything a container's first process needs to set the
// container up, as the agent hands it to zviz-spawn (native/src/spawn/main.cc)
// over the bootstrap socket. zviz-spawn is a program of its own, executed by
// a first process that shared the agent's memory until then (spawn_launch.h),
// so nothing can be read from the agent's memory: the plan travels as bytes
// (in a memfd, since argv and envp alone may be megabytes) and descriptors
// (SCM_RIGHTS). Both sides are built together from this header (npm run
// build), and the plan names its layout's version and size, so a zviz-spawn
// of another build refuses it rather than misread it.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/fdpass.h"
#include "broker/spawn.h"
#include "common/unique_fd.h"

namespace zviz::broker::plan {

constexpr uint32_t kMagic = 0x7a767370;  // "zvsp"
constexpr uint32_t kVersion = 3;

constexpr uint32_t kAllowList = 1;
constexpr uint32_t kPidNamespace = 2;
constexpr uint32_t kNetworkNone = 4;
constexpr uint32_t kViewReads = 8;
/** Landlock scopes of the container's domain (spawn.h, SpawnRequest::scope_*). */
constexpr uint32_t kScopeAbstractUnixSockets = 16;
constexpr uint32_t kScopeSignals = 32;

/** One step of the view; offsets of NUL-terminated strings (0: none). */
struct WireMount {
  uint64_t path;
  uint64_t link_target;
  uint32_t kind;  // MountStep::Kind
  uint32_t under_tmpfs;
};

/** A cgroup file system to mount again from the container's cgroup namespace (child.h, ChildCgroupMount). */
struct WireCgroupMount {
  uint64_t path;
  uint64_t fstype;
  uint64_t options;
  uint32_t joined;
  uint32_t reserved;
};

/**
 * The plan's first bytes. Every offset counts from the plan's start and lies
 * inside it. argv and envp are arrays of offsets ending with 0, which
 * zviz-spawn turns into pointers in place; the two scratch areas are room
 * for what it builds from the plan (the mounts as child.h reads them, the
 * detached mount trees), so that it allocates nothing.
 */
struct WirePlan {
  uint32_t magic;
  uint32_t version;
  uint64_t size;  // of the whole plan
  uint64_t file;
  uint64_t cwd;
  uint64_t argv;
  uint64_t envp;
  uint64_t mounts;  // WireMount[mount_count]
  uint64_t mount_count;
  uint64_t scratch_mounts;  // mount_count * kChildMountSize bytes
  uint64_t scratch_trees;   // mount_count ints
  uint64_t prog;            // struct sock_filter[prog_len]
  uint64_t prog_len;
  uint64_t capabilities;
  uint32_t seccomp_flags;
  int32_t agent_pid;
  uint32_t flags;
  uint32_t cgroup_count;
  uint64_t cgroup_mounts;  // WireCgroupMount[cgroup_mount_count]
  uint64_t cgroup_mount_count;
  uint64_t scratch_cgroup_mounts;  // cgroup_mount_count * kChildCgroupMountSize bytes
  uint64_t view_read_dirs;         // as argv: the view's directories whose listing is allowed (spawn.h)
};

/** Room zviz-spawn keeps per mount for child::ChildMount (checked there with a static_assert). */
constexpr size_t kChildMountSize = 32;
/** The same for child::ChildCgroupMount. */
constexpr size_t kChildCgroupMountSize = 32;

/** What the agent learned of a cgroup file system of its own namespace (spawn.cc, PlanCgroupMounts). */
struct CgroupMountSpec {
  std::string path;
  std::string fstype;
  std::string options;
  bool joined = false;
};

/**
 * The descriptors that come with the plan, in this order: the plan itself
 * (a memfd), stdin, stdout, stderr; with a PID namespace zviz-init (O_PATH),
 * the init's end of the exit-report socket and a pidfd of the agent; then
 * the cgroup files the first process writes itself into.
 */
constexpr size_t kFixedFds = 4;
constexpr size_t kInitFds = 3;
constexpr size_t kMaxFds = 64;
static_assert(kMaxFds <= kMaxFdsPerMessage, "fdpass.h carries the plan's descriptors");

/** The one message that carries them (SOCK_SEQPACKET). */
struct PlanMessage {
  uint32_t magic;
  uint32_t version;
  uint32_t fd_count;
  uint32_t reserved;
};

/** What the agent prepared, as SpawnOnce (spawn.cc) holds it. */
struct PlanInput {
  const SpawnRequest* request;
  /** request->mounts with what PlanMounts learned: symlink targets, and which lie under a tmpfs step. */
  const std::vector<std::string>* link_targets;
  const std::vector<bool>* under_tmpfs;
  uint32_t seccomp_flags;
  pid_t agent_pid;
  /** How many cgroup files come last among the descriptors. */
  uint32_t cgroup_count;
  /** Host view: the cgroup file systems to mount again from the container's cgroup namespace. */
  const std::vector<CgroupMountSpec>* cgroup_mounts;
};

/** The plan in a sealed memfd; empty string on success. */
std::string Write(const PlanInput& input, UniqueFd* out);

/** Sends the plan and its descriptors (see kFixedFds) on the bootstrap socket; 0 or -1 with errno. */
int Send(int sock, const int* fds, size_t count);

}  // namespace zviz::broker::plan
