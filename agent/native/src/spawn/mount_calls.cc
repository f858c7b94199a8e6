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

int Mask(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  if (S_ISDIR(st.st_mode)) {
    return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
  }
  return mount("/dev/null", path, nullptr, MS_BIND, nullptr);
}

}  // namespace zviz::broker::child
