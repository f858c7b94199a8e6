// Reads decided by the allow-list view (spawn.h, SpawnRequest::view_reads).
// Where the filter lets the kernel make the workload's reads
// (agent/src/profiles/compile.ts, viewDecidesReads), the view alone decides
// what a path names; but a kernel open of a procfs magic link
// (/proc/self/fd/N, /dev/stderr) follows it to the object itself, wherever
// it lives: a file of the host the caller handed over for writing
// (`zviz run ... 2>>FILE`) would open for reading, which the broker refuses
// (it judges the object's own path). Landlock judges an open by the opened
// object's real path, walked up through its mounts (security/landlock/fs.c,
// is_access_to_paths_allowed), so a domain that allows reads only beneath
// the view's own mounts refuses every object outside them (EACCES), however
// it was reached. Pipes, sockets and other objects of internal file systems
// are not path-checked by Landlock (is_nouser_or_private, MNT_INTERNAL).
// Only reads are handled: writes, creates and truncations stay the broker's,
// and execution needs the read of the program, which the view holds.
// The rules go into the container's one domain (landlock_domain.cc), made
// in the first process once the view is made, so the init and the workload
// inherit it, and no task can leave it. Raw calls only.
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>

#include <cerrno>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

constexpr uint64_t kFileReads = LANDLOCK_ACCESS_FS_READ_FILE;
static_assert(kViewReadAccess == (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR));

/** The view's own mounts besides the profile's steps (allow_list_view.cc). */
constexpr const char* kImplicitMounts[] = {"/proc", "/dev"};

void AllowReadsBeneath(int ruleset, const char* path, int sock) {
  const int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return;  // not on this host: not in the view either (allow_list_view.cc)
    }
    ChildFail(sock, kStepViewReads);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ChildFail(sock, kStepViewReads);
  }
  struct landlock_path_beneath_attr rule = {};
  // A rule on a file may hold only the rights of files (EINVAL otherwise).
  rule.allowed_access = S_ISDIR(st.st_mode) ? kViewReadAccess : kFileReads;
  rule.parent_fd = fd;
  if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
    ChildFail(sock, kStepViewReads);
  }
  close(fd);
}

}  // namespace

void AllowReadsInView(const ChildPlan& p, int ruleset, int sock) {
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    // Masks and pins lie inside other steps; a link step is a symlink whose target is another step.
    const bool mounted = m.kind == MountStep::Kind::kReadOnly || m.kind == MountStep::Kind::kWritable ||
                         m.kind == MountStep::Kind::kTmpfs;
    if (mounted && m.link_target == nullptr) {
      AllowReadsBeneath(ruleset, m.path, sock);
    }
  }
  for (const char* path : kImplicitMounts) {
    AllowReadsBeneath(ruleset, path, sock);
  }
  // The view's own directories (`/etc`) whose listing the rules allow: made
  // fresh on the view's tmpfs, holding only mount points, so a rule on one
  // reaches nothing of the node (a host object's walk never passes them).
  // Listing only: every file they hold is a mount, with its own rule.
  for (char* const* dir = p.view_read_dirs; dir != nullptr && *dir != nullptr; ++dir) {
    const int fd = open(*dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
        continue;  // not made in this view (its mount was skipped), or a link step's
      }
      ChildFail(sock, kStepViewReads);
    }
    struct landlock_path_beneath_attr rule = {};
    rule.allowed_access = LANDLOCK_ACCESS_FS_READ_DIR;
    rule.parent_fd = fd;
    if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
      ChildFail(sock, kStepViewReads);
    }
    close(fd);
  }
}

}  // namespace zviz::broker::child
