// The host view (spawn.h, SpawnRequest::mounts): the agent's own tree, seen
// through a private mount namespace in which the profile's paths are made
// read-only, writable, a private tmpfs or masked, in the profile's order. It
// is what a workload that needs the node's tools gets; the allow-list view
// (allow_list_view.cc) is the one that shows nothing unlisted. Runs in
// the container's first process between clone3 and execve: raw calls only.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

/**
 * The host view's IPC file systems belong to the container's IPC namespace:
 * POSIX shared memory (/dev/shm) is a tmpfs of its own, and a message queue
 * file system (/dev/mqueue), where the host has one, is this namespace's.
 */
void PrivateIpcFiles(int sock) {
  struct stat st;
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    ChildFail(sock, kStepIpc);
  }
  if (stat("/dev/mqueue", &st) == 0 && S_ISDIR(st.st_mode) &&
      mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    ChildFail(sock, kStepIpc);
  }
}

/**
 * The host view's /dev/pts is a pseudo-terminal instance of the container's
 * own, as the allow-list view's is: the node's instance holds every session's
 * terminal (an administrator's ssh login among them), and root, whatever its
 * capabilities, opens any of them, writes on its screen and reads what its
 * user types. The host's /dev/ptmx node stays and opens the new instance (the
 * kernel looks for "pts" beside the ptmx node it opened). A terminal handed
 * over as stdio is an open file and keeps working. Made after the profile's
 * steps, so that no step binds the node's instance over it again; a view
 * whose /dev has no pts directory (a tmpfs over /dev) has nothing to hide.
 */
void PrivateTerminals(int sock) {
  struct stat st;
  if (stat("/dev/pts", &st) == 0 && S_ISDIR(st.st_mode) &&
      mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) {
    ChildFail(sock, kStepMounts);
  }
}

/**
 * The host's cgroup file systems showed every container's cgroup beside the
 * workload's own: the node's container ids, each one's process count and
 * CPU, memory and I/O use (test/security/neighbours.test.ts). Mounted again
 * from the container's cgroup namespace (first_process.cc), each shows
 * the container's own cgroup as its root, as runc and crun give a container
 * with a cgroup namespace; read-only, and made read-only again with /sys.
 */
void OwnCgroups(const ChildPlan& p, int sock) {
  for (size_t i = 0; i < p.cgroup_mount_count; ++i) {
    const ChildCgroupMount& m = p.cgroup_mounts[i];
    if (!m.joined) {
      // A hierarchy the container takes no part in (v1 cpu without a CPU
      // limit, systemd's name=systemd): from the namespace it would show the
      // agent's cgroup and everything below it. Hidden instead.
      if (Mask(m.path) != 0) {
        ChildFail(sock, kStepCgroupNamespace);
      }
      continue;
    }
    struct statx stx = {};
    if (::syscall(SYS_statx, AT_FDCWD, m.path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) != 0) {
      if (errno == ENOENT) {
        continue;  // under a tmpfs of the profile, or gone: not in the view
      }
      ChildFail(sock, kStepCgroupNamespace);
    }
    if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) == 0) {
      continue;  // a plain directory (a profile's tmpfs hides the node's mount): not in the view
    }
    // The same hierarchy cannot be mounted over itself (EBUSY): an empty
    // read-only tmpfs goes between the node's mount and the namespace's.
    // Unmounting the node's mount instead made the kernel wait for an RCU
    // grace period at each unmount, which is synchronous (0.1 to 5 ms here,
    // more under load, for each of 5 or 6 hierarchies at every start;
    // docs/benchmarks.md, "zviz run start-up"). Left below, the node's mount
    // is as far out of reach as the node's whole /sys tree already is, below
    // the view's bind of /sys: a workload can neither unmount nor move a
    // mount (docs/security.md, neighbours).
    // The first cover is the masks' own tmpfs (its one empty file hidden
    // below the namespace's mount): attached, it goes with the view, where
    // closing it detached at the end of the view waited for one more grace
    // period (1 to 12 ms in traces under load).
    if (CoverWithMaskSource(m.path) != 0 &&
        mount("tmpfs", m.path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555") != 0) {
      ChildFail(sock, kStepCgroupNamespace);
    }
    if (mount(m.fstype, m.path, m.fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
              m.options[0] != '\0' ? m.options : nullptr) != 0) {
      ChildFail(sock, kStepCgroupNamespace);
    }
  }
}

