// The allow-list view (spawn.h, SpawnRequest::allow_list): an empty root that
// holds only the host paths the profile lists, a /proc and a minimal /dev, so
// that what a profile forgets to list is not there at all rather than
// readable. Runs in the container's first process between clone3 and execve:
// raw calls only, the clones held in the descriptors the agent's plan has
// room for.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

// The devices programs expect to find, none of which reaches the host's
// hardware or other processes; bound from the host, since the workload may
// not create device nodes.
constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
constexpr size_t kDeviceCount = sizeof(kDevices) / sizeof(kDevices[0]);

}  // namespace

/**
 * The allow-list view: every allowed host path is cloned (open_tree) while
 * the host's tree is still visible; then the root becomes an empty tmpfs
 * (pivot_root, the host's tree detached), the clones are attached at their
 * own paths, and /proc and a minimal /dev are added. The root itself ends
 * read-only: nothing exists in the view but what the profile lists.
 */
void SetUpAllowListView(const ChildPlan& p, int sock) {
  int devices[kDeviceCount];
  for (size_t i = 0; i < kDeviceCount; ++i) {
    devices[i] = static_cast<int>(
        ::syscall(SYS_open_tree, AT_FDCWD, kDevices[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (devices[i] < 0 && errno != ENOENT) {
      ChildFail(sock, kStepView);
    }
    // Read-only binds: a device node still opens for writing on one, but its
    // inode (the node's own /dev/null, shared by every process of the node)
    // cannot be chmod-ed, chown-ed or given new times from the view.
    if (devices[i] >= 0 &&
        SetAttr(devices[i], "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0) != 0) {
      ChildFail(sock, kStepView);
    }
  }
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    p.trees[i] = -1;
    // Pins are the host view's: here every directory above an attached path is the view's own, read-only.
    if (m.kind == MountStep::Kind::kTmpfs || m.kind == MountStep::Kind::kMask || m.kind == MountStep::Kind::kPin ||
        m.link_target != nullptr) {
      continue;
    }
    const int tree = IsWorkspace(p, m) ? CloneNoLinks(m.path)
                                       : static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.path,
                                                                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (tree < 0) {
      if (errno == ENOENT) {
        continue;  // not on this host: not in the view either
      }
      ChildFail(sock, IsWorkspace(p, m) ? kStepWorkspace : kStepView);
    }
    const bool ro = m.kind == MountStep::Kind::kReadOnly;
    if (SetAttr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, ro ? MOUNT_ATTR_RDONLY : 0, ro ? 0 : MOUNT_ATTR_RDONLY) != 0) {
      ChildFail(sock, kStepView);
    }
    p.trees[i] = tree;
  }
  // The new root: a tmpfs mounted over /tmp for the moment (everything
  // needed from the host is already held), made the root, the old one gone.
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0 || chdir("/tmp") != 0 ||
      mkdir("old-root", 0700) != 0 || ::syscall(SYS_pivot_root, ".", "old-root") != 0 || chdir("/") != 0 ||
      umount2("/old-root", MNT_DETACH) != 0 || rmdir("/old-root") != 0) {
    ChildFail(sock, kStepView);
  }
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    int rc = 0;
    if (m.kind == MountStep::Kind::kTmpfs) {
      rc = MountTmpfs(m.path, "mode=1777", MS_NOSUID | MS_NODEV);
    } else if (m.kind == MountStep::Kind::kMask || m.kind == MountStep::Kind::kPin) {
      continue;  // masks after /dev, below
    } else if (m.link_target != nullptr) {
      rc = MakeDirs(m.path, false);
      if (rc == 0 && symlink(m.link_target, m.path) != 0 && errno != EEXIST) {
        rc = -1;
      }
    } else if (p.trees[i] >= 0) {
      rc = Attach(p.trees[i], m.path);
      close(p.trees[i]);
    }
    if (rc != 0) {
      ChildFail(sock, kStepView);
    }
  }
  MountProc(sock);
  // /dev: the harmless devices, a pseudo-terminal instance of its own, its
  // own shared memory, and the usual links to /proc/self/fd.
  if (MountTmpfs("/dev", "mode=0755", MS_NOSUID | MS_NOEXEC) != 0) {
    ChildFail(sock, kStepView);
  }
  for (size_t i = 0; i < kDeviceCount; ++i) {
    if (devices[i] >= 0 && (Attach(devices[i], kDevices[i]) != 0 || close(devices[i]) != 0)) {
      ChildFail(sock, kStepView);
    }
  }
  if (MakeDirs("/dev/pts", true) != 0 ||
      mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0 ||
      symlink("pts/ptmx", "/dev/ptmx") != 0 || MountTmpfs("/dev/shm", "mode=1777", MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0 ||
      symlink("/proc/self/fd", "/dev/fd") != 0 || symlink("/proc/self/fd/0", "/dev/stdin") != 0 ||
      symlink("/proc/self/fd/1", "/dev/stdout") != 0 || symlink("/proc/self/fd/2", "/dev/stderr") != 0 ||
      SetAttr(AT_FDCWD, "/dev", 0, MOUNT_ATTR_RDONLY, 0) != 0) {
    ChildFail(sock, kStepView);
  }
  // Masks come last in every plan (the control socket's directory, the
  // agent's own files); each hides something only where an allowed path
  // holds it. They come after /dev: on a kernel that cannot clone the
  // mask's own empty file (mount_calls.cc) a file mask binds /dev/null.
  for (size_t i = 0; i < p.mount_count; ++i) {
    if (p.mounts[i].kind == MountStep::Kind::kMask && Mask(p.mounts[i].path) != 0) {
      ChildFail(sock, kStepView);
    }
  }
  ProtectKernelFiles(sock);
  ReleaseMaskSource();
  if (SetAttr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY, 0) != 0) {
    ChildFail(sock, kStepView);
  }
}

}  // namespace zviz::broker::child
