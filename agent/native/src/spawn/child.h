// zviz-spawn (main.cc): a container's first process from its execve to the
// container's init or workload, and the workload it forks. The agent
// prepares everything that allocates or can fail in complicated ways and
// sends it as the start plan (broker/spawn_plan.h); main.cc lays it out as
// the ChildPlan below, pointing into the plan's own mapping. The steps then
// make only raw or async-signal-safe calls, each one system call whose
// errno the step's report carries: no allocation, no locks, and the workload
// is forked with a raw clone3, behind glibc's back (test/architecture/
// native-children.test.ts checks the objects). A step that fails reports
// itself with ChildFail (broker/spawn_bootstrap.h) and exits.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "broker/spawn.h"
#include "broker/spawn_bootstrap.h"

namespace zviz::broker::child {

/** One step of the view (spawn.h, MountStep), as plain pointers the children may read. */
struct ChildMount {
  const char* path;
  const char* link_target;  // allow-list: the host path is a symlink to this; copied as a symlink
  MountStep::Kind kind;
  bool under_tmpfs;  // host view: inside an earlier tmpfs step, so cloned before that tmpfs hides it
};

/**
 * A cgroup file system of the host view (the view is a copy of the agent's
 * mounts), mounted again from the container's cgroup namespace, where its
 * root is the container's own cgroup.
 */
struct ChildCgroupMount {
  const char* path;
  const char* fstype;   // "cgroup2" or "cgroup"
  const char* options;  // v1: the hierarchy's controllers and name, as the host mounted it; "" for none
  /** The container has a cgroup of its own there; where it has none, the namespace's root would be the agent's. */
  bool joined;
};

/** Everything the children read: the start plan (broker/spawn_plan.h) as main.cc lays it out. */
struct ChildPlan {
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int stdio[3];
  int sock;
  const int* cgroup_fds;
  size_t cgroup_count;
  const ChildMount* mounts;
  size_t mount_count;
  const ChildCgroupMount* cgroup_mounts;  // host view
  size_t cgroup_mount_count;
  int* trees;  // one detached mount per entry (allow-list; host view: inside a tmpfs), filled by the child
  bool allow_list;
  bool pid_ns;
  bool net_none;
  bool view_reads;  // allow-list: reads restricted to beneath the view's mounts (view_reads.cc)
  char* const* view_read_dirs;  // with view_reads: the view's directories whose listing is allowed; nullptr-ended
  uint64_t landlock_scopes;  // LANDLOCK_SCOPE_* of the container's domain (landlock_domain.cc); 0: none
  int init_fd;      // zviz-init, opened O_PATH by the agent (with a PID namespace; else -1)
  int report_sock;  // the init's end of the exit-report socket
  int agent_pidfd;  // to see whether the agent died before PR_SET_PDEATHSIG was armed
  int init_ready[2];  // the workload waits for EOF: the init has become zviz-init
  uint64_t caps;
  unsigned seccomp_flags;
  struct sock_fprog* prog;
  pid_t parent;  // the agent
};

// The first process and what it becomes.

/** The first process: the container's setup, then the workload itself or, with a PID namespace, its init (first_process.cc). */
[[noreturn]] void FirstMain(const ChildPlan& p);

/** With a PID namespace: forks the workload, then becomes zviz-init, the namespace's PID 1 (become_init.cc). */
[[noreturn]] void BecomeInit(const ChildPlan& p);

/** The workload: from the container's setup to its filter (workload.cc). */
[[noreturn]] void WorkloadMain(const ChildPlan& p);

/** The workload's last steps: the hand-over to the agent, the filter, execve (seccomp.cc). */
[[noreturn]] void InstallFilterAndExec(const ChildPlan& p, int sock);

// Namespaces made by unshare (namespaces.cc); the IPC and PID ones come with clone3 (spawn.cc).

/** A network namespace of its own: only the loopback interface, brought up. */
void SetUpNetwork(int sock);

/** A private view of the mounts (nothing propagates back to the agent's namespace), then the profile's file-system view. */
void SetUpMounts(const ChildPlan& p, int sock);

/** The workload's own user namespace, owned by a uid no account uses; the agent writes its maps. */
void EnterUserNamespace(int sock);

// The two file-system views (host_view.cc, allow_list_view.cc).

void SetUpHostView(const ChildPlan& p, int sock);
void SetUpAllowListView(const ChildPlan& p, int sock);

// The container's Landlock domain (landlock_domain.cc, view_reads.cc).

/** Landlock's LANDLOCK_SCOPE_* (ABI 6), which the build's kernel headers may lack. */
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;

/** The rights the view-reads rules handle: LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR. */
constexpr uint64_t kViewReadAccess = (1ULL << 2) | (1ULL << 3);

/**
 * One Landlock domain for the container, made where the plan asks for one
 * (view_reads, landlock_scopes): reads held to the view and the profile's
 * scopes. The start fails where it cannot be made.
 */
void RestrictWithLandlock(const ChildPlan& p, int sock);

/** Rules of `ruleset` that let reads open only what lies beneath the view's mounts (view_reads.cc). */
void AllowReadsInView(const ChildPlan& p, int ruleset, int sock);

// What every view holds whatever the profile (kernel_files.cc).

/** The namespace's own /proc. */
void MountProc(int sock);

/** The kernel's tunables read-only and the host-only kernel files masked. */
void ProtectKernelFiles(int sock);

// The mount calls the views are made of (mount_calls.cc); each returns
// 0, or -1 with errno set, for the caller to report the step that failed.

/** mount_setattr(2): attributes set or cleared on one mount, or with AT_RECURSIVE on a whole tree. */
int SetAttr(int dirfd, const char* path, unsigned flags, uint64_t set, uint64_t clear);

/** mkdir -p of `path` (or only of its parent directory). */
int MakeDirs(const char* path, bool include_last);

/** An empty regular file (a mount point for a file), and its parents. */
int MakeFile(const char* path);

/** Attaches a detached mount (open_tree) at `path`, creating the mount point. */
int Attach(int tree, const char* path);

/** A tmpfs at `path`, creating the mount point. */
int MountTmpfs(const char* path, const char* options, unsigned long flags);

/** A path bound on itself (so that it is a mount of its own), then made read-only; missing paths are skipped. */
int ReadOnlyInPlace(const char* path);

/** Whether `m` binds the working directory writable: the one mount whose path a neighbour may hold a directory of. */
inline bool IsWorkspace(const ChildPlan& p, const ChildMount& m) {
  return m.kind == MountStep::Kind::kWritable && p.cwd[0] != '\0' && strcmp(m.path, p.cwd) == 0;
}

/**
 * The directory `path` opened O_PATH without following any symbolic link on
 * the way (ELOOP where one is): the workspace, whose directories above may be
 * another container's to swap for a link after the agent checked them.
 */
int OpenNoLinks(const char* path);

/** A detached clone (open_tree, recursive) of the directory `path`, reached without following links. */
int CloneNoLinks(const char* path);

/**
 * The workspace bound on itself writable, its source and its mount point
 * both reached without following links and checked to be one directory;
 * -1 with errno ELOOP or ESTALE where a link or a rename came in between.
 */
int BindWorkspace(const char* path);

/** chdir into `path` without following links (the workspace's own walk, as BindWorkspace's). */
int ChdirNoLinks(const char* path);

/**
 * Hides `path`: an empty read-only file bound over a file (reads give 0
 * bytes, writes EROFS), an empty read-only tmpfs over a directory; missing
 * paths are skipped.
 */
int Mask(const char* path);

/**
 * Attaches the read-only tmpfs file masks are cloned from (Mask) over the
 * directory `path`, once: something must be mounted over it at once, or its
 * files show. Masks made afterwards still clone from it. -1 with errno when
 * it cannot be (already attached, or no such tmpfs on this kernel).
 */
int CoverWithMaskSource(const char* path);

/** Closes what Mask held while the view was made (its read-only tmpfs); the masks stay. */
void ReleaseMaskSource();

/**
 * Makes the directory `path` a mount point of the view (bound on itself
 * with everything mounted inside it), so that no rename or rmdir of the
 * workload moves or removes it (EBUSY); skipped where it is absent, not a
 * directory, or a mount point already.
 */
int Pin(const char* path);

// Descriptors (descriptors.cc).

/** Moves `fd` to the lowest free descriptor at or above 10 (close-on-exec); a failure ends the child. */
int Lift(int fd, int sock);

/** Closes every descriptor from `first` up, except those in `keep` (at most 5, in any order). */
int CloseAllFrom(unsigned first, const int* keep, size_t count);

}  // namespace zviz::broker::child