/** Whether step `i` lies inside the tmpfs of an earlier step (by the paths' text, both normalised). */
bool InEarlierTmpfs(const ChildPlan& p, size_t i) {
  const char* path = p.mounts[i].path;
  for (size_t j = 0; j < i; ++j) {
    const char* outer = p.mounts[j].path;
    const size_t n = strlen(outer);
    if (p.mounts[j].kind == MountStep::Kind::kTmpfs && strncmp(path, outer, n) == 0 && path[n] == '/') {
      return true;
    }
  }
  return false;
}

}  // namespace

void SetUpHostView(const ChildPlan& p, int sock) {
  if (p.pid_ns) {
    MountProc(sock);
  }
  PrivateIpcFiles(sock);
  // Paths inside a tmpfs of the view (a workspace under a private /tmp) are
  // held before the tmpfs hides them, then attached inside it.
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    p.trees[i] = -1;
    if (!m.under_tmpfs) {
      continue;
    }
    p.trees[i] = IsWorkspace(p, m) ? CloneNoLinks(m.path)
                                   : static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.path,
                                                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (p.trees[i] < 0 && errno != ENOENT) {
      ChildFail(sock, IsWorkspace(p, m) ? kStepWorkspace : kStepMounts);
    }
  }
  for (size_t i = 0; i < p.mount_count; ++i) {
    const char* path = p.mounts[i].path;
    int rc = 0;
    if (p.mounts[i].under_tmpfs) {
      if (p.trees[i] >= 0) {
        const bool ro = p.mounts[i].kind == MountStep::Kind::kReadOnly;
        rc = SetAttr(p.trees[i], "", AT_EMPTY_PATH | AT_RECURSIVE, ro ? MOUNT_ATTR_RDONLY : 0, ro ? 0 : MOUNT_ATTR_RDONLY);
        if (rc == 0) {
          rc = Attach(p.trees[i], path);
        }
        close(p.trees[i]);
      }
      if (rc != 0) {
        ChildFail(sock, kStepMounts);
      }
      continue;
    }
    switch (p.mounts[i].kind) {
      case MountStep::Kind::kReadOnly:
        rc = ReadOnlyInPlace(path);
        break;
      case MountStep::Kind::kWritable:
        if (IsWorkspace(p, p.mounts[i])) {
          if (BindWorkspace(path) != 0) {
            ChildFail(sock, kStepWorkspace);
          }
        } else if (mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
          rc = errno == ENOENT ? 0 : -1;  // nothing there to open up
        } else {
          rc = SetAttr(AT_FDCWD, path, AT_RECURSIVE, 0, MOUNT_ATTR_RDONLY);
        }
        break;
      case MountStep::Kind::kTmpfs:
        rc = mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        if (rc != 0 && errno == ENOENT) {
          // Inside a tmpfs of the view (ci-runner's /run/lock in its own
          // /run) the directory is the container's to make; elsewhere a path
          // the node lacks is skipped, as for every step.
          rc = InEarlierTmpfs(p, i) ? MountTmpfs(path, "mode=1777", MS_NOSUID | MS_NODEV) : 0;
        }
        break;
      case MountStep::Kind::kMask:
        rc = Mask(path);
        break;
      case MountStep::Kind::kPin:
        rc = Pin(path);
        break;
    }
    if (rc != 0) {
      ChildFail(sock, kStepMounts);
    }
  }
  PrivateTerminals(sock);
  OwnCgroups(p, sock);
  ProtectKernelFiles(sock);
  ReleaseMaskSource();
}

}  // namespace zviz::broker::child
