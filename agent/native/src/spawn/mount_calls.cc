// The few mount operations both file-system views are built from (spawn/child.h):
// the new mount API where it is the only safe way (a detached clone of a host
// path held across pivot_root, attributes set on a whole tree at once), plain
// mount(2) elsewhere. They run in the container's first process between
// clone3 and execve: stack buffers only, no allocation.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {

int SetAttr(int dirfd, const char* path, unsigned flags, uint64_t set, uint64_t clear) {
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clear;
  return static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof(attr)));
}

int MakeDirs(const char* path, bool include_last) {
  char buf[PATH_MAX];
  const size_t n = strlen(path);
  if (n == 0 || n >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') {
      continue;
    }
    if (buf[i] == '\0' && !include_last) {
      break;
    }
    const char saved = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
      return -1;
    }
    buf[i] = saved;
  }
  return 0;
}

int MakeFile(const char* path) {
  if (MakeDirs(path, false) != 0) {
    return -1;
  }
  const int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return -1;
  }
  close(fd);
  return 0;
}

int Attach(int tree, const char* path) {
  struct stat st;
  if (fstat(tree, &st) != 0) {
    return -1;
  }
  if ((S_ISDIR(st.st_mode) ? MakeDirs(path, true) : MakeFile(path)) != 0) {
    return -1;
  }
  return static_cast<int>(::syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH));
}

int MountTmpfs(const char* path, const char* options, unsigned long flags) {
  if (MakeDirs(path, true) != 0) {
    return -1;
  }
  return mount("tmpfs", path, "tmpfs", flags, options);
}

int ReadOnlyInPlace(const char* path) {
  const bool root = path[0] == '/' && path[1] == '\0';
  if (!root && mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  return SetAttr(AT_FDCWD, path, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0);
}

int OpenNoLinks(const char* path) {
  struct open_how how = {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;  // not scoped: the '..' races that answer EAGAIN do not apply
  return sys::Openat2(AT_FDCWD, path, &how);
}

int CloneNoLinks(const char* path) {
  const int dir = OpenNoLinks(path);
  if (dir < 0) {
    return -1;
  }
  const int tree = static_cast<int>(
      ::syscall(SYS_open_tree, dir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
  const int err = errno;
  close(dir);
  errno = err;
  return tree;
}

int BindWorkspace(const char* path) {
  struct stat source = {};
  const int tree = CloneNoLinks(path);
  if (tree < 0) {
    return -1;
  }
  int target = -1;
  struct stat at = {};
  int rc = -1;
  if (fstat(tree, &source) == 0 && SetAttr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, 0, MOUNT_ATTR_RDONLY) == 0 &&
      (target = OpenNoLinks(path)) >= 0 && fstat(target, &at) == 0) {
    // Both walks must have reached one directory: a rename in between (of
    // directories the agent checked) would attach the workspace elsewhere.
    if (at.st_dev != source.st_dev || at.st_ino != source.st_ino) {
      errno = ESTALE;
    } else {
      rc = static_cast<int>(
          ::syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
    }
  }
  const int err = errno;
  if (target >= 0) {
    close(target);
  }
  close(tree);
  errno = err;
  return rc;
}

int ChdirNoLinks(const char* path) {
  const int dir = OpenNoLinks(path);
  if (dir < 0) {
    return -1;
  }
  const int rc = fchdir(dir);
  const int err = errno;
  close(dir);
  errno = err;
  return rc;
}

namespace {

// The file every file mask binds (Mask): an empty regular file on a tmpfs of
// the view's own, made once per container start. Its superblock and its
// mount are read-only, so each bind refuses writes (EROFS) rather than
// swallowing them as /dev/null does (a read-only bind of /dev/null would
// still take them: the kernel asks no writable mount for a device node), and
// a mask is no way to a device. The detached mount is held in a descriptor
// until the view is made (ReleaseMaskSource).
int mask_source = -1;
// Whether the mount has been attached to the view (CoverWithMaskSource).
bool mask_source_attached = false;

/** The detached read-only tmpfs holding "empty", made at the first file mask; -1 with errno when it cannot be. */
int MaskSource() {
  if (mask_source >= 0) {
    return mask_source;
  }
  const int fs = static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
  if (fs < 0) {
    return -1;
  }
  int mnt = -1;
  if (::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0555", 0) == 0 &&
      ::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", "2", 0) == 0 &&
      ::syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0) {
    mnt = static_cast<int>(
        ::syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  }
  const int err = errno;
  close(fs);
  if (mnt < 0) {
    errno = err;
    return -1;
  }
  // The file first, then the superblock read-only (a remount of it needs
  // CAP_SYS_ADMIN over the node's user namespace), then the mount read-only
  // (what every clone of it inherits).
  int pick = -1;
  const bool made =
      ::syscall(SYS_mknodat, mnt, "empty", S_IFREG | 0444, 0) == 0 &&
      (pick = static_cast<int>(::syscall(SYS_fspick, mnt, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC))) >= 0 &&
      ::syscall(SYS_fsconfig, pick, FSCONFIG_SET_FLAG, "ro", nullptr, 0) == 0 &&
      ::syscall(SYS_fsconfig, pick, FSCONFIG_CMD_RECONFIGURE, nullptr, nullptr, 0) == 0 &&
      SetAttr(mnt, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0) == 0;
  const int made_err = errno;
  if (pick >= 0) {
    close(pick);
  }
  if (!made) {
    close(mnt);
    errno = made_err;
    return -1;
  }
  mask_source = mnt;
  return mask_source;
}

/**
 * Binds the empty read-only file over `path` (a file, or a symlink to one,
 * followed as mount(2) follows it). A kernel that cannot clone a mount that
 * is not attached (EINVAL from open_tree) gets the mask older builds made,
 * /dev/null bound over the file: it reads empty but takes writes. That bind
 * is made read-only: a device node still takes writes on a read-only mount,
 * but its inode, the node's own /dev/null, can then no longer be chmod-ed,
 * chown-ed or given new times through the mask (mask-fallback.test.ts).
 */
int MaskFile(const char* path) {
  const int source = MaskSource();
  const int tree =
      source < 0 ? -1 : static_cast<int>(::syscall(SYS_open_tree, source, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (tree < 0) {
    if (errno != EINVAL) {
      return -1;
    }
    if (mount("/dev/null", path, nullptr, MS_BIND, nullptr) != 0) {
      return -1;
    }
    return mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, nullptr);
  }
  const int rc = static_cast<int>(
      ::syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS));
  const int err = errno;
  close(tree);
  errno = err;
  return rc;
}

}  // namespace

int Mask(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  if (S_ISDIR(st.st_mode)) {
    return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
  }
  return MaskFile(path);
}

int Pin(const char* path) {
  struct statx stx = {};
  if (::syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  // A symlink cannot be a mount point (Known limits); a mount root is one already.
  if (!S_ISDIR(stx.stx_mode) || (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0) {
    return 0;
  }
  return mount(path, path, nullptr, MS_BIND | MS_REC, nullptr);
}

int CoverWithMaskSource(const char* path) {
  const int source = mask_source_attached ? -1 : MaskSource();
  if (source < 0) {
    return -1;
  }
  if (::syscall(SYS_move_mount, source, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return -1;
  }
  mask_source_attached = true;
  return 0;
}

void ReleaseMaskSource() {
  if (mask_source >= 0) {
    // Attached, closing it is closing a descriptor; still detached, the
    // kernel dissolves the mount here and waits for an RCU grace period.
    close(mask_source);
    mask_source = -1;
    mask_source_attached = false;
  }
}

}  // namespace zviz::broker::child
